// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: mdevs through the kernel's mdev framework and VFIO (where
 * CONFIG_VFIO_MDEV exists; Linux 6.1 API): the mdev driver and parent
 * registration, the VFIO device whose open attaches the simulated guest of
 * the opening process (the role of the KVM that QEMU associates with the
 * group), its irqs (request and config-change eventfds) and resets.
 *
 * Lock order (kernel/LOCKING.md): guests_lock -> guest->lock ->
 * pqap_hook_rwsem -> mdevs_lock. The vfio core's own locks (device set,
 * group) are held around open/close_device, outside all of ours.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vfio.h>

#include "vap.h"

/* Upstream's AP irq indexes (the config-change one is from 6.15). */
#define VAP_REQ_IRQ_INDEX 0
#define VAP_CFG_CHG_IRQ_INDEX 1
#define VAP_NUM_IRQS 2

struct vap_vfio_mdev {
	struct vfio_device vdev;        /* first: vfio_alloc_device() */
	struct vap_mdev mdev;
};

static struct mdev_parent vap_parent;
static struct mdev_type vap_type = {
	.sysfs_name = VAP_MDEV_TYPE_SYSFS_NAME,
	.pretty_name = VAP_MDEV_TYPE_NAME,
};
static struct mdev_type *vap_types[] = { &vap_type };

static struct vap_vfio_mdev *vap_vfio_of(struct vfio_device *vdev)
{
	return container_of(vdev, struct vap_vfio_mdev, vdev);
}

static void vap_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

void vap_mdev_signal_cfg_chg(struct vap_mdev *mdev)
{
	lockdep_assert_held(&vap.mdevs_lock);
	if (mdev->cfg_chg_trigger)
		vap_eventfd_signal(mdev->cfg_chg_trigger);
}

bool vap_mdev_signal_req(struct vap_mdev *mdev)
{
	lockdep_assert_held(&vap.mdevs_lock);
	if (!mdev->req_trigger)
		return false;
	vap_eventfd_signal(mdev->req_trigger);
	return true;
}

/* The opening process must have created a guest: as a QEMU without KVM. */
static int vap_vfio_open_device(struct vfio_device *vdev)
{
	struct vap_vfio_mdev *m = vap_vfio_of(vdev);
	struct vap_guest *guest;
	int ret;

	vap_lock_guests();
	guest = vap_guest_find_by_tgid(current->tgid);
	ret = guest ? vap_guest_attach(guest, &m->mdev, true) : -EINVAL;
	vap_unlock_guests();
	return ret;
}

static void vap_vfio_close_device(struct vfio_device *vdev)
{
	struct vap_vfio_mdev *m = vap_vfio_of(vdev);
	struct eventfd_ctx *req, *cfg;

	vap_lock_guests();
	if (m->mdev.guest && m->mdev.attached_by_vfio)
		vap_guest_detach(m->mdev.guest);
	vap_lock_mdevs();
	req = m->mdev.req_trigger;
	cfg = m->mdev.cfg_chg_trigger;
	m->mdev.req_trigger = NULL;
	m->mdev.cfg_chg_trigger = NULL;
	vap_unlock_mdevs();
	vap_unlock_guests();
	if (req)
		eventfd_ctx_put(req);
	if (cfg)
		eventfd_ctx_put(cfg);
}

static int vap_vfio_get_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_AP | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = 0;
	info.num_irqs = VAP_NUM_IRQS;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static int vap_vfio_get_irq_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VAP_NUM_IRQS)
		return -EINVAL;
	info.count = 1;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static int vap_vfio_set_irqs(struct vap_vfio_mdev *m, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct eventfd_ctx *ctx = NULL, *old, **slot;
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	s32 fd;
	int ret;

	if (copy_from_user(&hdr, (void __user *)arg, minsz))
		return -EFAULT;
	ret = vfio_set_irqs_validate_and_prepare(&hdr, VAP_NUM_IRQS,
						 VAP_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if ((hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) != VFIO_IRQ_SET_DATA_EVENTFD ||
	    (hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) != VFIO_IRQ_SET_ACTION_TRIGGER ||
	    data_size != sizeof(fd))
		return -EINVAL;
	if (get_user(fd, (s32 __user *)(arg + minsz)))
		return -EFAULT;
	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	} else if (fd != -1) {
		return -EINVAL;
	}
	vap_lock_mdevs();
	slot = hdr.index == VAP_REQ_IRQ_INDEX ? &m->mdev.req_trigger :
						&m->mdev.cfg_chg_trigger;
	old = *slot;
	*slot = ctx;
	vap_unlock_mdevs();
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

/* VFIO_DEVICE_RESET: reset every queue; -EIO if one did not end well. */
static int vap_vfio_reset(struct vap_vfio_mdev *m)
{
	struct vap_mdev *mdev = &m->mdev;
	struct vap_guest *guest;
	unsigned long apid, apqi;
	int ret = 0;

	guest = vap_lock_for_mdev(mdev);
	vap_mdev_reset_all(mdev);
	for_each_set_bit(apid, mdev->matrix.apm, AP_DEVICES)
		for_each_set_bit(apqi, mdev->matrix.aqm, AP_DOMAINS) {
			struct vap_queue *q = vap.queues[VAP_APQN(apid, apqi)];

			if (q && !vap_queue_reset_ok(q))
				ret = -EIO;
		}
	vap_unlock_for_mdev(guest);
	return ret;
}

static long vap_vfio_ioctl(struct vfio_device *vdev, unsigned int cmd,
			   unsigned long arg)
{
	struct vap_vfio_mdev *m = vap_vfio_of(vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vap_vfio_get_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vap_vfio_get_irq_info(arg);
	case VFIO_DEVICE_SET_IRQS:
		return vap_vfio_set_irqs(m, arg);
	case VFIO_DEVICE_RESET:
		return vap_vfio_reset(m);
	default:
		return -EOPNOTSUPP;
	}
}

static void vap_vfio_request(struct vfio_device *vdev, unsigned int count)
{
	vap_mdev_signal_request(&vap_vfio_of(vdev)->mdev, count);
}

static void vap_vfio_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	/* nothing is pinned */
}

static void vap_vfio_release(struct vfio_device *vdev)
{
	/* 6.1: the driver frees its vfio_device from release */
	vfio_free_device(vdev);
}

static const struct vfio_device_ops vap_vfio_ops = {
	.name = "vfio-ap-sim",
	.release = vap_vfio_release,
	.open_device = vap_vfio_open_device,
	.close_device = vap_vfio_close_device,
	.ioctl = vap_vfio_ioctl,
	.request = vap_vfio_request,
	.dma_unmap = vap_vfio_dma_unmap,
};

static int vap_vfio_probe(struct mdev_device *mdev_dev)
{
	struct vap_vfio_mdev *m;
	int ret;

	m = vfio_alloc_device(vap_vfio_mdev, vdev, &mdev_dev->dev, &vap_vfio_ops);
	if (IS_ERR(m))
		return PTR_ERR(m);
	vap_mdev_init(&m->mdev, &mdev_dev->dev, &mdev_dev->uuid);
	dev_set_drvdata(&mdev_dev->dev, &m->mdev);
	vap_mdev_add(&m->mdev);
	ret = vfio_register_emulated_iommu_dev(&m->vdev);
	if (ret) {
		vap_mdev_del(&m->mdev);
		vfio_put_device(&m->vdev);
		return ret;
	}
	return 0;
}

static void vap_vfio_remove(struct mdev_device *mdev_dev)
{
	struct vap_mdev *mdev = dev_get_drvdata(&mdev_dev->dev);
	struct vap_vfio_mdev *m = container_of(mdev, struct vap_vfio_mdev, mdev);

	/* Blocks while the device is open, calling request(). */
	vfio_unregister_group_dev(&m->vdev);
	vap_mdev_del(mdev);
	vfio_put_device(&m->vdev);
}

static struct mdev_driver vap_mdev_driver = {
	.device_api = VAP_DEVICE_API,
	.max_instances = VAP_MAX_MDEVS,
	.driver = {
		.name = "vfio_ap_mdev",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
		.dev_groups = vap_mdev_attr_groups,
	},
	.probe = vap_vfio_probe,
	.remove = vap_vfio_remove,
};

int vap_mdev_backend_register(void)
{
	int ret;

	ret = mdev_register_driver(&vap_mdev_driver);
	if (ret)
		return ret;
	ret = mdev_register_parent(&vap_parent, &vap.device, &vap_mdev_driver,
				   vap_types, ARRAY_SIZE(vap_types));
	if (ret)
		mdev_unregister_driver(&vap_mdev_driver);
	return ret;
}

void vap_mdev_backend_unregister(void)
{
	mdev_unregister_parent(&vap_parent);
	mdev_unregister_driver(&vap_mdev_driver);
}
