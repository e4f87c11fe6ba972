/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers every userspace component uses: cleanup attributes,
 * ownership hand-over, array sizes, string equality. Modelled on systemd's
 * src/basic/macro.h conventions.
 */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _public_ __attribute__((visibility("default")))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

/* Hand a pointer or fd on and forget it here, so cleanup does not free it. */
#define TAKE_PTR(p)                                \
        ({                                         \
                __typeof__(p) _ptr_ = (p);         \
                (p) = NULL;                        \
                _ptr_;                             \
        })
#define TAKE_FD(fd)                                \
        ({                                         \
                int _fd_ = (fd);                   \
                (fd) = -EBADF;                     \
                _fd_;                              \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Cleanup for a library type whose destructor takes the pointer: one line each. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p) {           \
                if (*p)                                 \
                        func(*p);                       \
        }

/* Room for a uint64_t in decimal and its NUL. */
#define DECIMAL_U64_BUFSZ 21

/*
 * v in decimal, NUL-terminated; returns the number of digits. For numbers
 * written on every transaction (sysfs ids, JSON): snprintf's machinery
 * costs some twenty times as many instructions per number.
 */
static inline size_t format_u64(char buf[static DECIMAL_U64_BUFSZ], uint64_t v) {
        char tmp[DECIMAL_U64_BUFSZ];
        size_t n = 0;

        do
                tmp[n++] = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        for (size_t i = 0; i < n; i++)
                buf[i] = tmp[n - 1 - i];
        buf[n] = 0;
        return n;
}

/* Negative errno from a libc call that sets errno; never 0 by mistake. */
/* Now, CLOCK_MONOTONIC, in microseconds: the present, unlike sd_event_now()'s start of the iteration. */
static inline uint64_t monotonic_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}
