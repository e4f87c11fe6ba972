/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel writes off the event loop. A job (bring one mdev or the host masks
 * to a target, rolling back to another target on failure) runs on a worker
 * thread of a pool; when it is done the thread sends the job pointer as a
 * datagram to a socket the event loop watches (and frees the job itself if
 * the loop's end is gone), then waits for the next job. The loop never
 * blocks on the kernel; a job that outlives its timeout keeps its thread
 * and simply reports later, and the jobs after it get another thread.
 */
#pragma once

#include "journal.h"
#include "kernel-backend.h"
#include "kernel-state.h"

typedef enum WorkerJobKind {
        WORKER_JOB_MDEV,
        WORKER_JOB_HOST,
        WORKER_JOB_RESCAN,
        WORKER_JOB_LOAD,        /* only read the kernel (resync off the loop) */
} WorkerJobKind;

/* mdevs one re-read after uevents may name; more and it reads everything. */
#define WORKER_REREAD_MDEVS_MAX 8

typedef struct WorkerJob {
        /* Input, set by the loop before worker_start(); read-only afterwards. */
        WorkerJobKind kind;
        KernelBackend *backend;         /* borrowed; outlives the job */
        char uuid[UUID_STRING_LEN + 1];
        bool use_ap_config;
        MdevTarget mdev_target, mdev_rollback;
        HostTarget host_target, host_rollback;
        /*
         * Started before its journal entry is written: the thread reads
         * the kernel and plans meanwhile (the hand-off and the reads then
         * overlap the journal write), and writes nothing until the loop
         * opens the gate (worker_job_open_gate()). Off for recovery, undo
         * and re-reads.
         */
        bool gated;
        /* Test hook: stop dead after this many successful writes, as if killed (0: off). */
        unsigned abandon_after_step;
        /* Test hook: raise SIGKILL after this many successful writes (0: off). */
        unsigned kill_after_step;
        /*
         * Re-read only what an mdev job's writes can change (the mdev, and
         * after a failure the queues of its target and rollback configs,
         * see worker_job_touched()) instead of the whole bus: snapshot then
         * holds just those, for kernel_state_merge().
         */
        bool snapshot_partial;
        /* A partial WORKER_JOB_LOAD: only these mdevs (named by their uevents). */
        char reread_mdevs[WORKER_REREAD_MDEVS_MAX][UUID_STRING_LEN + 1];
        size_t n_reread_mdevs;
        void *userdata;                 /* borrowed: the loop's transaction */
        /* A RESCAN job: Manager.kernel_writes_reported when it started. */
        uint64_t writes_reported_at_start;
        /* Set by worker_start(). */
        int notify_fd;                  /* borrowed: where the thread reports */
        struct WorkerJob *pool_next;    /* borrowed: the next job queued for an idle thread */
        struct WorkerPool *pool;        /* borrowed: alive while the job's thread runs */
        int gate;                       /* under the pool's lock: WorkerGate */

        /* Output, written by the thread before it signals; read by the loop after. */
        int result;                     /* 0 or a negative errno (the step's failed_op names, if any) */
        char failed_op[160];            /* which step failed: a write, or the read the plan starts from */
        size_t steps;                   /* successful writes of the forward plan */
        uint64_t kernel_usec;           /* CLOCK_MONOTONIC time spent in the writes, forward and rollback */
        /*
         * Nothing was written: the job failed at the read its plan starts
         * from (or its gate aborted, or it had no plan), so there is
         * nothing to roll back and no rollback ran.
         */
        bool failed_before_write;
        bool rolled_back;               /* a rollback ran */
        int rollback_result;            /* the same for the rollback */
        char rollback_failed_op[160];
        bool abandoned;                 /* test hook fired: nothing after it ran */
        /*
         * The kernel as the job left it, read on the thread: sysfs reads can
         * block too (a stuck queue reset holds the locks `matrix` reads take).
         */
        int snapshot_result;
        KernelState snapshot;           /* owned by the job until the loop takes it */
} WorkerJob;

/*
 * The rectangle of queues a partial snapshot re-reads: none after a job
 * whose writes all succeeded, else every APQN either config of the job can
 * hold.
 */
void worker_job_touched(const WorkerJob *job, ApMask *ret_apm, ApMask *ret_aqm);

/* Free a job and a snapshot the loop did not take. */
void worker_job_free(WorkerJob *job);

typedef struct WorkerPool WorkerPool;

int worker_pool_new(WorkerPool **ret);
/* Idle threads exit; a thread still in the kernel exits once its job has reported. */
WorkerPool *worker_pool_free(WorkerPool *pool);
/* Threads the pool has started so far (tests: a thread is reused, a hung one is not waited for). */
unsigned long worker_pool_threads_started(WorkerPool *pool);

/*
 * Run job on an idle thread of pool, or on a new one if all are busy (one
 * may hang in the kernel); the thread sends the job pointer to notify_fd
 * (a datagram socket) when done.
 */
int worker_start(WorkerPool *pool, WorkerJob *job, int notify_fd);
/* The same, synchronously on the calling thread (start-up recovery). */
void worker_run(WorkerJob *job);
/*
 * Let a gated job write (go: its journal entry is written) or not (the
 * entry could not be written: the job writes nothing and reports
 * -ECANCELED). Called once per gated job, before the loop waits for
 * anything else.
 */
void worker_job_open_gate(WorkerJob *job, bool go);
