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

/* kernel_plan_execute(), timed: the log line of a transaction tells the kernel's share apart from apctld's. */
static int plan_execute_timed(WorkerJob *job, KernelMdevFiles *files, const KernelPlan *plan, size_t *ret_failed,
                              int (*step)(void *userdata, size_t done)) {
        uint64_t start = monotonic_usec();
        int r = kernel_plan_execute(job->backend, files, plan, ret_failed, step, step ? job : NULL);

        job->kernel_usec += monotonic_usec() - start;
        return r;
}

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

/*
 * Read where the kernel is now and plan from there to the target. Sets
 * *ret_exact to whether what was read is the mdev's whole assigned config
 * (or its absence), so that the target is known to be reached once every
 * write of the plan succeeded. On failure plan keeps what it held.
 */
static int plan_to(WorkerJob *job, KernelMdevFiles *files, bool rollback, KernelPlan *plan, bool *ret_exact) {
        KernelBackend *b = job->backend;
        bool exact = false;

        if (job->kind == WORKER_JOB_MDEV) {
                MdevState cur;
                /* Planning needs only what is assigned; the guest matrix is read after the writes. */
                int r = b->ops->mdev_read(b, files, job->uuid, KERNEL_MDEV_READ_ASSIGNED, &cur);
                if (r < 0 && r != -ENOENT)
                        return r;
                /* A cut-short matrix (no ap_config, more than a page) plans from a lower bound. */
                exact = r == -ENOENT || !cur.assigned_partial;
                kernel_plan_mdev(job->uuid, r >= 0 ? &cur : NULL,
                                 rollback ? &job->mdev_rollback : &job->mdev_target, job->use_ap_config, plan);
        } else {
                HostTarget cur;
                int r = b->ops->masks_read(b, &cur.apmask, &cur.aqmask);
                if (r < 0)
                        return r;
                kernel_plan_masks(&cur, rollback ? &job->host_rollback : &job->host_target, plan);
        }
        *ret_exact = exact;
        return 0;
}

void worker_job_free(WorkerJob *job) {
        if (!job)
                return;
        kernel_state_done(&job->snapshot);
        free(job);
}

/* What worker_apply() leaves to the read of the kernel after it. */
typedef enum WorkerApplied {
        WORKER_APPLIED_READ,            /* read what the kernel holds now */
        WORKER_APPLIED_REACHED,         /* the forward plan reached its target exactly (read_reached()) */
        WORKER_APPLIED_NO_READ,         /* nobody takes the read: abandoned, or its gate aborted */
} WorkerApplied;

static WorkerApplied worker_apply(WorkerJob *job, KernelMdevFiles *files, KernelPlan *plan);
static bool worker_pass_gate(WorkerJob *job);

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
 * After every write of an mdev job succeeded from a complete read of the
 * mdev, its assigned config is known without reading it back: the job read
 * it before planning (or found no mdev), and each write's success is the
 * kernel's answer for its id (ap_config's for the whole config), so it is
 * the target (and after a successful `remove`, or with nothing to remove,
 * there is no mdev). A re-read of matrix and control_domains would add
 * only an edit by another writer within the job's milliseconds, which one
 * just after the re-read escapes all the same (assignments send no
 * uevents); an edit before the job is in what the job read, and is not
 * lost: the plan undid it. guest_matrix is the kernel's own answer
 * (filtering by bindings and host config): it is read. Returns false when
 * the mdev must be read whole instead.
 */
static bool read_reached(WorkerJob *job, KernelMdevFiles *files, KernelState *s) {
        KernelBackend *b = job->backend;
        MdevState m;

        if (!job->mdev_target.exists)
                return true;
        if (b->ops->mdev_read(b, files, job->uuid, KERNEL_MDEV_READ_GUEST, &m) < 0)
                return false;
        m.assigned = job->mdev_target.config;
        return kernel_state_add_mdev(s, &m) >= 0;
}

/* The queues worker_job_touched() names, into s; one that does not exist is not an error. */
static int read_touched_queues(WorkerJob *job, KernelState *s) {
        KernelBackend *b = job->backend;
        ApMask apm, aqm;

        worker_job_touched(job, &apm, &aqm);
        AP_MASK_FOREACH(a, &apm)
                AP_MASK_FOREACH(d, &aqm) {
                        ApQueue q;
                        int r = b->ops->queue_read(b, a, d, &q);

                        if (r == -ENOENT)
                                continue;
                        if (r >= 0)
                                r = kernel_state_add_queue(s, &q);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/*
 * An mdev job writes only to its mdev; the queues it can hold or release
 * are the only others that can have changed. A z16 bus has 5,100
 * queues: reading them all after each guest start cost as much as the
 * start-up load.
 */
static int read_touched(WorkerJob *job, KernelMdevFiles *files, bool target_reached, KernelState *ret) {
        KernelBackend *b = job->backend;
        KernelState s = {};
        MdevState m;
        int r;

        if (target_reached && job->result >= 0) {
                if (read_reached(job, files, &s)) {
                        *ret = s;
                        return 0;
                }
                kernel_state_done(&s);
                s = (KernelState) {};
        }
        r = b->ops->mdev_read(b, files, job->uuid, KERNEL_MDEV_READ_ALL, &m);
        if (r >= 0)
                r = kernel_state_add_mdev(&s, &m);
        else if (r == -ENOENT)
                r = 0;
        if (r >= 0)
                r = read_touched_queues(job, &s);
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
                r = b->ops->mdev_read(b, NULL, job->reread_mdevs[i], KERNEL_MDEV_READ_ALL, &m);
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

/* The kernel as the job left it. */
static int read_after(WorkerJob *job, KernelMdevFiles *files, bool target_reached) {
        if (job->snapshot_partial && job->kind == WORKER_JOB_MDEV)
                return read_touched(job, files, target_reached, &job->snapshot);
        if (job->snapshot_partial && job->kind == WORKER_JOB_LOAD)
                return read_named_mdevs(job, &job->snapshot);
        return job->backend->ops->load(job->backend, &job->snapshot);
}

static void worker_run_plan(WorkerJob *job, KernelPlan *plan) {
        KernelMdevFiles files;
        WorkerApplied applied;

        kernel_mdev_files_init(&files);
        applied = worker_apply(job, &files, plan);
        if (applied != WORKER_APPLIED_NO_READ) {
                /*
                 * After a failure the mdev may have gone (during the
                 * rollback too): files kept across that read -ENODEV, a
                 * fresh open() says "no mdev" (see worker_apply()).
                 */
                if (job->result < 0)
                        kernel_mdev_files_close(&files);
                job->snapshot_result = read_after(job, &files, applied == WORKER_APPLIED_REACHED);
        }
        kernel_mdev_files_close(&files);
}

/* A plan is scratch space for the writes, for write jobs only (NULL: the job reports -ENOMEM). */
void worker_run(WorkerJob *job) {
        _cleanup_free_ KernelPlan *plan = job->kind == WORKER_JOB_MDEV || job->kind == WORKER_JOB_HOST ?
                malloc(sizeof(KernelPlan)) : NULL;

        worker_run_plan(job, plan);
}

/*
 * Run the job's plan, and on a failure its rollback. files: the mdev's,
 * kept open across the reads and writes of both (reopened for the
 * rollback). Returns what the read after the job is to do.
 */
static WorkerApplied worker_apply(WorkerJob *job, KernelMdevFiles *files, KernelPlan *plan) {
        size_t failed = 0;
        bool exact = false;
        int r;

        job->steps = 0;
        job->kernel_usec = 0;
        if (job->kind == WORKER_JOB_LOAD)
                return WORKER_APPLIED_READ;
        if (job->kind == WORKER_JOB_RESCAN) {
                job->result = job->backend->ops->rescan(job->backend);
                return WORKER_APPLIED_READ;
        }
        if (!plan) {
                job->result = -ENOMEM;
                job->failed_before_write = true;
                snprintf(job->failed_op, sizeof(job->failed_op), "plan the kernel writes");
                return WORKER_APPLIED_READ;
        }
        r = plan_to(job, files, false, plan, &exact);
        /* The journal entry is written (or could not be) before the first kernel write. */
        if (job->gated && !worker_pass_gate(job)) {
                job->result = -ECANCELED;
                job->failed_before_write = true;
                snprintf(job->failed_op, sizeof(job->failed_op), "write the journal entry");
                /* Nothing was written, and the loop dropped the transaction: a re-read would go unused. */
                return WORKER_APPLIED_NO_READ;
        }
        if (r < 0) {
                job->result = r;
                job->failed_before_write = true;
                snprintf(job->failed_op, sizeof(job->failed_op), "read the current kernel state");
                return WORKER_APPLIED_READ;
        }
        r = plan_execute_timed(job, files, plan, &failed, after_step);
        job->steps = r < 0 ? failed : plan->n_ops;
        job->result = r;
        if (r >= 0)
                return exact ? WORKER_APPLIED_REACHED : WORKER_APPLIED_READ;
        /* Abandoned means "as if killed": nothing more happens on this thread. */
        if (job->abandoned)
                return WORKER_APPLIED_NO_READ;
        kernel_op_describe(plan, failed, job->failed_op, sizeof(job->failed_op));

        /*
         * Another party (mdevctl, libvirt, an admin) may have removed the
         * mdev meanwhile, which may be why the write failed. Every read
         * and write on a file kept across the removal then fails with
         * -ENODEV (kernfs), where a fresh open() fails with -ENOENT, "no
         * mdev": planned through the kept files, the rollback would fail
         * and apctld refuse every change until restarted. Closed here,
         * they are reopened as the rollback needs them, on the mdev as it
         * is now: a few open()s, on the failure path only. Retrying on
         * -ENODEV in the backend instead could not tell a dead file from
         * vfio_ap's own -ENODEV (an id above the maximum), whose store()
         * it would repeat.
         */
        kernel_mdev_files_close(files);

        /* Roll back from wherever the failure left the kernel. */
        job->rolled_back = true;
        r = plan_to(job, files, true, plan, &exact);
        if (r < 0)
                /* plan still holds the forward writes: the read, not one of them, failed. */
                snprintf(job->rollback_failed_op, sizeof(job->rollback_failed_op), "read the current kernel state");
        else {
                r = plan_execute_timed(job, files, plan, &failed, NULL);
                if (r < 0)
                        kernel_op_describe(plan, failed, job->rollback_failed_op, sizeof(job->rollback_failed_op));
        }
        job->rollback_result = r;
        return WORKER_APPLIED_READ;
}

/*
 * Worker threads are kept for the next job instead of being started per
 * job: under TCG a thread start (clone, mmap, mprotect, set_robust_list,
 * rseq, and the futex of its exit) costs as much as the kernel writes of a
 * guest start. A thread whose job hangs in the kernel is simply busy: the
 * next job finds no idle thread and gets a new one, so a hung write never
 * delays anything else.
 */
typedef enum WorkerGate {
        WORKER_GATE_CLOSED,
        WORKER_GATE_OPEN,
        WORKER_GATE_ABORTED,
} WorkerGate;

struct WorkerPool {
        unsigned n_ref;                 /* the owner and each thread (under lock) */
        pthread_mutex_t lock;
        pthread_cond_t cond;            /* a job was queued, or the pool closes */
        pthread_cond_t gate_cond;       /* a job's gate opened or was aborted */
        /* Below: under lock. */
        WorkerJob *queue_head, *queue_tail; /* borrowed: jobs handed to idle threads, linked by pool_next */
        unsigned n_idle;                /* threads that take the next queued job, less the jobs queued */
        bool closing;                   /* the owner is gone: idle threads exit */
        unsigned long threads_started;
};

/* Wait for the loop to open a gated job's gate; false if it aborted it. */
static bool worker_pass_gate(WorkerJob *job) {
        WorkerPool *pool = job->pool;
        bool open;

        pthread_mutex_lock(&pool->lock);
        while (job->gate == WORKER_GATE_CLOSED)
                pthread_cond_wait(&pool->gate_cond, &pool->lock);
        open = job->gate == WORKER_GATE_OPEN;
        pthread_mutex_unlock(&pool->lock);
        return open;
}

void worker_job_open_gate(WorkerJob *job, bool go) {
        WorkerPool *pool = job->pool;

        pthread_mutex_lock(&pool->lock);
        job->gate = go ? WORKER_GATE_OPEN : WORKER_GATE_ABORTED;
        pthread_mutex_unlock(&pool->lock);
        pthread_cond_broadcast(&pool->gate_cond);
}

/* Idle threads kept: a transaction and a re-read can run at once. */
#define WORKER_IDLE_MAX 2

typedef struct WorkerStart {
        WorkerPool *pool;               /* a reference, handed to the thread */
        WorkerJob *job;                 /* the first job; the thread's until it reports */
} WorkerStart;

static void pool_unref_locked(WorkerPool *pool) {
        bool last = --pool->n_ref == 0;

        pthread_mutex_unlock(&pool->lock);
        if (last) {
                pthread_mutex_destroy(&pool->lock);
                pthread_cond_destroy(&pool->cond);
                pthread_cond_destroy(&pool->gate_cond);
                free(pool);
        }
}

static void worker_report(WorkerJob *job, int fd) {
        ssize_t n;

        /* The thread's reference: the manager may be gone by now. */
        kernel_backend_free(job->backend);
        /* One datagram per job; after it the loop owns job again. */
        do
                n = send(fd, &job, sizeof(job), MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        /* Nobody left to read it (the manager is gone): the job is ours to free. */
        if (n != sizeof(job))
                worker_job_free(job);
}

static void *worker_thread(void *userdata) {
        WorkerStart *start = userdata;
        WorkerPool *pool = start->pool;
        WorkerJob *job = start->job;
        /*
         * A plan (about 220 KiB) for the thread's life, not one per job: a
         * thread's malloc arena grows and shrinks with it, an mprotect() or
         * mmap() each time. NULL: each write job reports -ENOMEM.
         */
        _cleanup_free_ KernelPlan *plan = malloc(sizeof(KernelPlan));

        free(start);
        for (;;) {
                int fd = job->notify_fd;
                bool stay;

                worker_run_plan(job, plan);
                /*
                 * Idle before the report: the loop's next job, started as
                 * soon as it reads the report, then finds this thread.
                 */
                pthread_mutex_lock(&pool->lock);
                stay = !pool->closing && pool->n_idle < WORKER_IDLE_MAX;
                if (stay)
                        pool->n_idle++;
                pthread_mutex_unlock(&pool->lock);
                worker_report(job, fd);
                job = NULL;

                pthread_mutex_lock(&pool->lock);
                if (!stay)
                        break;
                while (!pool->queue_head && !pool->closing)
                        pthread_cond_wait(&pool->cond, &pool->lock);
                if (!pool->queue_head) {
                        pool->n_idle--;
                        break;
                }
                /* worker_start() took n_idle for this job already. */
                job = pool->queue_head;
                pool->queue_head = job->pool_next;
                if (!pool->queue_head)
                        pool->queue_tail = NULL;
                job->pool_next = NULL;
                pthread_mutex_unlock(&pool->lock);
        }
        pool_unref_locked(pool);
        return NULL;
}

int worker_pool_new(WorkerPool **ret) {
        WorkerPool *pool = calloc(1, sizeof(WorkerPool));

        if (!pool)
                return -ENOMEM;
        pool->n_ref = 1;
        if (pthread_mutex_init(&pool->lock, NULL) != 0) {
                free(pool);
                return -ENOMEM;
        }
        if (pthread_cond_init(&pool->cond, NULL) != 0) {
                pthread_mutex_destroy(&pool->lock);
                free(pool);
                return -ENOMEM;
        }
        if (pthread_cond_init(&pool->gate_cond, NULL) != 0) {
                pthread_cond_destroy(&pool->cond);
                pthread_mutex_destroy(&pool->lock);
                free(pool);
                return -ENOMEM;
        }
        *ret = pool;
        return 0;
}

WorkerPool *worker_pool_free(WorkerPool *pool) {
        if (!pool)
                return NULL;
        /* Idle threads exit now, busy ones (a hung write) when their job reports. */
        pthread_mutex_lock(&pool->lock);
        pool->closing = true;
        pthread_cond_broadcast(&pool->cond);
        pool_unref_locked(pool);
        return NULL;
}

unsigned long worker_pool_threads_started(WorkerPool *pool) {
        unsigned long n;

        pthread_mutex_lock(&pool->lock);
        n = pool->threads_started;
        pthread_mutex_unlock(&pool->lock);
        return n;
}

static int worker_spawn(WorkerPool *pool, WorkerJob *job) {
        WorkerStart *start;
        pthread_attr_t attr;
        pthread_t t;
        sigset_t all, old;
        int r;

        start = malloc(sizeof(WorkerStart));
        if (!start)
                return -ENOMEM;
        if (pthread_attr_init(&attr) != 0) {
                free(start);
                return -ENOMEM;
        }
        *start = (WorkerStart) { .pool = pool, .job = job };
        pthread_mutex_lock(&pool->lock);
        pool->n_ref++;
        pthread_mutex_unlock(&pool->lock);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        /* Signals stay with the loop thread (sd-event signalfd). */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        r = -pthread_create(&t, &attr, worker_thread, start);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        pthread_mutex_lock(&pool->lock);
        if (r < 0) {
                free(start);
                pool_unref_locked(pool);        /* never the last: the caller's reference */
                return r;
        }
        pool->threads_started++;
        pthread_mutex_unlock(&pool->lock);
        return 0;
}

int worker_start(WorkerPool *pool, WorkerJob *job, int notify_fd) {
        int r;

        job->notify_fd = notify_fd;
        job->pool_next = NULL;
        job->pool = pool;
        job->gate = WORKER_GATE_CLOSED;
        kernel_backend_ref(job->backend);
        pthread_mutex_lock(&pool->lock);
        if (pool->n_idle > 0) {
                /* Hand it to an idle thread: one futex wake instead of a thread start. */
                pool->n_idle--;
                if (pool->queue_tail)
                        pool->queue_tail->pool_next = job;
                else
                        pool->queue_head = job;
                pool->queue_tail = job;
                pthread_mutex_unlock(&pool->lock);
                /*
                 * After the unlock: the woken thread does not block on the
                 * lock we still hold. Broadcast, not signal: glibc's
                 * pthread_cond_signal() can lose a wake-up when a waiter
                 * steals a signal (sourceware bug 25847; Debian 12's glibc 2.36 changelog names no fix),
                 * which would leave this job queued until the next one. At
                 * most WORKER_IDLE_MAX threads wait; the others find the
                 * queue empty and wait again.
                 */
                pthread_cond_broadcast(&pool->cond);
                return 0;
        }
        pthread_mutex_unlock(&pool->lock);
        r = worker_spawn(pool, job);
        if (r < 0)
                kernel_backend_free(job->backend);
        return r;
}
