// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: queue devices /sys/devices/ap/cardXX/XX.YYYY and their attributes
 * (kernel-abi.md §1.4, upstream ap_queue.c): request counters, reset,
 * interrupt, config, chkstop and ap_functions (from a live TAPQ).
 *
 * Queues are created and removed only by scans, under the scan mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/slab.h>

#include "apsim.h"

static ssize_t request_count_show(struct device *dev, struct device_attribute *attr,
				  char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)atomic64_read(&to_apsim_queue(dev)->request_count));
}

static ssize_t request_count_store(struct device *dev, struct device_attribute *attr,
				   const char *buf, size_t count)
{
	atomic64_set(&to_apsim_queue(dev)->request_count, 0);
	return count;
}
static DEVICE_ATTR_RW(request_count);

static ssize_t requestq_count_show(struct device *dev, struct device_attribute *attr,
				   char *buf)
{
	return sysfs_emit(buf, "%d\n", 0);
}
static DEVICE_ATTR_RO(requestq_count);

static ssize_t pendingq_count_show(struct device *dev, struct device_attribute *attr,
				   char *buf)
{
	return sysfs_emit(buf, "%d\n", 0);
}
static DEVICE_ATTR_RO(pendingq_count);

static ssize_t reset_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	if (apsim_hw_reset_in_progress(to_ap_queue(dev)->qid))
		return sysfs_emit(buf, "Reset in progress.\n");
	return sysfs_emit(buf, "No Reset Timer set.\n");
}

/*
 * Any write flushes the (always empty) queue and starts a reset, as
 * upstream; the reset runs on its own, so its outcome (including an
 * injected failure) is not the writer's error.
 */
static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct ap_queue_status st = apsim_zapq(to_ap_queue(dev)->qid, 0);

	if (st.response_code != AP_RESPONSE_NORMAL)
		dev_dbg(dev, "reset answered 0x%02x\n", st.response_code);
	return count;
}
static DEVICE_ATTR_RW(reset);

static ssize_t interrupt_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	if (apsim_hw_irq_enabled(to_ap_queue(dev)->qid))
		return sysfs_emit(buf, "Interrupts enabled.\n");
	return sysfs_emit(buf, "Interrupts disabled.\n");
}
static DEVICE_ATTR_RO(interrupt);

static ssize_t config_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_ap_queue(dev)->config) ? 1 : 0);
}
static DEVICE_ATTR_RO(config);

static ssize_t chkstop_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_ap_queue(dev)->chkstop) ? 1 : 0);
}
static DEVICE_ATTR_RO(chkstop);

static ssize_t ap_functions_show(struct device *dev, struct device_attribute *attr,
				 char *buf)
{
	struct ap_queue_status st;
	unsigned long info = 0;

	st = apsim_tapq(to_ap_queue(dev)->qid, &info);
	if (st.response_code > AP_RESPONSE_BUSY)
		return -EIO;
	return sysfs_emit(buf, "0x%08X\n", (unsigned int)(info >> 32));
}
static DEVICE_ATTR_RO(ap_functions);

static struct attribute *queue_attrs[] = {
	&dev_attr_request_count.attr,
	&dev_attr_requestq_count.attr,
	&dev_attr_pendingq_count.attr,
	&dev_attr_reset.attr,
	&dev_attr_interrupt.attr,
	&dev_attr_config.attr,
	&dev_attr_chkstop.attr,
	&dev_attr_ap_functions.attr,
	NULL,
};

static const struct attribute_group queue_group = {
	.attrs = queue_attrs,
};

static const struct attribute_group *queue_groups[] = {
	&queue_group,
	NULL,
};

const struct device_type apsim_queue_type = {
	.name = "ap_queue",
	.groups = queue_groups,
};

static void queue_release(struct device *dev)
{
	kfree(to_apsim_queue(dev));
}

struct apsim_queue *apsim_queue_create(struct apsim_card *card, int dom)
{
	struct apsim_queue *q;
	struct device *dev;
	int r;

	lockdep_assert_held(&apsim_scan_mutex);
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return ERR_PTR(-ENOMEM);
	q->aq.ap_dev.device_type = card->ac.ap_dev.device_type;
	q->aq.card = &card->ac;
	q->aq.qid = AP_MKQID(card->ac.id, dom);
	q->aq.config = card->ac.config;
	q->aq.chkstop = card->ac.chkstop;

	dev = &q->aq.ap_dev.device;
	device_initialize(dev);
	dev->bus = &apsim_bus_type;
	dev->parent = &card->ac.ap_dev.device;
	dev->type = &apsim_queue_type;
	dev->release = queue_release;
	r = dev_set_name(dev, "%02x.%04x", card->ac.id, dom);
	if (!r) {
		spin_lock(&apsim_queues_lock);
		card->queues[dom] = q;
		spin_unlock(&apsim_queues_lock);
		r = device_add(dev);
		if (r) {
			spin_lock(&apsim_queues_lock);
			card->queues[dom] = NULL;
			spin_unlock(&apsim_queues_lock);
		}
	}
	if (r) {
		put_device(dev);
		return ERR_PTR(r);
	}
	return q;
}

void apsim_queue_remove(struct apsim_queue *q)
{
	struct device *dev = &q->aq.ap_dev.device;
	struct apsim_card *card = container_of(q->aq.card, struct apsim_card, ac);

	lockdep_assert_held(&apsim_scan_mutex);
	device_del(dev);
	spin_lock(&apsim_queues_lock);
	card->queues[AP_QID_QUEUE(q->aq.qid)] = NULL;
	spin_unlock(&apsim_queues_lock);
	put_device(dev);
}
