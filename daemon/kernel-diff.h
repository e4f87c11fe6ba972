/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What changed between two kernel snapshots, as events: one per card,
 * queue, mdev, mask or bindings change. Both snapshots are sorted, so this
 * is a linear merge even for a z16-sized host.
 */
#pragma once

#include <json-c/json.h>

#include "kernel-state.h"

/* Takes each change's event (consumed). */
typedef void (*KernelDiffEmit)(void *userdata, json_object *event);

/*
 * Calls emit(userdata, event) for each change; emit NULL: builds no event
 * and only counts. Returns the number of changes.
 */
size_t kernel_state_diff(const KernelState *old, const KernelState *new, KernelDiffEmit emit, void *userdata);
/* The same for one mdev (old or new NULL: it was added or removed). */
size_t kernel_state_diff_mdev(const MdevState *old, const MdevState *new, KernelDiffEmit emit, void *userdata);
