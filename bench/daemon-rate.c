/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client of bench/daemon-speed.sh's request rate: CLIENTS connections,
 * one thread each, each sending REQUESTS copies of one message and waiting
 * for each reply before the next (as a CLI or a hook does). The same
 * program and message go to apctld and to echo-server, so the ratio of the
 * two rates is what apctld costs per call over the bare socket round trip.
 * Every reply is checked (apctld: a Status reply naming its queues; echo:
 * the message itself), so a server that answers nonsense fast does not win.
 *
 * usage: daemon-rate SOCKET CLIENTS REQUESTS echo|status
 * prints: requests=N ns=T
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-bench-util.h"
#include "macro.h"

#define RATE_CLIENTS_MAX 1024
static const char status_call[] = "{\"method\":\"io.apctl.Status\"}";

typedef struct RateClient {
        const char *socket_path;                /* borrowed from argv */
        unsigned requests;
        bool expect_echo;
        pthread_barrier_t *start;               /* borrowed from main */
        int result;                             /* 0, or the first negative errno */
        char failure[160];
} RateClient;

static int reply_check(const RateClient *c, const char *reply, size_t len) {
        if (c->expect_echo)
                return len == sizeof(status_call) - 1 && memcmp(reply, status_call, len) == 0 ? 0 : -EBADMSG;
        return strneq(reply, "{\"parameters\":", 14) && strstr(reply, "\"queues\":") ? 0 : -EBADMSG;
}

static void *rate_client_run(void *userdata) {
        RateClient *c = userdata;
        _cleanup_close_ int fd = bench_connect(c->socket_path);
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;

        /* Everyone connects first, so the clock runs only while all 64 are talking. */
        pthread_barrier_wait(c->start);
        if (fd < 0) {
                c->result = fd;
                snprintf(c->failure, sizeof(c->failure), "connect: %s", strerror(-fd));
                return NULL;
        }
        for (unsigned i = 0; i < c->requests; i++) {
                ssize_t n = bench_call(fd, status_call, &buf, &size);
                if (n >= 0)
                        n = reply_check(c, buf, n);
                if (n < 0) {
                        c->result = n;
                        snprintf(c->failure, sizeof(c->failure), "request %u: %s%s%.80s", i + 1, strerror(-n),
                                 buf ? ": " : "", buf ? buf : "");
                        return NULL;
                }
        }
        return NULL;
}

static int parse_count(const char *s, unsigned max, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v == 0 || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_free_ RateClient *clients = NULL;
        _cleanup_free_ pthread_t *threads = NULL;
        pthread_barrier_t start;
        unsigned n_clients, requests;
        uint64_t t0, t1;
        int failed = 0;

        if (argc != 5 || (!streq(argv[4], "echo") && !streq(argv[4], "status"))) {
                fprintf(stderr, "usage: daemon-rate SOCKET CLIENTS REQUESTS echo|status\n");
                return 2;
        }
        if (parse_count(argv[2], RATE_CLIENTS_MAX, &n_clients) < 0 ||
            parse_count(argv[3], 10000000, &requests) < 0) {
                fprintf(stderr, "daemon-rate: CLIENTS must be 1..%u and REQUESTS 1..10000000\n", RATE_CLIENTS_MAX);
                return 2;
        }
        clients = calloc(n_clients, sizeof(*clients));
        threads = calloc(n_clients, sizeof(*threads));
        if (!clients || !threads || pthread_barrier_init(&start, NULL, n_clients + 1) != 0) {
                fprintf(stderr, "daemon-rate: out of memory\n");
                return 1;
        }
        for (unsigned i = 0; i < n_clients; i++) {
                clients[i] = (RateClient) { .socket_path = argv[1], .requests = requests,
                                            .expect_echo = streq(argv[4], "echo"), .start = &start };
                if (pthread_create(&threads[i], NULL, rate_client_run, &clients[i]) != 0) {
                        fprintf(stderr, "daemon-rate: cannot start client thread %u\n", i);
                        return 1;
                }
        }
        pthread_barrier_wait(&start);
        t0 = bench_now_ns();
        for (unsigned i = 0; i < n_clients; i++)
                pthread_join(threads[i], NULL);
        t1 = bench_now_ns();
        for (unsigned i = 0; i < n_clients; i++)
                if (clients[i].result < 0 && failed++ == 0)
                        fprintf(stderr, "daemon-rate: %s: client %u: %s\n", argv[1], i, clients[i].failure);
        if (failed) {
                fprintf(stderr, "daemon-rate: %d of %u clients failed\n", failed, n_clients);
                return 1;
        }
        printf("requests=%llu ns=%llu\n", (unsigned long long) n_clients * requests, (unsigned long long) (t1 - t0));
        return 0;
}
