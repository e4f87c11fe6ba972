/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Manager: apctld's one top-level object. It owns the event loop, the
 * kernel backend and model, the desired state, the server, the transaction
 * in flight and the queue of mutating calls waiting for it, drift, and the
 * event fan-out to subscribers.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "autostart-done.h"
#include "desired-state.h"
#include "kernel-backend.h"
#include "kernel-state.h"
#include "policy-hook.h"
#include "worker.h"

typedef struct Server Server;
typedef struct Call Call;
typedef struct Transaction Transaction;
typedef struct UdevWatch UdevWatch;
typedef struct NetlinkWatch NetlinkWatch;
typedef struct WorkerJob WorkerJob;

typedef struct ManagerConfig {
        char *state_dir;                /* owned: the desired state (durable) */
        char *runtime_dir;              /* owned: the transaction journal (emptied at boot) */
        char *socket_path;              /* owned; used when not socket-activated */
        uid_t admin_uid;                /* besides root; (uid_t) -1 for none */
        uint64_t kernel_timeout_usec;   /* a kernel write slower than this is reported as timed out */
        uint64_t idle_timeout_usec;     /* a client silent this long is disconnected */
        unsigned max_clients;           /* connections of non-root uids together; root has a pool of its own this size */
        unsigned max_clients_per_uid;   /* connections of one non-root uid; 0: a quarter of max_clients, at least 1 */
        unsigned max_subscriptions;     /* per client */
        unsigned max_queued_calls;      /* mutating calls waiting behind a transaction */
        size_t max_output_bytes;        /* per client; a slower reader is disconnected */
        bool use_udev;
        unsigned test_abandon_after_step; /* test hook, see WorkerJob */
        unsigned test_kill_after_step;    /* test hook, see WorkerJob */
        bool test_no_ap_config;           /* test hook: ordered assign_* writes even where ap_config exists */
} ManagerConfig;

/* What the status text says, to format it only when that changes. */
typedef struct ManagerStatusKey {
        size_t guests, running, queues, drift;
        bool valid, txn, recovery_failed;
} ManagerStatusKey;

#define DRIFT_MAX 256
#define MANAGER_STUCK_MAX 8     /* hung kernel writes set aside before everything waits */

typedef struct Manager {
        sd_event *event;                /* ref held */
        ManagerConfig config;
        KernelBackend *backend;         /* owned */
        KernelState kernel;             /* last snapshot */
        DesiredState desired;
        PolicyHook policy;
        Server *server;                 /* owned */
        UdevWatch *udev;                /* owned */
        NetlinkWatch *netlink;          /* owned; NULL when the kernel has no vfio_ap_sim family */

        Transaction *txn;               /* owned: the transaction in flight, or NULL */
        Transaction *stuck[MANAGER_STUCK_MAX]; /* owned: transactions whose kernel write hangs */
        size_t n_stuck;
        Call **queued;                  /* owned array of owned calls waiting for txn */
        size_t n_queued;
        int worker_pipe[2];             /* worker threads -> loop: a datagram socketpair, [0] read by the loop */
        sd_event_source *worker_source; /* ref held */
        WorkerPool *workers;            /* owned: the threads kernel jobs run on */
        Journal *journal;               /* owned: opened by manager_start(), its slots kept open */
        sd_event_source *resync_source; /* ref held: deferred resync after kernel events */
        sd_event_source *reconcile_source; /* ref held: deferred reconcile */
        unsigned worker_jobs_running;   /* jobs whose threads have not reported yet */
        bool load_running;              /* a WORKER_JOB_LOAD is out */
        bool load_again;                /* another change arrived while it was out */
        /*
         * Kernel write jobs that changed something and have reported back.
         * A forced rescan that started before one of them reported may hold
         * the kernel as it was before that write: it is read again.
         */
        uint64_t kernel_writes_reported;
        /*
         * While a load is out: the mdevs that successful mdev jobs wrote
         * meanwhile, whose model entries (read by those jobs after their
         * writes) are newer than the load's; load_stale when anything else
         * was written (host masks, a failed job) or more mdevs than fit.
         */
        char load_written_mdevs[WORKER_REREAD_MDEVS_MAX][UUID_STRING_LEN + 1];
        size_t n_load_written_mdevs;
        bool load_stale;
        bool resync_full;               /* resync_source must read everything */
        /* mdevs uevents named since the last re-read: resync_source reads only these unless resync_full. */
        char reread_mdevs[WORKER_REREAD_MDEVS_MAX][UUID_STRING_LEN + 1];
        size_t n_reread_mdevs;
        Call **load_waiters;            /* owned: Reconcile calls waiting for the fresh model */
        size_t n_load_waiters;          /* at most config.max_queued_calls */
        sd_event_source *load_timeout;  /* ref held: the load out passed config.kernel_timeout_usec */
        /* The load out passed the kernel timeout and has not returned: Reconcile is refused until it does. */
        bool load_timed_out;

        json_object *drift;             /* ref held: array of drift reports from the last reconcile */
        bool rescan_requested;          /* a scan was forced to get bindings complete */
        /* owned contents: guests autostart leaves alone until the next boot, mirrored in runtime_dir */
        AutostartDone autostart_done;
        uint64_t host_failed_generation; /* generation at which applying the masks last failed */
        bool abandoned;                 /* a test hook stopped a transaction dead: behave as crashed */
        bool recovery_failed;           /* a journal entry could not be resolved */
        char status_text[256];
        ManagerStatusKey status_key;    /* what status_text was formatted from */
        uint64_t resyncs;
        uint64_t events_sent;
        uint64_t started_usec;
} Manager;

void manager_config_init(ManagerConfig *c);
void manager_config_done(ManagerConfig *c);

/* Takes ownership of backend and of config's strings (also on failure). */
int manager_new(sd_event *event, KernelBackend *backend, ManagerConfig *config, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/*
 * Start-up: load the desired state, read the kernel, resolve a journal
 * entry left by a crash, start listening (listen_fd >= 0: socket activation),
 * watch uevents, and schedule the first reconcile.
 */
int manager_start(Manager *m, int listen_fd);

/*
 * Re-read the kernel now, on the loop (start-up, tests); diffs against the
 * previous snapshot become events.
 */
int manager_resync(Manager *m);
/* Take a snapshot read elsewhere (consumed): diff, swap, schedule reconcile. */
void manager_apply_snapshot(Manager *m, KernelState *fresh);
/*
 * A re-read of only these mdevs (part holds those of them that exist; the
 * others are gone), applied in place with the events a whole diff would
 * give, in time proportional to the mdevs, not to the host's queues (5,100
 * on a z16: a merged copy and a whole diff per guest start cost more than
 * the rest of apctld's work under TCG). At most WORKER_REREAD_MDEVS_MAX.
 * -ENOMEM (or -E2BIG) may leave some of them applied: resync then.
 */
int manager_apply_mdevs(Manager *m, const char (*uuids)[UUID_STRING_LEN + 1], size_t n_uuids,
                        const KernelState *part);
/* Coalesce kernel change notifications into one re-read on a worker thread. */
void manager_schedule_resync(Manager *m);
/* A uevent named this mdev: re-read it (and only it, unless a full resync is due too). */
void manager_schedule_mdev_reread(Manager *m, const char *uuid);
/* Re-read off the loop, then reconcile and reply to c (an io.apctl.Reconcile call; taken). */
void manager_resync_then_reconcile(Manager *m, Call *c);
/*
 * Append c (owned from now on) to an owned array of waiting calls, at most
 * config.max_queued_calls long; over it, or out of memory, c is answered
 * with the error ("too many WHAT waiting") and a negative errno returned.
 */
int manager_queue_call(Manager *m, Call ***queue, size_t *n, Call *c, const char *what);
/* The loop's handling of a finished LOAD or RESCAN job (taken). */
void manager_worker_job_done(Manager *m, WorkerJob *job);
/* A kernel write job reported back (before its transaction takes its result): what a load out now missed. */
void manager_kernel_job_reported(Manager *m, const WorkerJob *job);
void manager_schedule_reconcile(Manager *m);

/* Publish an event (consumed) to every subscriber. */
void manager_emit(Manager *m, json_object *event);
/*
 * The same with the event built by build(data) only if someone subscribes:
 * with nobody to tell it is just counted (Status's events_sent), as
 * manager_emit() counts it. For events on the path of every transaction.
 */
void manager_emit_built(Manager *m, json_object *(*build)(const void *data), const void *data);
bool manager_has_subscribers(const Manager *m);
/* Count an event nobody gets (nobody subscribes), as manager_emit() would. */
void manager_count_unsent_event(Manager *m);
/* Build an event object: {"type": type, "time_usec": usec, ...}, time_usec now or as given. */
json_object *manager_event_new(const char *type);
json_object *manager_event_new_at(const char *type, uint64_t time_usec);
/* What manager_event_new() gives as time_usec now (CLOCK_REALTIME). */
uint64_t manager_event_time_now(void);

/* Who owns each APQN: "host", "free", or a guest; for host list and events. */
typedef enum ApqnOwnerKind {
        APQN_OWNER_FREE,
        APQN_OWNER_HOST,
        APQN_OWNER_GUEST_DEFINED,
        APQN_OWNER_GUEST_RUNNING,
} ApqnOwnerKind;
ApqnOwnerKind manager_apqn_owner(const Manager *m, unsigned adapter, unsigned domain, const char **ret_guest);
const char *apqn_owner_to_string(ApqnOwnerKind k);

/* Is the guest's mdev present in the kernel? */
bool manager_guest_running(const Manager *m, const GuestDef *g);

void manager_update_status(Manager *m);
