/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reconciliation: compare the desired state with the kernel, record drift
 * (reported in Status and as "drift" events), apply the host reservation,
 * and start autostart guests once the bus reports bindings complete
 * (forcing one scan if it does not). A running guest's configuration is
 * never changed here.
 */
#pragma once

#include "manager.h"

/* explicit: a Reconcile call; retries what earlier attempts gave up on (autostart included). */
void reconcile_run(Manager *m, bool explicit);
/* Teardown: the in-memory state only (the runtime directory keeps what autostart did this boot). */
void reconcile_done(Manager *m);
/*
 * Start-up, once the desired state is loaded: what autostart did earlier
 * this boot, from the runtime directory. A file that cannot be read is
 * logged and removed: autostart then starts what it would on a fresh boot.
 */
void reconcile_autostart_load(Manager *m);
/*
 * Autostart leaves guest name alone until the next boot (or an explicit
 * Reconcile): it was tried, or the admin stopped it.
 */
void reconcile_autostart_skip(Manager *m, const char *name);
/* Guest name was undefined: one defined again under that name is autostarted. */
void reconcile_autostart_forget(Manager *m, const char *name);
