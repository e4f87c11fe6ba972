/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers the handlers and reconcile use to describe a transaction before committing it. */
#pragma once

#include "transaction.h"

/* next = a copy of the current desired state; the intent names the method. */
int spec_init(Manager *m, const char *method, TransactionSpec *ret);
/* The guest's mdev must end up absent, or present with config; before is read from the model. */
void spec_set_mdev(Manager *m, TransactionSpec *s, const GuestDef *g, bool exists, const ApConfig *config);
/* apmask/aqmask must end up as given. */
void spec_set_host(Manager *m, TransactionSpec *s, const ApMask *apm, const ApMask *aqm);
/* The event on success: a guest event of type (static) about g, or the host reservation's. */
void spec_set_guest_event(TransactionSpec *s, const char *type, const GuestDef *g);
void spec_set_host_event(TransactionSpec *s, const ApMask *apm, const ApMask *aqm);
