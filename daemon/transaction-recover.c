/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start-up recovery: every journal entry left by a crash is rolled forward (committed) or back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
        r = journal_remove(m->config.state_dir, j->id);
        if (r < 0)
                return log_error_errno(r, "Failed to remove the resolved journal entry of %s", j->method);
        desired_state_drop_committed(&m->desired, j->id);
        log_full(LOG_NOTICE, 0, APCTLD_MESSAGE_RECOVERED, guest, NULL, mdev, "Rolled the unfinished %s %s", j->method,
                 forward ? "forward" : "back");
        manager_emit(m, recovered_event(j, forward));
        return 0;
}

int transaction_recover(Manager *m) {
        _cleanup_free_ JournalEntry *entries = NULL;
        JsonError e = {};
        size_t n = 0;
        int r, result = 0;

        r = journal_read_all(m->config.state_dir, &entries, &n, &e);
        if (r < 0 && r != -EBADMSG)
                return log_error_errno(r, "Cannot read the transaction journal in %s", m->config.state_dir);
        if (r == -EBADMSG) {
                m->recovery_failed = true;
                log_error_errno(r, "Cannot read journal entry %s in %s (%s); refusing changes until it is resolved",
                                e.field, m->config.state_dir, e.message);
        }
        for (size_t i = 0; i < n; i++)
                if (recover_one(m, &entries[i]) < 0) {
                        m->recovery_failed = true;
                        result = -EIO;
                }
        return result < 0 ? result : (int) n;
}
