/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guests autostart leaves alone until the next boot: those it tried to
 * start, and those the admin stopped. Kept in the runtime directory (a
 * tmpfs emptied at boot), so a restart of apctld does not autostart them
 * again, while a new boot does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "desired-state.h"
#include "json-util.h"

#define AUTOSTART_DONE_FILE "autostart-done.json"
/* Only defined guests are listed. */
#define AUTOSTART_DONE_MAX DESIRED_STATE_GUESTS_MAX

typedef struct AutostartDone {
        char (*names)[GUEST_NAME_MAX + 1];      /* owned: n_names valid guest names, sorted, no duplicates */
        size_t n_names;
} AutostartDone;

void autostart_done_clear(AutostartDone *s);
bool autostart_done_contains(const AutostartDone *s, const char *name);
/* 1 when added, 0 when already listed; -ENOBUFS past AUTOSTART_DONE_MAX. */
int autostart_done_add(AutostartDone *s, const char *name);
/* 1 when removed, 0 when not listed. */
int autostart_done_remove(AutostartDone *s, const char *name);
/*
 * Read dir/AUTOSTART_DONE_FILE: -ENOENT when there is none; a file that
 * is not a list of at most AUTOSTART_DONE_MAX guest names gives -EBADMSG
 * and e says why. *ret is written only on success.
 */
int autostart_done_load(const char *dir, AutostartDone *ret, JsonError *e);
/* Replace dir/AUTOSTART_DONE_FILE atomically; an empty list removes it. */
int autostart_done_save(const char *dir, const AutostartDone *s);
