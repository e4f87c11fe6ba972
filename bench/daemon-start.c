/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/daemon-speed.sh's start-up and memory figures: the time from
 * fork() of apctld (sysfs backend on a synthetic tree) to its READY=1 on a
 * private $NOTIFY_SOCKET, against the time from fork() of a plain walk of
 * the same tree to its exit, where the walk (this program with --walk)
 * opens and reads every attribute and driver link apctld's sysfs backend
 * reads, once. Rounds alternate walk and daemon so that both see the same
 * machine load; the fastest round of each counts. The CPU time each spent
 * until then (the walk's from wait4(), apctld's from its threads'
 * schedstat at READY=1) is reported too: load moves it much less. After READY and again
 * after one io.apctl.Host.List, apctld's VmRSS, VmHWM and RssAnon (from
 * /proc/PID/status) and PSS (smaps_rollup) are read; the Host.List reply
 * must list every queue of the tree.
 *
 * usage: daemon-start --walk ROOT
 *        daemon-start ROUNDS SOCKET APCTLD [ARGS...]   (ARGS must make apctld listen on SOCKET)
 * prints: walk_files=.. (one line per round), then walk_ns=.. ready_ns=.. walk_cpu_ns=..
 *         ready_cpu_ns=.. queues=.. rss_ready_kib=.. hwm_ready_kib=.. anon_ready_kib=.. pss_ready_kib=..
 *         rss_list_kib=.. hwm_list_kib=.. anon_list_kib=.. pss_list_kib=..
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon-bench-util.h"
#include "macro.h"

#define READY_TIMEOUT_MS 120000

typedef struct WalkAttr {
        const char *name;
        size_t size;            /* apctld's read buffer; 0: to the end */
} WalkAttr;

static const WalkAttr bus_attrs[] = {
        { "apmask", 128 }, { "aqmask", 128 }, { "ap_adapter_mask", 128 }, { "ap_usage_domain_mask", 128 },
        { "ap_control_domain_mask", 128 }, { "ap_max_adapter_id", 32 }, { "ap_max_domain_id", 32 },
        { "bindings", 128 },
};
static const WalkAttr card_attrs[] = {
        { "hwtype", 32 }, { "config", 32 }, { "chkstop", 32 }, { "online", 32 }, { "uevent", 0 },
};
static const WalkAttr queue_attrs[] = { { "config", 32 }, { "chkstop", 32 }, { "online", 32 } };

/*
 * Read one attribute as apctld does: open, one read of up to size - 1 bytes
 * (apctld's buffers: 31 for numbers, 127 for masks), close; size 0 reads to
 * the end as apctld reads a uevent file. 1 if it was there.
 */
static int walk_read(const char *dir, const char *name, size_t size) {
        char path[PATH_MAX], buf[4096];
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        snprintf(path, sizeof(path), "%.3800s/%.64s", dir, name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        do
                n = read(fd, buf, size ? size - 1 : sizeof(buf));
        while (size == 0 && n > 0);
        return n >= 0;
}

static int walk_link(const char *dir) {
        char path[PATH_MAX], target[PATH_MAX];

        snprintf(path, sizeof(path), "%.3800s/driver", dir);
        return readlink(path, target, sizeof(target)) >= 0;
}

/* The plain walk: every file apctld's start-up load reads. Exit status 0; prints the count. */
static int walk(const char *root) {
        char bus[3100], devices[3200], dev[3500], matrix[3100];
        unsigned long files = 0;
        struct dirent *de;
        DIR *d;

        /* Bounded so that every path below fits in PATH_MAX. */
        snprintf(bus, sizeof(bus), "%.3000s/bus/ap", root);
        snprintf(devices, sizeof(devices), "%s/devices", bus);
        snprintf(matrix, sizeof(matrix), "%.3000s/devices/vfio_ap/matrix", root);
        for (size_t i = 0; i < ELEMENTSOF(bus_attrs); i++)
                files += walk_read(bus, bus_attrs[i].name, bus_attrs[i].size);
        d = opendir(devices);
        if (!d) {
                fprintf(stderr, "daemon-start: %s: %m\n", devices);
                return 1;
        }
        while ((de = readdir(d))) {
                bool card = strneq(de->d_name, "card", 4);

                if (de->d_name[0] == '.')
                        continue;
                snprintf(dev, sizeof(dev), "%s/%.255s", devices, de->d_name);
                if (card)
                        for (size_t i = 0; i < ELEMENTSOF(card_attrs); i++)
                                files += walk_read(dev, card_attrs[i].name, card_attrs[i].size);
                else
                        for (size_t i = 0; i < ELEMENTSOF(queue_attrs); i++)
                                files += walk_read(dev, queue_attrs[i].name, queue_attrs[i].size);
                files += walk_link(dev);
        }
        closedir(d);
        files += walk_read(matrix, "features", 256);
        d = opendir(matrix);
        if (d)
                closedir(d);
        printf("walk_files=%lu\n", files);
        return 0;
}

/* Fork the walk and wait for it; its output (the file count) goes to stdout once, from the last round. */
static int time_walk(const char *self, const char *root, uint64_t *ret_ns, uint64_t *ret_cpu_ns) {
        uint64_t t0 = bench_now_ns();
        pid_t pid = fork();
        struct rusage ru;
        int status;

        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                execl(self, self, "--walk", root, (char *) NULL);
                _exit(127);
        }
        if (wait4(pid, &status, 0, &ru) < 0)
                return negative_errno();
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -ECHILD;
        *ret_ns = bench_now_ns() - t0;
        *ret_cpu_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
                      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
        return 0;
}

/* On-CPU time of every live thread of pid, from /proc/PID/task/TID/schedstat. */
static int cpu_ns_of(pid_t pid, uint64_t *ret) {
        char path[64];
        struct dirent *de;
        uint64_t sum = 0;
        DIR *d;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) pid);
        d = opendir(path);
        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                char stat[128];
                unsigned long long ns;
                FILE *f;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(stat, sizeof(stat), "%s/%.16s/schedstat", path, de->d_name);
                f = fopen(stat, "re");
                if (!f)
                        continue;       /* the thread ended meanwhile */
                if (fscanf(f, "%llu", &ns) == 1)
                        sum += ns;
                fclose(f);
        }
        closedir(d);
        *ret = sum;
        return 0;
}

static int notify_socket_open(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

/* Wait for a datagram carrying READY=1; -ETIMEDOUT after READY_TIMEOUT_MS. */
static int wait_ready(int fd, pid_t pid) {
        uint64_t deadline = bench_now_ns() + READY_TIMEOUT_MS * 1000000ULL;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                char buf[4096];
                uint64_t now = bench_now_ns();
                ssize_t n;

                if (now >= deadline)
                        return -ETIMEDOUT;
                if (poll(&p, 1, (deadline - now) / 1000000 + 1) < 0 && errno != EINTR)
                        return negative_errno();
                if (waitpid(pid, NULL, WNOHANG) == pid)
                        return -ECHILD;
                if (!(p.revents & POLLIN))
                        continue;
                n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        return negative_errno();
                buf[n] = 0;
                if (strstr(buf, "READY=1"))
                        return 0;
        }
}

typedef struct DaemonRound {
        uint64_t ready_ns, ready_cpu_ns;
        unsigned long rss_ready, hwm_ready, anon_ready, pss_ready, rss_list, hwm_list, anon_list, pss_list;
        unsigned queues;
} DaemonRound;

/*
 * PSS from /proc/PID/smaps_rollup: shared pages divided among the processes
 * mapping them, so it moves with whatever else runs; context, not a target.
 * 0 where the kernel has no smaps_rollup (before 4.14).
 */
static int pss_kib(pid_t pid, unsigned long *ret) {
        char path[64], line[256];
        unsigned long pss = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int) pid);
        f = fopen(path, "re");
        if (!f) {
                if (errno != ENOENT)
                        return negative_errno();
                *ret = 0;
                return 0;
        }
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "Pss: %lu kB", &pss) == 1)
                        break;
        fclose(f);
        *ret = pss;
        return 0;
}

static unsigned count_queues(const char *reply) {
        unsigned n = 0;

        for (const char *p = reply; (p = strstr(p, "\"apqn\":")); p++)
                n++;
        return n;
}

/* Start apctld, time it to READY, measure memory around a Host.List, stop it. */
static int daemon_round(char **argv, const char *socket_path, DaemonRound *ret) {
        char notify_path[PATH_MAX];
        _cleanup_close_ int notify = -EBADF, fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        DaemonRound d = {};
        size_t size = 0;
        ssize_t n;
        uint64_t t0;
        pid_t pid;
        int r;

        snprintf(notify_path, sizeof(notify_path), "%s.notify", socket_path);
        notify = notify_socket_open(notify_path);
        if (notify < 0)
                return notify;
        t0 = bench_now_ns();
        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                setenv("NOTIFY_SOCKET", notify_path, 1);
                execv(argv[0], argv);
                _exit(127);
        }
        r = wait_ready(notify, pid);
        d.ready_ns = bench_now_ns() - t0;
        if (r >= 0)
                r = cpu_ns_of(pid, &d.ready_cpu_ns);
        if (r >= 0)
                r = bench_memory_kib(pid, &d.rss_ready, &d.hwm_ready, &d.anon_ready);
        if (r >= 0)
                r = pss_kib(pid, &d.pss_ready);
        if (r >= 0)
                r = fd = bench_connect(socket_path);
        if (r >= 0)
                r = n = bench_call(fd, "{\"method\":\"io.apctl.Host.List\"}", &buf, &size);
        if (r >= 0) {
                d.queues = count_queues(buf);
                r = bench_memory_kib(pid, &d.rss_list, &d.hwm_list, &d.anon_list);
        }
        if (r >= 0)
                r = pss_kib(pid, &d.pss_list);
        (void) kill(pid, SIGTERM);
        (void) waitpid(pid, NULL, 0);
        (void) unlink(notify_path);
        if (r < 0)
                return r;
        *ret = d;
        return 0;
}

int main(int argc, char *argv[]) {
        uint64_t best_walk = UINT64_MAX, best_ready = UINT64_MAX, best_walk_cpu = UINT64_MAX,
                 best_ready_cpu = UINT64_MAX;
        DaemonRound last = {};
        unsigned long rounds;
        char *end;

        if (argc == 3 && streq(argv[1], "--walk"))
                return walk(argv[2]);
        if (argc < 4) {
                fprintf(stderr, "usage: daemon-start --walk ROOT\n"
                                "       daemon-start ROUNDS SOCKET APCTLD [ARGS...]\n");
                return 2;
        }
        rounds = strtoul(argv[1], &end, 10);
        if (*end || rounds == 0 || rounds > 1000) {
                fprintf(stderr, "daemon-start: ROUNDS must be 1..1000, not '%s'\n", argv[1]);
                return 2;
        }
        for (unsigned long i = 0; i < rounds; i++) {
                const char *root = NULL;
                uint64_t w, w_cpu;
                int r;

                for (int a = 4; a < argc; a++)
                        if (strneq(argv[a], "--sysfs-root=", 13))
                                root = argv[a] + 13;
                if (!root) {
                        fprintf(stderr, "daemon-start: the apctld arguments need --sysfs-root=DIR (the tree to walk)\n");
                        return 2;
                }
                /* The walk prints its count on stdout: keep only the last round's. */
                fflush(stdout);
                r = time_walk("/proc/self/exe", root, &w, &w_cpu);
                if (r < 0) {
                        fprintf(stderr, "daemon-start: the walk of %s failed: %s\n", root, strerror(-r));
                        return 1;
                }
                if (w < best_walk)
                        best_walk = w;
                if (w_cpu < best_walk_cpu)
                        best_walk_cpu = w_cpu;
                r = daemon_round(argv + 3, argv[2], &last);
                if (r < 0) {
                        fprintf(stderr, "daemon-start: round %lu: apctld %s: %s\n", i + 1,
                                r == -ETIMEDOUT ? "sent no READY=1" : r == -ECHILD ? "exited before READY=1" :
                                "failed", strerror(-r));
                        return 1;
                }
                if (last.ready_ns < best_ready)
                        best_ready = last.ready_ns;
                if (last.ready_cpu_ns < best_ready_cpu)
                        best_ready_cpu = last.ready_cpu_ns;
        }
        printf("walk_ns=%llu ready_ns=%llu walk_cpu_ns=%llu ready_cpu_ns=%llu queues=%u rss_ready_kib=%lu "
               "hwm_ready_kib=%lu anon_ready_kib=%lu pss_ready_kib=%lu rss_list_kib=%lu hwm_list_kib=%lu "
               "anon_list_kib=%lu pss_list_kib=%lu\n",
               (unsigned long long) best_walk, (unsigned long long) best_ready, (unsigned long long) best_walk_cpu,
               (unsigned long long) best_ready_cpu, last.queues, last.rss_ready, last.hwm_ready, last.anon_ready,
               last.pss_ready, last.rss_list, last.hwm_list, last.anon_list, last.pss_list);
        return 0;
}
