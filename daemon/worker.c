/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker threads that run kernel plans with rollback. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernel-plan.h"
#include "macro.h"
#include "worker.h"

static int after_step(void *userdata, size_t done) {
        WorkerJob *job = userdata;

        if (job->kill_after_step && done == job->kill_after_step)
                raise(SIGKILL);
        if (job->abandon_after_step && done == job->abandon_after_step) {
                job->abandoned = true;
                return -ECANCELED;
        }
        return 0;
}

/* Read where the kernel is now and plan from there to the target. */
static int plan_to(WorkerJob *job, bool rollback, KernelPlan *plan) {
        KernelBackend *b = job->backend;

        if (job->kind == WORKER_JOB_MDEV) {
                MdevState cur;
                int r = b->ops->mdev_read(b, job->uuid, &cur);
                if (r < 0 && r != -ENOENT)
                        return r;
                kernel_plan_mdev(job->uuid, r >= 0 ? &cur : NULL,
                                 rollback ? &job->mdev_rollback : &job->mdev_target, job->use_ap_config, plan);
        } else {
                HostTarget cur;
                int r = b->ops->masks_read(b, &cur.apmask, &cur.aqmask);
                if (r < 0)
                        return r;
                kernel_plan_masks(&cur, rollback ? &job->host_rollback : &job->host_target, plan);
        }
        return 0;
}

void worker_job_free(WorkerJob *job) {
        if (!job)
                return;
        kernel_state_done(&job->snapshot);
        free(job);
}

static void worker_apply(WorkerJob *job);

void worker_job_touched(const WorkerJob *job, ApMask *ret_apm, ApMask *ret_aqm) {
        ApMask apm, aqm;

        ap_mask_clear_all(&apm);
        ap_mask_clear_all(&aqm);
        /*
         * Writes to an mdev change none of the queue attributes the model
         * holds (config, chkstop, online, driver): after they all succeed,
         * the mdev alone is re-read. A failure may come from a queue (gone,
         * checkstopped, unbound): then its queues are re-read too.
         */
        if (job->result >= 0) {
                *ret_apm = apm;
                *ret_aqm = aqm;
                return;
        }
        if (job->mdev_target.exists) {
                ap_mask_or(&apm, &apm, &job->mdev_target.config.apm);
                ap_mask_or(&aqm, &aqm, &job->mdev_target.config.aqm);
        }
        if (job->mdev_rollback.exists) {
                ap_mask_or(&apm, &apm, &job->mdev_rollback.config.apm);
                ap_mask_or(&aqm, &aqm, &job->mdev_rollback.config.aqm);
        }
        *ret_apm = apm;
        *ret_aqm = aqm;
}

/*
 * An mdev job writes only to its mdev; the queues it can hold or release
 * are the only others that can have changed. A z16 bus has 5,100
 * queues: reading them all after each guest start cost as much as the
 * start-up load.
 */
static int read_touched(WorkerJob *job, KernelState *ret) {
        KernelBackend *b = job->backend;
        KernelState s = {};
        ApMask apm, aqm;
        MdevState m;
        int r;

        r = b->ops->mdev_read(b, job->uuid, &m);
        if (r >= 0)
                r = kernel_state_add_mdev(&s, &m);
        else if (r == -ENOENT)
                r = 0;
        worker_job_touched(job, &apm, &aqm);
        AP_MASK_FOREACH(a, &apm) {
                AP_MASK_FOREACH(d, &aqm) {
                        ApQueue q;
                        if (r < 0)
                                break;
                        r = b->ops->queue_read(b, a, d, &q);
                        if (r >= 0)
                                r = kernel_state_add_queue(&s, &q);
                        else if (r == -ENOENT)
                                r = 0;
                }
        }
        if (r < 0) {
                kernel_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

/* The mdevs uevents named (added, removed, bound): nothing else they can have changed. */
static int read_named_mdevs(WorkerJob *job, KernelState *ret) {
        KernelBackend *b = job->backend;
        KernelState s = {};
        int r = 0;

        for (size_t i = 0; i < job->n_reread_mdevs && r >= 0; i++) {
                MdevState m;
                r = b->ops->mdev_read(b, job->reread_mdevs[i], &m);
                if (r >= 0)
                        r = kernel_state_add_mdev(&s, &m);
                else if (r == -ENOENT)
                        r = 0;
        }
        if (r < 0) {
                kernel_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

void worker_run(WorkerJob *job) {
        worker_apply(job);
        /* Abandoned means "as if killed": nothing more happens on this thread. */
        if (job->abandoned)
                return;
        if (job->snapshot_partial && job->kind == WORKER_JOB_MDEV)
                job->snapshot_result = read_touched(job, &job->snapshot);
        else if (job->snapshot_partial && job->kind == WORKER_JOB_LOAD)
                job->snapshot_result = read_named_mdevs(job, &job->snapshot);
        else
                job->snapshot_result = job->backend->ops->load(job->backend, &job->snapshot);
}

static void worker_apply(WorkerJob *job) {
        _cleanup_free_ KernelPlan *plan = NULL;
        size_t failed = 0;
        int r;

        job->steps = 0;
        if (job->kind == WORKER_JOB_LOAD)
                return;
        if (job->kind == WORKER_JOB_RESCAN) {
                job->result = job->backend->ops->rescan(job->backend);
                return;
        }
        plan = malloc(sizeof(KernelPlan));
        if (!plan) {
                job->result = -ENOMEM;
                return;
        }
        r = plan_to(job, false, plan);
        if (r < 0) {
                job->result = r;
                snprintf(job->failed_op, sizeof(job->failed_op), "read the current kernel state");
                return;
        }
        r = kernel_plan_execute(job->backend, plan, &failed, after_step, job);
        job->steps = r < 0 ? failed : plan->n_ops;
        job->result = r;
        if (r >= 0 || job->abandoned)
                return;
        kernel_op_describe(plan, failed, job->failed_op, sizeof(job->failed_op));

        /* Roll back from wherever the failure left the kernel. */
        job->rolled_back = true;
        failed = 0;
        r = plan_to(job, true, plan);
        if (r >= 0)
                r = kernel_plan_execute(job->backend, plan, &failed, NULL, NULL);
        if (r < 0 && plan->n_ops > failed && !job->rollback_failed_op[0])
                kernel_op_describe(plan, failed, job->rollback_failed_op, sizeof(job->rollback_failed_op));
        job->rollback_result = r;
}

static void *worker_thread(void *userdata) {
        WorkerJob *job = userdata;
        int fd = job->result;   /* smuggled notify fd, see worker_start() */
        ssize_t n;

        job->result = 0;
        worker_run(job);
        /* The thread's reference: the manager may be gone by now. */
        kernel_backend_free(job->backend);
        /* One datagram per job; after it the loop owns job again. */
        do
                n = send(fd, &job, sizeof(job), MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        /* Nobody left to read it (the manager is gone): the job is ours to free. */
        if (n != sizeof(job))
                worker_job_free(job);
        return NULL;
}

int worker_start(WorkerJob *job, int notify_fd) {
        pthread_attr_t attr;
        pthread_t t;
        sigset_t all, old;
        int r;

        job->result = notify_fd;
        if (pthread_attr_init(&attr) != 0)
                return -ENOMEM;
        kernel_backend_ref(job->backend);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* Signals stay with the loop thread (sd-event signalfd). */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = -pthread_create(&t, &attr, worker_thread, job);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        if (r < 0)
                kernel_backend_free(job->backend);
        return r;
}
