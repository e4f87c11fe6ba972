// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: AP bus scans. A scan reads the simulated machine configuration
 * (QCI), tells the drivers when it changed (on_config_changed at the
 * start, on_scan_complete at the end), creates and removes card and queue
 * devices to match it, reports config flips with CONFIG= uevents, picks
 * the default domain, sends INITSCAN=done after the first scan and
 * re-evaluates bindings. Scans run periodically (config_time), from a
 * `scans` write or ap_bus_force_rescan() (synchronous) and, queued, after
 * a card `config` write.
 *
 * Lock order: the scan mutex is the outermost lock (kernel/LOCKING.md);
 * probes during a scan take ap_perms_mutex under it, drivers' callbacks
 * take their own locks under it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/timer.h>

#include "apsim.h"

DEFINE_MUTEX(apsim_scan_mutex);
int apsim_config_time = APSIM_CONFIG_TIME_DEFAULT;
atomic64_t apsim_scan_count = ATOMIC64_INIT(0);
DEFINE_SPINLOCK(apsim_domain_lock);
int apsim_domain_index = -1;            /* protected by apsim_domain_lock */

/*
 * The configuration the bus acts on: written under apsim_scan_mutex and
 * scan_qci_lock, read under either (sysfs readers take only the spinlock,
 * so that they never wait for a slow scan).
 */
static DEFINE_SPINLOCK(scan_qci_lock);
static struct ap_config_info scan_qci;
static struct ap_config_info scan_qci_old;
static struct apsim_hw_snapshot *scan_snap;    /* owned: scratch of each scan */
static struct task_struct *scan_task;  /* borrowed: the task scanning, for recursion */

static void scan_work_fn(struct work_struct *work);
static DECLARE_WORK(scan_work, scan_work_fn);
static struct timer_list scan_timer;
static bool scan_stopping;              /* set once at unload; read under the scan mutex */
static bool scan_running;               /* written under the scan mutex; READ_ONCE for the control file */

/* Whether a scan runs right now (shown by the control interface). */
bool apsim_scan_in_progress(void)
{
	return READ_ONCE(scan_running);
}

/* The configuration of the last scan (what sysfs shows). */
int apsim_qci_current(struct ap_config_info *ret_info)
{
	spin_lock(&scan_qci_lock);
	*ret_info = scan_qci;
	spin_unlock(&scan_qci_lock);
	return 0;
}

struct notify_args {
	bool complete;  /* on_scan_complete rather than on_config_changed */
};

static int notify_driver(struct device_driver *drv, void *data)
{
	struct ap_driver *ap_drv = to_ap_drv(drv);
	struct notify_args *args = data;

	if (!try_module_get(drv->owner))
		return 0;
	if (args->complete && ap_drv->on_scan_complete)
		ap_drv->on_scan_complete(&scan_qci, &scan_qci_old);
	else if (!args->complete && ap_drv->on_config_changed)
		ap_drv->on_config_changed(&scan_qci, &scan_qci_old);
	module_put(drv->owner);
	return 0;
}

static void notify_drivers(bool complete)
{
	struct notify_args args = { .complete = complete };

	lockdep_assert_held(&apsim_scan_mutex);
	bus_for_each_drv(&apsim_bus_type, NULL, &args, notify_driver);
}

/*
 * Upstream's ap_select_domain(): keep a chosen domain, else the first
 * usage domain reserved for the default drivers that has a configured
 * adapter reserved for them too.
 */
static void select_domain(void)
{
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	int dom, ap;

	lockdep_assert_held(&apsim_scan_mutex);
	apsim_perms_lock();
	bitmap_and(apm, scan_qci.apm, apsim_perms.apm, AP_DEVICES);
	bitmap_and(aqm, scan_qci.aqm, apsim_perms.aqm, AP_DOMAINS);
	apsim_perms_unlock();

	spin_lock(&apsim_domain_lock);
	if (apsim_domain_index >= 0)
		goto out;
	for (dom = 0; dom <= scan_qci.nd; dom++) {
		if (!test_bit(dom, aqm))
			continue;
		for (ap = 0; ap <= scan_qci.na; ap++)
			if (test_bit(ap, apm) &&
			    scan_snap->adapter[ap].config && !scan_snap->adapter[ap].chkstop)
				break;
		if (ap <= scan_qci.na)
			break;
	}
	if (dom <= scan_qci.nd)
		apsim_domain_index = dom;
out:
	spin_unlock(&apsim_domain_lock);
}

static void remove_card(struct apsim_card *card)
{
	int dom;

	for (dom = 0; dom < AP_DOMAINS; dom++)
		if (card->queues[dom])
			apsim_queue_remove(card->queues[dom]);
	apsim_card_remove(card);
}

static void scan_queues(struct apsim_card *card, const struct apsim_hw_adapter_info *hw)
{
	struct apsim_queue *q;
	int dom;

	for (dom = 0; dom < AP_DOMAINS; dom++) {
		q = card->queues[dom];
		if (!test_bit(dom, scan_qci.aqm) || dom > scan_qci.nd) {
			if (q)
				apsim_queue_remove(q);
			continue;
		}
		if (!q) {
			q = apsim_queue_create(card, dom);
			if (IS_ERR(q))
				dev_warn(&card->ac.ap_dev.device,
					 "creating queue %02x.%04x failed: %ld\n",
					 card->ac.id, dom, PTR_ERR(q));
			continue;
		}
		WRITE_ONCE(q->aq.chkstop, hw->chkstop);
		if (q->aq.config != hw->config) {
			WRITE_ONCE(q->aq.config, hw->config);
			apsim_uevent_config(&q->aq.ap_dev, hw->config);
		}
	}
}

static void scan_adapter(int ap)
{
	const struct apsim_hw_adapter_info *hw = &scan_snap->adapter[ap];
	struct apsim_card *card = apsim_cards[ap];

	if (!test_bit(ap, scan_qci.apm) || ap > scan_qci.na) {
		if (card)
			remove_card(card);
		return;
	}
	/* another adapter type or mode in the same slot: a new card */
	if (card && (card->ac.ap_dev.device_type != hw->hwtype || card->mode != hw->mode)) {
		remove_card(card);
		card = NULL;
	}
	if (!card) {
		card = apsim_card_create(ap, hw);
		if (IS_ERR(card)) {
			pr_warn("creating card%02x failed: %ld\n", ap, PTR_ERR(card));
			return;
		}
	} else {
		WRITE_ONCE(card->ac.chkstop, hw->chkstop);
		if (card->ac.config != hw->config) {
			WRITE_ONCE(card->ac.config, hw->config);
			apsim_uevent_config(&card->ac.ap_dev, hw->config);
		}
	}
	scan_queues(card, hw);
}

/* Field by field: the struct has padding that a memcmp() would compare. */
static bool qci_equal(const struct ap_config_info *a, const struct ap_config_info *b)
{
	return bitmap_equal(a->apm, b->apm, AP_DEVICES) &&
	       bitmap_equal(a->aqm, b->aqm, AP_DOMAINS) &&
	       bitmap_equal(a->adm, b->adm, AP_DOMAINS) &&
	       a->na == b->na && a->nd == b->nd && a->apxa == b->apxa;
}

static bool config_has_new(const struct ap_config_info *n, const struct ap_config_info *o)
{
	return !bitmap_subset(n->apm, o->apm, AP_DEVICES) ||
	       !bitmap_subset(n->aqm, o->aqm, AP_DOMAINS);
}

static void scan_bus(void)
{
	unsigned int delay;
	bool changed;
	int ap;

	lockdep_assert_held(&apsim_scan_mutex);
	delay = apsim_hw_scan_delay();
	if (delay)
		msleep(delay);

	apsim_hw_snapshot(scan_snap);
	changed = !qci_equal(&scan_snap->qci, &scan_qci);
	if (changed) {
		if (config_has_new(&scan_snap->qci, &scan_qci))
			apsim_bindings_rearm();
		spin_lock(&scan_qci_lock);
		scan_qci_old = scan_qci;
		scan_qci = scan_snap->qci;
		spin_unlock(&scan_qci_lock);
		notify_drivers(false);
	}
	select_domain();
	for (ap = 0; ap < AP_DEVICES; ap++)
		scan_adapter(ap);
	if (changed)
		notify_drivers(true);

	if (atomic64_inc_return(&apsim_scan_count) == 1)
		apsim_uevent_init_scan_done();
	apsim_bindings_check();
	if (!scan_stopping)
		mod_timer(&scan_timer, jiffies + READ_ONCE(apsim_config_time) * HZ);
}

static void scan_locked(void)
{
	lockdep_assert_held(&apsim_scan_mutex);
	if (scan_stopping)
		return;
	scan_task = current;
	WRITE_ONCE(scan_running, true);
	scan_bus();
	WRITE_ONCE(scan_running, false);
	scan_task = NULL;
}

static void scan_work_fn(struct work_struct *work)
{
	apsim_scan_lock();
	scan_locked();
	apsim_scan_unlock();
}

static void scan_timer_fn(struct timer_list *t)
{
	queue_work(system_long_wq, &scan_work);
}

/*
 * A synchronous rescan. Unlike upstream since 6.12, which returns the
 * result of a scan that was already running when it was called, this
 * always runs one full scan after taking the mutex, so that a caller
 * who just changed the configuration is sure to see it. A driver calling
 * it from inside a scan's callback returns at once (upstream's recursion
 * fix, "Fix deadlock caused by recursive lock of the AP bus scan mutex").
 */
void apsim_bus_force_rescan(void)
{
	if (READ_ONCE(scan_task) == current)
		return;
	if (apsim_scan_lock_interruptible())
		return;
	scan_locked();
	apsim_scan_unlock();
}
EXPORT_SYMBOL_GPL(apsim_bus_force_rescan);

/* What an SCLP config-change event does: a rescan, not waited for. */
void apsim_scan_request_async(void)
{
	queue_work(system_long_wq, &scan_work);
}

/* config_time was written: the next periodic scan is config_time from now. */
void apsim_scan_rearm_timer(void)
{
	apsim_scan_lock();
	if (!scan_stopping)
		mod_timer(&scan_timer, jiffies + READ_ONCE(apsim_config_time) * HZ);
	apsim_scan_unlock();
}

/* After the machine configuration is loaded: the bus starts from its QCI, as upstream's init. */
int apsim_scan_init(void)
{
	scan_snap = kzalloc(sizeof(*scan_snap), GFP_KERNEL);
	if (!scan_snap)
		return -ENOMEM;
	apsim_qci(&scan_qci);
	scan_qci_old = scan_qci;
	timer_setup(&scan_timer, scan_timer_fn, 0);
	return 0;
}

/* The first scan runs asynchronously, as upstream's module init queues it. */
void apsim_scan_start(void)
{
	queue_work(system_long_wq, &scan_work);
}

/* Stop scanning and remove every device. */
void apsim_scan_exit(void)
{
	int ap;

	apsim_scan_lock();
	scan_stopping = true;
	apsim_scan_unlock();
	del_timer_sync(&scan_timer);
	cancel_work_sync(&scan_work);

	apsim_scan_lock();
	for (ap = 0; ap < AP_DEVICES; ap++)
		if (apsim_cards[ap])
			remove_card(apsim_cards[ap]);
	apsim_scan_unlock();
	/* a card `config` write that raced with the above may have queued one */
	cancel_work_sync(&scan_work);
	kfree(scan_snap);
	scan_snap = NULL;
}
