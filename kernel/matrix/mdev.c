// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: the mdev object, whichever way it was created (mdev_vfio.c
 * through the kernel's mdev framework, mdev_novfio.c without it): adding it
 * to the driver's list, and removing it, which blocks while a guest holds
 * it and asks the guest side to let go, as upstream.
 *
 * Lock order (kernel/LOCKING.md): ap_perms_mutex -> guests_lock ->
 * guest->lock -> pqap_hook_rwsem -> mdevs_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sched/signal.h>

#include "vap.h"

/* How often a blocked remove repeats its request to the guest side. */
#define VAP_REQUEST_INTERVAL (HZ)

struct vap_guest *vap_lock_mdev_locked(struct vap_mdev *mdev)
{
	struct vap_guest *guest;

	lockdep_assert_held(&vap.guests_lock);
	/*
	 * mdev->guest is stable while guests_lock is held; only take the
	 * guest's lock when there is one (kernel-abi.md §7 item 11).
	 */
	guest = mdev->guest;
	if (guest)
		vap_guest_lock(guest);
	vap_lock_mdevs();
	return guest;
}

void vap_unlock_mdev_locked(struct vap_guest *guest)
{
	vap_unlock_mdevs();
	if (guest)
		vap_guest_unlock(guest);
}

struct vap_guest *vap_lock_for_mdev(struct vap_mdev *mdev)
{
	vap_lock_guests();
	return vap_lock_mdev_locked(mdev);
}

void vap_unlock_for_mdev(struct vap_guest *guest)
{
	vap_unlock_mdev_locked(guest);
	vap_unlock_guests();
}

void vap_mdev_init(struct vap_mdev *mdev, struct device *dev,
		   const guid_t *uuid)
{
	mdev->dev = dev;
	guid_copy(&mdev->uuid, uuid);
	snprintf(mdev->uuid_str, sizeof(mdev->uuid_str), "%pUl", uuid);
	INIT_LIST_HEAD(&mdev->node);
	init_waitqueue_head(&mdev->detach_wq);
}

int vap_mdev_add(struct vap_mdev *mdev)
{
	vap_lock_guests();
	vap_lock_mdevs();
	list_add_tail(&mdev->node, &vap.mdev_list);
	vap_unlock_mdevs();
	vap_unlock_guests();
	return 0;
}

/* Caller holds guests_lock. */
struct vap_mdev *vap_mdev_find(const guid_t *uuid)
{
	struct vap_mdev *mdev;

	lockdep_assert_held(&vap.guests_lock);
	list_for_each_entry(mdev, &vap.mdev_list, node)
		if (guid_equal(&mdev->uuid, uuid))
			return mdev;
	return NULL;
}

/*
 * Ask the guest side to release the mdev: take everything away from the
 * guest (upstream clears the guest's masks), count the request in the
 * guest, and signal the request eventfd if one is registered.
 */
void vap_mdev_signal_request(struct vap_mdev *mdev, unsigned int count)
{
	static const struct vap_matrix none;
	struct vap_guest *guest;

	guest = vap_lock_for_mdev(mdev);
	if (guest) {
		if (count == 0)
			vap_guest_set_apcb(guest, &none);
		vap_guest_note_request(guest);
		vap_mdev_signal_cfg_chg(mdev);
	}
	/*
	 * A VFIO user is asked through its request eventfd; a guest of the
	 * control interface counts requests (above). Otherwise nobody can
	 * be asked, as upstream says once.
	 */
	if (!vap_mdev_signal_req(mdev) && count == 0 &&
	    (!guest || mdev->attached_by_vfio))
		dev_notice(mdev->dev,
			   "No device request registered, blocked until released by user\n");
	vap_unlock_for_mdev(guest);
}

static bool vap_mdev_released(struct vap_mdev *mdev)
{
	bool released;

	vap_lock_guests();
	released = !mdev->guest;
	vap_unlock_guests();
	return released;
}

/*
 * Remove the mdev from the driver: block until no guest holds it (asking
 * the guest side every VAP_REQUEST_INTERVAL), then reset and unlink its
 * queues and give its APQNs back.
 */
void vap_mdev_del(struct vap_mdev *mdev)
{
	unsigned int count = 0;
	bool interrupted = false;

	vap_lock_guests();
	vap_lock_mdevs();
	mdev->removing = true;
	vap_unlock_mdevs();
	vap_unlock_guests();

	while (!vap_mdev_released(mdev)) {
		long left;

		vap_mdev_signal_request(mdev, count++);
		/*
		 * No lock in a wait condition (it runs in a sleeping task
		 * state): a lockless peek, confirmed under guests_lock by the
		 * loop.
		 */
		if (interrupted) {
			left = wait_event_timeout(mdev->detach_wq,
						  !READ_ONCE(mdev->guest),
						  VAP_REQUEST_INTERVAL);
			continue;
		}
		left = wait_event_interruptible_timeout(mdev->detach_wq,
							!READ_ONCE(mdev->guest),
							VAP_REQUEST_INTERVAL);
		if (left < 0) {
			/* As the vfio core: a signal cannot abort a removal. */
			interrupted = true;
			dev_warn(mdev->dev,
				 "remove interrupted, still waiting for the guest to release the device\n");
		}
	}

	vap_lock_guests();
	vap_lock_mdevs();
	vap_mdev_reset_all(mdev);
	vap_mdev_set_owner(mdev, mdev->matrix.apm, mdev->matrix.aqm, NULL);
	list_del_init(&mdev->node);
	vap_unlock_mdevs();
	vap_unlock_guests();
}
