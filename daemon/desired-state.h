/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The desired state apctld persists under the state directory: the host
 * reservation (apmask/aqmask apctld applies) and the guest definitions,
 * in one versioned JSON file written atomically (state.json).
 */
#pragma once

#include <stdint.h>

#include "guest.h"

#define DESIRED_STATE_FILE "state.json"
#define DESIRED_STATE_FORMAT_VERSION 1
#define DESIRED_STATE_GUESTS_MAX 1024
#define DESIRED_STATE_COMMITTED_MAX 64   /* = JOURNAL_ENTRIES_MAX */

typedef struct DesiredState {
        uint64_t generation;    /* bumped on every saved change of the desired state */
        bool host_known;        /* false until taken over from the kernel's masks */
        ApMask host_apm;        /* adapters reserved for the host (apmask) */
        ApMask host_aqm;        /* domains reserved for the host (aqmask) */
        GuestDef *guests;       /* owned, sorted by name */
        size_t n_guests;
        /*
         * Journal ids of transactions committed by this state (those that
         * change the desired state and the kernel) whose journal files may
         * still exist: a crash before their removal rolls them forward, not
         * back. Pruned once the files are gone.
         */
        uint64_t committed[DESIRED_STATE_COMMITTED_MAX];
        size_t n_committed;
} DesiredState;

void desired_state_done(DesiredState *s);
int desired_state_copy(const DesiredState *s, DesiredState *ret);
/* -ENOENT when no state was saved yet; -EBADMSG (with e) for a corrupt or unknown-version file. */
int desired_state_load(const char *dir, DesiredState *ret, JsonError *e);
int desired_state_save(const char *dir, const DesiredState *s);

GuestDef *desired_state_find_guest(const DesiredState *s, const char *name);
GuestDef *desired_state_find_guest_by_uuid(const DesiredState *s, const char *uuid);
/* Insert a copy, replacing a guest of the same name. */
int desired_state_put_guest(DesiredState *s, const GuestDef *g);
int desired_state_remove_guest(DesiredState *s, const char *name);
bool desired_state_is_committed(const DesiredState *s, uint64_t id);
/* -ENOSPC when the list is full. */
int desired_state_add_committed(DesiredState *s, uint64_t id);
void desired_state_drop_committed(DesiredState *s, uint64_t id);
