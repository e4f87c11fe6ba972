/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What changed between two kernel snapshots, as events: one per card,
 * queue, mdev, mask or bindings change. Both snapshots are sorted, so this
 * is a linear merge even for a z16-sized host.
 */
#pragma once

#include <json-c/json.h>

#include "kernel-state.h"

/* Calls emit(userdata, event) for each change (event consumed); emit NULL: only counts. Returns the number of changes. */
size_t kernel_state_diff(const KernelState *old, const KernelState *new,
                         void (*emit)(void *userdata, json_object *event), void *userdata);
/* The same for one mdev (old or new NULL: it was added or removed); emit NULL: only count the change. */
size_t kernel_state_diff_mdev(const MdevState *old, const MdevState *new,
                              void (*emit)(void *userdata, json_object *event), void *userdata);
