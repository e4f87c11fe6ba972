// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: from an mdev's assigned matrix to what its guest gets (the
 * shadow APCB, kernel-abi.md §4.3), hot plug and unplug into the attached
 * guest, the APQN owner table (which also links an mdev to the queues
 * bound to vfio_ap), and the resets that follow resources leaving a guest.
 *
 * Every function here runs with guests_lock, the attached guest's lock (if
 * any) and mdevs_lock held, taken in that order by the caller.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "vap.h"

/* Queues reset together: zapq all of a batch, then wait for all. */
#define VAP_RESET_BATCH 64

static void vap_assert_update_locks(struct vap_mdev *mdev)
{
	lockdep_assert_held(&vap.guests_lock);
	lockdep_assert_held(&vap.mdevs_lock);
	if (mdev->guest)
		lockdep_assert_held(&mdev->guest->lock);
}

/*
 * Record @owner for every APQN of @apm x @aqm; with @owner NULL, forget
 * the APQNs @mdev owns there. Both locks that guard the table are held.
 */
void vap_mdev_set_owner(struct vap_mdev *mdev, const unsigned long *apm,
			const unsigned long *aqm, struct vap_mdev *owner)
{
	unsigned long apid, apqi;

	lockdep_assert_held(&vap.guests_lock);
	lockdep_assert_held(&vap.mdevs_lock);
	for_each_set_bit(apid, apm, AP_DEVICES)
		for_each_set_bit(apqi, aqm, AP_DOMAINS) {
			struct vap_mdev **slot = &vap.owner[VAP_APQN(apid, apqi)];

			if (owner)
				*slot = owner;
			else if (*slot == mdev)
				*slot = NULL;
		}
}

/*
 * kernel-abi.md §4.3: the host config limits the assignment; an adapter is
 * dropped as a whole if any of its queues is not bound and linked, or its
 * last reset did not end normally. Domains are never dropped for binding
 * reasons.
 */
static void vap_mdev_filter(struct vap_mdev *mdev, struct vap_matrix *ret)
{
	unsigned long apid, apqi;

	bitmap_and(ret->apm, mdev->matrix.apm, vap.info.apm, AP_DEVICES);
	bitmap_and(ret->aqm, mdev->matrix.aqm, vap.info.aqm, AP_DOMAINS);
	bitmap_and(ret->adm, mdev->matrix.adm, vap.info.adm, AP_DOMAINS);
	for_each_set_bit(apid, ret->apm, AP_DEVICES) {
		for_each_set_bit(apqi, ret->aqm, AP_DOMAINS) {
			struct vap_queue *q = vap.queues[VAP_APQN(apid, apqi)];

			if (!q || !vap_queue_reset_ok(q)) {
				__clear_bit(apid, ret->apm);
				break;
			}
		}
	}
}

static bool vap_matrix_equal(const struct vap_matrix *a,
			     const struct vap_matrix *b)
{
	return bitmap_equal(a->apm, b->apm, AP_DEVICES) &&
	       bitmap_equal(a->aqm, b->aqm, AP_DOMAINS) &&
	       bitmap_equal(a->adm, b->adm, AP_DOMAINS);
}

/* Make @shadow the mdev's shadow and hot (un)plug the guest if it changed. */
static void vap_mdev_commit_shadow(struct vap_mdev *mdev,
				   const struct vap_matrix *shadow)
{
	if (vap_matrix_equal(&mdev->shadow, shadow))
		return;
	mdev->shadow = *shadow;
	if (!mdev->guest)
		return;
	vap_guest_set_apcb(mdev->guest, shadow);
	vap_mdev_signal_cfg_chg(mdev);
	vap_nl_guest_config(mdev, shadow);
}

/*
 * Re-filter and update the guest; adapters that were in the shadow, are
 * still assigned and present, but got filtered out have their queues
 * reset (6.8 "reset queues filtered from the guest's AP config").
 */
void vap_mdev_update_guest(struct vap_mdev *mdev)
{
	DECLARE_BITMAP(filtered, AP_DEVICES);
	struct vap_matrix old, shadow;

	vap_assert_update_locks(mdev);
	old = mdev->shadow;
	vap_mdev_filter(mdev, &shadow);
	vap_mdev_commit_shadow(mdev, &shadow);

	bitmap_andnot(filtered, old.apm, shadow.apm, AP_DEVICES);
	bitmap_and(filtered, filtered, mdev->matrix.apm, AP_DEVICES);
	bitmap_and(filtered, filtered, vap.info.apm, AP_DEVICES);
	if (!bitmap_empty(filtered, AP_DEVICES))
		vap_mdev_reset_apqns(mdev, filtered, old.aqm);
}

/*
 * Keep only @apm x @aqm and @adm of the shadow (resources that left the
 * host config): hot unplug, no filtering, no reset.
 */
void vap_mdev_unplug(struct vap_mdev *mdev, const unsigned long *apm,
		     const unsigned long *aqm, const unsigned long *adm)
{
	struct vap_matrix shadow;

	vap_assert_update_locks(mdev);
	bitmap_and(shadow.apm, mdev->shadow.apm, apm, AP_DEVICES);
	bitmap_and(shadow.aqm, mdev->shadow.aqm, aqm, AP_DOMAINS);
	bitmap_and(shadow.adm, mdev->shadow.adm, adm, AP_DOMAINS);
	vap_mdev_commit_shadow(mdev, &shadow);
}

/* Reset the queues of @apm x @aqm that are linked to @mdev, and wait. */
void vap_mdev_reset_apqns(struct vap_mdev *mdev, const unsigned long *apm,
			  const unsigned long *aqm)
{
	struct vap_queue *batch[VAP_RESET_BATCH];
	unsigned long apid, apqi;
	unsigned int n = 0;

	lockdep_assert_held(&vap.mdevs_lock);
	for_each_set_bit(apid, apm, AP_DEVICES)
		for_each_set_bit(apqi, aqm, AP_DOMAINS) {
			struct vap_queue *q = vap.queues[VAP_APQN(apid, apqi)];

			if (!q || vap.owner[q->apqn] != mdev)
				continue;
			batch[n++] = q;
			if (n == VAP_RESET_BATCH) {
				vap_queues_reset(batch, n);
				n = 0;
			}
		}
	if (n)
		vap_queues_reset(batch, n);
}

void vap_mdev_reset_all(struct vap_mdev *mdev)
{
	vap_mdev_reset_apqns(mdev, mdev->matrix.apm, mdev->matrix.aqm);
}
