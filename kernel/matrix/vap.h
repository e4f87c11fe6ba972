/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfio_ap_sim: the private types and functions shared by the files of the
 * vfio_ap-compatible matrix driver, and the small lock wrappers that keep
 * the one global lock order (kernel/LOCKING.md):
 *
 *   ap_perms_mutex -> guests_lock -> guest->lock -> pqap_hook_rwsem
 *     -> mdevs_lock
 *
 * Every wrapper reports to the bus's run-time order checker (debug builds)
 * and every function that needs a lock asserts it with lockdep_assert_held().
 * One object per file: matrix_dev.c (the matrix device and driver
 * registration), mdev.c (the mdev object), mdev_attrs.c (its sysfs
 * attributes), mdev_vfio.c / mdev_novfio.c (the two ways an mdev is
 * created), queue.c (the AP queue driver), filter.c (guest configuration
 * filtering and hot plug), hotplug.c (bus callbacks), guest.c (the
 * simulated guest), control.c (debugfs control interface), netlink.c,
 * pqap.c (guest interrupts).
 */
#ifndef VAP_H
#define VAP_H

#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/wait.h>

#include "ap_bus_api.h"

#define VAP_DRV_NAME "vfio_ap"
#define VAP_MDEV_TYPE_SYSFS_NAME "passthrough"
#define VAP_MDEV_TYPE_NAME "VFIO AP Passthrough Device"
#define VAP_DEVICE_API "vfio-ap"
/* One mdev per APQN at most: 255 x 255, as upstream. */
#define VAP_MAX_MDEVS (255 * 255)
#define VAP_NUM_APQNS (AP_DEVICES * AP_DOMAINS)
#define VAP_APQN(apid, apqi) (((apid) << 8) | (apqi))

/* What the mdev's attributes may write into: an assignment. */
struct vap_matrix {
	DECLARE_BITMAP(apm, AP_DEVICES);
	DECLARE_BITMAP(aqm, AP_DOMAINS);
	DECLARE_BITMAP(adm, AP_DOMAINS);
};

struct vap_guest;
struct vap_queue;

/*
 * One mediated device. Created by mdev_vfio.c or mdev_novfio.c, which own
 * its memory; everything below is common.
 */
struct vap_mdev {
	struct device *dev;             /* borrowed: the mdev's struct device */
	guid_t uuid;
	char uuid_str[UUID_STRING_LEN + 1];
	struct list_head node;          /* in vap.mdev_list; guests_lock + mdevs_lock */
	/* assigned resources; written with guests_lock + mdevs_lock held */
	struct vap_matrix matrix;
	/* what is (or will be) in the guest; mdevs_lock */
	struct vap_matrix shadow;
	/* resources added to the host config, waiting for on_scan_complete; mdevs_lock */
	struct vap_matrix pending_add;
	/* the attached guest; written with guests_lock + mdevs_lock held */
	struct vap_guest *guest;        /* borrowed: guest->mdev points back */
	bool attached_by_vfio;          /* guests_lock + mdevs_lock */
	bool removing;                  /* guests_lock + mdevs_lock */
	/* woken when guest becomes NULL */
	wait_queue_head_t detach_wq;
	/* VFIO eventfds (REQ and CFG_CHG irq indexes); mdevs_lock */
	struct eventfd_ctx *req_trigger;        /* ref held */
	struct eventfd_ctx *cfg_chg_trigger;    /* ref held */
};

/*
 * Per-queue state of a queue bound to vfio_ap; the device's drvdata. The
 * queue is "linked" to the mdev that owns its APQN (vap.owner): no
 * separate back pointer that could disagree with the owner table.
 */
struct vap_queue {
	struct ap_queue *apq;           /* borrowed: valid from probe to remove */
	ap_qid_t apqn;
	/* result of the last reset (AP_RESPONSE_*), -ETIMEDOUT; mdevs_lock */
	int reset_rc;
	bool reset_pending;             /* zapq issued, not yet verified; mdevs_lock */
	bool irq_enabled;               /* AQIC enabled; mdevs_lock */
	unsigned int isc;               /* AQIC subclass; mdevs_lock */
};

/*
 * The driver singleton: the matrix device and the state every mdev shares.
 */
struct vap_matrix_dev {
	struct device *root;            /* owned: /sys/devices/vfio_ap */
	struct device device;           /* /sys/devices/vfio_ap/matrix */
	bool device_registered;
	/*
	 * guests_lock protects: the guest list, the guest <-> mdev
	 * association (vap_mdev.guest, vap_guest.mdev, attached_by_vfio,
	 * removing; written with mdevs_lock also held), the mdev list and
	 * every mdev's assigned matrix and the APQN owner table (written with
	 * mdevs_lock also held, so either lock is enough to read them).
	 */
	struct mutex guests_lock;
	/*
	 * mdevs_lock protects: everything an mdev derives from its matrix
	 * (shadow, pending_add, eventfd triggers), the queue table and every
	 * vap_queue's fields, the host config copy (info), and the fields
	 * guests_lock shares with it (see above).
	 */
	struct mutex mdevs_lock;
	/* pqap_hook_rwsem protects every vap_guest.pqap_hook */
	struct rw_semaphore pqap_hook_rwsem;
	struct list_head mdev_list;     /* of vap_mdev.node */
	struct list_head guest_list;    /* of vap_guest.node */
	unsigned int nr_guests;
	/* APQN -> the mdev that has it assigned (its matrix cross product) */
	struct vap_mdev **owner;        /* owned: VAP_NUM_APQNS entries */
	/* APQN -> the vap_queue of a queue bound to vfio_ap */
	struct vap_queue **queues;      /* owned: VAP_NUM_APQNS entries */
	struct ap_config_info info;     /* the host config as last seen */
	unsigned int apm_max, aqm_max, adm_max;
	struct dentry *debugfs;         /* owned: vfio_ap_sim/ */
};

extern struct vap_matrix_dev vap;

#define VAP_GUEST_NAME_MAX 32
#define VAP_GUEST_HISTORY 256
#define VAP_MAX_GUESTS 256

/* One configuration update of a guest, as the guest saw it. */
struct vap_guest_update {
	u64 seq;
	struct vap_matrix apcb;
};

/*
 * The simulated guest, the stand-in for a KVM guest: what hot plug writes
 * (its APCB masks) and what tests read back.
 */
struct vap_guest {
	char name[VAP_GUEST_NAME_MAX + 1];
	pid_t tgid;                     /* the process that "runs" the guest */
	struct list_head node;          /* in vap.guest_list; guests_lock */
	bool dead;                      /* destroyed, off the list; guests_lock */
	/*
	 * The "KVM lock": protects apcb, history, nr_updates,
	 * cfg_notifications and requests.
	 */
	struct mutex lock;
	struct vap_matrix apcb;         /* the guest's APM/AQM/ADM */
	struct vap_guest_update *history;       /* owned: ring of VAP_GUEST_HISTORY */
	u64 nr_updates;
	u64 cfg_notifications;
	u64 requests;
	struct vap_mdev *mdev;          /* borrowed: guests_lock + mdevs_lock to write */
	struct vap_mdev *pqap_hook;     /* borrowed: pqap_hook_rwsem */
	bool se_protected;              /* Secure Execution guest; mdevs_lock */
	bool nib_shared;                /* its NIB page was shared; mdevs_lock */
	int aqic_rc;                    /* response code of the last AQIC; mdevs_lock */
	atomic64_t interrupts;          /* simulated adapter interrupts received */
	struct apsim_airq_target airq;
	struct dentry *debugfs;         /* owned: guests/<name>/ */
};

/* ---- lock wrappers: the one order, checked ---- */
static inline void vap_lock_perms(void)
{
	apsim_lockorder_acquire(APSIM_LOCK_PERMS, "ap_perms_mutex");
	mutex_lock(&ap_perms_mutex);
}

static inline void vap_unlock_perms(void)
{
	mutex_unlock(&ap_perms_mutex);
	apsim_lockorder_release(APSIM_LOCK_PERMS, "ap_perms_mutex");
}

static inline void vap_lock_guests(void)
{
	apsim_lockorder_acquire(APSIM_LOCK_GUESTS, "guests_lock");
	mutex_lock(&vap.guests_lock);
}

static inline void vap_unlock_guests(void)
{
	mutex_unlock(&vap.guests_lock);
	apsim_lockorder_release(APSIM_LOCK_GUESTS, "guests_lock");
}

static inline void vap_lock_mdevs(void)
{
	apsim_lockorder_acquire(APSIM_LOCK_MDEVS, "mdevs_lock");
	mutex_lock(&vap.mdevs_lock);
}

static inline void vap_unlock_mdevs(void)
{
	mutex_unlock(&vap.mdevs_lock);
	apsim_lockorder_release(APSIM_LOCK_MDEVS, "mdevs_lock");
}

static inline void vap_pqap_hook_write_lock(void)
{
	apsim_lockorder_acquire(APSIM_LOCK_PQAP_HOOK, "pqap_hook_rwsem");
	down_write(&vap.pqap_hook_rwsem);
}

static inline void vap_pqap_hook_write_unlock(void)
{
	up_write(&vap.pqap_hook_rwsem);
	apsim_lockorder_release(APSIM_LOCK_PQAP_HOOK, "pqap_hook_rwsem");
}

static inline void vap_pqap_hook_read_lock(void)
{
	apsim_lockorder_acquire(APSIM_LOCK_PQAP_HOOK, "pqap_hook_rwsem");
	down_read(&vap.pqap_hook_rwsem);
}

static inline void vap_pqap_hook_read_unlock(void)
{
	up_read(&vap.pqap_hook_rwsem);
	apsim_lockorder_release(APSIM_LOCK_PQAP_HOOK, "pqap_hook_rwsem");
}

/*
 * The locks an operation on one mdev needs: guests_lock, the attached
 * guest's lock (if a guest is attached: reading mdev->guest under
 * guests_lock is what avoids the NULL dereference of kernel-abi.md §7 item
 * 11), mdevs_lock. Returns the guest whose lock is held, or NULL.
 */
struct vap_guest *vap_lock_for_mdev(struct vap_mdev *mdev);
void vap_unlock_for_mdev(struct vap_guest *guest);
/* Same, with guests_lock already held. */
struct vap_guest *vap_lock_mdev_locked(struct vap_mdev *mdev);
void vap_unlock_mdev_locked(struct vap_guest *guest);

/* ---- mask.c ---- */
int vap_mask_parse(const char *s, size_t len, unsigned long *ret_mask,
		   unsigned int nbits);
int vap_mask_format(char *buf, size_t size, const unsigned long *mask,
		    unsigned int nbits);

/* ---- matrix_dev.c ---- */
int vap_matrix_dev_register(void);
void vap_matrix_dev_unregister(void);

/* ---- mdev.c ---- */
void vap_mdev_init(struct vap_mdev *mdev, struct device *dev,
		   const guid_t *uuid);
int vap_mdev_add(struct vap_mdev *mdev);
void vap_mdev_del(struct vap_mdev *mdev);
struct vap_mdev *vap_mdev_find(const guid_t *uuid);
void vap_mdev_signal_request(struct vap_mdev *mdev, unsigned int count);

/* ---- mdev_attrs.c ---- */
extern const struct attribute_group *vap_mdev_attr_groups[];

/* ---- mdev_vfio.c / mdev_novfio.c ---- */
int vap_mdev_backend_register(void);
void vap_mdev_backend_unregister(void);
void vap_mdev_signal_cfg_chg(struct vap_mdev *mdev);
bool vap_mdev_signal_req(struct vap_mdev *mdev);

/* ---- filter.c ---- */
void vap_mdev_set_owner(struct vap_mdev *mdev, const unsigned long *apm,
			const unsigned long *aqm, struct vap_mdev *owner);
void vap_mdev_update_guest(struct vap_mdev *mdev);
void vap_mdev_unplug(struct vap_mdev *mdev, const unsigned long *apm,
		     const unsigned long *aqm, const unsigned long *adm);
void vap_mdev_reset_apqns(struct vap_mdev *mdev, const unsigned long *apm,
			  const unsigned long *aqm);
void vap_mdev_reset_all(struct vap_mdev *mdev);

/* ---- queue.c ---- */
int vap_queue_driver_register(void);
void vap_queue_driver_unregister(void);
bool vap_queue_reset_ok(const struct vap_queue *q);
void vap_queues_reset(struct vap_queue **qs, unsigned int n);

/* ---- hotplug.c ---- */
int vap_in_use(unsigned long *apm, unsigned long *aqm);
void vap_on_config_changed(struct ap_config_info *cur,
			   struct ap_config_info *old);
void vap_on_scan_complete(struct ap_config_info *cur,
			  struct ap_config_info *old);

/* ---- guest.c ---- */
struct vap_guest *vap_guest_find(const char *name);
struct vap_guest *vap_guest_find_by_tgid(pid_t tgid);
int vap_guest_create(const char *name, pid_t tgid);
int vap_guest_destroy(const char *name);
int vap_guest_attach(struct vap_guest *guest, struct vap_mdev *mdev,
		     bool by_vfio);
void vap_guest_detach(struct vap_guest *guest);
void vap_guest_lock(struct vap_guest *guest);
void vap_guest_unlock(struct vap_guest *guest);
void vap_guest_set_apcb(struct vap_guest *guest, const struct vap_matrix *m);
void vap_guest_note_request(struct vap_guest *guest);
const char *vap_guest_name(const struct vap_guest *guest);
void vap_guests_destroy_all(void);

/* ---- control.c ---- */
int vap_control_init(void);
void vap_control_exit(void);
int vap_control_guest_add(struct vap_guest *guest);

/* ---- netlink.c ---- */
int vap_netlink_init(void);
void vap_netlink_exit(void);
void vap_nl_guest_config(struct vap_mdev *mdev, const struct vap_matrix *m);
void vap_nl_queue_reset(ap_qid_t apqn, int rc);
void vap_nl_in_use(struct vap_mdev *mdev, ap_qid_t apqn);
void vap_nl_host_config(const struct ap_config_info *info);
void vap_nl_bindings_complete(u64 complete_count);

/* ---- pqap.c ---- */
int vap_pqap_aqic(struct vap_guest *guest, ap_qid_t apqn, bool enable,
		  unsigned int isc, int *ret_rc);

#endif /* VAP_H */
