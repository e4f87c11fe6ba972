/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Clock, framing, /proc and sysfs helpers shared by the daemon benchmarks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon-bench-util.h"
#include "macro.h"

uint64_t bench_now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

int bench_connect(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

int bench_send(int fd, const char *message) {
        size_t len = strlen(message) + 1, done = 0;

        while (done < len) {
                ssize_t n = send(fd, message + done, len - done, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                done += n;
        }
        return 0;
}

ssize_t bench_recv(int fd, char **buf, size_t *size) {
        size_t used = 0;

        for (;;) {
                ssize_t n;
                char *nul;

                if (*size - used < 4096) {
                        size_t grow = *size ? *size * 2 : 65536;
                        char *p;
                        if (grow > BENCH_REPLY_MAX)
                                return -EMSGSIZE;
                        p = realloc(*buf, grow);
                        if (!p)
                                return -ENOMEM;
                        *buf = p;
                        *size = grow;
                }
                n = recv(fd, *buf + used, *size - used, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -ECONNRESET;
                /* One call in flight per connection: the NUL ends the reply. */
                nul = memchr(*buf + used, 0, n);
                used += n;
                if (nul)
                        return nul - *buf;
        }
}

ssize_t bench_call(int fd, const char *message, char **buf, size_t *size) {
        ssize_t n;
        int r = bench_send(fd, message);

        if (r < 0)
                return r;
        n = bench_recv(fd, buf, size);
        if (n < 0)
                return n;
        if (strneq(*buf, "{\"error\"", 8))
                return -EPROTO;
        return n;
}

int bench_memory_kib(pid_t pid, unsigned long *ret_rss, unsigned long *ret_hwm, unsigned long *ret_anon) {
        char path[64], line[256];
        unsigned long rss = 0, hwm = 0, anon = 0;
        int found = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "VmRSS: %lu kB", &rss) == 1)
                        found |= 1;
                else if (sscanf(line, "VmHWM: %lu kB", &hwm) == 1)
                        found |= 2;
                else if (sscanf(line, "RssAnon: %lu kB", &anon) == 1)
                        found |= 4;
        }
        fclose(f);
        if (found != 7)
                return -ENODATA;
        *ret_rss = rss;
        *ret_hwm = hwm;
        *ret_anon = anon;
        return 0;
}

int bench_write_fd(int fd, const char *value) {
        size_t len = strlen(value);
        ssize_t n = write(fd, value, len);

        if (n < 0)
                return negative_errno();
        /* A store() takes the whole value or fails: a short write is an error, and errno says nothing then. */
        return (size_t) n == len ? 0 : -EIO;
}

int bench_write_attr(const char *dir, const char *name, const char *value) {
        char path[PATH_MAX];
        _cleanup_close_ int fd = -EBADF;

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        return bench_write_fd(fd, value);
}
