/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Drift detection, host reservation and autostart. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json-ap.h"
#include "log.h"
#include "reconcile.h"
#include "server.h"
#include "transaction-spec.h"
#include "validate.h"

void reconcile_done(Manager *m) {
        autostart_done_clear(&m->autostart_done);
        m->host_failed_generation = UINT64_MAX;
}

static void autostart_done_write(Manager *m) {
        int r = autostart_done_save(m->config.runtime_dir, &m->autostart_done);

        /* Only a restart of apctld would notice: it would autostart these guests again. */
        if (r < 0)
                log_error_errno(r, "Failed to write %s/%s: a restart of apctld would autostart again the guests "
                                "it started or the admin stopped this boot", m->config.runtime_dir,
                                AUTOSTART_DONE_FILE);
}

void reconcile_autostart_load(Manager *m) {
        AutostartDone loaded = {};
        JsonError e = {};
        size_t n_dropped = 0;
        int r;

        r = autostart_done_load(m->config.runtime_dir, &loaded, &e);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                /* Never a reason not to start: at worst autostart does what it does after a boot. */
                if (e.message[0])
                        log_warning("Ignoring and removing %s/%s (%s%s%s): autostart starts its guests as after "
                                    "a boot", m->config.runtime_dir, AUTOSTART_DONE_FILE, e.field,
                                    e.field[0] ? ": " : "", e.message);
                else
                        log_full(LOG_WARNING, r, NULL, NULL, NULL, NULL, "Ignoring and removing %s/%s (autostart "
                                 "starts its guests as after a boot)", m->config.runtime_dir, AUTOSTART_DONE_FILE);
                autostart_done_write(m);
                return;
        }
        autostart_done_clear(&m->autostart_done);
        m->autostart_done = loaded;
        /* Undefined while it was listed (apctld died between the two): not the same guest any more. */
        for (size_t i = m->autostart_done.n_names; i > 0; i--)
                if (!desired_state_find_guest(&m->desired, m->autostart_done.names[i - 1]))
                        n_dropped += autostart_done_remove(&m->autostart_done, m->autostart_done.names[i - 1]);
        if (n_dropped > 0)
                autostart_done_write(m);
}

/* Explicit Reconcile: autostart tries everything again, now and after a restart (the file goes too). */
static void forget_attempts(Manager *m) {
        reconcile_done(m);
        autostart_done_write(m);
}

static int drift_add(json_object *list, const char *kind, const char *guest, const char *message, json_object *detail) {
        _cleanup_json_ json_object *d = NULL;

        /* Bounded: Status and events stay small even on a host in a mess; the first DRIFT_MAX tell the story. */
        if (json_object_array_length(list) >= DRIFT_MAX) {
                json_object_put(detail);
                return 0;
        }
        d = json_object_new_object();

        if (!d || json_add_string(d, "kind", kind) < 0 || (guest && json_add_string(d, "guest", guest) < 0) ||
            json_add_string(d, "message", message) < 0) {
                json_object_put(detail);
                return -ENOMEM;
        }
        if (detail && json_add(d, "detail", detail) < 0)
                return -ENOMEM;
        return json_append(list, TAKE_PTR(d));
}

static void guest_drift(Manager *m, const GuestDef *g, json_object *list) {
        const MdevState *md = kernel_state_find_mdev(&m->kernel, g->uuid);
        ApMask missing = {}, filtered;
        char msg[256];

        AP_MASK_FOREACH(a, &g->config.apm) {
                if (!kernel_state_find_card(&m->kernel, a)) {
                        ap_mask_set(&missing, a);
                        continue;
                }
                AP_MASK_FOREACH(d, &g->config.aqm)
                        if (!kernel_state_find_queue(&m->kernel, a, d)) {
                                ap_mask_set(&missing, a);
                                break;
                        }
        }
        if (!g->overprovision && !ap_mask_is_empty(&missing)) {
                snprintf(msg, sizeof(msg), "adapters of guest '%s' have vanished from the host", g->name);
                (void) drift_add(list, "apqn-missing", g->name, msg, json_from_mask(&missing));
        }
        if (!md)
                return;
        if (md->assigned_partial) {
                snprintf(msg, sizeof(msg), "mdev %s of guest '%s' has more APQNs than one sysfs page shows (kernel "
                         "without ap_config): its configuration cannot be checked", md->uuid, g->name);
                (void) drift_add(list, "mdev-partial", g->name, msg, NULL);
        } else if (!ap_mask_equal(&md->assigned.apm, &g->config.apm) || !ap_mask_equal(&md->assigned.aqm, &g->config.aqm) ||
            !ap_mask_equal(&md->assigned.adm, &g->config.adm)) {
                snprintf(msg, sizeof(msg), "mdev %s of guest '%s' was changed behind apctl's back", md->uuid, g->name);
                (void) drift_add(list, "mdev-changed", g->name, msg, json_from_ap_config(&md->assigned));
        }
        ap_mask_andnot(&filtered, &md->assigned.apm, &md->guest_apm);
        /* A cut-short guest_matrix proves nothing about the adapters it did not show. */
        if (!ap_mask_is_empty(&filtered) && !md->guest_matrix_partial) {
                snprintf(msg, sizeof(msg), "adapters assigned to guest '%s' are not in its guest matrix "
                         "(removed from the host configuration or not bound to vfio_ap)", g->name);
                (void) drift_add(list, "adapter-filtered", g->name, msg, json_from_mask(&filtered));
        }
}

static json_object *compute_drift(Manager *m) {
        json_object *list = json_object_new_array();
        char msg[256];

        if (!list)
                return NULL;
        for (size_t i = 0; i < m->desired.n_guests; i++)
                guest_drift(m, &m->desired.guests[i], list);
        if (!m->kernel.bus_present)
                (void) drift_add(list, "no-ap-bus", NULL, "the AP bus is not loaded (no /sys/bus/ap)", NULL);
        else if (m->desired.host_known && (!ap_mask_equal(&m->kernel.apmask, &m->desired.host_apm) ||
                                           !ap_mask_equal(&m->kernel.aqmask, &m->desired.host_aqm)))
                (void) drift_add(list, "host-masks", NULL, "apmask/aqmask differ from the host reservation", NULL);
        for (size_t i = 0; i < m->kernel.n_mdevs; i++)
                if (!desired_state_find_guest_by_uuid(&m->desired, m->kernel.mdevs[i].uuid)) {
                        snprintf(msg, sizeof(msg), "mdev %s is not managed by apctl", m->kernel.mdevs[i].uuid);
                        (void) drift_add(list, "unmanaged-mdev", NULL, msg, NULL);
                }
        return list;
}

static bool drift_contains(json_object *list, json_object *item) {
        for (size_t i = 0; i < json_object_array_length(list); i++)
                if (json_object_equal(json_object_array_get_idx(list, i), item))
                        return true;
        return false;
}

static void update_drift(Manager *m) {
        json_object *fresh = compute_drift(m);

        if (!fresh)
                return;
        for (size_t i = 0; i < json_object_array_length(fresh); i++) {
                json_object *d = json_object_array_get_idx(fresh, i);
                json_object *guest = json_object_object_get(d, "guest");
                json_object *ev;

                if (drift_contains(m->drift, d))
                        continue;
                log_full(LOG_WARNING, 0, APCTLD_MESSAGE_DRIFT, guest ? json_object_get_string(guest) : NULL, NULL, NULL,
                         "Drift: %s", json_object_get_string(json_object_object_get(d, "message")));
                ev = manager_event_new("drift");
                if (ev && json_add(ev, "drift", json_object_get(d)) < 0)
                        ev = NULL;
                manager_emit(m, ev);
        }
        json_object_put(m->drift);
        m->drift = fresh;
}

static int start_internal(Manager *m, const char *method, TransactionSpec *spec) {
        Call *c;
        int r = call_new_internal(method, NULL, &c);

        if (r < 0) {
                transaction_spec_done(spec);
                return r;
        }
        return transaction_commit(m, c, spec);
}

static bool try_host(Manager *m) {
        TransactionSpec spec;
        ValidationError ve = {};

        if (!m->kernel.bus_present)
                return false;
        if (!m->desired.host_known) {
                /* The bus appeared after apctld started on a fresh state: take its masks over as they are. */
                if (spec_init(m, "reconcile: take over host masks", &spec) < 0)
                        return false;
                spec.host_scope = true;
                spec.next.host_known = true;
                spec.next.host_apm = m->kernel.apmask;
                spec.next.host_aqm = m->kernel.aqmask;
                return start_internal(m, "io.apctl.Reconcile", &spec) >= 0;
        }

        if (ap_mask_equal(&m->kernel.apmask, &m->desired.host_apm) &&
            ap_mask_equal(&m->kernel.aqmask, &m->desired.host_aqm))
                return false;
        if (m->host_failed_generation == m->desired.generation)
                return false;
        m->host_failed_generation = m->desired.generation;
        if (validate_host(&m->kernel, &m->desired, &m->desired.host_apm, &m->desired.host_aqm, &ve) < 0) {
                log_warning("Not applying the host reservation: %s", ve.message);
                return false;
        }
        if (spec_init(m, "reconcile: host reservation", &spec) < 0)
                return false;
        spec_set_host(m, &spec, &m->desired.host_apm, &m->desired.host_aqm);
        return start_internal(m, "io.apctl.Reconcile", &spec) >= 0;
}

void reconcile_autostart_skip(Manager *m, const char *name) {
        int r = autostart_done_add(&m->autostart_done, name);

        if (r < 0)
                log_full(LOG_ERR, r, NULL, name, NULL, NULL,
                         "Failed to note that autostart leaves guest '%s' alone; it may start it again", name);
        else if (r > 0)
                autostart_done_write(m);
}

void reconcile_autostart_forget(Manager *m, const char *name) {
        if (autostart_done_remove(&m->autostart_done, name) > 0)
                autostart_done_write(m);
}

static bool try_autostart(Manager *m) {
        bool waiting = false;

        for (size_t i = 0; i < m->desired.n_guests; i++) {
                const GuestDef *g = &m->desired.guests[i];
                TransactionSpec spec;
                ValidationError ve = {};
                char method[96];

                if (!g->autostart || manager_guest_running(m, g))
                        continue;
                /*
                 * Once per boot: a guest tried already, or stopped on purpose (reconcile_autostart_skip()),
                 * is not started again behind the admin's back, also not after a restart of apctld.
                 */
                if (autostart_done_contains(&m->autostart_done, g->name))
                        continue;
                /* Not tried yet, only deferred: vfio_ap or its bindings may still come. */
                if (!m->kernel.matrix_present)
                        continue;
                if (!m->kernel.bindings_complete) {
                        waiting = true;
                        continue;
                }
                reconcile_autostart_skip(m, g->name);
                if (validate_guest(&m->kernel, &m->desired, g, &m->policy, &(PeerCredentials) {}, &ve) < 0) {
                        log_full(LOG_WARNING, 0, NULL, g->name, NULL, g->uuid, "Not autostarting guest '%s': %s",
                                 g->name, ve.message);
                        continue;
                }
                snprintf(method, sizeof(method), "autostart %s", g->name);
                if (spec_init(m, method, &spec) < 0)
                        return false;
                spec_set_mdev(m, &spec, g, true, &g->config);
                /* Subscribers learn of an autostart as of any other start. */
                spec_set_guest_event(&spec, "guest-started", g);
                return start_internal(m, "io.apctl.Guest.Start", &spec) >= 0;
        }
        if (waiting && !m->rescan_requested) {
                /* Bindings are only re-evaluated at the end of a scan: force one (kernel-abi.md §2). */
                WorkerJob *job = calloc(1, sizeof(WorkerJob));
                if (job) {
                        job->kind = WORKER_JOB_RESCAN;
                        job->backend = m->backend;
                        job->writes_reported_at_start = m->kernel_writes_reported;
                        if (worker_start(m->workers, job, m->worker_pipe[1]) >= 0) {
                                m->rescan_requested = true;
                                m->worker_jobs_running++;
                        } else
                                free(job);
                }
        }
        return false;
}

void reconcile_run(Manager *m, bool explicit) {
        if (explicit) {
                forget_attempts(m);
                m->rescan_requested = false;
        }
        /* Mid-transaction the kernel is half-way by design; the commit reconciles again. */
        if (m->txn)
                return;
        update_drift(m);
        manager_update_status(m);
        if (m->abandoned || m->recovery_failed || m->worker_pipe[1] < 0)
                return;
        /*
         * One transaction at a time; each commit schedules another reconcile.
         * The masks first: a failed host write keeps its generation mark, so this never loops.
         */
        if (try_host(m))
                return;
        (void) try_autostart(m);
}
