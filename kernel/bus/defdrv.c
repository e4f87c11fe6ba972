// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: the stand-in default drivers, in zcrypt's role and with its
 * driver names (cex4card, cex4queue), so that lszcrypt-style walks show
 * the same DRIVER. They bind CEX4..CEX8 cards and every queue reserved by
 * apmask/aqmask, and add zcrypt's `type` (cards), `load` and `online`
 * attributes with ONLINE= uevents (upstream zcrypt_card.c/zcrypt_queue.c).
 * Like current kernels (6.6+), nothing binds CEX3 cards.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "apsim.h"

struct zcard {
	bool online;            /* written with the card's sysfs store; READ_ONCE */
	char type[16];
};

struct zqueue {
	bool online;            /* protected by the queue's device_lock for writers */
};

static struct ap_device_id cex4card_ids[] = {
	{ .dev_type = AP_DEVICE_TYPE_CEX4, .match_flags = AP_DEVICE_ID_MATCH_CARD_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX5, .match_flags = AP_DEVICE_ID_MATCH_CARD_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX6, .match_flags = AP_DEVICE_ID_MATCH_CARD_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX7, .match_flags = AP_DEVICE_ID_MATCH_CARD_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX8, .match_flags = AP_DEVICE_ID_MATCH_CARD_TYPE },
	{ /* end */ },
};

static struct ap_device_id cex4queue_ids[] = {
	{ .dev_type = AP_DEVICE_TYPE_CEX4, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX5, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX6, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX7, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX8, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ /* end */ },
};

static struct ap_driver cex4card_driver;
static struct ap_driver cex4queue_driver;

/* ---- card attributes ---- */

static ssize_t card_online_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	struct ap_card *ac = to_ap_card(dev);
	struct zcard *zc = dev_get_drvdata(dev);
	bool online = READ_ONCE(ac->config) && !READ_ONCE(ac->chkstop) &&
		      READ_ONCE(zc->online);

	return sysfs_emit(buf, "%d\n", online ? 1 : 0);
}

/* Set a bound queue's online state; true if it changed. */
static bool queue_force_online(struct apsim_queue *q, bool online)
{
	struct device *dev = &q->aq.ap_dev.device;
	struct zqueue *zq;
	bool changed = false;

	device_lock(dev);
	if (dev->driver == &cex4queue_driver.driver) {
		zq = dev_get_drvdata(dev);
		changed = zq->online != online;
		WRITE_ONCE(zq->online, online);
	}
	device_unlock(dev);
	return changed;
}

/*
 * As upstream: "%d" 0/1, -ENODEV to go online while deconfigured or
 * checkstopped, ONLINE= on the card always and on each queue whose state
 * flipped.
 */
static ssize_t card_online_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t count)
{
	struct apsim_card *card = to_apsim_card(dev);
	struct zcard *zc = dev_get_drvdata(dev);
	struct apsim_queue *q;
	int online, dom;

	if (sscanf(buf, "%d\n", &online) != 1 || online < 0 || online > 1)
		return -EINVAL;
	if (online && (!READ_ONCE(card->ac.config) || READ_ONCE(card->ac.chkstop)))
		return -ENODEV;
	WRITE_ONCE(zc->online, online);
	apsim_uevent_online(&card->ac.ap_dev, online);

	for (dom = 0; dom < AP_DOMAINS; dom++) {
		spin_lock(&apsim_queues_lock);
		q = card->queues[dom];
		if (q)
			get_device(&q->aq.ap_dev.device);
		spin_unlock(&apsim_queues_lock);
		if (!q)
			continue;
		if (queue_force_online(q, online))
			apsim_uevent_online(&q->aq.ap_dev, online);
		put_device(&q->aq.ap_dev.device);
	}
	return count;
}

static struct device_attribute dev_attr_card_online =
	__ATTR(online, 0644, card_online_show, card_online_store);

static ssize_t type_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct zcard *zc = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", zc->type);
}
static DEVICE_ATTR_RO(type);

/* Nothing is ever sent to the simulated hardware. */
static ssize_t load_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", 0);
}
static DEVICE_ATTR_RO(load);

static struct attribute *cex4card_attrs[] = {
	&dev_attr_card_online.attr,
	&dev_attr_type.attr,
	&dev_attr_load.attr,
	NULL,
};
ATTRIBUTE_GROUPS(cex4card);

/* ---- queue attributes ---- */

static ssize_t queue_online_show(struct device *dev, struct device_attribute *attr,
				 char *buf)
{
	struct ap_queue *aq = to_ap_queue(dev);
	struct zqueue *zq = dev_get_drvdata(dev);
	bool online = READ_ONCE(aq->config) && !READ_ONCE(aq->chkstop) &&
		      READ_ONCE(zq->online);

	return sysfs_emit(buf, "%d\n", online ? 1 : 0);
}

static ssize_t queue_online_store(struct device *dev, struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct ap_queue *aq = to_ap_queue(dev);
	struct device *card_dev = &aq->card->ap_dev.device;
	struct zqueue *zq = dev_get_drvdata(dev);
	struct zcard *zc;
	bool card_online;
	int online;

	if (sscanf(buf, "%d\n", &online) != 1 || online < 0 || online > 1)
		return -EINVAL;
	if (online && (!READ_ONCE(aq->config) || !READ_ONCE(aq->card->config) ||
		       READ_ONCE(aq->chkstop) || READ_ONCE(aq->card->chkstop)))
		return -ENODEV;
	/* the card's driver data lives as long as it is bound */
	device_lock(card_dev);
	zc = card_dev->driver == &cex4card_driver.driver ? dev_get_drvdata(card_dev) : NULL;
	card_online = zc && READ_ONCE(zc->online);
	device_unlock(card_dev);
	if (online && !card_online)
		return -EINVAL;
	WRITE_ONCE(zq->online, online);
	apsim_uevent_online(&aq->ap_dev, online);
	return count;
}

static struct device_attribute dev_attr_queue_online =
	__ATTR(online, 0644, queue_online_show, queue_online_store);

static struct attribute *cex4queue_attrs[] = {
	&dev_attr_queue_online.attr,
	&dev_attr_load.attr,
	NULL,
};
ATTRIBUTE_GROUPS(cex4queue);

/* ---- probe and remove ---- */

static int cex4card_probe(struct ap_device *ap_dev)
{
	struct apsim_card *card = to_apsim_card(&ap_dev->device);
	struct zcard *zc;
	int r;

	zc = kzalloc(sizeof(*zc), GFP_KERNEL);
	if (!zc)
		return -ENOMEM;
	zc->online = true;
	r = apsim_hw_type_string(ap_dev->device_type, card->mode, zc->type, sizeof(zc->type));
	if (r < 0) {
		kfree(zc);
		return r;
	}
	dev_set_drvdata(&ap_dev->device, zc);
	return 0;
}

static void cex4card_remove(struct ap_device *ap_dev)
{
	kfree(dev_get_drvdata(&ap_dev->device));
	dev_set_drvdata(&ap_dev->device, NULL);
}

static int cex4queue_probe(struct ap_device *ap_dev)
{
	struct zqueue *zq;

	zq = kzalloc(sizeof(*zq), GFP_KERNEL);
	if (!zq)
		return -ENOMEM;
	zq->online = true;
	dev_set_drvdata(&ap_dev->device, zq);
	return 0;
}

static void cex4queue_remove(struct ap_device *ap_dev)
{
	kfree(dev_get_drvdata(&ap_dev->device));
	dev_set_drvdata(&ap_dev->device, NULL);
}

static struct ap_driver cex4card_driver = {
	.probe = cex4card_probe,
	.remove = cex4card_remove,
	.ids = cex4card_ids,
	.flags = AP_DRIVER_FLAG_DEFAULT,
	.driver.dev_groups = cex4card_groups,
};

static struct ap_driver cex4queue_driver = {
	.probe = cex4queue_probe,
	.remove = cex4queue_remove,
	.ids = cex4queue_ids,
	.flags = AP_DRIVER_FLAG_DEFAULT,
	.driver.dev_groups = cex4queue_groups,
};

int apsim_defdrv_init(void)
{
	int r;

	r = apsim_driver_register(&cex4card_driver, THIS_MODULE, "cex4card");
	if (r)
		return r;
	r = apsim_driver_register(&cex4queue_driver, THIS_MODULE, "cex4queue");
	if (r)
		apsim_driver_unregister(&cex4card_driver);
	return r;
}

void apsim_defdrv_exit(void)
{
	apsim_driver_unregister(&cex4queue_driver);
	apsim_driver_unregister(&cex4card_driver);
}
