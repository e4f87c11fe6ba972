// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_ap_sim: the simulated guest, the stand-in for a KVM guest. It has
 * its own lock (the role of kvm->lock), the APCB masks hot plug writes, a
 * history of every configuration update it saw and counters of
 * config-change notifications, remove requests and adapter interrupts.
 * Guests are created and destroyed through the control interface; one is
 * attached to at most one mdev, through VFIO (open_device) or through the
 * control interface.
 *
 * Lock order (kernel/LOCKING.md): guests_lock -> guest->lock ->
 * pqap_hook_rwsem -> mdevs_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "vap.h"

/*
 * admin_lock serializes guest_create against guest_destroy, so that a
 * guest's control files exist exactly while it is listed. It is taken
 * outside the lock order, before guests_lock.
 */
static DEFINE_MUTEX(admin_lock);

void vap_guest_lock(struct vap_guest *guest)
{
	apsim_lockorder_acquire(APSIM_LOCK_KVM, "guest->lock");
	mutex_lock(&guest->lock);
}

void vap_guest_unlock(struct vap_guest *guest)
{
	mutex_unlock(&guest->lock);
	apsim_lockorder_release(APSIM_LOCK_KVM, "guest->lock");
}

const char *vap_guest_name(const struct vap_guest *guest)
{
	return guest->name;
}

/* The bus raises a simulated adapter interrupt: count it (no lock, no sleep). */
static void vap_guest_airq_raise(struct apsim_airq_target *target, ap_qid_t qid)
{
	struct vap_guest *guest = container_of(target, struct vap_guest, airq);

	atomic64_inc(&guest->interrupts);
}

/* Hot plug writes the guest's APCB: record the update and notify. */
void vap_guest_set_apcb(struct vap_guest *guest, const struct vap_matrix *m)
{
	struct vap_guest_update *u;

	lockdep_assert_held(&guest->lock);
	guest->apcb = *m;
	u = &guest->history[guest->nr_updates % VAP_GUEST_HISTORY];
	u->seq = guest->nr_updates++;
	u->apcb = *m;
	guest->cfg_notifications++;
}

void vap_guest_note_request(struct vap_guest *guest)
{
	lockdep_assert_held(&guest->lock);
	guest->requests++;
}

/* Caller holds guests_lock. */
struct vap_guest *vap_guest_find(const char *name)
{
	struct vap_guest *guest;

	lockdep_assert_held(&vap.guests_lock);
	list_for_each_entry(guest, &vap.guest_list, node)
		if (!strcmp(guest->name, name))
			return guest;
	return NULL;
}

/* The guest a process "runs" (as a process holds its KVM). guests_lock held. */
struct vap_guest *vap_guest_find_by_tgid(pid_t tgid)
{
	struct vap_guest *guest;

	lockdep_assert_held(&vap.guests_lock);
	list_for_each_entry(guest, &vap.guest_list, node)
		if (guest->tgid == tgid)
			return guest;
	return NULL;
}

static bool vap_guest_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > VAP_GUEST_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && name[i] != '-' && name[i] != '_')
			return false;
	return true;
}

static void vap_guest_free(struct vap_guest *guest)
{
	if (!guest)
		return;
	vfree(guest->history);
	kfree(guest);
}

/* Unlist a detached guest; the caller removes its files and frees it. */
static int vap_guest_unlist(struct vap_guest *guest)
{
	lockdep_assert_held(&vap.guests_lock);
	if (guest->mdev)
		return -EBUSY;
	list_del_init(&guest->node);
	guest->dead = true;
	vap.nr_guests--;
	return 0;
}

int vap_guest_create(const char *name, pid_t tgid)
{
	struct vap_guest *guest;
	int ret;

	if (!vap_guest_name_valid(name))
		return -EINVAL;
	guest = kzalloc(sizeof(*guest), GFP_KERNEL);
	if (!guest)
		return -ENOMEM;
	guest->history = vzalloc(array_size(VAP_GUEST_HISTORY,
					    sizeof(*guest->history)));
	if (!guest->history) {
		vap_guest_free(guest);
		return -ENOMEM;
	}
	strscpy(guest->name, name, sizeof(guest->name));
	guest->tgid = tgid;
	mutex_init(&guest->lock);
	guest->airq.raise = vap_guest_airq_raise;
	atomic64_set(&guest->interrupts, 0);

	mutex_lock(&admin_lock);
	vap_lock_guests();
	if (vap_guest_find(name)) {
		ret = -EEXIST;
	} else if (vap.nr_guests >= VAP_MAX_GUESTS) {
		ret = -ENOSPC;
	} else {
		list_add_tail(&guest->node, &vap.guest_list);
		vap.nr_guests++;
		ret = 0;
	}
	vap_unlock_guests();
	if (!ret) {
		/* The files take guests_lock themselves: created unlocked. */
		ret = vap_control_guest_add(guest);
		if (ret) {
			vap_lock_guests();
			vap_guest_unlist(guest);
			vap_unlock_guests();
		}
	}
	mutex_unlock(&admin_lock);
	if (ret)
		vap_guest_free(guest);
	return ret;
}

int vap_guest_destroy(const char *name)
{
	struct vap_guest *guest;
	int ret;

	mutex_lock(&admin_lock);
	vap_lock_guests();
	guest = vap_guest_find(name);
	ret = guest ? vap_guest_unlist(guest) : -ENOENT;
	vap_unlock_guests();
	if (!ret) {
		/* Waits for the guest's file operations in flight: no lock held. */
		debugfs_remove_recursive(guest->debugfs);
		vap_guest_free(guest);
	}
	mutex_unlock(&admin_lock);
	return ret;
}

/* Module exit: every mdev is gone, so no guest is attached. */
void vap_guests_destroy_all(void)
{
	struct vap_guest *guest, *tmp;
	LIST_HEAD(dead);

	vap_lock_guests();
	list_for_each_entry_safe(guest, tmp, &vap.guest_list, node)
		if (!vap_guest_unlist(guest))
			list_add_tail(&guest->node, &dead);
	vap_unlock_guests();
	list_for_each_entry_safe(guest, tmp, &dead, node) {
		debugfs_remove_recursive(guest->debugfs);
		vap_guest_free(guest);
	}
}

/*
 * Attach @guest to @mdev (the open_device / set_kvm role), guests_lock
 * held by the caller, who looked both up under it: -EPERM if the
 * guest already has an mdev (one mdev per guest), -EBUSY if the mdev has a
 * guest, -ENODEV if the mdev is being removed or the guest destroyed.
 */
int vap_guest_attach(struct vap_guest *guest, struct vap_mdev *mdev,
		     bool by_vfio)
{
	lockdep_assert_held(&vap.guests_lock);
	if (guest->dead || mdev->removing)
		return -ENODEV;
	if (guest->mdev)
		return -EPERM;
	if (mdev->guest)
		return -EBUSY;
	vap_guest_lock(guest);
	vap_pqap_hook_write_lock();
	guest->pqap_hook = mdev;
	vap_pqap_hook_write_unlock();
	vap_lock_mdevs();
	/* Re-filter first, so that the guest starts with one update. */
	vap_mdev_update_guest(mdev);
	guest->mdev = mdev;
	WRITE_ONCE(mdev->guest, guest);
	mdev->attached_by_vfio = by_vfio;
	vap_guest_set_apcb(guest, &mdev->shadow);
	vap_nl_guest_config(mdev, &mdev->shadow);
	vap_unlock_mdevs();
	vap_guest_unlock(guest);
	return 0;
}

/*
 * Detach (close_device / unset_kvm), guests_lock held by the caller:
 * clear the guest's masks, reset every
 * queue of the mdev, drop the association, wake a blocked remove.
 */
void vap_guest_detach(struct vap_guest *guest)
{
	static const struct vap_matrix none;
	struct vap_mdev *mdev;

	lockdep_assert_held(&vap.guests_lock);
	mdev = guest->mdev;
	if (!mdev)
		return;
	vap_guest_lock(guest);
	vap_pqap_hook_write_lock();
	guest->pqap_hook = NULL;
	vap_pqap_hook_write_unlock();
	vap_lock_mdevs();
	vap_guest_set_apcb(guest, &none);
	vap_nl_guest_config(mdev, &none);
	vap_mdev_reset_all(mdev);
	guest->mdev = NULL;
	/* read locklessly by a blocked remove's wait condition */
	WRITE_ONCE(mdev->guest, NULL);
	mdev->attached_by_vfio = false;
	vap_unlock_mdevs();
	vap_guest_unlock(guest);
	/*
	 * Wake a blocked remove while guests_lock is still held (by our
	 * caller): it re-checks under guests_lock, so mdev cannot be freed
	 * under our feet.
	 */
	wake_up_all(&mdev->detach_wq);
}
