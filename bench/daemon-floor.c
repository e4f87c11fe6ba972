/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/daemon-speed.sh --vm's floor figures (information): what the pieces
 * of a Guest.Start that are not the kernel's own work cost on this machine,
 * each next to one assign_domain write, so that a reader can tell how close
 * to the raw writes a daemon can get at all:
 *
 * - syscall_ns: one trivial system call (getppid);
 * - handoff_ns: one job handed from an event loop thread to a waiting
 *   worker thread and its report back, the way apctld does it (mutex and
 *   condition variable to the worker, a datagram on a socketpair the loop
 *   waits for in epoll_wait);
 * - socket_rt_ns: one client -> server -> client round trip of a 64-byte
 *   message on a Unix stream socket to another process;
 * - open_close_ns: open() and close() of an mdev's assign_domain attribute;
 * - assign_ns: one assign_domain write on a file kept open, into an mdev
 *   with 4 adapters assigned (each write links 4 queues), as in the guest
 *   start the bench times.
 *
 * Each figure is the mean over a batch; the fastest of ROUNDS batches counts.
 *
 * usage: daemon-floor ROUNDS MATRIX_DIR UUID   (MATRIX_DIR: <sysfs>/devices/vfio_ap/matrix;
 *        the mdev UUID must not exist; it is created and removed each round)
 * prints: syscall_ns=.. handoff_ns=.. socket_rt_ns=.. open_close_ns=.. assign_ns=..
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon-bench-util.h"
#include "macro.h"

#define SYSCALL_BATCH 20000
#define HANDOFF_BATCH 1000
#define SOCKET_BATCH 1000
#define OPEN_BATCH 200
#define ASSIGN_ADAPTERS 4
#define ASSIGN_DOMAINS 8

static void keep_min(uint64_t *best, uint64_t t0, uint64_t t1, unsigned n) {
        uint64_t per = (t1 - t0) / n;

        if (per < *best)
                *best = per;
}

static int syscall_batch(uint64_t *best) {
        uint64_t t0 = bench_now_ns();

        for (unsigned i = 0; i < SYSCALL_BATCH; i++)
                (void) syscall(SYS_getppid);
        keep_min(best, t0, bench_now_ns(), SYSCALL_BATCH);
        return 0;
}

typedef struct Handoff {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        unsigned queued;                /* under lock: jobs handed over, not yet taken */
        bool quit;                      /* under lock */
        int report_fd;                  /* the worker's end of the socketpair */
} Handoff;

static void *handoff_worker(void *userdata) {
        Handoff *h = userdata;

        for (;;) {
                char byte = 1;

                pthread_mutex_lock(&h->lock);
                while (!h->queued && !h->quit)
                        pthread_cond_wait(&h->cond, &h->lock);
                if (!h->queued) {
                        pthread_mutex_unlock(&h->lock);
                        return NULL;
                }
                h->queued--;
                pthread_mutex_unlock(&h->lock);
                if (send(h->report_fd, &byte, 1, MSG_NOSIGNAL) != 1)
                        return NULL;
        }
}

static int handoff_batch(Handoff *h, int epfd, int loop_fd, uint64_t *best) {
        uint64_t t0 = bench_now_ns();

        for (unsigned i = 0; i < HANDOFF_BATCH; i++) {
                struct epoll_event ev;
                char byte;

                pthread_mutex_lock(&h->lock);
                h->queued++;
                pthread_mutex_unlock(&h->lock);
                pthread_cond_signal(&h->cond);
                if (epoll_wait(epfd, &ev, 1, 10000) != 1)
                        return -ETIMEDOUT;
                if (read(loop_fd, &byte, 1) != 1)
                        return -EIO;
        }
        keep_min(best, t0, bench_now_ns(), HANDOFF_BATCH);
        return 0;
}

static int socket_batch(int fd, uint64_t *best) {
        char msg[64] = "{\"method\":\"io.apctl.Status\"}";
        uint64_t t0 = bench_now_ns();

        for (unsigned i = 0; i < SOCKET_BATCH; i++) {
                size_t got = 0;

                if (write(fd, msg, sizeof(msg)) != sizeof(msg))
                        return -EIO;
                while (got < sizeof(msg)) {
                        ssize_t n = read(fd, msg + got, sizeof(msg) - got);
                        if (n <= 0)
                                return -EIO;
                        got += n;
                }
        }
        keep_min(best, t0, bench_now_ns(), SOCKET_BATCH);
        return 0;
}

static void echo_child(int fd) {
        char buf[64];
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (write(fd, buf, n) != n)
                        break;
        _exit(0);
}

/* open/close of assign_domain, then the timed assign_domain writes on a kept file. */
static int sysfs_round(const char *matrix, const char *mdev, const char *uuid, uint64_t *best_open,
                       uint64_t *best_assign) {
        char path[PATH_MAX], id[8];
        _cleanup_close_ int afd = -EBADF, dfd = -EBADF;
        uint64_t t0;
        int r;

        r = bench_write_attr(matrix, "mdev_supported_types/vfio_ap-passthrough/create", uuid);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%.3800s/assign_domain", mdev);
        t0 = bench_now_ns();
        for (unsigned i = 0; i < OPEN_BATCH; i++) {
                int fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                close(fd);
        }
        keep_min(best_open, t0, bench_now_ns(), OPEN_BATCH);
        snprintf(path, sizeof(path), "%.3800s/assign_adapter", mdev);
        afd = open(path, O_WRONLY | O_CLOEXEC);
        snprintf(path, sizeof(path), "%.3800s/assign_domain", mdev);
        dfd = open(path, O_WRONLY | O_CLOEXEC);
        if (afd < 0 || dfd < 0)
                return negative_errno();
        for (int a = 0; a < ASSIGN_ADAPTERS && r >= 0; a++) {
                snprintf(id, sizeof(id), "%d", a);
                r = bench_write_fd(afd, id);
        }
        t0 = bench_now_ns();
        for (int d = 0; d < ASSIGN_DOMAINS && r >= 0; d++) {
                snprintf(id, sizeof(id), "%d", d);
                r = bench_write_fd(dfd, id);
        }
        if (r >= 0)
                keep_min(best_assign, t0, bench_now_ns(), ASSIGN_DOMAINS);
        afd = safe_close(afd);
        dfd = safe_close(dfd);
        if (r < 0)
                (void) bench_write_attr(mdev, "remove", "1");
        else
                r = bench_write_attr(mdev, "remove", "1");
        return r;
}

int main(int argc, char *argv[]) {
        uint64_t best_syscall = UINT64_MAX, best_handoff = UINT64_MAX, best_socket = UINT64_MAX,
                 best_open = UINT64_MAX, best_assign = UINT64_MAX;
        Handoff h = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
        struct epoll_event ev = { .events = EPOLLIN };
        int pair[2], echo[2], epfd, r = 0;
        char mdev[PATH_MAX];
        unsigned long rounds;
        pthread_t worker;
        pid_t child;
        char *end;

        if (argc != 4) {
                fprintf(stderr, "usage: daemon-floor ROUNDS MATRIX_DIR UUID\n");
                return 2;
        }
        rounds = strtoul(argv[1], &end, 10);
        if (*end || rounds == 0 || rounds > 1000) {
                fprintf(stderr, "daemon-floor: ROUNDS must be 1..1000, not '%s'\n", argv[1]);
                return 2;
        }
        snprintf(mdev, sizeof(mdev), "%.3800s/%.36s", argv[2], argv[3]);
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, echo) < 0 ||
            (epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, pair[0], &ev) < 0) {
                perror("daemon-floor: setup");
                return 1;
        }
        child = fork();
        if (child < 0) {
                perror("daemon-floor: fork");
                return 1;
        }
        if (child == 0) {
                close(echo[0]);
                echo_child(echo[1]);
        }
        close(echo[1]);
        h.report_fd = pair[1];
        if (pthread_create(&worker, NULL, handoff_worker, &h) != 0) {
                fprintf(stderr, "daemon-floor: cannot start the worker thread\n");
                return 1;
        }
        /* Interleaved, so that every figure sees the same machine load. */
        for (unsigned long i = 0; i < rounds && r >= 0; i++) {
                r = syscall_batch(&best_syscall);
                if (r >= 0)
                        r = handoff_batch(&h, epfd, pair[0], &best_handoff);
                if (r >= 0)
                        r = socket_batch(echo[0], &best_socket);
                if (r >= 0)
                        r = sysfs_round(argv[2], mdev, argv[3], &best_open, &best_assign);
        }
        pthread_mutex_lock(&h.lock);
        h.quit = true;
        pthread_mutex_unlock(&h.lock);
        pthread_cond_signal(&h.cond);
        pthread_join(worker, NULL);
        close(echo[0]);
        (void) waitpid(child, NULL, 0);
        if (r < 0) {
                fprintf(stderr, "daemon-floor: %s\n", strerror(-r));
                return 1;
        }
        printf("syscall_ns=%llu handoff_ns=%llu socket_rt_ns=%llu open_close_ns=%llu assign_ns=%llu\n",
               (unsigned long long) best_syscall, (unsigned long long) best_handoff,
               (unsigned long long) best_socket, (unsigned long long) best_open, (unsigned long long) best_assign);
        return 0;
}
