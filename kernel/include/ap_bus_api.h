/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The narrow driver API of apctl's simulated AP bus: everything a queue
 * driver (the vfio_ap-compatible matrix driver, the stand-in default
 * driver) may use of the bus and of the "hardware".
 *
 * It mirrors upstream drivers/s390/crypto/ap_bus.h and the AP instruction
 * wrappers of arch/s390/include/asm/ap.h, so that the matrix driver is
 * written the way vfio_ap is and a backend for the real bus could implement
 * this same header. Two deliberate differences:
 *  - Exported symbols carry an apsim_ prefix, because the s390 kernel
 *    already exports the real ap_* names; the ap_* spellings below are
 *    macros onto them.
 *  - Bitmaps are ordinary Linux bitmaps (bit n = id n, test_bit()), not
 *    s390's inverted bit order; the bus prints them MSB-first in sysfs as
 *    the real bus does.
 *
 * Locking: see kernel/LOCKING.md. ap_perms_mutex is the outermost lock of
 * the one global order; apsim_lockorder_*() check that order at run time
 * in debug builds (APSIM_LOCKORDER).
 */
#ifndef APSIM_AP_BUS_API_H
#define APSIM_AP_BUS_API_H

#include <linux/device.h>
#include <linux/mod_devicetable.h>
#include <linux/mutex.h>
#include <linux/types.h>

#define AP_DEVICES 256          /* number of adapter ids */
#define AP_DOMAINS 256          /* number of domain ids */

/* An APQN: adapter (card) id in bits 8..15, domain (queue) id in bits 0..7. */
typedef unsigned int ap_qid_t;
#define AP_MKQID(_card, _queue) ((((_card) & 0xff) << 8) | ((_queue) & 0xff))
#define AP_QID_CARD(_qid) (((_qid) >> 8) & 0xff)
#define AP_QID_QUEUE(_qid) ((_qid) & 0xff)

/* Compatible device types (hwtype); vfio_ap accepts CEX4 and newer only. */
#define AP_DEVICE_TYPE_CEX3C    9
#define AP_DEVICE_TYPE_CEX4     10
#define AP_DEVICE_TYPE_CEX5     11
#define AP_DEVICE_TYPE_CEX6     12
#define AP_DEVICE_TYPE_CEX7     13
#define AP_DEVICE_TYPE_CEX8     14

/* Function facility bits as reported in ap_functions (MSB = bit 0). */
#define AP_FUNC_COPRO   3       /* CCA coprocessor */
#define AP_FUNC_ACCEL   4       /* accelerator */
#define AP_FUNC_EP11    5       /* EP11 coprocessor */
#define AP_FUNC_APXA    6

/* Response codes of the AP instructions (TAPQ, ZAPQ, AQIC). */
#define AP_RESPONSE_NORMAL              0x00
#define AP_RESPONSE_Q_NOT_AVAIL         0x01
#define AP_RESPONSE_RESET_IN_PROGRESS   0x02
#define AP_RESPONSE_DECONFIGURED        0x03
#define AP_RESPONSE_CHECKSTOPPED        0x04
#define AP_RESPONSE_BUSY                0x05
#define AP_RESPONSE_INVALID_ADDRESS     0x06
#define AP_RESPONSE_OTHERWISE_CHANGED   0x07
#define AP_RESPONSE_INVALID_GISA        0x08

/* Result of an AP instruction, as in asm/ap.h. */
struct ap_queue_status {
	unsigned int queue_empty : 1;
	unsigned int replies_waiting : 1;
	unsigned int queue_full : 1;
	unsigned int async : 1;
	unsigned int irq_enabled : 1;
	unsigned int response_code : 8;
};

/*
 * The machine's AP configuration (what QCI reports upstream): configured
 * adapters, usage domains and control domains, and the highest ids.
 */
struct ap_config_info {
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	DECLARE_BITMAP(adm, AP_DOMAINS);
	unsigned int na;        /* highest adapter id (ap_max_adapter_id) */
	unsigned int nd;        /* highest domain id (ap_max_domain_id) */
	bool apxa;
};

/* Device (card or queue) on the bus. */
struct ap_device {
	struct device device;
	int device_type;        /* compatible hwtype, AP_DEVICE_TYPE_* */
};
#define to_ap_dev(x) container_of((x), struct ap_device, device)

struct ap_card {
	struct ap_device ap_dev;
	int raw_hwtype;
	unsigned int functions;
	int queue_depth;
	int id;
	unsigned int maxmsgsize;
	/*
	 * Written by scans (under the scan mutex) and, for config, by the
	 * card's `config` store; read with READ_ONCE() (kernel/LOCKING.md).
	 */
	bool config;
	bool chkstop;
};
#define to_ap_card(x) container_of((x), struct ap_card, ap_dev.device)

struct ap_queue {
	struct ap_device ap_dev;
	struct ap_card *card;   /* borrowed: the parent card outlives its queues */
	ap_qid_t qid;
	bool config;
	bool chkstop;
};
#define to_ap_queue(x) container_of((x), struct ap_queue, ap_dev.device)

/* Marks the default (zcrypt role) driver, subject to apmask/aqmask. */
#define AP_DRIVER_FLAG_DEFAULT 0x0001

struct ap_driver {
	struct device_driver driver;
	struct ap_device_id *ids;
	unsigned int flags;

	int (*probe)(struct ap_device *ap_dev);
	void (*remove)(struct ap_device *ap_dev);
	/*
	 * Called by apmask/aqmask writes that set bits, with ap_perms_mutex
	 * held: non-zero means some APQN of apm x aqm is in use, and the
	 * writer gets -EBUSY.
	 */
	int (*in_use)(unsigned long *apm, unsigned long *aqm);
	/* At the start of a scan that sees a changed configuration. */
	void (*on_config_changed)(struct ap_config_info *new_config_info,
				  struct ap_config_info *old_config_info);
	/* At the end of that scan, after devices were added/removed. */
	void (*on_scan_complete)(struct ap_config_info *new_config_info,
				 struct ap_config_info *old_config_info);
	/*
	 * apctl addition, not in upstream's struct ap_driver (optional):
	 * called right after the bus sent BINDINGS=complete, with that
	 * uevent's COMPLETECOUNT. Runs at the end of a scan (scan mutex held)
	 * or after a driver registration (no lock held); never with
	 * ap_perms_mutex held. It may take ap_perms_mutex and the locks
	 * after it, must not call ap_bus_force_rescan(), and can race with
	 * the next scan (kernel/LOCKING.md).
	 */
	void (*on_bindings_complete)(u64 complete_count);
};
#define to_ap_drv(x) container_of((x), struct ap_driver, driver)

/*
 * Reservations for the default drivers: apmask/aqmask. The tag is
 * apsim_perms because the ap_perms macro below renames every later
 * "struct ap_perms" to it; both spellings name this struct.
 */
struct apsim_perms {
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
};

extern struct apsim_perms apsim_perms;          /* protected by apsim_perms_mutex */
extern struct mutex apsim_perms_mutex;
#define ap_perms apsim_perms
#define ap_perms_mutex apsim_perms_mutex

int apsim_driver_register(struct ap_driver *drv, struct module *owner, char *name);
void apsim_driver_unregister(struct ap_driver *drv);
#define ap_driver_register apsim_driver_register
#define ap_driver_unregister apsim_driver_unregister

/* 1 if the APQN is reserved for the default drivers; caller holds ap_perms_mutex. */
int apsim_owned_by_def_drv(int card, int queue);
/* 1 if any APQN of apm x aqm is; caller holds ap_perms_mutex. */
int apsim_apqn_in_matrix_owned_by_def_drv(unsigned long *apm, unsigned long *aqm);
#define ap_owned_by_def_drv apsim_owned_by_def_drv
#define ap_apqn_in_matrix_owned_by_def_drv apsim_apqn_in_matrix_owned_by_def_drv

/* Queue device for qid with a reference held (put_device() it), or NULL. */
struct ap_queue *apsim_get_qdev(ap_qid_t qid);
#define ap_get_qdev apsim_get_qdev

/* Copy the current machine configuration (QCI). 0 or -errno. */
int apsim_qci(struct ap_config_info *info);
#define ap_qci apsim_qci

/* Synchronous rescan, as a write to /sys/bus/ap/scans. */
void apsim_bus_force_rescan(void);
#define ap_bus_force_rescan apsim_bus_force_rescan

/*
 * The AP instructions on the simulated hardware.
 * ap_tapq: test the queue; while a reset runs it answers
 *   AP_RESPONSE_RESET_IN_PROGRESS, then NORMAL, or the injected failure.
 *   *info (may be NULL) gets GR2 as the older ap_test_queue() returned it:
 *   facilities in bits 32..63, hwtype in bits 24..31, deconfigured bit 23,
 *   checkstopped bit 22, queue depth in bits 0..7.
 * ap_zapq: start a reset (zeroize); fbit is the SE "F" bit.
 * ap_aqic: enable (ir=1) or disable interrupts for the queue; an enabled
 *   queue raises simulated adapter interrupts into @target.
 */
struct ap_queue_status apsim_tapq(ap_qid_t qid, unsigned long *info);
struct ap_queue_status apsim_zapq(ap_qid_t qid, int fbit);
#define ap_tapq apsim_tapq
#define ap_zapq apsim_zapq

struct ap_qirq_ctrl {
	unsigned int ir : 1;    /* 1: enable interrupts, 0: disable */
	unsigned int isc : 3;   /* interruption subclass */
};

/*
 * Where a simulated adapter interrupt goes: upstream, the guest's GISA
 * and floating interrupt list; here, whoever enabled interrupts (the
 * simulated guest). raise() is called from the bus without any of the
 * lock-order locks held and must not sleep.
 */
struct apsim_airq_target {
	void (*raise)(struct apsim_airq_target *target, ap_qid_t qid);
};

struct ap_queue_status apsim_aqic(ap_qid_t qid, struct ap_qirq_ctrl qirqctrl,
				  struct apsim_airq_target *target);
#define ap_aqic apsim_aqic

/*
 * Run-time lock order checking (debug builds). Every lock of the global
 * order has a level; taking a lock while the same task holds one of the
 * same or a higher level WARNs, naming both locks.
 */
enum apsim_lock_level {
	APSIM_LOCK_SCAN = 10,           /* bus scan mutex */
	APSIM_LOCK_PERMS = 20,          /* ap_perms_mutex */
	APSIM_LOCK_GUESTS = 30,         /* matrix_dev->guests_lock */
	APSIM_LOCK_KVM = 40,            /* the simulated guest's (KVM) lock */
	APSIM_LOCK_PQAP_HOOK = 50,      /* pqap hook rwsem */
	APSIM_LOCK_MDEVS = 60,          /* matrix_dev->mdevs_lock */
};

#ifdef APSIM_LOCKORDER
void apsim_lockorder_acquire(enum apsim_lock_level level, const char *name);
void apsim_lockorder_release(enum apsim_lock_level level, const char *name);
#else
static inline void apsim_lockorder_acquire(enum apsim_lock_level level, const char *name) { }
static inline void apsim_lockorder_release(enum apsim_lock_level level, const char *name) { }
#endif

#endif /* APSIM_AP_BUS_API_H */
