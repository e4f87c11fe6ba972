// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: the bus `ap` itself. Its root device /sys/devices/ap, matching,
 * probe and remove (with the apmask/aqmask ownership check of upstream's
 * ap_device_probe), the uevent environment of cards and queues, the
 * reservations (ap_perms) and the driver API of ap_bus_api.h:
 * registration, ownership queries and queue lookup.
 *
 * Lock order: kernel/LOCKING.md. ap_perms_mutex is taken here on its own
 * (probe, reprobe) or under the scan mutex (probe during a scan).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "apsim.h"

struct apsim_perms apsim_perms;
EXPORT_SYMBOL_GPL(apsim_perms);
DEFINE_MUTEX(apsim_perms_mutex);
EXPORT_SYMBOL_GPL(apsim_perms_mutex);

struct device *apsim_root_device;
DEFINE_SPINLOCK(apsim_queues_lock);
struct apsim_card *apsim_cards[AP_DEVICES];

/* Reservations at load: everything for the default drivers unless given. */
int apsim_perms_init(const char *apm_str, const char *aqm_str)
{
	DECLARE_BITMAP(zero, AP_DEVICES);
	int r = 0;

	bitmap_zero(zero, AP_DEVICES);
	apsim_perms_lock();
	bitmap_fill(apsim_perms.apm, AP_DEVICES);
	bitmap_fill(apsim_perms.aqm, AP_DOMAINS);
	if (apm_str) {
		r = apsim_mask_parse(apm_str, zero, apsim_perms.apm);
		if (r < 0)
			pr_err("apmask=%s: invalid mask\n", apm_str);
	}
	if (r == 0 && aqm_str) {
		r = apsim_mask_parse(aqm_str, zero, apsim_perms.aqm);
		if (r < 0)
			pr_err("aqmask=%s: invalid mask\n", aqm_str);
	}
	apsim_perms_unlock();
	return r;
}

static int apsim_bus_match(struct device *dev, APSIM_DRV_CONST struct device_driver *drv)
{
	struct ap_driver *ap_drv = to_ap_drv(drv);
	struct ap_device_id *id;

	for (id = ap_drv->ids; id->match_flags; id++) {
		if (id->dev_type != to_ap_dev(dev)->device_type)
			continue;
		if (apsim_is_card_dev(dev) && (id->match_flags & AP_DEVICE_ID_MATCH_CARD_TYPE))
			return 1;
		if (apsim_is_queue_dev(dev) && (id->match_flags & AP_DEVICE_ID_MATCH_QUEUE_TYPE))
			return 1;
	}
	return 0;
}

static int apsim_bus_uevent(APSIM_UEVENT_CONST struct device *dev,
			    struct kobj_uevent_env *env)
{
	const struct ap_device *ap_dev = container_of(dev, struct ap_device, device);
	const struct apsim_card *card;
	int r;

	if (apsim_is_card_dev(dev)) {
		card = container_of(ap_dev, struct apsim_card, ac.ap_dev);
		r = add_uevent_var(env, "DEV_TYPE=%04X", ap_dev->device_type);
		if (r)
			return r;
		r = add_uevent_var(env, "MODALIAS=ap:t%02X", ap_dev->device_type);
		if (r)
			return r;
	} else if (apsim_is_queue_dev(dev)) {
		card = container_of(container_of(ap_dev, struct ap_queue, ap_dev)->card,
				    struct apsim_card, ac);
	} else {
		return 0;
	}
	return add_uevent_var(env, "MODE=%s", apsim_mode_names[card->mode]);
}

/* 1 if card.queue is reserved for the default drivers. Caller holds ap_perms_mutex. */
int apsim_owned_by_def_drv(int card, int queue)
{
	lockdep_assert_held(&apsim_perms_mutex);
	if (card < 0 || card >= AP_DEVICES || queue < 0 || queue >= AP_DOMAINS)
		return -EINVAL;
	return test_bit(card, apsim_perms.apm) && test_bit(queue, apsim_perms.aqm);
}
EXPORT_SYMBOL_GPL(apsim_owned_by_def_drv);

int apsim_apqn_in_matrix_owned_by_def_drv(unsigned long *apm, unsigned long *aqm)
{
	lockdep_assert_held(&apsim_perms_mutex);
	return bitmap_intersects(apm, apsim_perms.apm, AP_DEVICES) &&
	       bitmap_intersects(aqm, apsim_perms.aqm, AP_DOMAINS);
}
EXPORT_SYMBOL_GPL(apsim_apqn_in_matrix_owned_by_def_drv);

static bool queue_reserved(const struct ap_queue *aq)
{
	bool r;

	apsim_perms_lock();
	r = apsim_owned_by_def_drv(AP_QID_CARD(aq->qid), AP_QID_QUEUE(aq->qid)) == 1;
	apsim_perms_unlock();
	return r;
}

static int apsim_bus_probe(struct device *dev)
{
	struct ap_driver *ap_drv = to_ap_drv(dev->driver);
	bool drv_default = ap_drv->flags & AP_DRIVER_FLAG_DEFAULT;
	int r;

	/*
	 * A reserved queue only binds to a default driver, an unreserved one
	 * only to a non-default driver, as upstream's ap_device_probe().
	 */
	if (apsim_is_queue_dev(dev) && queue_reserved(to_ap_queue(dev)) != drv_default)
		return -ENODEV;

	apsim_bindings_rearm();
	r = ap_drv->probe ? ap_drv->probe(to_ap_dev(dev)) : -ENODEV;
	return r;
}

static void apsim_bus_remove(struct device *dev)
{
	struct ap_driver *ap_drv = to_ap_drv(dev->driver);

	if (ap_drv->remove)
		ap_drv->remove(to_ap_dev(dev));
}

struct bus_type apsim_bus_type = {
	.name = "ap",
	.bus_groups = apsim_bus_groups,
	.match = apsim_bus_match,
	.uevent = apsim_bus_uevent,
	.probe = apsim_bus_probe,
	.remove = apsim_bus_remove,
};

/* Counted over queue devices only, as upstream's bindings attribute. */
void apsim_count_bound(unsigned int *ret_total, unsigned int *ret_bound)
{
	unsigned int total = 0, bound = 0;
	struct apsim_card *card;
	int ap, dom;

	spin_lock(&apsim_queues_lock);
	for (ap = 0; ap < AP_DEVICES; ap++) {
		card = apsim_cards[ap];
		if (!card)
			continue;
		for (dom = 0; dom < AP_DOMAINS; dom++) {
			if (!card->queues[dom])
				continue;
			total++;
			if (READ_ONCE(card->queues[dom]->aq.ap_dev.device.driver))
				bound++;
		}
	}
	spin_unlock(&apsim_queues_lock);
	*ret_total = total;
	*ret_bound = bound;
}

struct ap_queue *apsim_get_qdev(ap_qid_t qid)
{
	struct apsim_queue *q = NULL;
	struct apsim_card *card;

	if (qid > 0xffff)
		return NULL;
	spin_lock(&apsim_queues_lock);
	card = apsim_cards[AP_QID_CARD(qid)];
	if (card)
		q = card->queues[AP_QID_QUEUE(qid)];
	if (q)
		get_device(&q->aq.ap_dev.device);
	spin_unlock(&apsim_queues_lock);
	return q ? &q->aq : NULL;
}
EXPORT_SYMBOL_GPL(apsim_get_qdev);

/*
 * Reprobe every queue whose ownership a mask change flipped, and every
 * unbound queue (upstream only looks at bound ones; a queue given back to
 * the default drivers while no other driver held it would stay unbound).
 */
static int revise_one(struct device *dev, void *unused)
{
	struct device_driver *drv;
	bool reserved;
	int r;

	if (!apsim_is_queue_dev(dev))
		return 0;
	reserved = queue_reserved(to_ap_queue(dev));
	drv = READ_ONCE(dev->driver);
	if (drv && !!(to_ap_drv(drv)->flags & AP_DRIVER_FLAG_DEFAULT) == reserved)
		return 0;
	r = device_reprobe(dev);
	if (r)
		dev_warn(dev, "reprobe after a mask change failed: %d\n", r);
	return 0;
}

void apsim_bus_revise_bindings(void)
{
	bus_for_each_dev(&apsim_bus_type, NULL, NULL, revise_one);
}

int apsim_driver_register(struct ap_driver *drv, struct module *owner, char *name)
{
	int r;

	drv->driver.bus = &apsim_bus_type;
	drv->driver.owner = owner;
	drv->driver.name = name;
	r = driver_register(&drv->driver);
	if (r)
		return r;
	apsim_bindings_check();
	return 0;
}
EXPORT_SYMBOL_GPL(apsim_driver_register);

void apsim_driver_unregister(struct ap_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(apsim_driver_unregister);

int apsim_bus_init(void)
{
	int r;

	apsim_root_device = root_device_register("ap");
	if (IS_ERR(apsim_root_device)) {
		r = PTR_ERR(apsim_root_device);
		apsim_root_device = NULL;
		return r;
	}
	r = bus_register(&apsim_bus_type);
	if (r) {
		root_device_unregister(apsim_root_device);
		apsim_root_device = NULL;
		return r;
	}
	/*
	 * As upstream: the root device is on no bus's device list, but its
	 * bus pointer lets its change uevents (INITSCAN, BINDINGS, APMASK)
	 * through the driver core's filter, with SUBSYSTEM=ap.
	 */
	apsim_root_device->bus = &apsim_bus_type;
	return 0;
}

void apsim_bus_exit(void)
{
	/* it never took a reference on the bus, so device_del must not drop one */
	apsim_root_device->bus = NULL;
	root_device_unregister(apsim_root_device);
	apsim_root_device = NULL;
	bus_unregister(&apsim_bus_type);
}
