/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager: start-up, kernel resync, event fan-out, APQN ownership, status. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "json-util.h"
#include "kernel-diff.h"
#include "log.h"
#include "manager.h"
#include "reconcile.h"
#include "server.h"
#include "transaction.h"
#include "netlink-watch.h"
#include "udev-watch.h"
#include "varlink-protocol.h"
#include "worker.h"

void manager_config_init(ManagerConfig *c) {
        *c = (ManagerConfig) {
                .admin_uid = (uid_t) -1,
                .kernel_timeout_usec = 30ULL * 1000 * 1000,
                .idle_timeout_usec = 60ULL * 1000 * 1000,
                .max_clients = 256,
                .max_subscriptions = 16,
                .max_queued_calls = 64,
                .max_output_bytes = 4u << 20,
                .use_udev = true,
        };
}

void manager_config_done(ManagerConfig *c) {
        free(c->state_dir);
        free(c->runtime_dir);
        free(c->socket_path);
        c->state_dir = c->runtime_dir = c->socket_path = NULL;
}

int manager_new(sd_event *event, KernelBackend *backend, ManagerConfig *config, Manager **ret) {
        Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m) {
                kernel_backend_free(backend);
                manager_config_done(config);
                return -ENOMEM;
        }
        m->event = sd_event_ref(event);
        m->backend = backend;
        m->config = *config;
        *config = (ManagerConfig) {};
        m->worker_pipe[0] = m->worker_pipe[1] = -EBADF;
        m->host_failed_generation = UINT64_MAX;
        m->drift = json_object_new_array();
        r = worker_pool_new(&m->workers);
        if (r >= 0)
                r = server_new(m, &m->server);
        if (r < 0 || !m->drift || !m->config.state_dir || !m->config.runtime_dir) {
                manager_free(m);
                return r < 0 ? r : -ENOMEM;
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        transaction_abort_all(m);
        reconcile_done(m);
        while (m->n_load_waiters > 0)
                call_free(m->load_waiters[--m->n_load_waiters]);
        free(m->load_waiters);
        sd_event_source_disable_unref(m->load_timeout);
        m->server = server_free(m->server);
        m->udev = udev_watch_free(m->udev);
        m->netlink = netlink_watch_free(m->netlink);
        sd_event_source_disable_unref(m->worker_source);
        sd_event_source_disable_unref(m->resync_source);
        sd_event_source_disable_unref(m->reconcile_source);
        /* With a job still stuck in the kernel its thread keeps the write end; it then writes to nobody. */
        safe_close(m->worker_pipe[0]);
        if (m->worker_jobs_running == 0)
                safe_close(m->worker_pipe[1]);
        m->workers = worker_pool_free(m->workers);
        /* Closed, not cleared: entries of transactions that did not finish are for the next start. */
        m->journal = journal_close(m->journal);
        kernel_state_done(&m->kernel);
        desired_state_done(&m->desired);
        json_object_put(m->drift);
        kernel_backend_free(m->backend);
        manager_config_done(&m->config);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

uint64_t manager_event_time_now(void) {
        uint64_t now = 0;

        (void) sd_event_now(NULL, CLOCK_REALTIME, &now);
        if (!now) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                now = (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        }
        return now;
}

json_object *manager_event_new_at(const char *type, uint64_t time_usec) {
        json_object *e = json_object_new_object();

        if (e && (json_add_string(e, "type", type) < 0 || json_add_int(e, "time_usec", (int64_t) time_usec) < 0)) {
                json_object_put(e);
                return NULL;
        }
        return e;
}

json_object *manager_event_new(const char *type) {
        return manager_event_new_at(type, manager_event_time_now());
}

bool manager_has_subscribers(const Manager *m) {
        return server_n_subscriptions(m->server) > 0;
}

void manager_count_unsent_event(Manager *m) {
        /* Counted all the same: Status's events_sent does not depend on who listens. */
        m->events_sent++;
}

void manager_emit(Manager *m, json_object *event) {
        _cleanup_json_ json_object *params = NULL;

        if (!event)
                return;
        if (!manager_has_subscribers(m)) {
                manager_count_unsent_event(m);
                json_object_put(event);
                return;
        }
        params = json_object_new_object();
        if (!params || json_add(params, "event", event) < 0)
                return;
        m->events_sent++;
        server_broadcast(m->server, params);
}

void manager_emit_built(Manager *m, json_object *(*build)(const void *data), const void *data) {
        if (manager_has_subscribers(m))
                manager_emit(m, build(data));
        else
                manager_count_unsent_event(m);
}

static void diff_emit(void *userdata, json_object *event) {
        manager_emit(userdata, event);
}

/*
 * Where diff events go (kernel-diff.h): to the subscribers, or, with none,
 * nowhere: the changes are then counted in events_sent, their events not
 * built (per reconcile, resync, guest start and stop).
 */
static KernelDiffEmit diff_sink(const Manager *m) {
        return manager_has_subscribers(m) ? diff_emit : NULL;
}

static size_t diff_told(Manager *m, KernelDiffEmit sink, size_t changes) {
        if (!sink)
                m->events_sent += changes;
        return changes;
}

void manager_apply_snapshot(Manager *m, KernelState *fresh) {
        KernelDiffEmit sink = diff_sink(m);
        size_t changes = diff_told(m, sink, kernel_state_diff(&m->kernel, fresh, sink, m));

        kernel_state_done(&m->kernel);
        m->kernel = *fresh;
        *fresh = (KernelState) {};
        m->resyncs++;
        if (changes > 0)
                manager_schedule_reconcile(m);
        manager_update_status(m);
}

static int uuid_ptr_cmp(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

int manager_apply_mdevs(Manager *m, const char (*uuids)[UUID_STRING_LEN + 1], size_t n_uuids,
                        const KernelState *part) {
        const char *sorted[WORKER_REREAD_MDEVS_MAX];
        KernelDiffEmit sink;
        size_t changes = 0;

        if (n_uuids > ELEMENTSOF(sorted))
                return -E2BIG;
        /* In the order a whole diff would name them. */
        for (size_t i = 0; i < n_uuids; i++)
                sorted[i] = uuids[i];
        qsort(sorted, n_uuids, sizeof(sorted[0]), uuid_ptr_cmp);
        for (size_t i = 0; i < n_uuids; i++) {
                const MdevState *old = kernel_state_find_mdev(&m->kernel, sorted[i]);
                const MdevState *fresh = kernel_state_find_mdev(part, sorted[i]);
                MdevState prev;
                int r;

                if (old)
                        prev = *old;
                r = kernel_state_put_mdev(&m->kernel, sorted[i], fresh);
                if (r < 0)
                        return r;
                sink = diff_sink(m);
                changes += diff_told(m, sink, kernel_state_diff_mdev(old ? &prev : NULL, fresh, sink, m));
        }
        m->resyncs++;
        if (changes > 0)
                manager_schedule_reconcile(m);
        manager_update_status(m);
        return 0;
}

int manager_resync(Manager *m) {
        KernelState fresh;
        int r;

        r = m->backend->ops->load(m->backend, &fresh);
        if (r < 0)
                return log_error_errno(r, "Failed to read the kernel's AP state");
        manager_apply_snapshot(m, &fresh);
        return 0;
}

static void answer_load_waiters(Manager *m, int result);

static void fail_load_waiters(Manager *m, const char *error, int err, const char *message) {
        while (m->n_load_waiters > 0)
                call_error(m->load_waiters[--m->n_load_waiters], error, err, "%s", message);
}

/*
 * A read of the kernel can hang as a write can (sysfs reads take the locks
 * a stuck queue reset holds): after the same timeout, the Reconcile calls
 * waiting for it are told, as a write's caller is, instead of waiting with
 * no answer; later ones are refused until the kernel answers.
 */
static int load_timeout_handler(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        m->load_timed_out = true;
        log_warning("A kernel read of the AP state has not returned after %llu ms; Reconcile is refused until it "
                    "does", (unsigned long long) (m->config.kernel_timeout_usec / 1000));
        fail_load_waiters(m, APCTL_ERROR_KERNEL_TIMEOUT, ETIMEDOUT,
                          "a kernel read of the AP state did not return in time; reconciling stays blocked until "
                          "the kernel answers");
        return 0;
}

/* Called when a load is handed to a thread. */
static void load_arm_timeout(Manager *m) {
        int r;

        m->load_timeout = sd_event_source_disable_unref(m->load_timeout);
        if (m->config.kernel_timeout_usec == 0)
                return;
        r = sd_event_add_time_relative(m->event, &m->load_timeout, CLOCK_MONOTONIC, m->config.kernel_timeout_usec, 0,
                                       load_timeout_handler, m);
        if (r < 0)
                log_error_errno(r, "Failed to arm the kernel read timeout");
}

static void start_load(Manager *m) {
        WorkerJob *job;
        int r;

        if (m->load_running) {
                m->load_again = true;
                return;
        }
        job = calloc(1, sizeof(WorkerJob));
        if (!job) {
                log_error_errno(ENOMEM, "Cannot schedule a kernel re-read");
                answer_load_waiters(m, -ENOMEM);
                return;
        }
        job->kind = WORKER_JOB_LOAD;
        job->backend = m->backend;
        r = worker_start(m->workers, job, m->worker_pipe[1]);
        if (r < 0) {
                log_error_errno(r, "Cannot start a kernel re-read");
                free(job);
                /* No load is out to answer the Reconcile calls waiting for one. */
                answer_load_waiters(m, r);
                return;
        }
        m->load_running = true;
        m->load_again = false;
        m->n_load_written_mdevs = 0;
        m->load_stale = false;
        m->worker_jobs_running++;
        load_arm_timeout(m);
}

/* Only the mdevs uevents named; one partial load at a time, the list waits for the next. */
static void start_mdev_reread(Manager *m) {
        WorkerJob *job;
        int r;

        if (m->load_running)
                return;         /* manager_worker_job_done() schedules us again */
        job = calloc(1, sizeof(WorkerJob));
        if (!job) {
                log_error_errno(ENOMEM, "Cannot schedule a kernel re-read");
                return;
        }
        job->kind = WORKER_JOB_LOAD;
        job->backend = m->backend;
        job->snapshot_partial = true;
        memcpy(job->reread_mdevs, m->reread_mdevs, sizeof(job->reread_mdevs));
        job->n_reread_mdevs = m->n_reread_mdevs;
        r = worker_start(m->workers, job, m->worker_pipe[1]);
        if (r < 0) {
                log_error_errno(r, "Cannot start a kernel re-read");
                free(job);
                return;
        }
        m->n_reread_mdevs = 0;
        m->load_running = true;
        m->load_again = false;
        m->n_load_written_mdevs = 0;
        m->load_stale = false;
        m->worker_jobs_running++;
        load_arm_timeout(m);
}

static int resync_handler(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        if (m->resync_full) {
                /* A full read covers the named mdevs too. */
                m->resync_full = false;
                m->n_reread_mdevs = 0;
                start_load(m);
        } else if (m->n_reread_mdevs > 0)
                start_mdev_reread(m);
        return 0;
}

void manager_schedule_resync(Manager *m) {
        m->resync_full = true;
        if (m->resync_source)
                (void) sd_event_source_set_enabled(m->resync_source, SD_EVENT_ONESHOT);
}

void manager_schedule_mdev_reread(Manager *m, const char *uuid) {
        bool listed = false;

        for (size_t i = 0; i < m->n_reread_mdevs && !listed; i++)
                listed = streq(m->reread_mdevs[i], uuid);
        if (listed)
                return;
        if (m->n_reread_mdevs >= WORKER_REREAD_MDEVS_MAX || strlen(uuid) > UUID_STRING_LEN) {
                manager_schedule_resync(m);
                return;
        }
        snprintf(m->reread_mdevs[m->n_reread_mdevs++], UUID_STRING_LEN + 1, "%s", uuid);
        if (m->resync_source)
                (void) sd_event_source_set_enabled(m->resync_source, SD_EVENT_ONESHOT);
}

/* A partial re-read put into the model; a full resync if it failed or cannot be put. */
static void apply_mdev_reread(Manager *m, WorkerJob *job) {
        if (job->snapshot_result < 0 ||
            manager_apply_mdevs(m, (const char (*)[UUID_STRING_LEN + 1]) job->reread_mdevs, job->n_reread_mdevs,
                                &job->snapshot) < 0)
                manager_schedule_resync(m);
}

int manager_queue_call(Manager *m, Call ***queue, size_t *n, Call *c, const char *what) {
        Call **p;

        if (*n >= m->config.max_queued_calls) {
                call_error(c, APCTL_ERROR_LIMIT, ENOBUFS, "too many %s waiting (%zu); try again later", what, *n);
                return -ENOBUFS;
        }
        p = realloc(*queue, (*n + 1) * sizeof(Call *));
        if (!p) {
                call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
                return -ENOMEM;
        }
        *queue = p;
        (*queue)[(*n)++] = c;
        return 0;
}

void manager_resync_then_reconcile(Manager *m, Call *c) {
        /* It would wait behind the hung read (start_load() queues the next one after it), with no answer. */
        if (m->load_timed_out) {
                call_error(c, APCTL_ERROR_BUSY, EBUSY, "a kernel read of the AP state has not returned; reconciling "
                           "stays blocked until the kernel answers");
                return;
        }
        if (manager_queue_call(m, &m->load_waiters, &m->n_load_waiters, c, "Reconcile calls") < 0)
                return;
        /* A load already out may predate the caller's call: start_load() then asks for another. */
        start_load(m);
}

static void answer_load_waiters(Manager *m, int result) {
        while (m->n_load_waiters > 0) {
                Call *c = m->load_waiters[--m->n_load_waiters];
                json_object *p;

                if (result < 0) {
                        call_error(c, APCTL_ERROR_KERNEL, -result, "cannot read the kernel state: %s",
                                   strerror(-result));
                        continue;
                }
                reconcile_run(m, true);
                p = json_object_new_object();
                if (!p || json_add(p, "drift", json_object_get(m->drift)) < 0 ||
                    json_add_bool(p, "transaction_started", m->txn != NULL) < 0) {
                        json_object_put(p);
                        call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
                        continue;
                }
                call_reply(c, p);
        }
}

/*
 * A read runs on a worker thread; a kernel write job may report back while
 * it is out, and the read may then hold the kernel as it was before that
 * write. Applied as it is, it would undo the write's effect in the model (a
 * guest just started shown stopped, with mdev-removed events and drift)
 * until the next re-read. A write still running when the read returns
 * reports later and merges what it touched then, so only writes that
 * reported in between count, and only if they changed something.
 */
void manager_kernel_job_reported(Manager *m, const WorkerJob *job) {
        if (job->steps == 0 && !job->rolled_back && !job->abandoned)
                return;         /* nothing written: a gate aborted, or the first write refused */
        m->kernel_writes_reported++;
        if (!m->load_running)
                return;
        /* A successful mdev job changed its mdev only (worker_job_touched()), and read it afterwards. */
        if (job->kind != WORKER_JOB_MDEV || job->result < 0 || job->abandoned ||
            m->n_load_written_mdevs >= WORKER_REREAD_MDEVS_MAX) {
                m->load_stale = true;
                return;
        }
        for (size_t i = 0; i < m->n_load_written_mdevs; i++)
                if (streq(m->load_written_mdevs[i], job->uuid))
                        return;
        snprintf(m->load_written_mdevs[m->n_load_written_mdevs++], UUID_STRING_LEN + 1, "%s", job->uuid);
}

static bool stale_rescan(const Manager *m, const WorkerJob *job) {
        return job->writes_reported_at_start != m->kernel_writes_reported;
}

/* Whether a partial re-read named an mdev written while it was out (its entry would be older than the model's). */
static bool reread_overlaps_writes(const Manager *m, const WorkerJob *job) {
        for (size_t i = 0; i < job->n_reread_mdevs; i++)
                for (size_t k = 0; k < m->n_load_written_mdevs; k++)
                        if (streq(job->reread_mdevs[i], m->load_written_mdevs[k]))
                                return true;
        return false;
}

/*
 * A full load that successful mdev writes overlapped: the load, with those
 * mdevs as the model has them (their jobs read them after writing). Reading
 * it all again instead would never end under a steady stream of starts and
 * stops, a z16's load taking far longer than a start.
 */
static int apply_load_with_written(Manager *m, KernelState *load) {
        KernelState part = {}, merged;
        ApMask none;
        int r = 0;

        ap_mask_clear_all(&none);
        for (size_t i = 0; i < m->n_load_written_mdevs && r >= 0; i++) {
                const MdevState *md = kernel_state_find_mdev(&m->kernel, m->load_written_mdevs[i]);
                if (md)
                        r = kernel_state_add_mdev(&part, md);
        }
        if (r >= 0)
                r = kernel_state_merge(load, (const char (*)[UUID_STRING_LEN + 1]) m->load_written_mdevs,
                                       m->n_load_written_mdevs, &none, &none, &part, &merged);
        kernel_state_done(&part);
        if (r < 0)
                return r;
        manager_apply_snapshot(m, &merged);
        return 0;
}

void manager_worker_job_done(Manager *m, WorkerJob *job) {
        if (job->kind == WORKER_JOB_RESCAN) {
                if (job->snapshot_result >= 0 && !stale_rescan(m, job))
                        manager_apply_snapshot(m, &job->snapshot);
                else
                        manager_schedule_resync(m);
                worker_job_free(job);
                return;
        }
        m->load_running = false;
        m->load_timeout = sd_event_source_disable_unref(m->load_timeout);
        if (m->load_timed_out)
                log_full(LOG_NOTICE, 0, NULL, NULL, NULL, NULL, "The hung kernel read of the AP state returned");
        m->load_timed_out = false;
        if (m->load_stale || (job->snapshot_partial && reread_overlaps_writes(m, job))) {
                log_debug("A kernel re-read overlapped a kernel write; reading again");
                if (job->snapshot_partial)
                        for (size_t i = 0; i < job->n_reread_mdevs; i++)
                                manager_schedule_mdev_reread(m, job->reread_mdevs[i]);
                else
                        m->load_again = true;
        } else if (job->snapshot_partial)
                apply_mdev_reread(m, job);
        else if (job->snapshot_result >= 0 && m->n_load_written_mdevs > 0) {
                if (apply_load_with_written(m, &job->snapshot) < 0)
                        m->load_again = true;
        } else if (job->snapshot_result >= 0)
                manager_apply_snapshot(m, &job->snapshot);
        else
                log_error_errno(job->snapshot_result, "Failed to read the kernel's AP state");
        /* Waiters of a load that started before their call need the next one (never a partial one). */
        if (m->load_again)
                start_load(m);
        else if (!job->snapshot_partial)
                answer_load_waiters(m, job->snapshot_result);
        /* Names that arrived while this one was out. */
        if (m->n_reread_mdevs > 0 && m->resync_source)
                (void) sd_event_source_set_enabled(m->resync_source, SD_EVENT_ONESHOT);
        worker_job_free(job);
}

static int reconcile_handler(sd_event_source *s, void *userdata) {
        reconcile_run(userdata, false);
        return 0;
}

void manager_schedule_reconcile(Manager *m) {
        if (m->reconcile_source)
                (void) sd_event_source_set_enabled(m->reconcile_source, SD_EVENT_ONESHOT);
}

bool manager_guest_running(const Manager *m, const GuestDef *g) {
        return kernel_state_find_mdev(&m->kernel, g->uuid) != NULL;
}

static const char *const owner_names[] = {
        [APQN_OWNER_FREE] = "free",
        [APQN_OWNER_HOST] = "host",
        [APQN_OWNER_GUEST_DEFINED] = "guest-defined",
        [APQN_OWNER_GUEST_RUNNING] = "guest-running",
};

const char *apqn_owner_to_string(ApqnOwnerKind k) {
        return owner_names[k];
}

ApqnOwnerKind manager_apqn_owner(const Manager *m, unsigned adapter, unsigned domain, const char **ret_guest) {
        const MdevState *md = kernel_state_mdev_with_apqn(&m->kernel, adapter, domain);

        *ret_guest = NULL;
        if (md) {
                const GuestDef *g = desired_state_find_guest_by_uuid(&m->desired, md->uuid);
                /* An mdev we do not manage still owns the APQN; report its UUID as the "guest". */
                *ret_guest = g ? g->name : md->uuid;
                return APQN_OWNER_GUEST_RUNNING;
        }
        for (size_t i = 0; i < m->desired.n_guests; i++) {
                const GuestDef *g = &m->desired.guests[i];
                if (ap_mask_test(&g->config.apm, adapter) && ap_mask_test(&g->config.aqm, domain)) {
                        *ret_guest = g->name;
                        return APQN_OWNER_GUEST_DEFINED;
                }
        }
        if (ap_mask_test(&m->kernel.apmask, adapter) && ap_mask_test(&m->kernel.aqmask, domain))
                return APQN_OWNER_HOST;
        return APQN_OWNER_FREE;
}

static bool status_key_equal(const ManagerStatusKey *a, const ManagerStatusKey *b) {
        return a->valid == b->valid && a->guests == b->guests && a->running == b->running && a->queues == b->queues &&
               a->drift == b->drift && a->txn == b->txn && a->recovery_failed == b->recovery_failed;
}

static char *append(char *p, const char *s) {
        size_t n = strlen(s);

        memcpy(p, s, n);
        return p + n;
}

static char *append_number(char *p, size_t v) {
        return p + format_u64(p, v);
}

#define STATUS_PREFIX "STATUS="
#define STATUS_MSG_MAX (sizeof(STATUS_PREFIX) - 1 + sizeof(((Manager *) NULL)->status_text))
_Static_assert(sizeof(STATUS_PREFIX " guests ( running),  queues,  drift, transaction in flight, RECOVERY NEEDED") +
               4 * (DECIMAL_U64_BUFSZ - 1) <= STATUS_MSG_MAX, "status text fits status_text");

/*
 * "STATUS=N guests (N running), N queues, N drift[, transaction in
 * flight][, RECOVERY NEEDED]" as sd_notify() takes it, by hand: snprintf
 * and sd_notifyf() took some 4k instructions, three times per transaction.
 * Returns the length written (without the NUL).
 */
static size_t status_format(const ManagerStatusKey *k, char buf[static STATUS_MSG_MAX]) {
        char *p = buf;

        p = append(p, STATUS_PREFIX);
        p = append_number(p, k->guests);
        p = append(p, " guests (");
        p = append_number(p, k->running);
        p = append(p, " running), ");
        p = append_number(p, k->queues);
        p = append(p, " queues, ");
        p = append_number(p, k->drift);
        p = append(p, " drift");
        if (k->txn)
                p = append(p, ", transaction in flight");
        if (k->recovery_failed)
                p = append(p, ", RECOVERY NEEDED");
        *p = 0;
        return (size_t) (p - buf);
}

void manager_update_status(Manager *m) {
        char msg[STATUS_MSG_MAX];
        size_t running = 0, len;
        ManagerStatusKey key;

        for (size_t i = 0; i < m->desired.n_guests; i++)
                running += manager_guest_running(m, &m->desired.guests[i]);
        /*
         * Formatted and sent only when something in it changed: this runs
         * several times per transaction, and each notification is a
         * datagram the service manager must read. The text says every
         * field of the key and nothing else, so a changed key is a
         * changed text.
         */
        key = (ManagerStatusKey) {
                .valid = true,
                .guests = m->desired.n_guests,
                .running = running,
                .queues = m->kernel.n_queues,
                .drift = json_object_array_length(m->drift),
                .txn = m->txn != NULL,
                .recovery_failed = m->recovery_failed,
        };
        if (status_key_equal(&key, &m->status_key))
                return;
        m->status_key = key;
        len = status_format(&key, msg);
        memcpy(m->status_text, msg + strlen(STATUS_PREFIX), len + 1 - strlen(STATUS_PREFIX));
        (void) sd_notify(false, msg);
}

static int load_desired(Manager *m) {
        JsonError e = {};
        int r;

        r = desired_state_load(m->config.state_dir, &m->desired, &e);
        if (r == -ENOENT) {
                m->desired = (DesiredState) {};
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "Refusing to start: %s/%s is unusable (%s%s%s)", m->config.state_dir,
                                       DESIRED_STATE_FILE, e.field, e.field[0] ? ": " : "", e.message);
        return 0;
}

int manager_start(Manager *m, int listen_fd) {
        int r;

        m->started_usec = 0;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &m->started_usec);
        r = mkdir_p(m->config.state_dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create the state directory %s", m->config.state_dir);
        r = mkdir_p(m->config.runtime_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create the runtime directory %s", m->config.runtime_dir);
        /* Before the socket: a second apctld must fail here, not after it unlinked and rebound the first one's. */
        r = journal_open(m->config.runtime_dir, &m->journal);
        if (r == -EBUSY)
                return log_error_errno(r, "Refusing to start: another apctld holds the runtime directory %s",
                                       m->config.runtime_dir);
        if (r < 0)
                return log_error_errno(r, "Failed to open the transaction journal in %s", m->config.runtime_dir);
        r = load_desired(m);
        if (r < 0)
                return r;
        /*
         * Watch before the first read: a change between the read and the
         * watch (the bus's BINDINGS=complete, say) would otherwise go unseen
         * until some later event. What arrives meanwhile waits in the sockets.
         */
        if (m->config.use_udev) {
                r = udev_watch_new(m, &m->udev);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch uevents");
                /* Same switch: tests and fake kernels watch neither. */
                r = netlink_watch_new(m, &m->netlink);
                if (r < 0)
                        log_warning("Not watching the vfio_ap_sim netlink family: %s", strerror(-r));
        }
        r = m->backend->ops->load(m->backend, &m->kernel);
        if (r < 0)
                return log_error_errno(r, "Failed to read the kernel's AP state (%s backend)", m->backend->ops->name);
        if (!m->desired.host_known && m->kernel.bus_present) {
                /* First start: the host keeps what the kernel gives it today; nothing moves. */
                m->desired.host_known = true;
                m->desired.host_apm = m->kernel.apmask;
                m->desired.host_aqm = m->kernel.aqmask;
                r = desired_state_save(m->config.state_dir, &m->desired);
                if (r < 0)
                        return log_error_errno(r, "Failed to write the initial state to %s", m->config.state_dir);
        }
        (void) transaction_recover(m);

        /* A datagram socketpair, not a pipe: a thread finishing after teardown gets an error, not SIGPIPE. */
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, m->worker_pipe) < 0)
                return log_error_errno(errno, "Failed to create the worker socket");
        r = sd_event_add_io(m->event, &m->worker_source, m->worker_pipe[0], EPOLLIN, transaction_worker_event, m);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &m->resync_source, resync_handler, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->resync_source, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &m->reconcile_source, reconcile_handler, m);
        if (r >= 0)
                /* After resyncs in the same iteration, so reconcile sees the fresh model. */
                r = sd_event_source_set_priority(m->reconcile_source, SD_EVENT_PRIORITY_IDLE);
        if (r < 0)
                return log_error_errno(r, "Failed to set up event sources");

        r = server_listen(m->server, m->config.socket_path, listen_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to listen on %s", listen_fd >= 0 ? "the inherited socket" :
                                       m->config.socket_path);
        reconcile_autostart_load(m);
        reconcile_run(m, false);
        manager_update_status(m);
        return 0;
}
