// SPDX-License-Identifier: GPL-2.0
/*
 * apsim_testdrv: a tiny non-default AP queue driver for the bus's VM
 * scenarios. It registers on the simulated bus through ap_bus_api.h like
 * any driver, logs every callback the bus makes (probe, remove, in_use,
 * on_config_changed, on_scan_complete, adapter interrupts), answers
 * in_use with a value set through debugfs, and runs the simulated AP
 * instructions on request. Binding is off unless enabled (module
 * parameter or debugfs `bind`), so that loading it next to the matrix
 * driver takes no queues away from it.
 *
 * debugfs /sys/kernel/debug/apsim_testdrv/ (all 0600):
 *   in_use  what in_use returns (int)
 *   in_use_block  1: in_use waits (up to 60 s) until 0 is written, so
 *           that a mask write holds ap_perms_mutex for as long as a
 *           scenario needs
 *   bind    1: probe binds queues; 0: probe declines (-ENODEV)
 *   events  read: the log; any write clears it
 *   cmd     "tapq|zapq|aqic-on|aqic-off XX.YYYY": result goes to the log
 *   lockorder_inversion (debug builds) any write: holds a lock of this
 *           driver at the mdevs level and forces a rescan, which takes the
 *           scan mutex (and ap_perms_mutex) under it: the wrong order, which
 *           the bus's checker must report (no deadlock: the bus never takes
 *           this driver's lock)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "ap_bus_api.h"

#define EVENTS_MAX (64 * 1024)

static bool bind;
module_param(bind, bool, 0444);
MODULE_PARM_DESC(bind, "bind queues at load (also settable in debugfs)");

static u32 in_use_answer;               /* debugfs; read without a lock */
static bool in_use_block;               /* written by its debugfs file; READ_ONCE */
static DECLARE_WAIT_QUEUE_HEAD(in_use_wq);      /* woken when in_use_block clears */
static bool bind_dbg;                   /* debugfs mirror of bind */
static struct dentry *dir;              /* owned */

static DEFINE_SPINLOCK(events_lock);    /* protects events and events_len */
static char *events;                    /* owned: EVENTS_MAX bytes */
static size_t events_len;

static __printf(1, 2) void event_log(const char *fmt, ...)
{
	va_list ap;

	spin_lock(&events_lock);
	va_start(ap, fmt);
	events_len += vscnprintf(events + events_len, EVENTS_MAX - events_len, fmt, ap);
	va_end(ap);
	spin_unlock(&events_lock);
}

static void log_masks(const char *what, const unsigned long *apm, const unsigned long *aqm)
{
	event_log("%s apm=%*pbl aqm=%*pbl\n", what, AP_DEVICES, apm, AP_DOMAINS, aqm);
}

static void airq_raise(struct apsim_airq_target *t, ap_qid_t qid)
{
	event_log("irq %02x.%04x\n", AP_QID_CARD(qid), AP_QID_QUEUE(qid));
}

static struct apsim_airq_target airq = { .raise = airq_raise };
/* queues this driver enabled interrupts on, to disable them at unload */
static DECLARE_BITMAP(irq_on, AP_DEVICES * AP_DOMAINS);

static int testdrv_probe(struct ap_device *ap_dev)
{
	struct ap_queue *aq = to_ap_queue(&ap_dev->device);

	if (!READ_ONCE(bind_dbg))
		return -ENODEV;
	event_log("probe %02x.%04x\n", AP_QID_CARD(aq->qid), AP_QID_QUEUE(aq->qid));
	return 0;
}

static void testdrv_remove(struct ap_device *ap_dev)
{
	struct ap_queue *aq = to_ap_queue(&ap_dev->device);

	event_log("remove %02x.%04x\n", AP_QID_CARD(aq->qid), AP_QID_QUEUE(aq->qid));
}

static int testdrv_in_use(unsigned long *apm, unsigned long *aqm)
{
	lockdep_assert_held(&ap_perms_mutex);
	log_masks("in_use", apm, aqm);
	if (wait_event_interruptible_timeout(in_use_wq, !READ_ONCE(in_use_block),
					     60 * HZ) <= 0)
		event_log("in_use still blocked after 60 s or interrupted\n");
	return READ_ONCE(in_use_answer);
}

static void testdrv_config_changed(struct ap_config_info *new, struct ap_config_info *old)
{
	log_masks("on_config_changed", new->apm, new->aqm);
}

static void testdrv_scan_complete(struct ap_config_info *new, struct ap_config_info *old)
{
	log_masks("on_scan_complete", new->apm, new->aqm);
}

static struct ap_device_id testdrv_ids[] = {
	{ .dev_type = AP_DEVICE_TYPE_CEX4, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX5, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX6, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX7, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ .dev_type = AP_DEVICE_TYPE_CEX8, .match_flags = AP_DEVICE_ID_MATCH_QUEUE_TYPE },
	{ /* end */ },
};

static struct ap_driver testdrv_driver = {
	.probe = testdrv_probe,
	.remove = testdrv_remove,
	.in_use = testdrv_in_use,
	.on_config_changed = testdrv_config_changed,
	.on_scan_complete = testdrv_scan_complete,
	.ids = testdrv_ids,
};

static ssize_t events_read(struct file *f, char __user *ubuf, size_t count, loff_t *ppos)
{
	char *copy;
	size_t len;
	ssize_t r;

	copy = kvmalloc(EVENTS_MAX, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	spin_lock(&events_lock);
	len = events_len;
	memcpy(copy, events, len);
	spin_unlock(&events_lock);
	r = simple_read_from_buffer(ubuf, count, ppos, copy, len);
	kvfree(copy);
	return r;
}

static ssize_t events_write(struct file *f, const char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	spin_lock(&events_lock);
	events_len = 0;
	spin_unlock(&events_lock);
	return count;
}

static ssize_t block_write(struct file *f, const char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	bool v;
	int r;

	r = kstrtobool_from_user(ubuf, count, &v);
	if (r)
		return r;
	WRITE_ONCE(in_use_block, v);
	wake_up_all(&in_use_wq);
	return count;
}

static const struct file_operations block_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = block_write,
};

static const struct file_operations events_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = events_read,
	.write = events_write,
	.llseek = default_llseek,
};

static ssize_t cmd_write(struct file *f, const char __user *ubuf, size_t count, loff_t *ppos)
{
	struct ap_qirq_ctrl ctrl = { .isc = 3 };
	struct ap_queue_status st;
	unsigned int card, dom;
	unsigned long info = 0;
	char buf[64], op[16];
	ap_qid_t qid;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%15s %x.%x", op, &card, &dom) != 3 || card > 0xff || dom > 0xff)
		return -EINVAL;
	qid = AP_MKQID(card, dom);
	if (!strcmp(op, "tapq")) {
		st = ap_tapq(qid, &info);
	} else if (!strcmp(op, "zapq")) {
		st = ap_zapq(qid, 0);
	} else if (!strcmp(op, "aqic-on")) {
		ctrl.ir = 1;
		set_bit(qid, irq_on);
		st = ap_aqic(qid, ctrl, &airq);
	} else if (!strcmp(op, "aqic-off")) {
		st = ap_aqic(qid, ctrl, NULL);
		clear_bit(qid, irq_on);
	} else {
		return -EINVAL;
	}
	event_log("%s %02x.%04x rc=0x%02x irq=%d\n", op, card, dom, st.response_code,
		  st.irq_enabled);
	return count;
}

static const struct file_operations cmd_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = cmd_write,
};

#ifdef APSIM_LOCKORDER
/* A driver lock at the mdevs level of the order, taken only here. */
static DEFINE_MUTEX(testdrv_lock);

static ssize_t inversion_write(struct file *f, const char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	apsim_lockorder_acquire(APSIM_LOCK_MDEVS, "apsim_testdrv_lock");
	mutex_lock(&testdrv_lock);
	ap_bus_force_rescan();
	mutex_unlock(&testdrv_lock);
	apsim_lockorder_release(APSIM_LOCK_MDEVS, "apsim_testdrv_lock");
	return count;
}

static const struct file_operations inversion_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = inversion_write,
};
#endif

static int __init testdrv_init(void)
{
	int r;

	events = kvzalloc(EVENTS_MAX, GFP_KERNEL);
	if (!events)
		return -ENOMEM;
	bind_dbg = bind;
	dir = debugfs_create_dir("apsim_testdrv", NULL);
	debugfs_create_u32("in_use", 0600, dir, &in_use_answer);
	debugfs_create_file("in_use_block", 0600, dir, NULL, &block_fops);
	debugfs_create_bool("bind", 0600, dir, &bind_dbg);
	debugfs_create_file("events", 0600, dir, NULL, &events_fops);
	debugfs_create_file("cmd", 0600, dir, NULL, &cmd_fops);
#ifdef APSIM_LOCKORDER
	debugfs_create_file("lockorder_inversion", 0600, dir, NULL, &inversion_fops);
#endif
	r = ap_driver_register(&testdrv_driver, THIS_MODULE, "apsim_testdrv");
	if (r) {
		debugfs_remove_recursive(dir);
		kvfree(events);
	}
	return r;
}

static void __exit testdrv_exit(void)
{
	struct ap_qirq_ctrl off = { 0 };
	unsigned int qid;

	/* no interrupt may reach this module's airq target once it is gone */
	for_each_set_bit(qid, irq_on, AP_DEVICES * AP_DOMAINS)
		ap_aqic(qid, off, NULL);
	ap_driver_unregister(&testdrv_driver);
	debugfs_remove_recursive(dir);
	kvfree(events);
}

module_init(testdrv_init);
module_exit(testdrv_exit);
MODULE_DESCRIPTION("apctl simulated AP bus: test driver");
MODULE_LICENSE("GPL");
