// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: the /sys/bus/ap attributes (kernel-abi.md §1.1), with upstream's
 * formats, modes and errors: apmask/aqmask (both write syntaxes, in_use,
 * reprobe, uevent), the machine masks, ap_domain, the max ids,
 * ap_interrupts, config_time, poll_thread, poll_timeout, scans, bindings
 * and features.
 *
 * Lock order: apmask/aqmask take ap_perms_mutex (interruptibly) and call
 * the drivers' in_use with it held; the reprobe runs after it is dropped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/module.h>

#include "apsim.h"

#define APSIM_POLL_TIMEOUT_MAX 120000000000UL  /* ns: 120 s, as upstream */

static unsigned long poll_timeout = 250000;    /* ns; written only by its store */
static bool poll_thread;                        /* never runs: interrupts are on */

static ssize_t show_mask(char *buf, const unsigned long *mask)
{
	char s[APSIM_MASK_STR_LEN];

	apsim_mask_format(mask, s);
	return sysfs_emit(buf, "%s\n", s);
}

static ssize_t ap_domain_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	int dom;

	spin_lock(&apsim_domain_lock);
	dom = apsim_domain_index;
	spin_unlock(&apsim_domain_lock);
	return sysfs_emit(buf, "%d\n", dom);
}

/* "%i": decimal, 0x hex and leading-0 octal; trailing text is ignored. */
static ssize_t ap_domain_store(APSIM_BUS_CONST struct bus_type *bus, const char *buf,
			       size_t count)
{
	struct ap_config_info qci;
	int dom;
	bool reserved;

	apsim_qci_current(&qci);
	if (sscanf(buf, "%i\n", &dom) != 1 || dom < 0 || dom > (int)qci.nd)
		return -EINVAL;
	apsim_perms_lock();
	reserved = test_bit(dom, apsim_perms.aqm);
	apsim_perms_unlock();
	if (!reserved)
		return -EINVAL;
	spin_lock(&apsim_domain_lock);
	apsim_domain_index = dom;
	spin_unlock(&apsim_domain_lock);
	return count;
}
static BUS_ATTR_RW(ap_domain);

static ssize_t ap_adapter_mask_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	struct ap_config_info qci;

	apsim_qci_current(&qci);
	return show_mask(buf, qci.apm);
}
static BUS_ATTR_RO(ap_adapter_mask);

static ssize_t ap_usage_domain_mask_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	struct ap_config_info qci;

	apsim_qci_current(&qci);
	return show_mask(buf, qci.aqm);
}
static BUS_ATTR_RO(ap_usage_domain_mask);

static ssize_t ap_control_domain_mask_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	struct ap_config_info qci;

	apsim_qci_current(&qci);
	return show_mask(buf, qci.adm);
}
static BUS_ATTR_RO(ap_control_domain_mask);

static ssize_t ap_max_adapter_id_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	struct ap_config_info qci;

	apsim_qci_current(&qci);
	return sysfs_emit(buf, "%u\n", qci.na);
}
static BUS_ATTR_RO(ap_max_adapter_id);

static ssize_t ap_max_domain_id_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	struct ap_config_info qci;

	apsim_qci_current(&qci);
	return sysfs_emit(buf, "%u\n", qci.nd);
}
static BUS_ATTR_RO(ap_max_domain_id);

static ssize_t ap_interrupts_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	return sysfs_emit(buf, "%d\n", 1);
}
static BUS_ATTR_RO(ap_interrupts);

static ssize_t config_time_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(apsim_config_time));
}

static ssize_t config_time_store(APSIM_BUS_CONST struct bus_type *bus, const char *buf,
				 size_t count)
{
	int t;

	if (sscanf(buf, "%d\n", &t) != 1 || t < 5 || t > 120)
		return -EINVAL;
	WRITE_ONCE(apsim_config_time, t);
	apsim_scan_rearm_timer();
	return count;
}
static BUS_ATTR_RW(config_time);

static ssize_t poll_thread_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(poll_thread) ? 1 : 0);
}

/* As upstream with interrupts on: accepted, but no thread is started. */
static ssize_t poll_thread_store(APSIM_BUS_CONST struct bus_type *bus, const char *buf,
				 size_t count)
{
	bool value;
	int r;

	r = kstrtobool(buf, &value);
	if (r)
		return r;
	return count;
}
static BUS_ATTR_RW(poll_thread);

static ssize_t poll_timeout_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(poll_timeout));
}

static ssize_t poll_timeout_store(APSIM_BUS_CONST struct bus_type *bus, const char *buf,
				  size_t count)
{
	unsigned long value;
	int r;

	r = kstrtoul(buf, 0, &value);
	if (r)
		return r;
	if (value > APSIM_POLL_TIMEOUT_MAX)
		return -EINVAL;
	WRITE_ONCE(poll_timeout, value);
	return count;
}
static BUS_ATTR_RW(poll_timeout);

static ssize_t apmask_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	DECLARE_BITMAP(m, AP_DEVICES);

	if (apsim_perms_lock_interruptible())
		return -ERESTARTSYS;
	bitmap_copy(m, apsim_perms.apm, AP_DEVICES);
	apsim_perms_unlock();
	return show_mask(buf, m);
}

static ssize_t aqmask_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	DECLARE_BITMAP(m, AP_DOMAINS);

	if (apsim_perms_lock_interruptible())
		return -ERESTARTSYS;
	bitmap_copy(m, apsim_perms.aqm, AP_DOMAINS);
	apsim_perms_unlock();
	return show_mask(buf, m);
}

struct in_use_args {
	unsigned long *apm;     /* borrowed */
	unsigned long *aqm;     /* borrowed */
};

static int in_use_one(struct device_driver *drv, void *data)
{
	struct ap_driver *ap_drv = to_ap_drv(drv);
	struct in_use_args *args = data;
	int r = 0;

	/* the driver's module must not go away while its callback runs */
	if (!try_module_get(drv->owner))
		return 0;
	if (ap_drv->in_use && ap_drv->in_use(args->apm, args->aqm))
		r = -EBUSY;
	module_put(drv->owner);
	return r;
}

/*
 * The common part of apmask_store and aqmask_store. @adapters selects the
 * mask. in_use is consulted only when bits get set, with the newly set
 * bits of this mask and the unchanged other one, under ap_perms_mutex;
 * any non-zero answer is -EBUSY and nothing changes.
 */
static ssize_t mask_store(const char *buf, size_t count, bool adapters)
{
	DECLARE_BITMAP(newm, AP_DEVICES);
	DECLARE_BITMAP(added, AP_DEVICES);
	struct in_use_args args;
	unsigned long *cur;
	bool changed = false;
	int r;

	r = apsim_perms_lock_interruptible();
	if (r)
		return r;
	cur = adapters ? apsim_perms.apm : apsim_perms.aqm;
	r = apsim_mask_parse(buf, cur, newm);
	if (r)
		goto out;
	changed = !bitmap_equal(cur, newm, AP_DEVICES);
	if (!changed)
		goto out;
	if (bitmap_andnot(added, newm, cur, AP_DEVICES)) {
		args.apm = adapters ? added : apsim_perms.apm;
		args.aqm = adapters ? apsim_perms.aqm : added;
		r = bus_for_each_drv(&apsim_bus_type, NULL, &args, in_use_one);
		if (r)
			goto out;
	}
	bitmap_copy(cur, newm, AP_DEVICES);
out:
	apsim_perms_unlock();
	if (r)
		return r;
	if (changed) {
		apsim_bus_revise_bindings();
		apsim_uevent_mask_changed(adapters ? newm : NULL, adapters ? NULL : newm);
	}
	return count;
}

static ssize_t apmask_store(APSIM_BUS_CONST struct bus_type *bus, const char *buf,
			    size_t count)
{
	return mask_store(buf, count, true);
}
static BUS_ATTR_RW(apmask);

static ssize_t aqmask_store(APSIM_BUS_CONST struct bus_type *bus, const char *buf,
			    size_t count)
{
	return mask_store(buf, count, false);
}
static BUS_ATTR_RW(aqmask);

static ssize_t scans_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)atomic64_read(&apsim_scan_count));
}

/* Any write runs a synchronous rescan and succeeds. */
static ssize_t scans_store(APSIM_BUS_CONST struct bus_type *bus, const char *buf,
			   size_t count)
{
	apsim_bus_force_rescan();
	return count;
}
static BUS_ATTR_RW(scans);

static ssize_t bindings_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	unsigned int total, bound;

	apsim_count_bound(&total, &bound);
	if (atomic64_read(&apsim_scan_count) >= 1 && bound == total)
		return sysfs_emit(buf, "%u/%u (complete)\n", bound, total);
	return sysfs_emit(buf, "%u/%u\n", bound, total);
}
static BUS_ATTR_RO(bindings);

/* A host with QCI: APSC APXA QACT RC8A (APSB only inside SE guests). */
static ssize_t features_show(APSIM_BUS_CONST struct bus_type *bus, char *buf)
{
	struct ap_config_info qci;

	apsim_qci_current(&qci);
	return sysfs_emit(buf, "APSC %sQACT RC8A\n", qci.apxa ? "APXA " : "");
}
static BUS_ATTR_RO(features);

static struct attribute *bus_attrs[] = {
	&bus_attr_ap_domain.attr,
	&bus_attr_ap_control_domain_mask.attr,
	&bus_attr_ap_usage_domain_mask.attr,
	&bus_attr_ap_adapter_mask.attr,
	&bus_attr_config_time.attr,
	&bus_attr_poll_thread.attr,
	&bus_attr_ap_interrupts.attr,
	&bus_attr_poll_timeout.attr,
	&bus_attr_ap_max_domain_id.attr,
	&bus_attr_ap_max_adapter_id.attr,
	&bus_attr_apmask.attr,
	&bus_attr_aqmask.attr,
	&bus_attr_scans.attr,
	&bus_attr_bindings.attr,
	&bus_attr_features.attr,
	NULL,
};

static const struct attribute_group bus_group = {
	.attrs = bus_attrs,
};

const struct attribute_group *apsim_bus_groups[] = {
	&bus_group,
	NULL,
};
