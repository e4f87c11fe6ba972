// SPDX-License-Identifier: GPL-2.0
/*
 * apsim: the run-time checker of the one global lock order (debug builds,
 * APSIM_LOCKORDER). Every lock of the order has a level (enum
 * apsim_lock_level in ap_bus_api.h); each task's held locks are tracked
 * here, and taking a lock while the same task holds one of the same or a
 * higher level WARNs with both names. lockdep finds the same inversions
 * only when the kernel has it enabled and both orders actually ran; this
 * check fires on the first wrong acquisition on any kernel.
 *
 * Held locks live in a fixed table of task slots, so acquire/release never
 * allocate and work in any context that may take the lock itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "apsim.h"

#define LOCKORDER_TASKS 64      /* tasks holding order locks at one time */
#define LOCKORDER_DEPTH 8       /* locks of the order one task holds */

struct lockorder_held {
	enum apsim_lock_level level;
	const char *name;       /* borrowed: a string literal of the caller */
};

struct lockorder_task {
	const struct task_struct *task; /* borrowed: only compared, never dereferenced */
	unsigned int depth;
	struct lockorder_held held[LOCKORDER_DEPTH];
};

static DEFINE_RAW_SPINLOCK(lockorder_lock);     /* protects lockorder_tasks */
static struct lockorder_task lockorder_tasks[LOCKORDER_TASKS];
static bool lockorder_overflowed;       /* protected by lockorder_lock */

/* The slot of @task, or a free one if @create. Caller holds lockorder_lock. */
static struct lockorder_task *lockorder_slot(const struct task_struct *task,
					     bool create)
{
	struct lockorder_task *free = NULL;
	int i;

	lockdep_assert_held(&lockorder_lock);
	for (i = 0; i < LOCKORDER_TASKS; i++) {
		if (lockorder_tasks[i].task == task)
			return &lockorder_tasks[i];
		if (!free && !lockorder_tasks[i].task)
			free = &lockorder_tasks[i];
	}
	if (create && free) {
		free->task = task;
		free->depth = 0;
		return free;
	}
	return NULL;
}

void apsim_lockorder_acquire(enum apsim_lock_level level, const char *name)
{
	struct lockorder_held worst = { 0 };
	struct lockorder_task *t;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&lockorder_lock, flags);
	t = lockorder_slot(current, true);
	if (!t || t->depth == LOCKORDER_DEPTH) {
		/* untracked from now on: releases may no longer match */
		lockorder_overflowed = true;
		raw_spin_unlock_irqrestore(&lockorder_lock, flags);
		pr_warn_once("lock order checker out of slots; not tracking %s\n", name);
		return;
	}
	for (i = 0; i < t->depth; i++)
		if (t->held[i].level >= level && t->held[i].level > worst.level)
			worst = t->held[i];
	t->held[t->depth].level = level;
	t->held[t->depth].name = name;
	t->depth++;
	raw_spin_unlock_irqrestore(&lockorder_lock, flags);

	WARN(worst.name, "apsim: lock order violation: taking %s (level %d) while holding %s (level %d)\n",
	     name, level, worst.name, worst.level);
}
EXPORT_SYMBOL_GPL(apsim_lockorder_acquire);

void apsim_lockorder_release(enum apsim_lock_level level, const char *name)
{
	struct lockorder_task *t;
	unsigned long flags;
	int i;
	bool found = false, overflowed;

	raw_spin_lock_irqsave(&lockorder_lock, flags);
	overflowed = lockorder_overflowed;
	t = lockorder_slot(current, false);
	if (t) {
		for (i = t->depth - 1; i >= 0; i--) {
			if (t->held[i].level != level)
				continue;
			memmove(&t->held[i], &t->held[i + 1],
				(t->depth - i - 1) * sizeof(t->held[0]));
			t->depth--;
			found = true;
			break;
		}
		if (!t->depth)
			t->task = NULL;
	}
	raw_spin_unlock_irqrestore(&lockorder_lock, flags);

	WARN(!found && !overflowed, "apsim: lock order: releasing %s (level %d), which this task does not hold\n",
	     name, level);
}
EXPORT_SYMBOL_GPL(apsim_lockorder_release);
