/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transactions: journal, off-loop kernel writes, rollback, persistence, recovery. */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "methods.h"
#include "reconcile.h"
#include "transaction.h"
#include "validate.h"
#include "varlink-protocol.h"

struct Transaction {
        Manager *manager;               /* borrowed */
        Call *call;                     /* owned; NULL once answered (timeout) */
        TransactionSpec spec;           /* owned contents */
        WorkerJob *job;                 /* owned; shared with its thread while running */
        bool job_running;
        bool undoing;                   /* persisting failed: the job now restores "before" */
        int undo_cause;                 /* why we are undoing */
        sd_event_source *timeout;       /* ref held */
        bool timed_out;
        uint64_t began_usec;            /* CLOCK_MONOTONIC: the loop iteration that began it */
};

void transaction_spec_done(TransactionSpec *s) {
        desired_state_done(&s->next);
        free(s->reply);
        *s = (TransactionSpec) {};
}

static Transaction *transaction_free(Transaction *t) {
        if (!t)
                return NULL;
        sd_event_source_disable_unref(t->timeout);
        if (t->call)
                call_free(t->call);
        transaction_spec_done(&t->spec);
        /* A job still running belongs to its thread until it reports; the manager drains it. */
        if (!t->job_running)
                worker_job_free(t->job);
        free(t);
        return NULL;
}

bool transaction_busy(const Manager *m) {
        return m->txn != NULL;
}

static const char *txn_subject(const Transaction *t) {
        return t->spec.intent.kind == JOURNAL_MDEV ? t->spec.intent.guest : "host";
}

void transaction_enqueue(Manager *m, Call *c) {
        Transaction *t = m->txn;

        /* Only when no more hung transactions can be set aside does the one in flight hold everything. */
        if (t && t->timed_out) {
                call_error(c, APCTL_ERROR_BUSY, EBUSY,
                           "a kernel write for %s (%s) has not returned; its resources stay locked until the kernel "
                           "answers", txn_subject(t), t->spec.intent.method);
                return;
        }
        (void) manager_queue_call(m, &m->queued, &m->n_queued, c, "changes");
}

static void fail_queued_busy(Manager *m, const Transaction *t) {
        while (m->n_queued > 0) {
                Call *c = m->queued[--m->n_queued];
                call_error(c, APCTL_ERROR_BUSY, EBUSY,
                           "a kernel write for %s (%s) has not returned; its resources stay locked until the kernel "
                           "answers", txn_subject(t), t->spec.intent.method);
        }
}

/*
 * Whether committing t changes the desired state: its subject in next,
 * compared in its persisted form with the desired state as it is now.
 * Guest.Start and Guest.Stop do not; Define, Modify, Attach and Detach do.
 */
static bool txn_changes_desired(const Manager *m, const Transaction *t) {
        const char *guest = t->spec.intent.guest;
        const GuestDef *now, *next;

        if (t->spec.host_scope)
                return t->spec.next.host_known != m->desired.host_known ||
                       !ap_mask_equal(&t->spec.next.host_apm, &m->desired.host_apm) ||
                       !ap_mask_equal(&t->spec.next.host_aqm, &m->desired.host_aqm);
        if (!guest[0])
                return false;
        /* Field by field, not as two json-c trees: this runs on the path to every transaction's reply. */
        now = desired_state_find_guest(&m->desired, guest);
        next = desired_state_find_guest(&t->spec.next, guest);
        if (!now || !next)
                return now != next;
        return !guest_def_equal(now, next);
}

/*
 * Persist: the transaction's subject from its next state, applied to the
 * desired state as it is now, plus its journal id as committed when it
 * journalled kernel writes, in one durable atomic write.
 */
static int txn_persist(Manager *m, Transaction *t) {
        _cleanup_(desired_state_done) DesiredState cur = {};
        const char *guest = t->spec.intent.guest;
        int r;

        r = desired_state_copy(&m->desired, &cur);
        if (r < 0)
                return r;
        if (t->spec.host_scope) {
                cur.host_known = t->spec.next.host_known;
                cur.host_apm = t->spec.next.host_apm;
                cur.host_aqm = t->spec.next.host_aqm;
        } else if (guest[0]) {
                const GuestDef *g = desired_state_find_guest(&t->spec.next, guest);
                r = g ? desired_state_put_guest(&cur, g) : desired_state_remove_guest(&cur, guest);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (t->spec.kernel) {
                r = desired_state_add_committed(&cur, t->spec.intent.id);
                if (r < 0)
                        return r;
        }
        cur.generation = m->desired.generation + 1;
        r = desired_state_save(m->config.state_dir, &cur);
        if (r < 0)
                return r;
        desired_state_done(&m->desired);
        m->desired = cur;
        cur = (DesiredState) {};
        return 0;
}

/* The journal entry is resolved: it goes, and with it the commit marker (at the next save). */
static void txn_journal_done(Manager *m, Transaction *t) {
        if (journal_remove(m->journal, t->spec.intent.id) >= 0)
                desired_state_drop_committed(&m->desired, t->spec.intent.id);
}

/*
 * The commit point (journal.h). A change of the desired state is saved
 * durably with the journal id marked committed; then the entry goes. A
 * transaction that changes only the kernel commits by removing its entry:
 * the state file is not touched. A crash before the commit rolls the
 * change back at the next start; after it, the change stands.
 */
static int txn_commit(Manager *m, Transaction *t) {
        bool changes = txn_changes_desired(m, t);
        int r;

        if (changes || !t->spec.kernel) {
                r = changes ? txn_persist(m, t) : 0;
                if (r >= 0 && t->spec.kernel)
                        txn_journal_done(m, t);
                return r;
        }
        return journal_remove(m->journal, t->spec.intent.id);
}

static void txn_detach(Manager *m, Transaction *t) {
        if (m->txn == t) {
                m->txn = NULL;
                return;
        }
        for (size_t i = 0; i < m->n_stuck; i++)
                if (m->stuck[i] == t) {
                        m->stuck[i] = m->stuck[--m->n_stuck];
                        return;
                }
}

static void txn_finish(Manager *m, Transaction *t) {
        txn_detach(m, t);
        transaction_free(t);
        manager_update_status(m);
        method_run_queued(m);
}

/*
 * The model from the snapshot the job read on its thread (for an mdev job
 * only what it touched, merged into the model), or a full re-read if it
 * could not.
 */
static void txn_take_snapshot(Manager *m, WorkerJob *job) {
        KernelState merged;
        ApMask apm, aqm;

        if (!job || job->snapshot_result < 0 || job->abandoned) {
                manager_schedule_resync(m);
                return;
        }
        if (!job->snapshot_partial) {
                manager_apply_snapshot(m, &job->snapshot);
                return;
        }
        worker_job_touched(job, &apm, &aqm);
        if (kernel_state_merge_keeps_queues(&apm, &aqm, &job->snapshot)) {
                /* Only the mdev was re-read (its writes all succeeded): the model changes in place. */
                if (manager_apply_mdevs(m, &job->uuid, 1, &job->snapshot) < 0)
                        manager_schedule_resync(m);
                return;
        }
        if (kernel_state_merge(&m->kernel, &job->uuid, 1, &apm, &aqm, &job->snapshot, &merged) < 0) {
                manager_schedule_resync(m);
                return;
        }
        manager_apply_snapshot(m, &merged);
}

/*
 * With kernel writes, the line says how long they took against the whole
 * transaction: whether a slow start is the kernel's (a queue reset, a wait
 * behind a lock) or apctld's.
 */
static void txn_log_committed(Manager *m, const Transaction *t) {
        const char *guest = t->spec.intent.kind == JOURNAL_MDEV ? t->spec.intent.guest : NULL;
        const char *mdev = t->spec.intent.kind == JOURNAL_MDEV && t->spec.kernel ? t->spec.intent.uuid : NULL;
        unsigned long long generation = m->desired.generation;
        uint64_t now = monotonic_usec(), all, kernel;

        /* now, not sd_event_now(): this iteration also wrote the state file and emptied the journal slot. */
        if (!t->spec.kernel || !t->job || now < t->began_usec) {
                log_full(LOG_INFO, 0, APCTLD_MESSAGE_TXN_COMMITTED, guest, NULL, mdev,
                         "%s committed (state generation %llu)", t->spec.intent.method, generation);
                return;
        }
        all = now - t->began_usec;
        kernel = t->job->kernel_usec;
        log_full(LOG_INFO, 0, APCTLD_MESSAGE_TXN_COMMITTED, guest, NULL, mdev,
                 "%s committed (state generation %llu): %zu kernel writes in %llu.%03llu ms of %llu.%03llu ms",
                 t->spec.intent.method, generation, t->job->steps, (unsigned long long) (kernel / 1000),
                 (unsigned long long) (kernel % 1000), (unsigned long long) (all / 1000),
                 (unsigned long long) (all % 1000));
}

static void txn_succeed(Manager *m, Transaction *t) {
        if (t->spec.kernel)
                txn_take_snapshot(m, t->job);
        /*
         * Before the reply (a client that sees it finds it on disk) and the
         * reconcile this schedules, which would otherwise start a stopped
         * autostart guest again.
         */
        if (t->spec.autostart_skip_on_success)
                reconcile_autostart_skip(m, t->spec.intent.guest);
        if (!t->spec.host_scope && t->spec.intent.guest[0] &&
            !desired_state_find_guest(&m->desired, t->spec.intent.guest))
                /* Undefined: a guest defined again under its name is a new one, autostarted as any other. */
                reconcile_autostart_forget(m, t->spec.intent.guest);
        txn_log_committed(m, t);
        if (t->spec.event.kind != SPEC_EVENT_NONE)
                manager_emit_built(m, spec_event_build, &t->spec.event);
        if (t->call && t->spec.reply)
                call_reply_text(TAKE_PTR(t->call), t->spec.reply, t->spec.reply_len);
        else if (t->call)
                call_reply(TAKE_PTR(t->call), NULL);
        manager_schedule_reconcile(m);
        txn_finish(m, t);
}

static int txn_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Transaction *t = userdata;
        Manager *m = t->manager;

        if (!t->job_running || t->timed_out)
                return 0;
        t->timed_out = true;
        log_full(LOG_ERR, 0, APCTLD_MESSAGE_TXN_TIMEOUT, t->spec.intent.kind == JOURNAL_MDEV ? t->spec.intent.guest : NULL,
                 NULL, t->spec.intent.kind == JOURNAL_MDEV ? t->spec.intent.uuid : NULL,
                 "%s: kernel write did not return within %llu ms; its resources stay locked until it does",
                 t->spec.intent.method, (unsigned long long) (m->config.kernel_timeout_usec / 1000));
        if (t->call)
                call_error(TAKE_PTR(t->call), APCTL_ERROR_KERNEL_TIMEOUT, ETIMEDOUT,
                           "the kernel did not answer within %llu ms while applying %s to %s; the change completes "
                           "or rolls back when it does, watch the events",
                           (unsigned long long) (m->config.kernel_timeout_usec / 1000), t->spec.intent.method,
                           txn_subject(t));
        if (m->txn == t && m->n_stuck < MANAGER_STUCK_MAX) {
                /* Set it aside; what it locks is checked at every commit (txn_check_locks). */
                m->stuck[m->n_stuck++] = t;
                m->txn = NULL;
                manager_update_status(m);
                method_run_queued(m);
                return 0;
        }
        if (m->txn == t)
                fail_queued_busy(m, t);
        manager_update_status(m);
        return 0;
}

/*
 * gated: the journal entry is not written yet (transaction_commit() writes
 * it while the thread reads and plans, then opens the gate).
 */
static int txn_start_job(Manager *m, Transaction *t, bool undo, bool gated) {
        WorkerJob *job = t->job;
        const JournalEntry *j = &t->spec.intent;
        int r;

        kernel_state_done(&job->snapshot);
        *job = (WorkerJob) {
                .kind = j->kind == JOURNAL_MDEV ? WORKER_JOB_MDEV : WORKER_JOB_HOST,
                .backend = m->backend,
                .use_ap_config = m->kernel.ap_config_supported && !m->config.test_no_ap_config,
                .mdev_target = undo ? j->mdev_before : j->mdev_after,
                .mdev_rollback = j->mdev_before,
                .host_target = undo ? j->host_before : j->host_after,
                .host_rollback = j->host_before,
                .abandon_after_step = undo ? 0 : m->config.test_abandon_after_step,
                .kill_after_step = undo ? 0 : m->config.test_kill_after_step,
                .snapshot_partial = j->kind == JOURNAL_MDEV,
                .gated = gated,
                .userdata = t,
        };
        snprintf(job->uuid, sizeof(job->uuid), "%s", j->uuid);
        r = worker_start(m->workers, job, m->worker_pipe[1]);
        if (r < 0)
                return r;
        t->job_running = true;
        m->worker_jobs_running++;
        if (m->config.kernel_timeout_usec > 0) {
                sd_event_source_disable_unref(t->timeout);
                t->timeout = NULL;
                r = sd_event_add_time_relative(m->event, &t->timeout, CLOCK_MONOTONIC, m->config.kernel_timeout_usec, 0,
                                               txn_timeout, t);
                if (r < 0)
                        log_error_errno(r, "Failed to arm the kernel write timeout");
        }
        return 0;
}

/* What a kernel errno means to a client; unlisted ones are a plain KernelError. */
static const struct {
        int err;
        const char *name;
} kernel_error_table[] = {
        { EADDRINUSE,    APCTL_ERROR_CONFLICT },
        { EADDRNOTAVAIL, APCTL_ERROR_RESERVED_BY_HOST },
        { ENODEV,        APCTL_ERROR_NO_SUCH_DEVICE },
        { ENOENT,        APCTL_ERROR_NO_SUCH_DEVICE },
        { EBUSY,         APCTL_ERROR_BUSY },
        { ETIMEDOUT,     APCTL_ERROR_KERNEL_TIMEOUT },
};

static const char *kernel_error_name(int err) {
        for (size_t i = 0; i < ELEMENTSOF(kernel_error_table); i++)
                if (kernel_error_table[i].err == -err || kernel_error_table[i].err == err)
                        return kernel_error_table[i].name;
        return APCTL_ERROR_KERNEL;
}

static json_object *txn_describe(const Transaction *t) {
        json_object *o = json_object_new_object();

        if (o && (json_add_string(o, "method", t->spec.intent.method) < 0 ||
                  json_add_string(o, "subject", txn_subject(t)) < 0 ||
                  json_add_bool(o, "kernel", t->spec.kernel) < 0 ||
                  json_add_bool(o, "timed_out", t->timed_out) < 0)) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

json_object *transaction_describe(const Manager *m) {
        return m->txn ? txn_describe(m->txn) : NULL;
}

json_object *transaction_describe_stuck(const Manager *m) {
        _cleanup_json_ json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < m->n_stuck; i++)
                if (json_append(a, txn_describe(m->stuck[i])) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

/*
 * A job that failed before any kernel write changed nothing and ran no
 * rollback: that is what the log, the reply and the event say, not a
 * rollback that failed (there is nothing to recover).
 */
static void txn_report_failure(Manager *m, Transaction *t, const WorkerJob *job) {
        const char *name = kernel_error_name(job->result);
        bool rolled_back = job->rolled_back && job->rollback_result >= 0;
        const char *guest = t->spec.intent.kind == JOURNAL_MDEV ? t->spec.intent.guest : NULL;
        const char *uuid = t->spec.intent.kind == JOURNAL_MDEV ? t->spec.intent.uuid : NULL;

        if (job->failed_before_write)
                log_full(LOG_WARNING, job->result, APCTLD_MESSAGE_TXN_ROLLED_BACK, guest, NULL, uuid,
                         "%s failed at '%s' before any kernel write; nothing was changed", t->spec.intent.method,
                         job->failed_op);
        else
                log_full(LOG_WARNING, job->result, APCTLD_MESSAGE_TXN_ROLLED_BACK, guest, NULL, uuid,
                         "%s failed at '%s'%s", t->spec.intent.method, job->failed_op,
                         rolled_back ? ", rolled back" : ", ROLLBACK FAILED");
        if (!t->call)
                return;
        if (job->failed_before_write)
                call_error(TAKE_PTR(t->call), name, job->result,
                           "could not %s: %s; nothing was changed (failed before any kernel write)", job->failed_op,
                           strerror(-job->result));
        else if (rolled_back)
                call_error(TAKE_PTR(t->call), name, job->result,
                           "the kernel refused '%s': %s; nothing was changed (rolled back)", job->failed_op,
                           strerror(-job->result));
        else
                call_error(TAKE_PTR(t->call), name, job->result,
                           "the kernel refused '%s': %s; rolling back also failed at '%s': %s; apctld retries at "
                           "the next start, see Status", job->failed_op, strerror(-job->result),
                           job->rollback_failed_op[0] ? job->rollback_failed_op : "reading the kernel state",
                           strerror(-job->rollback_result));
}

typedef struct TxnJob {
        const Transaction *t;           /* borrowed */
        const WorkerJob *job;           /* borrowed */
} TxnJob;

static json_object *failed_event_build(const void *data) {
        const TxnJob *tj = data;
        json_object *e = manager_event_new("transaction-failed");

        if (e) {
                (void) json_add_string(e, "method", tj->t->spec.intent.method);
                (void) json_add_string(e, "subject", txn_subject(tj->t));
                (void) json_add_string(e, "failed", tj->job->failed_op);
                (void) json_add_int(e, "errno", -tj->job->result);
                /* The kernel is as it was: rolled back, or never written (before_write). */
                (void) json_add_bool(e, "rolled_back", tj->job->failed_before_write ||
                                                       (tj->job->rolled_back && tj->job->rollback_result >= 0));
                (void) json_add_bool(e, "before_write", tj->job->failed_before_write);
        }
        return e;
}

static void txn_job_done(Manager *m, Transaction *t, WorkerJob *job) {
        int r;

        t->job_running = false;
        t->timeout = sd_event_source_disable_unref(t->timeout);

        if (job->abandoned) {
                /* Test hook: act as if the daemon died here; the journal stays for the next start. */
                m->abandoned = true;
                if (t->call)
                        call_error(TAKE_PTR(t->call), APCTL_ERROR_INTERNAL, ECANCELED,
                                   "transaction abandoned after step %zu by the test hook", job->steps);
                txn_finish(m, t);
                return;
        }
        if (t->undoing) {
                if (job->result >= 0)
                        txn_journal_done(m, t);
                else
                        m->recovery_failed = true;
                txn_take_snapshot(m, job);
                if (t->call)
                        call_error(TAKE_PTR(t->call), APCTL_ERROR_INTERNAL, t->undo_cause,
                                   "could not commit the change (%s); the kernel change was %s", strerror(-t->undo_cause),
                                   job->result >= 0 ? "rolled back" : "NOT rolled back, see Status");
                txn_finish(m, t);
                return;
        }
        if (job->result < 0) {
                if (!job->rolled_back || job->rollback_result >= 0)
                        txn_journal_done(m, t);
                else
                        m->recovery_failed = true;
                txn_take_snapshot(m, job);
                txn_report_failure(m, t, job);
                manager_emit_built(m, failed_event_build, &(TxnJob) { t, job });
                txn_finish(m, t);
                return;
        }
        r = txn_commit(m, t);
        if (r < 0) {
                log_error_errno(r, "Failed to commit %s; undoing the kernel change", t->spec.intent.method);
                t->undoing = true;
                t->undo_cause = r;
                r = txn_start_job(m, t, true, false);
                if (r < 0) {
                        m->recovery_failed = true;
                        if (t->call)
                                call_error(TAKE_PTR(t->call), APCTL_ERROR_INTERNAL, -r, "could not commit the change");
                        txn_finish(m, t);
                }
                return;
        }
        txn_succeed(m, t);
}

int transaction_worker_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        WorkerJob *job;
        ssize_t n = read(fd, &job, sizeof(job));

        if (n != sizeof(job))
                return 0;
        m->worker_jobs_running--;
        if (job->kind == WORKER_JOB_MDEV || job->kind == WORKER_JOB_HOST)
                manager_kernel_job_reported(m, job);
        if (m->txn && m->txn->job == job) {
                txn_job_done(m, m->txn, job);
                return 0;
        }
        for (size_t i = 0; i < m->n_stuck; i++)
                if (m->stuck[i]->job == job) {
                        log_full(LOG_NOTICE, 0, NULL, NULL, NULL, NULL, "The hung %s for %s returned",
                                 m->stuck[i]->spec.intent.method, txn_subject(m->stuck[i]));
                        txn_job_done(m, m->stuck[i], job);
                        return 0;
                }
        if (job->kind == WORKER_JOB_RESCAN || job->kind == WORKER_JOB_LOAD) {
                manager_worker_job_done(m, job);
                return 0;
        }
        /* A transaction job whose transaction is gone (manager teardown raced it). */
        worker_job_free(job);
        return 0;
}

/*
 * What a hung transaction still holds: its guest (name and mdev), the APQNs
 * it is moving (its configuration before and after), or, for a host mask
 * change, every other kernel change. Fills msg and returns true when spec
 * must wait.
 */
static bool txn_check_locks(Manager *m, const TransactionSpec *spec, char *msg, size_t size) {
        const GuestDef *mine = spec->host_scope ? NULL : desired_state_find_guest(&spec->next, spec->intent.guest);
        char buf[APQN_BUFSZ];

        for (size_t i = 0; i < m->n_stuck; i++) {
                const Transaction *s = m->stuck[i];
                const JournalEntry *j = &s->spec.intent;
                const GuestDef *theirs;
                Apqn q;

                if (s->spec.host_scope || spec->host_scope) {
                        /* Mask writes and assignments wait for each other in the kernel (ap_perms_mutex). */
                        if (!spec->kernel && !spec->host_scope)
                                continue;
                        snprintf(msg, size, "a kernel write for %s (%s) has not returned; %s waits until the kernel "
                                 "answers", txn_subject(s), j->method,
                                 spec->host_scope ? "changing the host masks" : "this change");
                        return true;
                }
                if (streq(j->guest, spec->intent.guest) || (spec->kernel && streq(j->uuid, spec->intent.uuid))) {
                        snprintf(msg, size, "a kernel write for guest '%s' (%s) has not returned; the guest stays "
                                 "locked until the kernel answers", j->guest, j->method);
                        return true;
                }
                if (!mine)
                        continue;
                theirs = desired_state_find_guest(&s->spec.next, j->guest);
                if ((theirs && validate_configs_collide(&mine->config, &theirs->config, &q)) ||
                    (j->mdev_after.exists && validate_configs_collide(&mine->config, &j->mdev_after.config, &q)) ||
                    (j->mdev_before.exists && validate_configs_collide(&mine->config, &j->mdev_before.config, &q))) {
                        snprintf(msg, size, "APQN %s is being moved by a kernel write for guest '%s' (%s) that has "
                                 "not returned; it stays locked until the kernel answers", apqn_format(q, buf),
                                 j->guest, j->method);
                        return true;
                }
        }
        return false;
}

int transaction_commit(Manager *m, Call *c, TransactionSpec *spec) {
        Transaction *t;
        char msg[400];
        int r;

        assert(!m->txn);
        if (m->abandoned || m->recovery_failed) {
                transaction_spec_done(spec);
                return call_error(c, APCTL_ERROR_BUSY, EBUSY,
                                  "an earlier transaction could not be completed or rolled back; restart apctld "
                                  "to recover (see Status)");
        }
        if (txn_check_locks(m, spec, msg, sizeof(msg))) {
                transaction_spec_done(spec);
                return call_error(c, APCTL_ERROR_BUSY, EBUSY, "%s", msg);
        }
        t = calloc(1, sizeof(Transaction));
        if (!t) {
                transaction_spec_done(spec);
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        }
        t->manager = m;
        t->call = c;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &t->began_usec);
        t->spec = *spec;
        *spec = (TransactionSpec) {};
        m->txn = t;

        if (!t->spec.kernel) {
                r = txn_commit(m, t);
                if (r < 0) {
                        call_error(TAKE_PTR(t->call), APCTL_ERROR_INTERNAL, -r, "could not save the state: %s",
                                   strerror(-r));
                        txn_finish(m, t);
                        return r;
                }
                txn_succeed(m, t);
                return 0;
        }

        /*
         * The job starts first and reads and plans while the entry is
         * written: the hand-off to its thread and its reads overlap the
         * write. It writes nothing to the kernel before the gate opens,
         * after the entry is in place. Even with the entry one pwritev()
         * (journal.h), writing it first and then starting the job without
         * a gate was no faster in the x86_64 VM (bench/daemon-speed.sh
         * --vm, 6 alternating runs each, Guest.Start 4x8 against raw:
         * assign 1.66-2.27 against 1.80-2.81, ap_config 2.92-3.90 against
         * 2.34-2.97 with the gate).
         */
        r = journal_new_id(&t->spec.intent.id);
        if (r >= 0) {
                t->job = calloc(1, sizeof(WorkerJob));
                r = t->job ? txn_start_job(m, t, false, true) : -ENOMEM;
        }
        if (r >= 0) {
                r = journal_write(m->journal, &t->spec.intent);
                /* Aborted, the job reports later and finds its transaction gone (it is freed then). */
                worker_job_open_gate(t->job, r >= 0);
        }
        if (r < 0) {
                call_error(TAKE_PTR(t->call), APCTL_ERROR_INTERNAL, -r, "could not start the transaction: %s",
                           journal_strerror(r));
                txn_finish(m, t);
                return r;
        }
        manager_update_status(m);
        return 0;
}

void transaction_abort_all(Manager *m) {
        /*
         * Hung jobs belong to their threads from here: when the kernel answers
         * they find the manager's socket closed and free the job themselves.
         */
        while (m->n_stuck > 0) {
                Transaction *t = m->stuck[--m->n_stuck];
                if (t->job_running)
                        t->job = NULL;
                t->job_running = false;
                transaction_free(t);
        }
        while (m->n_queued > 0)
                call_free(m->queued[--m->n_queued]);
        free(m->queued);
        m->queued = NULL;
        if (m->txn && m->txn->job_running) {
                /* Wait briefly for the thread; if it is stuck in the kernel, leave it its job. */
                struct pollfd p = { .fd = m->worker_pipe[0], .events = POLLIN };
                WorkerJob *job;
                if (poll(&p, 1, 2000) == 1 && read(m->worker_pipe[0], &job, sizeof(job)) == sizeof(job)) {
                        m->worker_jobs_running--;
                        if (job == m->txn->job)
                                m->txn->job_running = false;
                        else
                                worker_job_free(job);
                }
        }
        if (m->txn && m->txn->job_running)
                m->txn->job = NULL;     /* still in the kernel: leave it to its thread */
        m->txn = transaction_free(m->txn);
}
