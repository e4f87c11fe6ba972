// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: guest interrupts, the PQAP(AQIC) request a guest makes to
 * enable or disable adapter interrupts for one of its queues. Upstream KVM
 * intercepts it and calls vfio_ap through the pqap hook; here the
 * simulated guest asks through the control interface. The hook (which
 * mdev serves the guest) is read under pqap_hook_rwsem, and the handler
 * takes only mdevs_lock.
 *
 * Lock order (kernel/LOCKING.md): pqap_hook_rwsem -> mdevs_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "vap.h"

/* The response code for one AQIC, with mdevs_lock held. */
static int vap_pqap_aqic_locked(struct vap_guest *guest, struct vap_mdev *mdev,
				ap_qid_t apqn, bool enable, unsigned int isc)
{
	unsigned long apid = AP_QID_CARD(apqn), apqi = AP_QID_QUEUE(apqn);
	struct vap_queue *q = vap.queues[apqn];
	struct ap_qirq_ctrl ctrl = { .ir = enable, .isc = isc };
	struct ap_queue_status st;

	lockdep_assert_held(&vap.mdevs_lock);
	/* Only queues the guest has can be driven by it. */
	if (!q || vap.owner[apqn] != mdev || !test_bit(apid, mdev->shadow.apm) ||
	    !test_bit(apqi, mdev->shadow.aqm))
		return AP_RESPONSE_Q_NOT_AVAIL;
	/* A Secure Execution guest must have shared its NIB page first. */
	if (enable && guest->se_protected && !guest->nib_shared)
		return AP_RESPONSE_INVALID_ADDRESS;
	st = ap_aqic(apqn, ctrl, &guest->airq);
	if (st.response_code == AP_RESPONSE_NORMAL) {
		q->irq_enabled = enable;
		q->isc = isc;
	}
	return st.response_code;
}

/*
 * 0 when the request ran (*ret_rc holds the response code, -EIO returned
 * if it is not normal), -ENODEV when the guest has no mdev: upstream the
 * instruction would then go to user space, not to vfio_ap.
 */
int vap_pqap_aqic(struct vap_guest *guest, ap_qid_t apqn, bool enable,
		  unsigned int isc, int *ret_rc)
{
	struct vap_mdev *mdev;
	int rc;

	vap_pqap_hook_read_lock();
	mdev = guest->pqap_hook;
	if (!mdev) {
		vap_pqap_hook_read_unlock();
		return -ENODEV;
	}
	vap_lock_mdevs();
	rc = vap_pqap_aqic_locked(guest, mdev, apqn, enable, isc);
	guest->aqic_rc = rc;
	vap_unlock_mdevs();
	vap_pqap_hook_read_unlock();
	*ret_rc = rc;
	return rc == AP_RESPONSE_NORMAL ? 0 : -EIO;
}
