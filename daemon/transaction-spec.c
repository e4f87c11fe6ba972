/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building transaction specs from the current model: what to persist and what the kernel must become. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json-ap.h"
#include "transaction-spec.h"

int spec_init(Manager *m, const char *method, TransactionSpec *ret) {
        TransactionSpec s = {};
        int r = desired_state_copy(&m->desired, &s.next);

        if (r < 0)
                return r;
        snprintf(s.intent.method, sizeof(s.intent.method), "%s", method);
        *ret = s;
        return 0;
}

static bool config_equal(const ApConfig *a, const ApConfig *b) {
        return ap_mask_equal(&a->apm, &b->apm) && ap_mask_equal(&a->aqm, &b->aqm) && ap_mask_equal(&a->adm, &b->adm);
}

void spec_set_mdev(Manager *m, TransactionSpec *s, const GuestDef *g, bool exists, const ApConfig *config) {
        const MdevState *cur = kernel_state_find_mdev(&m->kernel, g->uuid);
        JournalEntry *j = &s->intent;

        j->kind = JOURNAL_MDEV;
        snprintf(j->guest, sizeof(j->guest), "%s", g->name);
        snprintf(j->uuid, sizeof(j->uuid), "%s", g->uuid);
        j->mdev_before = (MdevTarget) { .exists = cur != NULL, .config = cur ? cur->assigned : (ApConfig) {} };
        j->mdev_after = (MdevTarget) { .exists = exists, .config = exists ? *config : (ApConfig) {} };
        s->kernel = j->mdev_before.exists != j->mdev_after.exists ||
                    (exists && !config_equal(&j->mdev_before.config, &j->mdev_after.config));
}

void spec_set_host(Manager *m, TransactionSpec *s, const ApMask *apm, const ApMask *aqm) {
        JournalEntry *j = &s->intent;

        s->host_scope = true;
        j->kind = JOURNAL_HOST;
        j->host_before = (HostTarget) { .apmask = m->kernel.apmask, .aqmask = m->kernel.aqmask };
        j->host_after = (HostTarget) { .apmask = *apm, .aqmask = *aqm };
        s->kernel = !ap_mask_equal(apm, &m->kernel.apmask) || !ap_mask_equal(aqm, &m->kernel.aqmask);
}

void spec_set_guest_event(TransactionSpec *s, const char *type, const GuestDef *g) {
        s->event = (SpecEvent) {
                .kind = SPEC_EVENT_GUEST,
                .type = type,
                .time_usec = manager_event_time_now(),
                .config = g->config,
        };
        snprintf(s->event.guest, sizeof(s->event.guest), "%s", g->name);
        snprintf(s->event.uuid, sizeof(s->event.uuid), "%s", g->uuid);
}

void spec_set_host_event(TransactionSpec *s, const ApMask *apm, const ApMask *aqm) {
        s->event = (SpecEvent) {
                .kind = SPEC_EVENT_HOST,
                .type = "host-reservation-changed",
                .time_usec = manager_event_time_now(),
                .config = { .apm = *apm, .aqm = *aqm },
        };
}

json_object *spec_event_build(const void *spec_event) {
        const SpecEvent *se = spec_event;
        json_object *e = manager_event_new_at(se->type, se->time_usec);

        if (!e)
                return NULL;
        if (se->kind == SPEC_EVENT_GUEST &&
            (json_add_string(e, "guest", se->guest) < 0 || json_add_string(e, "uuid", se->uuid) < 0 ||
             json_add(e, "config", json_from_ap_config(&se->config)) < 0))
                e = (json_object_put(e), NULL);
        else if (se->kind == SPEC_EVENT_HOST &&
                 (json_add(e, "adapters", json_from_mask(&se->config.apm)) < 0 ||
                  json_add(e, "domains", json_from_mask(&se->config.aqm)) < 0))
                e = (json_object_put(e), NULL);
        return e;
}
