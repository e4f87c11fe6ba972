/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal TAP producer for the lib unit tests: checks inside a case print
 * "# file:line: ..." diagnostics, each case ends in one "ok"/"not ok" line,
 * and the plan comes last. Header-only so every test stays one plain
 * executable that needs nothing but libc (it also runs inside the s390x VM).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct Tap {
        unsigned cases;
        unsigned failed;
        bool case_ok;
} Tap;

static Tap tap = { .case_ok = true };

__attribute__((format(printf, 1, 2), unused))
static void tap_diag(const char *fmt, ...) {
        va_list ap;

        fputs("# ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
}

/* Records a failed check in the current case; returns cond. */
__attribute__((unused))
static bool tap_check(bool cond, const char *what, const char *file, int line) {
        if (!cond) {
                tap.case_ok = false;
                tap_diag("%s:%d: check failed: %s", file, line, what);
        }
        return cond;
}

#define CHECK(cond) tap_check(!!(cond), #cond, __FILE__, __LINE__)

#define CHECK_STREQ(a, b)                                                             \
        ({                                                                            \
                const char *_a = (a), *_b = (b);                                      \
                bool _ok = _a && _b && strcmp(_a, _b) == 0;                           \
                if (!tap_check(_ok, #a " == " #b, __FILE__, __LINE__))                \
                        tap_diag("  got \"%s\", expected \"%s\"", _a ? _a : "(null)", \
                                 _b ? _b : "(null)");                                 \
                _ok;                                                                  \
        })

/* Ends the current case with one TAP line named by fmt. */
__attribute__((format(printf, 1, 2), unused))
static void tap_case_end(const char *fmt, ...) {
        va_list ap;

        tap.cases++;
        if (!tap.case_ok)
                tap.failed++;
        printf("%s %u - ", tap.case_ok ? "ok" : "not ok", tap.cases);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
        fflush(stdout);
        tap.case_ok = true;
}

/* Prints the plan; the exit status says whether any case failed. */
__attribute__((unused))
static int tap_finish(void) {
        printf("1..%u\n", tap.cases);
        return tap.failed ? 1 : 0;
}
