/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict UTF-8: every boundary of Unicode table 3-7, overlong forms,
 * surrogates, code points above U+10FFFF and sequences cut short, and the
 * offset reported for each; cutting text back to a character boundary.
 */
#include <string.h>

#include "macro.h"
#include "tap.h"
#include "utf8.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_valid(void) {
        static const struct {
                const char *text;
                size_t len;
        } cases[] = {
                { S("") },
                { S("plain ASCII \x7f") },
                { S("\xc2\x80") },                      /* U+0080, smallest two-byte */
                { S("\xdf\xbf") },                      /* U+07FF */
                { S("\xe0\xa0\x80") },                  /* U+0800, smallest three-byte */
                { S("\xed\x9f\xbf") },                  /* U+D7FF, just below the surrogates */
                { S("\xee\x80\x80") },                  /* U+E000, just above them */
                { S("\xef\xbf\xbf") },                  /* U+FFFF */
                { S("\xf0\x90\x80\x80") },              /* U+10000, smallest four-byte */
                { S("\xf4\x8f\xbf\xbf") },              /* U+10FFFF, the largest */
                { S("web01 \xe2\x82\xac \xf0\x9f\x94\x91") },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (!CHECK(utf8_find_invalid(cases[i].text, cases[i].len) == cases[i].len))
                        tap_diag("case %zu refused at %zu", i, utf8_find_invalid(cases[i].text, cases[i].len));
        tap_case_end("well-formed UTF-8 up to every boundary is accepted");
}

static void test_invalid(void) {
        static const struct {
                const char *text;
                size_t len;
                size_t offset;
        } cases[] = {
                { S("\x80"), 0 },                       /* stray continuation byte */
                { S("ab\xbf"), 2 },
                { S("\xc0\xaf"), 0 },                   /* overlong '/' */
                { S("\xc1\xbf"), 0 },
                { S("\xe0\x80\xaf"), 0 },               /* overlong three-byte */
                { S("\xe0\x9f\xbf"), 0 },
                { S("\xf0\x80\x80\xaf"), 0 },           /* overlong four-byte */
                { S("\xf0\x8f\xbf\xbf"), 0 },
                { S("\xed\xa0\x80"), 0 },               /* U+D800, a surrogate */
                { S("\xed\xbf\xbf"), 0 },               /* U+DFFF */
                { S("\xf4\x90\x80\x80"), 0 },           /* U+110000 */
                { S("\xf5\x80\x80\x80"), 0 },
                { S("\xff"), 0 },
                { S("x\xc2"), 1 },                      /* cut short by the end */
                { S("x\xe2\x82"), 1 },
                { S("x\xf0\x9f\x94"), 1 },
                { S("\xc2\x41"), 0 },                   /* continuation expected, ASCII found */
                { S("\xe2\x82\x41"), 0 },
                { S("\xf0\x9f\x94\xc2\x80"), 0 },
                { S("ok \xe2\x82\xac then \xed\xa0\x80"), 12 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (!CHECK(utf8_find_invalid(cases[i].text, cases[i].len) == cases[i].offset))
                        tap_diag("case %zu: offset %zu, expected %zu", i,
                                 utf8_find_invalid(cases[i].text, cases[i].len), cases[i].offset);
        tap_case_end("overlong, surrogate, beyond U+10FFFF and truncated sequences are refused at their offset");
}

static void test_len_bounds_the_scan(void) {
        /* A valid sequence that len cuts in two is truncated; bytes past len are never read. */
        CHECK(utf8_find_invalid("\xe2\x82\xac", 2) == 0);
        CHECK(utf8_find_invalid("ab\xff", 2) == 2);
        tap_case_end("only s[0..len) is looked at");
}

/* One character of each length, twice over, and the offsets where characters begin. */
static const char mixed[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91" "b\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91";
static const size_t mixed_boundaries[] = { 0, 1, 3, 6, 10, 11, 13, 16, 20 };

static size_t boundary_at_or_before(size_t len) {
        size_t b = 0;

        for (size_t i = 0; i < ELEMENTSOF(mixed_boundaries); i++)
                if (mixed_boundaries[i] <= len)
                        b = mixed_boundaries[i];
        return b;
}

static void test_truncate_every_boundary(void) {
        for (size_t len = 0; len <= sizeof(mixed) - 1; len++) {
                size_t got = utf8_truncate(mixed, len);

                if (!CHECK(got == boundary_at_or_before(len)))
                        tap_diag("len %zu: cut to %zu, expected %zu", len, got, boundary_at_or_before(len));
                CHECK(utf8_find_invalid(mixed, got) == got);
        }
        tap_case_end("a cut inside a 2-, 3- or 4-byte character backs up to its start, a cut between characters stays");
}

static void test_truncate_leaves_other_bytes(void) {
        /* Not a cut sequence: a stray continuation run, an invalid lead, a complete sequence. */
        CHECK(utf8_truncate("\x80\x80\x80\x80\x80", 5) == 5);
        CHECK(utf8_truncate("ab\xff", 3) == 3);
        CHECK(utf8_truncate("ab\xc3\xa9\xa9", 5) == 5);
        CHECK(utf8_truncate("", 0) == 0);
        tap_case_end("only a multi-byte sequence cut short at the end is removed");
}

static void test_snprintf_every_size(void) {
        for (size_t size = 1; size <= sizeof(mixed) + 4; size++) {
                char buf[64];
                size_t len;

                utf8_snprintf(buf, size, "%s", mixed);
                len = strlen(buf);
                if (!CHECK(len == boundary_at_or_before(size - 1)))
                        tap_diag("size %zu: %zu bytes kept, expected %zu", size, len, boundary_at_or_before(size - 1));
                CHECK(memcmp(buf, mixed, len) == 0);
        }
        tap_case_end("utf8_snprintf() keeps the longest prefix that fits and ends at a character boundary");
}

int main(void) {
        test_valid();
        test_invalid();
        test_len_bounds_the_scan();
        test_truncate_every_boundary();
        test_truncate_leaves_other_bytes();
        test_snprintf_every_size();
        return tap_finish();
}
