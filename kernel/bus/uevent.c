// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: the AP bus's own change uevents (kernel-abi.md §2) and the
 * "bindings complete" accounting behind BINDINGS=complete.
 *
 * Re-arm rules of the current kernel (since 6.10, "s390/ap: Fix bind
 * complete udev event sent after each AP bus scan"): every driver probe
 * that passes the ownership check, and every scan that sees new adapters
 * or domains, re-arms; the state is re-evaluated only at the end of a
 * scan and on driver registration; the event is sent once per arming,
 * after at least one scan, when every queue device has a driver.
 * Drivers with on_bindings_complete (an apctl addition to the driver API)
 * are told right after the uevent.
 */
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/spinlock.h>

#include "apsim.h"

static DEFINE_SPINLOCK(bindings_lock);  /* protects bindings_complete */
static bool bindings_complete;
static atomic64_t bindings_complete_count = ATOMIC64_INIT(0);

void apsim_bindings_rearm(void)
{
	spin_lock(&bindings_lock);
	bindings_complete = false;
	spin_unlock(&bindings_lock);
}

bool apsim_bindings_done(void)
{
	unsigned int total, bound;

	apsim_count_bound(&total, &bound);
	return atomic64_read(&apsim_scan_count) >= 1 && bound == total;
}

static int notify_bindings_one(struct device_driver *drv, void *data)
{
	struct ap_driver *ap_drv = to_ap_drv(drv);

	if (!ap_drv->on_bindings_complete || !try_module_get(drv->owner))
		return 0;
	ap_drv->on_bindings_complete(*(u64 *)data);
	module_put(drv->owner);
	return 0;
}

/*
 * The drivers hear of it after user space (the uevent goes first), each
 * with the same count, so that a listener can match the two.
 */
void apsim_bindings_check(void)
{
	char count[32];
	char *envp[] = { "BINDINGS=complete", count, NULL };
	bool send = false;
	u64 n;

	if (!apsim_bindings_done())
		return;
	spin_lock(&bindings_lock);
	if (!bindings_complete) {
		bindings_complete = true;
		send = true;
	}
	spin_unlock(&bindings_lock);
	if (!send)
		return;
	n = atomic64_inc_return(&bindings_complete_count);
	snprintf(count, sizeof(count), "COMPLETECOUNT=%llu", n);
	kobject_uevent_env(&apsim_root_device->kobj, KOBJ_CHANGE, envp);
	bus_for_each_drv(&apsim_bus_type, NULL, &n, notify_bindings_one);
}

void apsim_uevent_init_scan_done(void)
{
	char *envp[] = { "INITSCAN=done", NULL };

	kobject_uevent_env(&apsim_root_device->kobj, KOBJ_CHANGE, envp);
}

/*
 * APMASK=/AQMASK= after a mask write that changed a mask. Upstream's value
 * ends with an embedded "\n" (its snprintf format ends in one); user space
 * sees "APMASK=0x...\n", so the quirk is kept.
 */
void apsim_uevent_mask_changed(const unsigned long *apm, const unsigned long *aqm)
{
	char mask[APSIM_MASK_STR_LEN];
	char buf[100];
	char *envp[] = { buf, NULL };

	apsim_mask_format(apm ? apm : aqm, mask);
	snprintf(buf, sizeof(buf), "%s=%s\n", apm ? "APMASK" : "AQMASK", mask);
	kobject_uevent_env(&apsim_root_device->kobj, KOBJ_CHANGE, envp);
}

void apsim_uevent_config(struct ap_device *ap_dev, bool config)
{
	char buf[16];
	char *envp[] = { buf, NULL };

	snprintf(buf, sizeof(buf), "CONFIG=%d", config ? 1 : 0);
	kobject_uevent_env(&ap_dev->device.kobj, KOBJ_CHANGE, envp);
}

void apsim_uevent_online(struct ap_device *ap_dev, bool online)
{
	char buf[16];
	char *envp[] = { buf, NULL };

	snprintf(buf, sizeof(buf), "ONLINE=%d", online ? 1 : 0);
	kobject_uevent_env(&ap_dev->device.kobj, KOBJ_CHANGE, envp);
}
