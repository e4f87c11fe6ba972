// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: the AP queue driver "vfio_ap" (CEX4 and newer queues):
 * probe links a queue into the mdev that owns its APQN and hot plugs it,
 * remove unplugs its whole adapter from the guest and resets; the queue
 * `status` attribute; queue reset with the bus's ZAPQ/TAPQ, bounded.
 *
 * Lock order (kernel/LOCKING.md): guests_lock -> guest->lock -> mdevs_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "vap.h"

/* Bound on one reset; the bus can inject delays and failures. */
#define VAP_RESET_TIMEOUT_MS 5000
#define VAP_RESET_POLL_MS 5

static struct ap_device_id vap_queue_ids[] = {
	{ .dev_type = AP_DEVICE_TYPE_CEX4,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX5,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX6,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX7,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX8,
	  .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ /* end of list */ },
};

/* What a response code means for a reset in flight. */
enum vap_reset_step {
	VAP_RESET_FAILED = 0,   /* the reset ended badly: adapter filtered */
	VAP_RESET_DONE,         /* ended with a passable state */
	VAP_RESET_WAIT,         /* still running: poll with TAPQ */
	VAP_RESET_RETRY,        /* busy: issue ZAPQ again */
};

/*
 * Q_NOT_AVAIL: the APQN left the host config (the scan that removes its
 * device has not run yet); there is nothing to reset, as upstream since
 * "do not reset queue removed from host config".
 */
static const enum vap_reset_step vap_reset_steps[] = {
	[AP_RESPONSE_NORMAL] = VAP_RESET_DONE,
	[AP_RESPONSE_Q_NOT_AVAIL] = VAP_RESET_DONE,
	[AP_RESPONSE_RESET_IN_PROGRESS] = VAP_RESET_WAIT,
	[AP_RESPONSE_DECONFIGURED] = VAP_RESET_DONE,
	[AP_RESPONSE_CHECKSTOPPED] = VAP_RESET_DONE,
	[AP_RESPONSE_BUSY] = VAP_RESET_RETRY,
};

static enum vap_reset_step vap_reset_step_of(unsigned int rc)
{
	if (rc >= ARRAY_SIZE(vap_reset_steps))
		return VAP_RESET_FAILED;
	return vap_reset_steps[rc];
}

bool vap_queue_reset_ok(const struct vap_queue *q)
{
	return q->reset_rc >= 0 &&
	       vap_reset_step_of(q->reset_rc) == VAP_RESET_DONE;
}

static void vap_queue_reset_end(struct vap_queue *q, int rc)
{
	q->reset_pending = false;
	q->reset_rc = rc;
	/* A reset also disables the queue's interrupts. */
	q->irq_enabled = false;
	if (!vap_queue_reset_ok(q))
		pr_warn_ratelimited("reset of queue %02x.%04x failed: %d\n",
				    AP_QID_CARD(q->apqn), AP_QID_QUEUE(q->apqn),
				    rc);
	vap_nl_queue_reset(q->apqn, rc);
}

/* One step for one queue; true while the reset is still running. */
static bool vap_queue_reset_step(struct vap_queue *q, bool first)
{
	struct ap_queue_status st;
	enum vap_reset_step step;

	st = first ? ap_zapq(q->apqn, 0) : ap_tapq(q->apqn, NULL);
	step = vap_reset_step_of(st.response_code);
	if (step == VAP_RESET_RETRY) {
		st = ap_zapq(q->apqn, 0);
		step = vap_reset_step_of(st.response_code);
		if (step == VAP_RESET_DONE || step == VAP_RESET_RETRY)
			step = VAP_RESET_WAIT;
	} else if (first && step == VAP_RESET_DONE &&
		   st.response_code == AP_RESPONSE_NORMAL) {
		/* ZAPQ accepted: TAPQ tells when the zeroize completed. */
		step = VAP_RESET_WAIT;
	}
	if (step == VAP_RESET_WAIT)
		return true;
	vap_queue_reset_end(q, st.response_code);
	return false;
}

/*
 * Reset @n queues: ZAPQ all, then poll all with TAPQ until each ends, or
 * the shared deadline passes (the reset then counts as failed, so the
 * adapter is filtered from guests until a later reset succeeds).
 */
void vap_queues_reset(struct vap_queue **qs, unsigned int n)
{
	unsigned long deadline;
	unsigned int i, left = 0;

	lockdep_assert_held(&vap.mdevs_lock);
	for (i = 0; i < n; i++) {
		qs[i]->reset_pending = vap_queue_reset_step(qs[i], true);
		left += qs[i]->reset_pending;
	}
	deadline = jiffies + msecs_to_jiffies(VAP_RESET_TIMEOUT_MS);
	while (left) {
		bool expired = time_after(jiffies, deadline);

		for (i = 0; i < n; i++) {
			if (!qs[i]->reset_pending)
				continue;
			if (expired) {
				vap_queue_reset_end(qs[i], -ETIMEDOUT);
				left--;
			} else if (!vap_queue_reset_step(qs[i], false)) {
				left--;
			}
		}
		if (left)
			msleep(VAP_RESET_POLL_MS);
	}
}

static ssize_t status_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct vap_queue *q = dev_get_drvdata(dev);
	unsigned long apid = AP_QID_CARD(q->apqn), apqi = AP_QID_QUEUE(q->apqn);
	const char *status = "unassigned";
	struct vap_mdev *mdev;

	vap_lock_mdevs();
	mdev = vap.owner[q->apqn];
	if (mdev) {
		status = "assigned";
		if (mdev->guest && test_bit(apid, mdev->shadow.apm) &&
		    test_bit(apqi, mdev->shadow.aqm))
			status = "in use";
	}
	vap_unlock_mdevs();
	return sysfs_emit(buf, "%s\n", status);
}
static DEVICE_ATTR_RO(status);

static struct attribute *vap_queue_attrs[] = {
	&dev_attr_status.attr,
	NULL,
};

static const struct attribute_group vap_queue_attr_group = {
	.attrs = vap_queue_attrs,
};

/* guests_lock, then the locks of the mdev owning @apqn; returns that mdev. */
static struct vap_mdev *vap_lock_for_apqn(ap_qid_t apqn,
					  struct vap_guest **ret_guest)
{
	struct vap_mdev *mdev;

	vap_lock_guests();
	mdev = vap.owner[apqn];
	if (mdev) {
		*ret_guest = vap_lock_mdev_locked(mdev);
	} else {
		*ret_guest = NULL;
		vap_lock_mdevs();
	}
	return mdev;
}

static int vap_queue_probe(struct ap_device *ap_dev)
{
	struct ap_queue *apq = to_ap_queue(&ap_dev->device);
	struct vap_guest *guest;
	struct vap_mdev *mdev;
	struct vap_queue *q;
	int ret;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	q->apq = apq;
	q->apqn = apq->qid;
	q->reset_rc = AP_RESPONSE_NORMAL;
	dev_set_drvdata(&ap_dev->device, q);
	ret = sysfs_create_group(&ap_dev->device.kobj, &vap_queue_attr_group);
	if (ret) {
		dev_set_drvdata(&ap_dev->device, NULL);
		kfree(q);
		return ret;
	}

	mdev = vap_lock_for_apqn(q->apqn, &guest);
	vap.queues[q->apqn] = q;
	/*
	 * While the host config has additions pending, on_scan_complete
	 * filters once for all of them (as upstream).
	 */
	if (mdev && bitmap_empty(mdev->pending_add.apm, AP_DEVICES) &&
	    bitmap_empty(mdev->pending_add.aqm, AP_DOMAINS))
		vap_mdev_update_guest(mdev);
	vap_unlock_mdev_locked(guest);
	vap_unlock_guests();
	return 0;
}

/*
 * A queue leaving vfio_ap: if it is in a guest, the architecture cannot
 * take one APQN away, so its whole adapter leaves the guest and all of
 * that adapter's queues there are reset; otherwise it is reset on its own,
 * unless it left the host config.
 */
static void vap_queue_remove(struct ap_device *ap_dev)
{
	struct vap_queue *q = dev_get_drvdata(&ap_dev->device);
	unsigned long apid = AP_QID_CARD(q->apqn), apqi = AP_QID_QUEUE(q->apqn);
	struct vap_guest *guest;
	struct vap_mdev *mdev;

	/*
	 * Before any lock: removing the file waits for its readers, and a
	 * reader of `status` takes mdevs_lock.
	 */
	sysfs_remove_group(&ap_dev->device.kobj, &vap_queue_attr_group);

	mdev = vap_lock_for_apqn(q->apqn, &guest);
	if (mdev && test_bit(apid, mdev->shadow.apm) &&
	    test_bit(apqi, mdev->shadow.aqm)) {
		DECLARE_BITMAP(apm, AP_DEVICES);
		DECLARE_BITMAP(aqm, AP_DOMAINS);

		bitmap_zero(apm, AP_DEVICES);
		__set_bit(apid, apm);
		bitmap_copy(aqm, mdev->shadow.aqm, AP_DOMAINS);
		/* Drop the adapter: keep every other one. */
		bitmap_complement(apm, apm, AP_DEVICES);
		vap_mdev_unplug(mdev, apm, mdev->shadow.aqm, mdev->shadow.adm);
		bitmap_complement(apm, apm, AP_DEVICES);
		vap_mdev_reset_apqns(mdev, apm, aqm);
	} else if (test_bit(apid, vap.info.apm) && test_bit(apqi, vap.info.aqm)) {
		vap_queues_reset(&q, 1);
	}
	vap.queues[q->apqn] = NULL;
	vap_unlock_mdev_locked(guest);
	vap_unlock_guests();

	dev_set_drvdata(&ap_dev->device, NULL);
	kfree(q);
}

static struct ap_driver vap_queue_driver = {
	.probe = vap_queue_probe,
	.remove = vap_queue_remove,
	.in_use = vap_in_use,
	.on_config_changed = vap_on_config_changed,
	.on_scan_complete = vap_on_scan_complete,
	.on_bindings_complete = vap_nl_bindings_complete,
	.ids = vap_queue_ids,
};

int vap_queue_driver_register(void)
{
	return ap_driver_register(&vap_queue_driver, THIS_MODULE, VAP_DRV_NAME);
}

void vap_queue_driver_unregister(void)
{
	ap_driver_unregister(&vap_queue_driver);
}
