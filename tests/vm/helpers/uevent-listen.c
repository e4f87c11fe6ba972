/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uevent-listen: a kernel uevent listener for VM scenarios, on the
 * NETLINK_KOBJECT_UEVENT socket (no udev in the VM). It prints every
 * event it receives and exits as soon as COUNT events matched every
 * PATTERN, or fails after the timeout.
 *
 *   uevent-listen [-t SECONDS] [-c COUNT] [-r READYFILE] [-o OUTFILE] PATTERN...
 *
 * Each event is printed as "ACTION@DEVPATH", then one line per environment
 * variable, then an empty line. Bytes a line cannot hold are escaped (\n,
 * \t, \\, \xHH), so upstream's APMASK value, which ends with a newline,
 * prints as "APMASK=0x...\n". A PATTERN is an fnmatch(3) glob matched
 * against those printed lines; an event matches when every PATTERN matches
 * one of its lines. READYFILE is created once the socket listens, so a
 * scenario starts its action only after that. Exit: 0 matched, 1 timed
 * out or failed, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"

#define EVENT_BUF_SIZE (16 * 1024)      /* the kernel's uevent buffer is 2 KiB */
#define EVENT_LINES_MAX 64              /* UEVENT_NUM_ENVP is 64 */
#define LINE_MAX_ESCAPED (4 * 2048 + 1)
#define RCVBUF_SIZE (8 * 1024 * 1024)   /* thousands of add events must not drop */

static void escape(const char *s, size_t n, char *out)
{
        static const char hex[] = "0123456789abcdef";
        size_t i;

        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c == '\n') {
                        *out++ = '\\';
                        *out++ = 'n';
                } else if (c == '\t') {
                        *out++ = '\\';
                        *out++ = 't';
                } else if (c == '\\') {
                        *out++ = '\\';
                        *out++ = '\\';
                } else if (c < 0x20 || c >= 0x7f) {
                        *out++ = '\\';
                        *out++ = 'x';
                        *out++ = hex[c >> 4];
                        *out++ = hex[c & 0xf];
                } else {
                        *out++ = (char) c;
                }
        }
        *out = '\0';
}

static long long now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Print one event and tell whether it matches every pattern. */
static bool event_handle(const char *buf, size_t len, FILE *out, char **patterns, int npatterns) {
        static char lines[EVENT_LINES_MAX][LINE_MAX_ESCAPED];
        size_t off = 0, n;
        int nlines = 0, p, l;
        bool all = true;

        /* "action@devpath" header, then NUL separated KEY=VALUE strings */
        while (off < len && nlines < EVENT_LINES_MAX) {
                n = strnlen(buf + off, len - off);
                if (n > 2048)
                        n = 2048;
                escape(buf + off, n, lines[nlines++]);
                off += strnlen(buf + off, len - off) + 1;
        }
        for (l = 0; l < nlines; l++)
                fprintf(out, "%s\n", lines[l]);
        fputc('\n', out);
        fflush(out);

        for (p = 0; p < npatterns && all; p++) {
                bool one = false;

                for (l = 0; l < nlines && !one; l++)
                        one = fnmatch(patterns[p], lines[l], 0) == 0;
                all = one;
        }
        return all;
}

static int usage(void) {
        fprintf(stderr, "usage: uevent-listen [-t SECONDS] [-c COUNT] [-r READYFILE] [-o OUTFILE] PATTERN...\n");
        return 2;
}

int main(int argc, char **argv) {
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
        const char *ready = NULL, *outfile = NULL;
        int timeout_s = 10, count = 1, matched = 0, fd, c, rcvbuf = RCVBUF_SIZE;
        static char buf[EVENT_BUF_SIZE];
        FILE *out = stdout;
        long long deadline;

        while ((c = getopt(argc, argv, "t:c:r:o:")) != -1) {
                char *end;

                switch (c) {
                case 't':
                        timeout_s = (int) strtol(optarg, &end, 10);
                        if (*end || timeout_s <= 0 || timeout_s > 3600)
                                return usage();
                        break;
                case 'c':
                        count = (int) strtol(optarg, &end, 10);
                        if (*end || count <= 0 || count > 1000000)
                                return usage();
                        break;
                case 'r':
                        ready = optarg;
                        break;
                case 'o':
                        outfile = optarg;
                        break;
                default:
                        return usage();
                }
        }

        if (outfile) {
                out = fopen(outfile, "we");
                if (!out) {
                        fprintf(stderr, "uevent-listen: %s: %s\n", outfile, strerror(errno));
                        return 1;
                }
        }
        fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
        if (fd < 0) {
                fprintf(stderr, "uevent-listen: socket: %s\n", strerror(errno));
                return 1;
        }
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                fprintf(stderr, "uevent-listen: bind: %s\n", strerror(errno));
                return 1;
        }
        if (ready) {
                int rfd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

                if (rfd < 0) {
                        fprintf(stderr, "uevent-listen: %s: %s\n", ready, strerror(errno));
                        return 1;
                }
                close(rfd);
        }

        deadline = now_ms() + timeout_s * 1000LL;
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                long long left = deadline - now_ms();
                ssize_t n;
                int r;

                if (left <= 0)
                        break;
                r = poll(&pfd, 1, (int) left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        fprintf(stderr, "uevent-listen: poll: %s\n", strerror(errno));
                        return 1;
                }
                if (r == 0)
                        break;
                n = recv(fd, buf, sizeof(buf), 0);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        /* ENOBUFS: events were lost; a matching one may be among them */
                        fprintf(stderr, "uevent-listen: recv: %s\n", strerror(errno));
                        return 1;
                }
                /* libudev's own messages start with "libudev"; only the kernel's count */
                if (n >= 8 && strneq(buf, "libudev", 7))
                        continue;
                if (event_handle(buf, (size_t) n, out, argv + optind, argc - optind) &&
                    ++matched >= count) {
                        if (out != stdout)
                                fclose(out);
                        return 0;
                }
        }
        fprintf(stderr, "uevent-listen: timed out after %d s with %d of %d matching events\n",
                timeout_s, matched, count);
        return 1;
}
