/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict UTF-8: every boundary of Unicode table 3-7, overlong forms,
 * surrogates, code points above U+10FFFF and sequences cut short, and the
 * offset reported for each.
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

int main(void) {
        test_valid();
        test_invalid();
        test_len_bounds_the_scan();
        return tap_finish();
}
