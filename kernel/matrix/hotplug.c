// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: the AP bus callbacks beyond probe/remove: in_use (an
 * apmask/aqmask write wants APQNs back for the host), on_config_changed
 * (the host's AP config lost or gained resources: unplug what left, note
 * what arrived) and on_scan_complete (plug in what arrived, now that its
 * queues are probed).
 *
 * Lock order (kernel/LOCKING.md): ap_perms_mutex -> guests_lock ->
 * guest->lock -> mdevs_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "vap.h"

/* At most this many in_use refusal events per mask write. */
#define VAP_IN_USE_EVENTS_MAX 64

/*
 * Called by the bus with ap_perms_mutex held. The owner table is written
 * with guests_lock and mdevs_lock held, so mdevs_lock alone is enough to
 * read it; no trylock, and nothing here can wait for ap_perms_mutex.
 */
int vap_in_use(unsigned long *apm, unsigned long *aqm)
{
	unsigned int events = 0;
	unsigned long apid, apqi;
	int ret = 0;

	lockdep_assert_held(&ap_perms_mutex);
	vap_lock_mdevs();
	for_each_set_bit(apid, apm, AP_DEVICES)
		for_each_set_bit(apqi, aqm, AP_DOMAINS) {
			struct vap_mdev *mdev = vap.owner[VAP_APQN(apid, apqi)];

			if (!mdev)
				continue;
			pr_warn_ratelimited("Can not reserve queue %02lx.%04lx for host driver: in use by mdev %s\n",
					    apid, apqi, mdev->uuid_str);
			if (events++ < VAP_IN_USE_EVENTS_MAX)
				vap_nl_in_use(mdev, VAP_APQN(apid, apqi));
			ret = -EADDRINUSE;
		}
	vap_unlock_mdevs();
	return ret;
}

static void vap_or_new_bits(unsigned long *pending, const unsigned long *cur,
			    const unsigned long *old, const unsigned long *assigned,
			    unsigned int nbits)
{
	DECLARE_BITMAP(added, AP_DEVICES);

	bitmap_andnot(added, cur, old, nbits);
	bitmap_and(added, added, assigned, nbits);
	bitmap_or(pending, pending, added, nbits);
}

void vap_on_config_changed(struct ap_config_info *cur,
			   struct ap_config_info *old)
{
	struct vap_mdev *mdev;

	vap_lock_guests();
	list_for_each_entry(mdev, &vap.mdev_list, node) {
		struct vap_guest *guest = vap_lock_mdev_locked(mdev);

		vap_mdev_unplug(mdev, cur->apm, cur->aqm, cur->adm);
		vap_or_new_bits(mdev->pending_add.apm, cur->apm, old->apm,
				mdev->matrix.apm, AP_DEVICES);
		vap_or_new_bits(mdev->pending_add.aqm, cur->aqm, old->aqm,
				mdev->matrix.aqm, AP_DOMAINS);
		vap_or_new_bits(mdev->pending_add.adm, cur->adm, old->adm,
				mdev->matrix.adm, AP_DOMAINS);
		vap_unlock_mdev_locked(guest);
	}
	vap_lock_mdevs();
	vap.info = *cur;
	vap_unlock_mdevs();
	vap_unlock_guests();
	vap_nl_host_config(cur);
}

void vap_on_scan_complete(struct ap_config_info *cur,
			  struct ap_config_info *old)
{
	struct vap_mdev *mdev;

	vap_lock_guests();
	list_for_each_entry(mdev, &vap.mdev_list, node) {
		struct vap_guest *guest = vap_lock_mdev_locked(mdev);

		if (!bitmap_empty(mdev->pending_add.apm, AP_DEVICES) ||
		    !bitmap_empty(mdev->pending_add.aqm, AP_DOMAINS) ||
		    !bitmap_empty(mdev->pending_add.adm, AP_DOMAINS)) {
			memset(&mdev->pending_add, 0, sizeof(mdev->pending_add));
			vap_mdev_update_guest(mdev);
		}
		vap_unlock_mdev_locked(guest);
	}
	vap_unlock_guests();
}
