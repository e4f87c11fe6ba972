// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: mdevs where the kernel has no mdev framework (Debian's
 * s390x kernel): the same sysfs layout the mdev core would give,
 *   matrix/mdev_supported_types/vfio_ap-passthrough/{create,
 *     available_instances,name,device_api,devices/}
 *   matrix/<uuid>/{remove,mdev_type,<the attributes of mdev_attrs.c>}
 * and /sys/bus/mdev/devices/<uuid>. Guests attach through the control
 * interface only.
 *
 * create_lock serializes create against create (uuid uniqueness); it is
 * taken outside the lock order of kernel/LOCKING.md, before guests_lock,
 * and never while a lock of that order is held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uuid.h>

#include "vap.h"

struct vap_novfio_mdev {
	struct device dev;
	struct vap_mdev mdev;
	struct list_head node;          /* in vap_novfio_list; create_lock */
	bool claimed;                   /* a remover owns it; create_lock */
};

static struct bus_type vap_mdev_bus = {
	.name = "mdev",
};

static struct kobject *vap_types_kobj;  /* owned: mdev_supported_types */
static struct kobject *vap_type_kobj;   /* owned: vfio_ap-passthrough */
static struct kobject *vap_devices_kobj;        /* owned: devices/ */
/* create_lock protects vap_novfio_list, vap_nr_mdevs and every claimed */
static DEFINE_MUTEX(create_lock);
static LIST_HEAD(vap_novfio_list);
static unsigned int vap_nr_mdevs;
/* woken when an mdev leaves vap_novfio_list */
static DECLARE_WAIT_QUEUE_HEAD(vap_novfio_wq);

void vap_mdev_signal_cfg_chg(struct vap_mdev *mdev)
{
	/* no VFIO, no eventfd: the guest's notification count is the signal */
}

bool vap_mdev_signal_req(struct vap_mdev *mdev)
{
	return false;
}

static void vap_novfio_release(struct device *dev)
{
	kfree(container_of(dev, struct vap_novfio_mdev, dev));
}

static void vap_novfio_remove(struct vap_novfio_mdev *m)
{
	vap_mdev_del(&m->mdev);
	sysfs_remove_link(vap_devices_kobj, dev_name(&m->dev));
	sysfs_remove_link(&m->dev.kobj, "mdev_type");
	device_unregister(&m->dev);
	mutex_lock(&create_lock);
	list_del(&m->node);
	/* read locklessly by the unload's wait condition */
	WRITE_ONCE(vap_nr_mdevs, vap_nr_mdevs - 1);
	mutex_unlock(&create_lock);
	wake_up_all(&vap_novfio_wq);
}

/* Exactly one remover (a `remove` write or module exit) gets each mdev. */
static bool vap_novfio_claim(struct vap_novfio_mdev *m)
{
	bool mine;

	mutex_lock(&create_lock);
	mine = !m->claimed;
	m->claimed = true;
	mutex_unlock(&create_lock);
	return mine;
}

static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	unsigned long val;

	if (kstrtoul(buf, 0, &val) < 0)
		return -EINVAL;
	if (val && device_remove_file_self(dev, attr)) {
		struct vap_novfio_mdev *m =
			container_of(dev, struct vap_novfio_mdev, dev);

		get_device(dev);
		if (vap_novfio_claim(m))
			vap_novfio_remove(m);
		put_device(dev);
	}
	return count;
}
static DEVICE_ATTR_WO(remove);

static struct attribute *vap_novfio_attrs[] = {
	&dev_attr_remove.attr,
	NULL,
};

static const struct attribute_group vap_novfio_group = {
	.attrs = vap_novfio_attrs,
};

static const struct attribute_group *vap_novfio_groups[] = {
	&vap_novfio_group,
	NULL,   /* vap_mdev_attr_groups[0], filled in at register */
	NULL,
};

static bool vap_novfio_exists(const guid_t *uuid)
{
	struct vap_novfio_mdev *m;

	lockdep_assert_held(&create_lock);
	list_for_each_entry(m, &vap_novfio_list, node)
		if (guid_equal(&m->mdev.uuid, uuid))
			return true;
	return false;
}

static int vap_novfio_create(const guid_t *uuid)
{
	struct vap_novfio_mdev *m;
	int ret;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	mutex_lock(&create_lock);
	if (vap_novfio_exists(uuid)) {
		ret = -EEXIST;
		goto err_free;
	}
	if (vap_nr_mdevs >= VAP_MAX_MDEVS) {
		ret = -EUSERS;
		goto err_free;
	}
	device_initialize(&m->dev);
	m->dev.parent = &vap.device;
	m->dev.bus = &vap_mdev_bus;
	m->dev.groups = vap_novfio_groups;
	m->dev.release = vap_novfio_release;
	vap_mdev_init(&m->mdev, &m->dev, uuid);
	dev_set_drvdata(&m->dev, &m->mdev);
	dev_set_name(&m->dev, "%pUl", uuid);
	vap_mdev_add(&m->mdev);
	ret = device_add(&m->dev);
	if (ret) {
		vap_mdev_del(&m->mdev);
		mutex_unlock(&create_lock);
		put_device(&m->dev);
		return ret;
	}
	list_add_tail(&m->node, &vap_novfio_list);
	WRITE_ONCE(vap_nr_mdevs, vap_nr_mdevs + 1);
	mutex_unlock(&create_lock);
	/* Links are conveniences; the device works without them. */
	if (sysfs_create_link(&m->dev.kobj, vap_type_kobj, "mdev_type") ||
	    sysfs_create_link(vap_devices_kobj, &m->dev.kobj, dev_name(&m->dev)))
		dev_warn(&m->dev, "could not link the mdev type\n");
	return 0;

err_free:
	mutex_unlock(&create_lock);
	kfree(m);
	return ret;
}

static ssize_t create_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	char str[UUID_STRING_LEN + 1];
	size_t len = count;
	guid_t uuid;
	int ret;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len != UUID_STRING_LEN)
		return -EINVAL;
	memcpy(str, buf, len);
	str[len] = '\0';
	ret = guid_parse(str, &uuid);
	if (ret)
		return ret;
	ret = vap_novfio_create(&uuid);
	return ret ? ret : count;
}

static ssize_t available_instances_show(struct kobject *kobj,
					struct kobj_attribute *attr, char *buf)
{
	unsigned int n;

	mutex_lock(&create_lock);
	n = VAP_MAX_MDEVS - vap_nr_mdevs;
	mutex_unlock(&create_lock);
	return sysfs_emit(buf, "%u\n", n);
}

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", VAP_MDEV_TYPE_NAME);
}

static ssize_t device_api_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", VAP_DEVICE_API);
}

static struct kobj_attribute vap_type_attr_create = __ATTR_WO(create);
static struct kobj_attribute vap_type_attr_available =
	__ATTR_RO(available_instances);
static struct kobj_attribute vap_type_attr_name = __ATTR_RO(name);
static struct kobj_attribute vap_type_attr_device_api = __ATTR_RO(device_api);

static struct attribute *vap_type_attrs[] = {
	&vap_type_attr_create.attr,
	&vap_type_attr_available.attr,
	&vap_type_attr_name.attr,
	&vap_type_attr_device_api.attr,
	NULL,
};

static const struct attribute_group vap_type_group = {
	.attrs = vap_type_attrs,
};

int vap_mdev_backend_register(void)
{
	char name[64];
	int ret;

	vap_novfio_groups[1] = vap_mdev_attr_groups[0];
	ret = bus_register(&vap_mdev_bus);
	if (ret)
		return ret;
	ret = -ENOMEM;
	vap_types_kobj = kobject_create_and_add("mdev_supported_types",
						&vap.device.kobj);
	if (!vap_types_kobj)
		goto err_bus;
	snprintf(name, sizeof(name), "%s-%s", VAP_DRV_NAME,
		 VAP_MDEV_TYPE_SYSFS_NAME);
	vap_type_kobj = kobject_create_and_add(name, vap_types_kobj);
	if (!vap_type_kobj)
		goto err_types;
	vap_devices_kobj = kobject_create_and_add("devices", vap_type_kobj);
	if (!vap_devices_kobj)
		goto err_type;
	ret = sysfs_create_group(vap_type_kobj, &vap_type_group);
	if (ret)
		goto err_devices;
	return 0;

err_devices:
	kobject_put(vap_devices_kobj);
err_type:
	kobject_put(vap_type_kobj);
err_types:
	kobject_put(vap_types_kobj);
err_bus:
	bus_unregister(&vap_mdev_bus);
	return ret;
}

void vap_mdev_backend_unregister(void)
{
	struct vap_novfio_mdev *m;

	/* No new mdevs once `create` is gone. */
	sysfs_remove_group(vap_type_kobj, &vap_type_group);
	for (;;) {
		bool found = false;

		mutex_lock(&create_lock);
		list_for_each_entry(m, &vap_novfio_list, node) {
			if (!m->claimed) {
				m->claimed = true;
				get_device(&m->dev);
				found = true;
				break;
			}
		}
		mutex_unlock(&create_lock);
		if (!found)
			break;
		device_remove_file(&m->dev, &dev_attr_remove);
		vap_novfio_remove(m);
		put_device(&m->dev);
	}
	/* Removals a `remove` write started must end before the bus goes. */
	wait_event(vap_novfio_wq, !READ_ONCE(vap_nr_mdevs));
	kobject_put(vap_devices_kobj);
	kobject_put(vap_type_kobj);
	kobject_put(vap_types_kobj);
	bus_unregister(&vap_mdev_bus);
}
