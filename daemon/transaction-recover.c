/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start-up recovery: every journal entry left by a crash is rolled forward (committed) or back. */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>

#include "log.h"
#include "transaction.h"
#include "worker.h"

static json_object *recovered_event(const JournalEntry *j, bool forward) {
        json_object *ev = manager_event_new("transaction-recovered");

        if (ev && (json_add_string(ev, "method", j->method) < 0 ||
                   json_add_string(ev, "direction", forward ? "forward" : "back") < 0)) {
                json_object_put(ev);
                return NULL;
        }
        return ev;
}

/* Bring the kernel to one entry's after (committed) or before state; 0 or the failure. */
static int recover_one(Manager *m, const JournalEntry *j) {
        bool forward = desired_state_is_committed(&m->desired, j->id);
        const char *guest = j->kind == JOURNAL_MDEV ? j->guest : NULL;
        const char *mdev = j->kind == JOURNAL_MDEV ? j->uuid : NULL;
        WorkerJob job = {
                .kind = j->kind == JOURNAL_MDEV ? WORKER_JOB_MDEV : WORKER_JOB_HOST,
                .backend = m->backend,
                .use_ap_config = m->kernel.ap_config_supported && !m->config.test_no_ap_config,
                .mdev_target = forward ? j->mdev_after : j->mdev_before,
                .mdev_rollback = forward ? j->mdev_after : j->mdev_before,
                .host_target = forward ? j->host_after : j->host_before,
                .host_rollback = forward ? j->host_after : j->host_before,
        };
        int r;

        snprintf(job.uuid, sizeof(job.uuid), "%s", j->uuid);
        /* On the loop, before READY: nothing is served yet that a hang could hold up. */
        worker_run(&job);
        if (job.snapshot_result >= 0)
                manager_apply_snapshot(m, &job.snapshot);
        kernel_state_done(&job.snapshot);
        if (job.result < 0 && (!job.rolled_back || job.rollback_result < 0))
                return log_full(LOG_ERR, job.result, APCTLD_MESSAGE_RECOVERED, guest, NULL, mdev,
                                "Could not roll %s the unfinished %s at '%s'", forward ? "forward" : "back", j->method,
                                job.failed_op);
        r = journal_remove(m->journal, j->id);
        if (r < 0)
                return log_error_errno(r, "Failed to remove the resolved journal entry of %s", j->method);
        desired_state_drop_committed(&m->desired, j->id);
        log_full(LOG_NOTICE, 0, APCTLD_MESSAGE_RECOVERED, guest, NULL, mdev, "Rolled the unfinished %s %s", j->method,
                 forward ? "forward" : "back");
        manager_emit(m, recovered_event(j, forward));
        return 0;
}

/*
 * Commit markers in the state file whose entries are gone (a power loss
 * empties the runtime directory; a removal that failed) mark nothing: they
 * go at the next save rather than fill the list.
 */
static void prune_committed(Manager *m, const JournalEntry *entries, size_t n) {
        for (size_t i = 0; i < m->desired.n_committed;) {
                bool found = false;

                for (size_t k = 0; k < n && !found; k++)
                        found = entries[k].id == m->desired.committed[i];
                if (found)
                        i++;
                else
                        desired_state_drop_committed(&m->desired, m->desired.committed[i]);
        }
}

static bool on_tmpfs(const char *dir) {
        struct statfs sfs;

        return statfs(dir, &sfs) >= 0 && (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC);
}

int transaction_recover(Manager *m) {
        _cleanup_free_ JournalEntry *entries = NULL;
        const char *dir = m->config.runtime_dir;
        JsonError e = {};
        size_t n = 0, n_torn = 0;
        int r, result = 0;

        if (!on_tmpfs(dir))
                log_warning("The runtime directory %s is not on tmpfs: a journal entry left there before a reboot "
                            "would be replayed against a kernel that has forgotten it", dir);
        r = journal_read_all(m->journal, &entries, &n, &n_torn, &e);
        if (r < 0 && r != -EBADMSG)
                return log_error_errno(r, "Cannot read the transaction journal in %s", dir);
        if (r == -EBADMSG) {
                /*
                 * Not discarded: the runtime directory is emptied at boot, so
                 * the entry is from this boot and may describe a half-done
                 * change in the kernel that nobody can undo without it.
                 */
                m->recovery_failed = true;
                log_error_errno(r, "Cannot read journal entry %s in %s (%s); refusing changes until it is resolved "
                                "(check the kernel's state, remove the file, restart apctld)",
                                e.field, dir, e.message);
        }
        if (n_torn > 0)
                log_warning("Ignored %zu journal entries in %s that a crash cut short while they were written: no "
                           "kernel write follows an entry before it is whole", n_torn, dir);
        prune_committed(m, entries, n);
        for (size_t i = 0; i < n; i++)
                if (recover_one(m, &entries[i]) < 0) {
                        m->recovery_failed = true;
                        result = -EIO;
                }
        return result < 0 ? result : (int) n;
}
