/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/daemon-speed.sh's guest start figure: io.apctl.Guest.Start of a
 * guest with 4 adapters x 8 domains (defined here first) against the same
 * sysfs writes done raw by this program, each an open/write/close as an
 * admin's `echo >` and mdevctl do: the 4 assign_adapter and 8 assign_domain
 * writes apctld plans for a kernel without ap_config, after `create` where
 * the kernel makes the mdev. Rounds alternate apctld and raw so that both
 * see the same machine load, and which goes first alternates too (see
 * bench_round()); the fastest round of each counts; teardown is outside
 * the clock.
 *
 * --kernel: a real (or apctl's simulated) vfio_ap: both create the mdev
 *   (13 writes); teardown is Guest.Stop, and a raw `remove` write.
 * --ap-config (with --kernel, for an apctld that uses the matrix driver's
 *   ap_config): the same writes raw are `create` and one `ap_config` write
 *   (2 writes). Each round then also times the form an admin would type by
 *   hand, `create` and the 12 assign_* writes, printed as assign_ns (for
 *   information: those are not the writes apctld does).
 * --synthetic: a plain directory tree (bench/daemon-sysfs-tree.py), where a
 *   write to `create` makes nothing appear. This program plays that part of
 *   the kernel: before each round it removes the mdev directory, has apctld
 *   re-read the tree (io.apctl.Reconcile, so that the guest is stopped in its
 *   model), then makes the directory with its attribute files. apctld's plan
 *   then finds the mdev and skips `create`: both sides do the 12 assign
 *   writes, and the ratio is apctld's own overhead over plain file writes.
 *
 * Without --ap-config, each round also times the same writes raw with each
 * attribute opened once and written repeatedly (raw_kept_ns, information):
 * sysfs store() ignores the file position, so that is the same store()
 * calls with fewer open()s, as apctld does them within a transaction. The
 * judged baseline stays raw_ns, an open/write/close per write as `echo >`
 * and mdevctl do.
 *
 * --kernel also times the judged raw writes done by a second thread that
 * the timing thread wakes for them and that reports back through a socket
 * the timing thread polls (raw_thread_ns, information): the least any
 * design that keeps its event loop free of kernel writes pays, as apctld's
 * worker does.
 *
 * At the end the guest is undefined; on --synthetic the mdev directory is
 * removed and apctld re-reads the tree first (it would still see the guest
 * running), so that repeated runs against one apctld work.
 *
 * usage: daemon-guest-start --kernel|--synthetic [--ap-config] ROUNDS SOCKET MATRIX_DIR UUID
 *   MATRIX_DIR: the vfio_ap matrix device apctld drives (<sysfs>/devices/vfio_ap/matrix)
 * prints: apctld_ns=.. raw_ns=.. writes=.. [raw_kept_ns=..] [assign_ns=.. assign_writes=..] [raw_thread_ns=..]
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ap-mask.h"
#include "daemon-bench-util.h"
#include "macro.h"

#define GUEST_ADAPTERS 4
#define GUEST_DOMAINS 8

/* The attributes of an mdev directory that apctld reads or writes. */
static const char *const mdev_files[] = {
        "assign_adapter", "unassign_adapter", "assign_domain", "unassign_domain", "assign_control_domain",
        "unassign_control_domain", "remove", "matrix", "control_domains", "guest_matrix",
};

/* The kernel makes the mdev. */
static int raw_create(const char *matrix, const char *uuid) {
        return bench_write_attr(matrix, "mdev_supported_types/vfio_ap-passthrough/create", uuid);
}

/* The assign writes of one raw start; returns how many, or the first failure. */
static int raw_assign(const char *mdev) {
        char id[8];
        int n = 0, r;

        for (int a = 0; a < GUEST_ADAPTERS; a++, n++) {
                snprintf(id, sizeof(id), "%d", a);
                r = bench_write_attr(mdev, "assign_adapter", id);
                if (r < 0)
                        return r;
        }
        for (int d = 0; d < GUEST_DOMAINS; d++, n++) {
                snprintf(id, sizeof(id), "%d", d);
                r = bench_write_attr(mdev, "assign_domain", id);
                if (r < 0)
                        return r;
        }
        return n;
}

/* The same writes with assign_adapter and assign_domain each opened once (information row). */
static int raw_assign_kept(const char *mdev) {
        static const char *const attrs[] = { "assign_adapter", "assign_domain" };
        static const int counts[] = { GUEST_ADAPTERS, GUEST_DOMAINS };
        char id[8], path[PATH_MAX];
        int n = 0;

        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                _cleanup_close_ int fd = -EBADF;

                snprintf(path, sizeof(path), "%.3800s/%s", mdev, attrs[i]);
                fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return negative_errno();
                for (int k = 0; k < counts[i]; k++, n++) {
                        size_t len = snprintf(id, sizeof(id), "%d", k);
                        if (write(fd, id, len) != (ssize_t) len)
                                return negative_errno();
                }
        }
        return n;
}

/* The writes of one raw start through ap_config: create, then the whole config at once. */
static int raw_start_ap_config(const char *matrix, const char *mdev, const char *uuid) {
        char value[AP_CONFIG_BUFSZ];
        ApConfig c = {};
        int r;

        for (int a = 0; a < GUEST_ADAPTERS; a++)
                ap_mask_set(&c.apm, a);
        for (int d = 0; d < GUEST_DOMAINS; d++)
                ap_mask_set(&c.aqm, d);
        r = raw_create(matrix, uuid);
        if (r >= 0)
                r = bench_write_attr(mdev, "ap_config", ap_config_format(&c, value));
        return r < 0 ? r : 2;
}

/* --synthetic: the mdev directory as a kernel would have made it on `create`. */
static int synthetic_mdev_make(const char *mdev) {
        if (mkdir(mdev, 0755) < 0)
                return negative_errno();
        for (size_t i = 0; i < ELEMENTSOF(mdev_files); i++) {
                char path[PATH_MAX];
                _cleanup_close_ int fd = -EBADF;

                snprintf(path, sizeof(path), "%.3800s/%s", mdev, mdev_files[i]);
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0)
                        return negative_errno();
        }
        return 0;
}

static int synthetic_mdev_remove(const char *mdev) {
        for (size_t i = 0; i < ELEMENTSOF(mdev_files); i++) {
                char path[PATH_MAX];

                snprintf(path, sizeof(path), "%.3800s/%s", mdev, mdev_files[i]);
                if (unlink(path) < 0 && errno != ENOENT)
                        return negative_errno();
        }
        if (rmdir(mdev) < 0 && errno != ENOENT)
                return negative_errno();
        return 0;
}

static int call(int fd, const char *method, char **buf, size_t *size) {
        char msg[256];
        ssize_t n;

        snprintf(msg, sizeof(msg), "{\"method\":\"io.apctl.%s\",\"parameters\":{%s}}", method,
                 streq(method, "Reconcile") ? "" : "\"name\":\"bench\"");
        n = bench_call(fd, msg, buf, size);
        return n < 0 ? (int) n : 0;
}

/* --synthetic, before each round: no mdev in apctld's model, and a fresh directory on disk. */
static int synthetic_prepare(int fd, const char *mdev, char **buf, size_t *size) {
        int r = synthetic_mdev_remove(mdev);

        if (r >= 0)
                r = call(fd, "Reconcile", buf, size);
        if (r >= 0)
                r = synthetic_mdev_make(mdev);
        return r;
}

/* A thread that does one raw start each time it is woken (--kernel). */
typedef struct RawThread {
        pthread_t thread;
        bool started;
        pthread_mutex_t lock;
        pthread_cond_t cond;            /* a start was asked for, or quit */
        bool pending;                   /* under lock */
        bool quit;                      /* under lock */
        struct Bench *bench;            /* borrowed */
        int result;                     /* the last start's: written by the thread before it reports */
        int report[2];                  /* owned: socketpair, [1] the thread's end */
} RawThread;

typedef struct Bench {
        int fd;
        bool synthetic;
        bool ap_config;                         /* apctld writes ap_config: so does the raw side */
        const char *matrix;                     /* borrowed from argv */
        const char *uuid;                       /* borrowed from argv */
        char mdev[PATH_MAX];
        char *buf;                              /* owned: the last reply */
        size_t size;
        uint64_t best_apctld, best_raw, best_assign, best_raw_kept, best_raw_thread;
        int writes, assign_writes;
        RawThread raw_thread;
} Bench;

typedef enum RawForm {
        RAW_ASSIGN,             /* create, then an open/write/close per assign_* write */
        RAW_ASSIGN_KEPT,        /* the same writes, each attribute opened once */
        RAW_AP_CONFIG,          /* create and one ap_config write */
} RawForm;

static int raw_run(Bench *b, RawForm form, bool create) {
        int r;

        if (form == RAW_AP_CONFIG)
                return raw_start_ap_config(b->matrix, b->mdev, b->uuid);
        if (create) {
                r = raw_create(b->matrix, b->uuid);
                if (r < 0)
                        return r;
        }
        r = form == RAW_ASSIGN_KEPT ? raw_assign_kept(b->mdev) : raw_assign(b->mdev);
        return r < 0 ? r : r + create;
}

/* One raw start, timed; --kernel: then the raw `remove`. */
static int raw_timed(Bench *b, RawForm form, uint64_t *best, int *ret_writes) {
        uint64_t t0, t1;
        int r;

        t0 = bench_now_ns();
        r = raw_run(b, form, !b->synthetic);
        t1 = bench_now_ns();
        if (r < 0)
                return r;
        if (t1 - t0 < *best)
                *best = t1 - t0;
        *ret_writes = r;
        return b->synthetic ? 0 : bench_write_attr(b->mdev, "remove", "1");
}

/* apctld's start, timed, then its stop. */
static int apctld_timed(Bench *b) {
        uint64_t t0, t1;
        int r;

        t0 = bench_now_ns();
        r = call(b->fd, "Guest.Start", &b->buf, &b->size);
        t1 = bench_now_ns();
        if (r >= 0 && t1 - t0 < b->best_apctld)
                b->best_apctld = t1 - t0;
        if (r >= 0)
                r = call(b->fd, "Guest.Stop", &b->buf, &b->size);
        return r;
}

static void *raw_thread_main(void *userdata) {
        RawThread *t = userdata;

        for (;;) {
                char byte = 1;

                pthread_mutex_lock(&t->lock);
                while (!t->pending && !t->quit)
                        pthread_cond_wait(&t->cond, &t->lock);
                if (t->quit) {
                        pthread_mutex_unlock(&t->lock);
                        return NULL;
                }
                t->pending = false;
                pthread_mutex_unlock(&t->lock);
                t->result = raw_run(t->bench, t->bench->ap_config ? RAW_AP_CONFIG : RAW_ASSIGN, true);
                if (send(t->report[1], &byte, 1, MSG_NOSIGNAL) != 1)
                        return NULL;
        }
}

static int raw_thread_start(Bench *b) {
        RawThread *t = &b->raw_thread;

        t->bench = b;
        t->report[0] = t->report[1] = -EBADF;
        pthread_mutex_init(&t->lock, NULL);
        pthread_cond_init(&t->cond, NULL);
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, t->report) < 0)
                return negative_errno();
        if (pthread_create(&t->thread, NULL, raw_thread_main, t) != 0)
                return -EAGAIN;
        t->started = true;
        return 0;
}

static void raw_thread_stop(Bench *b) {
        RawThread *t = &b->raw_thread;

        if (t->started) {
                pthread_mutex_lock(&t->lock);
                t->quit = true;
                pthread_mutex_unlock(&t->lock);
                pthread_cond_signal(&t->cond);
                pthread_join(t->thread, NULL);
        }
        if (t->bench) {
                safe_close(t->report[0]);
                safe_close(t->report[1]);
        }
}

/* The judged raw writes on the thread, timed from the wake-up to its report; then the raw `remove`. */
static int raw_thread_timed(Bench *b) {
        RawThread *t = &b->raw_thread;
        struct pollfd p = { .fd = t->report[0], .events = POLLIN };
        uint64_t t0, t1;
        char byte;

        t0 = bench_now_ns();
        pthread_mutex_lock(&t->lock);
        t->pending = true;
        pthread_mutex_unlock(&t->lock);
        pthread_cond_signal(&t->cond);
        if (poll(&p, 1, 60000) != 1)
                return -ETIMEDOUT;
        if (read(t->report[0], &byte, 1) != 1)
                return -EIO;
        t1 = bench_now_ns();
        if (t->result < 0)
                return t->result;
        if (t1 - t0 < b->best_raw_thread)
                b->best_raw_thread = t1 - t0;
        return bench_write_attr(b->mdev, "remove", "1");
}

/* The raw writes (then remove) of one round: the judged form, then the information ones. */
static int raw_round(Bench *b, const char **ret_what) {
        int writes, r;

        *ret_what = "raw writes";
        r = raw_timed(b, b->ap_config ? RAW_AP_CONFIG : RAW_ASSIGN, &b->best_raw, &b->writes);
        if (r < 0)
                return r;
        if (!b->synthetic) {
                *ret_what = "raw writes on a woken thread";
                r = raw_thread_timed(b);
                if (r < 0)
                        return r;
        }
        if (b->ap_config) {
                *ret_what = "raw assign_* writes";
                return raw_timed(b, RAW_ASSIGN, &b->best_assign, &b->assign_writes);
        }
        *ret_what = "raw writes on kept files";
        return raw_timed(b, RAW_ASSIGN_KEPT, &b->best_raw_kept, &writes);
}

/*
 * One round. What runs right after apctld's Stop is slower (in the VM the
 * first raw start after it took about twice as long as the same writes a
 * moment later: the kernel and apctld still finish the removal), so the
 * order alternates: even rounds apctld first, odd rounds the raw writes
 * first. Each side then has rounds where it follows the other's work and
 * rounds where it does not, and the fastest round of each counts.
 */
static int bench_round(Bench *b, unsigned long round, const char **ret_what) {
        int r;

        *ret_what = "preparing the synthetic mdev";
        if (b->synthetic) {
                r = synthetic_prepare(b->fd, b->mdev, &b->buf, &b->size);
                if (r < 0)
                        return r;
        }
        if (round % 2) {
                r = raw_round(b, ret_what);
                if (r < 0)
                        return r;
                if (b->synthetic) {
                        *ret_what = "preparing the synthetic mdev";
                        r = synthetic_prepare(b->fd, b->mdev, &b->buf, &b->size);
                        if (r < 0)
                                return r;
                }
                *ret_what = "apctld";
                return apctld_timed(b);
        }
        *ret_what = "apctld";
        r = apctld_timed(b);
        if (r < 0)
                return r;
        return raw_round(b, ret_what);
}

/*
 * The end of a run: on --synthetic the mdev directory a round left behind
 * goes, and apctld re-reads the tree so that it sees the guest stopped
 * (Undefine refuses a running guest); then the guest goes.
 */
static int bench_undefine(Bench *b) {
        int r = 0;

        if (b->synthetic) {
                r = synthetic_mdev_remove(b->mdev);
                if (r >= 0)
                        r = call(b->fd, "Reconcile", &b->buf, &b->size);
        }
        if (r >= 0)
                r = call(b->fd, "Guest.Undefine", &b->buf, &b->size);
        return r;
}

int main(int argc, char *argv[]) {
        Bench b = { .fd = -EBADF, .best_apctld = UINT64_MAX, .best_raw = UINT64_MAX, .best_assign = UINT64_MAX,
                    .best_raw_kept = UINT64_MAX, .best_raw_thread = UINT64_MAX };
        char define[512];
        unsigned long rounds;
        char *end;
        int ret = 1;

        if (argc == 7 && streq(argv[1], "--kernel") && streq(argv[2], "--ap-config")) {
                b.ap_config = true;
                argv[2] = argv[1];
                argv++;
                argc--;
        }
        if (argc != 6 || (!streq(argv[1], "--kernel") && !streq(argv[1], "--synthetic"))) {
                fprintf(stderr, "usage: daemon-guest-start --kernel|--synthetic [--ap-config] ROUNDS SOCKET MATRIX_DIR "
                        "UUID\n");
                return 2;
        }
        b.synthetic = streq(argv[1], "--synthetic");
        rounds = strtoul(argv[2], &end, 10);
        if (*end || rounds == 0 || rounds > 100000) {
                fprintf(stderr, "daemon-guest-start: ROUNDS must be 1..100000, not '%s'\n", argv[2]);
                return 2;
        }
        b.matrix = argv[4];
        b.uuid = argv[5];
        snprintf(b.mdev, sizeof(b.mdev), "%.3800s/%.36s", b.matrix, b.uuid);
        b.fd = bench_connect(argv[3]);
        if (b.fd < 0) {
                fprintf(stderr, "daemon-guest-start: %s: %s\n", argv[3], strerror(-b.fd));
                return 1;
        }
        snprintf(define, sizeof(define),
                 "{\"method\":\"io.apctl.Guest.Define\",\"parameters\":{\"name\":\"bench\",\"uuid\":\"%.36s\","
                 "\"adapters\":\"0-%d\",\"domains\":\"0-%d\"}}", b.uuid, GUEST_ADAPTERS - 1, GUEST_DOMAINS - 1);
        if (bench_call(b.fd, define, &b.buf, &b.size) < 0) {
                fprintf(stderr, "daemon-guest-start: Guest.Define refused: %s\n", b.buf ? b.buf : "(no reply)");
                goto out;
        }
        if (!b.synthetic) {
                int r = raw_thread_start(&b);
                if (r < 0) {
                        fprintf(stderr, "daemon-guest-start: starting the raw writes' thread: %s\n", strerror(-r));
                        goto out;
                }
        }
        for (unsigned long i = 0; i < rounds; i++) {
                const char *what;
                int r = bench_round(&b, i, &what);
                if (r < 0) {
                        fprintf(stderr, "daemon-guest-start: round %lu: %s: %s%s%s\n", i + 1, what, strerror(-r),
                                r == -EPROTO ? ": " : "", r == -EPROTO ? b.buf : "");
                        goto out;
                }
        }
        printf("apctld_ns=%llu raw_ns=%llu writes=%d", (unsigned long long) b.best_apctld,
               (unsigned long long) b.best_raw, b.writes);
        if (!b.ap_config)
                printf(" raw_kept_ns=%llu", (unsigned long long) b.best_raw_kept);
        if (b.ap_config)
                printf(" assign_ns=%llu assign_writes=%d", (unsigned long long) b.best_assign, b.assign_writes);
        if (!b.synthetic)
                printf(" raw_thread_ns=%llu", (unsigned long long) b.best_raw_thread);
        printf("\n");
        ret = 0;
out:
        raw_thread_stop(&b);
        if (bench_undefine(&b) < 0 && ret == 0) {
                fprintf(stderr, "daemon-guest-start: Guest.Undefine failed: %s\n", b.buf ? b.buf : "(no reply)");
                ret = 1;
        }
        free(b.buf);
        safe_close(b.fd);
        return ret;
}
