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

/* explicit: a Reconcile call; retries what earlier attempts gave up on. */
void reconcile_run(Manager *m, bool explicit);
void reconcile_done(Manager *m);
/*
 * Autostart leaves guest name alone for the rest of the run (until an
 * explicit Reconcile): it was tried, or the admin stopped it.
 */
void reconcile_autostart_skip(Manager *m, const char *name);
