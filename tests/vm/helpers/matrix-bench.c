/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * matrix-bench: VM helper for bench/matrix-assign.sh. Writes VALUE_A to
 * FILE_A and VALUE_B to FILE_B, N times each, alternating (one write(2)
 * per operation, files kept open), and prints the mean nanoseconds per
 * write. Any refused write aborts: a benchmark of failing writes measures
 * nothing.
 *
 * usage: matrix-bench N FILE_A VALUE_A [FILE_B VALUE_B]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"

static long long now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int write_once(int fd, const char *value, size_t len)
{
        if (pwrite(fd, value, len, 0) != (ssize_t) len)
                return -errno;
        return 0;
}

int main(int argc, char **argv)
{
        _cleanup_close_ int fa = -1, fb = -1;
        long n, i, writes;
        long long t0, t1;
        size_t la, lb = 0;
        int r;

        if (argc != 4 && argc != 6) {
                fprintf(stderr, "usage: matrix-bench N FILE_A VALUE_A [FILE_B VALUE_B]\n");
                return 2;
        }
        n = strtol(argv[1], NULL, 10);
        if (n <= 0) {
                fprintf(stderr, "matrix-bench: N must be positive\n");
                return 2;
        }
        fa = open(argv[2], O_WRONLY | O_CLOEXEC);
        la = strlen(argv[3]);
        if (argc == 6) {
                fb = open(argv[4], O_WRONLY | O_CLOEXEC);
                lb = strlen(argv[5]);
        }
        if (fa < 0 || (argc == 6 && fb < 0)) {
                printf("error open %s\n", strerrorname_np(errno));
                return 1;
        }
        t0 = now_ns();
        for (i = 0; i < n; i++) {
                r = write_once(fa, argv[3], la);
                if (!r && fb >= 0)
                        r = write_once(fb, argv[5], lb);
                if (r < 0) {
                        printf("error write %s after %ld\n", strerrorname_np(-r), i);
                        return 1;
                }
        }
        t1 = now_ns();
        writes = fb >= 0 ? 2 * n : n;
        printf("%lld\n", (t1 - t0) / writes);
        return 0;
}
