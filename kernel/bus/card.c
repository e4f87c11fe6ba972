// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: card devices /sys/devices/ap/cardXX and their attributes
 * (kernel-abi.md §1.3, upstream ap_card.c): hwtype, raw_hwtype, depth,
 * ap_functions, the request counters, modalias, config (writable: the
 * simulated SCLP (de)configure), chkstop and max_msg_size.
 *
 * Cards are created and removed only by scans, under the scan mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/slab.h>

#include "apsim.h"

#define APSIM_QUEUE_DEPTH 8
#define APSIM_MAX_MSG_SIZE_ACCEL 4096
#define APSIM_MAX_MSG_SIZE_COPRO 12288

static ssize_t hwtype_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_ap_dev(dev)->device_type);
}
static DEVICE_ATTR_RO(hwtype);

static ssize_t raw_hwtype_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_ap_card(dev)->raw_hwtype);
}
static DEVICE_ATTR_RO(raw_hwtype);

static ssize_t depth_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_ap_card(dev)->queue_depth);
}
static DEVICE_ATTR_RO(depth);

static ssize_t ap_functions_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "0x%08X\n", to_ap_card(dev)->functions);
}
static DEVICE_ATTR_RO(ap_functions);

static ssize_t request_count_show(struct device *dev, struct device_attribute *attr,
				  char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (unsigned long long)atomic64_read(&to_apsim_card(dev)->request_count));
}

/* Any write resets the counters of the card and of its queues. */
static ssize_t request_count_store(struct device *dev, struct device_attribute *attr,
				   const char *buf, size_t count)
{
	struct apsim_card *card = to_apsim_card(dev);
	int dom;

	spin_lock(&apsim_queues_lock);
	for (dom = 0; dom < AP_DOMAINS; dom++)
		if (card->queues[dom])
			atomic64_set(&card->queues[dom]->request_count, 0);
	spin_unlock(&apsim_queues_lock);
	atomic64_set(&card->request_count, 0);
	return count;
}
static DEVICE_ATTR_RW(request_count);

/* Nothing is ever queued on the simulated hardware. */
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

static ssize_t modalias_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "ap:t%02X\n", to_ap_dev(dev)->device_type);
}
static DEVICE_ATTR_RO(modalias);

static ssize_t config_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_ap_card(dev)->config) ? 1 : 0);
}

/*
 * As upstream: sscanf "%d" (trailing text is ignored), 0 or 1, then SCLP
 * (de)configure, CONFIG= on the card even when nothing changed. The SCLP
 * event that follows on a real machine triggers a rescan, which flips the
 * queues' config; here the same rescan is queued.
 */
static ssize_t config_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct ap_card *ac = to_ap_card(dev);
	int cfg, r;

	if (sscanf(buf, "%d\n", &cfg) != 1 || cfg < 0 || cfg > 1)
		return -EINVAL;
	r = apsim_hw_adapter_set_config(ac->id, cfg);
	if (r)
		return r;
	WRITE_ONCE(ac->config, cfg);
	apsim_uevent_config(&ac->ap_dev, cfg);
	apsim_scan_request_async();
	return count;
}
static DEVICE_ATTR_RW(config);

static ssize_t chkstop_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_ap_card(dev)->chkstop) ? 1 : 0);
}
static DEVICE_ATTR_RO(chkstop);

static ssize_t max_msg_size_show(struct device *dev, struct device_attribute *attr,
				 char *buf)
{
	return sysfs_emit(buf, "%u\n", to_ap_card(dev)->maxmsgsize);
}
static DEVICE_ATTR_RO(max_msg_size);

static struct attribute *card_attrs[] = {
	&dev_attr_hwtype.attr,
	&dev_attr_raw_hwtype.attr,
	&dev_attr_depth.attr,
	&dev_attr_ap_functions.attr,
	&dev_attr_request_count.attr,
	&dev_attr_requestq_count.attr,
	&dev_attr_pendingq_count.attr,
	&dev_attr_modalias.attr,
	&dev_attr_config.attr,
	&dev_attr_chkstop.attr,
	&dev_attr_max_msg_size.attr,
	NULL,
};

static const struct attribute_group card_group = {
	.attrs = card_attrs,
};

static const struct attribute_group *card_groups[] = {
	&card_group,
	NULL,
};

const struct device_type apsim_card_type = {
	.name = "ap_card",
	.groups = card_groups,
};

static void card_release(struct device *dev)
{
	kfree(to_apsim_card(dev));
}

struct apsim_card *apsim_card_create(int id, const struct apsim_hw_adapter_info *hw)
{
	struct apsim_card *card;
	struct device *dev;
	int r;

	lockdep_assert_held(&apsim_scan_mutex);
	card = kzalloc(sizeof(*card), GFP_KERNEL);
	if (!card)
		return ERR_PTR(-ENOMEM);
	card->ac.ap_dev.device_type = hw->hwtype;
	card->ac.raw_hwtype = hw->hwtype;
	card->ac.functions = apsim_hw_functions(hw->hwtype, hw->mode);
	card->ac.queue_depth = APSIM_QUEUE_DEPTH;
	card->ac.id = id;
	card->ac.maxmsgsize = hw->mode == APSIM_MODE_ACCEL ?
		APSIM_MAX_MSG_SIZE_ACCEL : APSIM_MAX_MSG_SIZE_COPRO;
	card->ac.config = hw->config;
	card->ac.chkstop = hw->chkstop;
	card->mode = hw->mode;

	dev = &card->ac.ap_dev.device;
	device_initialize(dev);
	dev->bus = &apsim_bus_type;
	dev->parent = apsim_root_device;
	dev->type = &apsim_card_type;
	dev->release = card_release;
	r = dev_set_name(dev, "card%02x", id);
	if (!r) {
		/* visible to lookups before drivers probe it, as upstream */
		spin_lock(&apsim_queues_lock);
		apsim_cards[id] = card;
		spin_unlock(&apsim_queues_lock);
		r = device_add(dev);
		if (r) {
			spin_lock(&apsim_queues_lock);
			apsim_cards[id] = NULL;
			spin_unlock(&apsim_queues_lock);
		}
	}
	if (r) {
		put_device(dev);
		return ERR_PTR(r);
	}
	return card;
}

/* Remove a card whose queues are all gone already. */
void apsim_card_remove(struct apsim_card *card)
{
	struct device *dev = &card->ac.ap_dev.device;

	lockdep_assert_held(&apsim_scan_mutex);
	device_del(dev);
	spin_lock(&apsim_queues_lock);
	apsim_cards[card->ac.id] = NULL;
	spin_unlock(&apsim_queues_lock);
	put_device(dev);
}
