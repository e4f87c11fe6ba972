/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helpers: build a mask from a literal id list, print one for
 * diagnostics, and a seeded xorshift generator so "random" masks are the
 * same on every run and every architecture.
 */
#pragma once

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>

#include "ap-mask.h"
#include "tap.h"

#define END_IDS (-1)
#define RANGE_IDS(first, last) (-2), (first), (last)

/* mask_of(1, 5, RANGE_IDS(8, 10), END_IDS) = {1, 5, 8, 9, 10}. */
__attribute__((unused))
static ApMask mask_of(int first, ...) {
        ApMask m = {};
        va_list ap;

        va_start(ap, first);
        for (int id = first; id != END_IDS; id = va_arg(ap, int)) {
                if (id == -2) {
                        int a = va_arg(ap, int), z = va_arg(ap, int);

                        ap_mask_set_range(&m, (unsigned) a, (unsigned) z);
                } else
                        ap_mask_set(&m, (unsigned) id);
        }
        va_end(ap);
        return m;
}

/* A check that two masks are equal; prints both as id lists when not. */
#define CHECK_MASK_EQ(got, expected)                                                        \
        ({                                                                                  \
                ApMask _g = (got), _e = (expected);                                         \
                bool _ok = ap_mask_equal(&_g, &_e);                                         \
                if (!tap_check(_ok, #got " == " #expected, __FILE__, __LINE__)) {           \
                        char *_gs = ap_list_format(&_g, AP_LIST_DECIMAL);                   \
                        char *_es = ap_list_format(&_e, AP_LIST_DECIMAL);                   \
                        tap_diag("  got {%s}, expected {%s}", _gs ? _gs : "?", _es ? _es : "?"); \
                        free(_gs);                                                          \
                        free(_es);                                                          \
                }                                                                           \
                _ok;                                                                        \
        })

/* xorshift64*: tiny, deterministic, identical on every platform. */
typedef struct Rng {
        uint64_t state;
} Rng;

__attribute__((unused))
static uint64_t rng_next(Rng *r) {
        r->state ^= r->state >> 12;
        r->state ^= r->state << 25;
        r->state ^= r->state >> 27;
        return r->state * UINT64_C(2685821657736338717);
}

/* A mask where each id is set with probability density/256. */
__attribute__((unused))
static ApMask rng_mask(Rng *r, unsigned density) {
        ApMask m = {};

        for (unsigned id = 0; id <= AP_ID_MAX; id++)
                if ((rng_next(r) & 0xff) < density)
                        ap_mask_set(&m, id);
        return m;
}
