/* SPDX-License-Identifier: GPL-2.0 */
/*
 * apsim internals shared by the files of the simulated AP bus module:
 * the simulated hardware (hw.c), the bus and its devices (bus.c, card.c,
 * queue.c), masks (mask.c), scans (scan.c), uevents (uevent.c), the
 * stand-in default driver (defdrv.c) and the control interface
 * (control.c). Drivers only ever see kernel/include/ap_bus_api.h.
 *
 * Lock order (kernel/LOCKING.md): scan mutex -> ap_perms_mutex -> guests
 * lock -> guest (KVM) lock -> pqap hook rwsem -> mdevs lock. The bus's
 * leaf locks (airq lock -> hw lock, queues lock, bindings lock) nest
 * inside any of them and never call out while held (except the airq
 * lock, held around apsim_airq_target.raise()).
 */
#ifndef APSIM_H
#define APSIM_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/version.h>
#include <linux/workqueue.h>

#include "ap_bus_api.h"

/* Driver core signatures that gained const over the years. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define APSIM_UEVENT_CONST const
#else
#define APSIM_UEVENT_CONST
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define APSIM_BUS_CONST const
#else
#define APSIM_BUS_CONST
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define APSIM_DRV_CONST const
#else
#define APSIM_DRV_CONST
#endif

#define APSIM_CONFIG_TIME_DEFAULT 30    /* s, upstream AP_CONFIG_TIME */
#define APSIM_DELAY_MAX_MS 60000        /* cap on injected delays */

/* Card modes, as the MODE= uevent variable spells them. */
enum apsim_mode {
	APSIM_MODE_ACCEL,
	APSIM_MODE_CCA,
	APSIM_MODE_EP11,
	APSIM_MODE_COUNT,
};

extern const char *const apsim_mode_names[APSIM_MODE_COUNT];

/* ---- simulated hardware (hw.c) ---- */

/* One adapter as the machine (QCI + TAPQ) describes it. */
struct apsim_hw_adapter_info {
	int hwtype;             /* AP_DEVICE_TYPE_*, 0 if not installed */
	enum apsim_mode mode;
	bool config;            /* SCLP configured */
	bool chkstop;
};

/* A consistent copy of the machine configuration, taken by each scan. */
struct apsim_hw_snapshot {
	struct ap_config_info qci;
	struct apsim_hw_adapter_info adapter[AP_DEVICES];
};

int apsim_hw_init(void);
void apsim_hw_exit(void);
void apsim_hw_snapshot(struct apsim_hw_snapshot *snap);
unsigned int apsim_hw_functions(int hwtype, enum apsim_mode mode);
int apsim_hw_type_string(int hwtype, enum apsim_mode mode, char *buf, size_t len);
bool apsim_hw_reset_in_progress(ap_qid_t qid);
bool apsim_hw_irq_enabled(ap_qid_t qid);

/* Control interface operations; each validates fully before changing anything. */
int apsim_hw_adapters_add(unsigned int first, unsigned int last, int hwtype,
			  enum apsim_mode mode);
int apsim_hw_adapters_remove(unsigned int first, unsigned int last);
int apsim_hw_domains_set(unsigned int first, unsigned int last, bool usage,
			 bool add);
int apsim_hw_adapter_set_config(unsigned int id, bool config);
int apsim_hw_adapter_set_chkstop(unsigned int id, bool chkstop);
int apsim_hw_set_reset_fail(ap_qid_t qid, u8 rc);
void apsim_hw_set_reset_delay(unsigned int ms);
void apsim_hw_set_scan_delay(unsigned int ms);
unsigned int apsim_hw_scan_delay(void);
int apsim_hw_raise_irq(ap_qid_t qid);
int apsim_hw_show(char *buf, size_t len);
int apsim_hw_type_parse(const char *s, int *ret_hwtype);
int apsim_hw_mode_parse(const char *s, enum apsim_mode *ret_mode);
int apsim_hw_load_config(const char *adapters, const char *usage,
			 const char *control, unsigned int max_adapter_id,
			 unsigned int max_domain_id, bool apxa);

/* ---- masks (mask.c) ---- */

#define APSIM_MASK_STR_LEN 67   /* "0x" + 64 hex digits + NUL */

void apsim_mask_format(const unsigned long *mask, char *buf);
int apsim_mask_parse(const char *str, const unsigned long *cur,
		     unsigned long *ret_mask);
int apsim_id_list_parse(const char *str, unsigned int max_id,
			unsigned long *ret_mask);
int apsim_id_range_parse(const char *str, unsigned int *ret_first,
			 unsigned int *ret_last);

/* ---- bus and devices (bus.c, card.c, queue.c) ---- */

struct apsim_card {
	struct ap_card ac;
	enum apsim_mode mode;
	atomic64_t request_count;
	/* queue devices of this card; protected by apsim_queues_lock */
	struct apsim_queue *queues[AP_DOMAINS];    /* borrowed: ref held by the device model */
};
#define to_apsim_card(d) container_of(to_ap_card(d), struct apsim_card, ac)

struct apsim_queue {
	struct ap_queue aq;
	atomic64_t request_count;
};
#define to_apsim_queue(d) container_of(to_ap_queue(d), struct apsim_queue, aq)

extern struct bus_type apsim_bus_type;
extern struct device *apsim_root_device;        /* owned: /sys/devices/ap */
extern const struct device_type apsim_card_type;
extern const struct device_type apsim_queue_type;
/* protects apsim_cards[] and every card's queues[] */
extern spinlock_t apsim_queues_lock;
extern struct apsim_card *apsim_cards[AP_DEVICES];  /* borrowed: ref held by the device model */

static inline bool apsim_is_card_dev(const struct device *dev)
{
	return dev->type == &apsim_card_type;
}

static inline bool apsim_is_queue_dev(const struct device *dev)
{
	return dev->type == &apsim_queue_type;
}

int apsim_bus_init(void);
void apsim_bus_exit(void);
extern const struct attribute_group *apsim_bus_groups[];
void apsim_bus_revise_bindings(void);
void apsim_count_bound(unsigned int *ret_total, unsigned int *ret_bound);

struct apsim_card *apsim_card_create(int id, const struct apsim_hw_adapter_info *hw);
void apsim_card_remove(struct apsim_card *card);
struct apsim_queue *apsim_queue_create(struct apsim_card *card, int dom);
void apsim_queue_remove(struct apsim_queue *q);

/* ---- perms (apmask/aqmask) and the lock order wrappers ---- */

int apsim_perms_init(const char *apm_str, const char *aqm_str);

static inline void apsim_perms_lock(void)
{
	apsim_lockorder_acquire(APSIM_LOCK_PERMS, "ap_perms_mutex");
	mutex_lock(&apsim_perms_mutex);
}

static inline int apsim_perms_lock_interruptible(void)
{
	apsim_lockorder_acquire(APSIM_LOCK_PERMS, "ap_perms_mutex");
	if (mutex_lock_interruptible(&apsim_perms_mutex)) {
		apsim_lockorder_release(APSIM_LOCK_PERMS, "ap_perms_mutex");
		return -ERESTARTSYS;
	}
	return 0;
}

static inline void apsim_perms_unlock(void)
{
	mutex_unlock(&apsim_perms_mutex);
	apsim_lockorder_release(APSIM_LOCK_PERMS, "ap_perms_mutex");
}

/* ---- scans (scan.c) ---- */

extern struct mutex apsim_scan_mutex;
extern int apsim_config_time;           /* s; written only by config_time_store */
extern atomic64_t apsim_scan_count;
extern int apsim_domain_index;          /* protected by apsim_domain_lock */
extern spinlock_t apsim_domain_lock;

static inline void apsim_scan_lock(void)
{
	apsim_lockorder_acquire(APSIM_LOCK_SCAN, "ap_scan_bus_mutex");
	mutex_lock(&apsim_scan_mutex);
}

static inline int apsim_scan_lock_interruptible(void)
{
	apsim_lockorder_acquire(APSIM_LOCK_SCAN, "ap_scan_bus_mutex");
	if (mutex_lock_interruptible(&apsim_scan_mutex)) {
		apsim_lockorder_release(APSIM_LOCK_SCAN, "ap_scan_bus_mutex");
		return -ERESTARTSYS;
	}
	return 0;
}

static inline void apsim_scan_unlock(void)
{
	mutex_unlock(&apsim_scan_mutex);
	apsim_lockorder_release(APSIM_LOCK_SCAN, "ap_scan_bus_mutex");
}

int apsim_scan_init(void);
void apsim_scan_start(void);
void apsim_scan_exit(void);
void apsim_scan_rearm_timer(void);
void apsim_scan_request_async(void);
int apsim_qci_current(struct ap_config_info *ret_info);
bool apsim_scan_in_progress(void);

/* ---- bindings accounting and uevents (uevent.c) ---- */

void apsim_bindings_rearm(void);
void apsim_bindings_check(void);
bool apsim_bindings_done(void);
void apsim_uevent_init_scan_done(void);
void apsim_uevent_mask_changed(const unsigned long *apm, const unsigned long *aqm);
void apsim_uevent_config(struct ap_device *ap_dev, bool config);
void apsim_uevent_online(struct ap_device *ap_dev, bool online);

/* ---- stand-in default driver (defdrv.c) ---- */

int apsim_defdrv_init(void);
void apsim_defdrv_exit(void);

/* ---- control interface (control.c) ---- */

int apsim_control_init(void);
void apsim_control_exit(void);

#endif /* APSIM_H */
