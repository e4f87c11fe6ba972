/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ApMask set operations and the apmask/aqmask text forms: absolute hex,
 * relative edits (including the forms the kernel accepts that look wrong,
 * and the CVE-2024-38661 inputs), and assign_* ids with the octal trap.
 */
#include <errno.h>
#include <string.h>

#include "ap-mask.h"
#include "mask-helpers.h"
#include "tap.h"

static const char zeros64[] = "0000000000000000000000000000000000000000000000000000000000000000";

static void test_set_operations(void) {
        ApMask m = {}, a = mask_of(1, 2, 3, END_IDS), b = mask_of(3, 4, END_IDS), r;
        int seen[4], n = 0;

        CHECK(ap_mask_is_empty(&m));
        CHECK(ap_mask_next(&m, 0) == -1);
        ap_mask_set(&m, 0);
        ap_mask_set(&m, 63);
        ap_mask_set(&m, 64);
        ap_mask_set(&m, 255);
        CHECK(ap_mask_count(&m) == 4);
        CHECK(ap_mask_test(&m, 63) && ap_mask_test(&m, 64) && !ap_mask_test(&m, 65));
        AP_MASK_FOREACH(id, &m) {
                if (n < 4)
                        seen[n] = id;
                n++;
        }
        CHECK(n == 4 && seen[0] == 0 && seen[1] == 63 && seen[2] == 64 && seen[3] == 255);
        CHECK(ap_mask_next(&m, 1) == 63);
        CHECK(ap_mask_next(&m, 65) == 255);
        ap_mask_clear(&m, 255);
        CHECK(ap_mask_next(&m, 65) == -1);
        CHECK(ap_mask_next(&m, 256) == -1);

        ap_mask_clear_all(&m);
        ap_mask_set_range(&m, 60, 70);
        CHECK(ap_mask_count(&m) == 11 && ap_mask_test(&m, 60) && ap_mask_test(&m, 70) && !ap_mask_test(&m, 71));

        ap_mask_and(&r, &a, &b);
        CHECK_MASK_EQ(r, mask_of(3, END_IDS));
        ap_mask_or(&r, &a, &b);
        CHECK_MASK_EQ(r, mask_of(1, 2, 3, 4, END_IDS));
        ap_mask_andnot(&r, &a, &b);
        CHECK_MASK_EQ(r, mask_of(1, 2, END_IDS));
        CHECK(ap_mask_intersects(&a, &b));
        r = mask_of(1, 2, END_IDS);
        CHECK(ap_mask_is_subset(&r, &a) && !ap_mask_is_subset(&a, &r));
        CHECK(!ap_mask_intersects(&r, &b));
        /* ret may be an operand. */
        ap_mask_or(&a, &a, &b);
        CHECK_MASK_EQ(a, mask_of(1, 2, 3, 4, END_IDS));
        tap_case_end("set operations, iteration, ranges");
}

static void test_layout_is_by_id(void) {
        ApMask m = {};

        /* Values, not bytes: the same on big-endian s390x. */
        ap_mask_set(&m, 0);
        ap_mask_set(&m, 65);
        ap_mask_set(&m, 255);
        CHECK(m.word[0] == 1);
        CHECK(m.word[1] == 2);
        CHECK(m.word[2] == 0);
        CHECK(m.word[3] == UINT64_C(1) << 63);
        tap_case_end("id n is bit n%%64 of word n/64 on this architecture too");
}

static void test_format_hex(void) {
        char buf[AP_MASK_HEX_BUFSZ], expected[AP_MASK_HEX_BUFSZ];
        ApMask m = {};

        snprintf(expected, sizeof(expected), "0x%s", zeros64);
        CHECK_STREQ(ap_mask_format_hex(&m, buf), expected);

        m = mask_of(0, END_IDS);
        expected[2] = '8';
        CHECK_STREQ(ap_mask_format_hex(&m, buf), expected);

        m = mask_of(RANGE_IDS(0, 3), 5, END_IDS);
        expected[2] = 'f';
        expected[3] = '4';
        CHECK_STREQ(ap_mask_format_hex(&m, buf), expected);

        snprintf(expected, sizeof(expected), "0x%s", zeros64);
        expected[65] = '1';
        m = mask_of(255, END_IDS);
        CHECK_STREQ(ap_mask_format_hex(&m, buf), expected);

        m = mask_of(RANGE_IDS(0, 255), END_IDS);
        CHECK_STREQ(ap_mask_format_hex(&m, buf),
                    "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
        CHECK(strlen(buf) == AP_MASK_HEX_BUFSZ - 1);
        tap_case_end("format_hex: 0x + 64 lower-case digits, id 0 leftmost");
}

static void test_parse_hex(void) {
        static const struct {
                const char *text;
                ApMask expected;
        } cases[] = {
                { "0x8", { { 1 } } },
                { "x8", { { 1 } } },
                { "8", { { 1 } } },
                { "0x8\n", { { 1 } } },
                { "0x01", { { 1u << 7 } } },    /* short forms pad on the right */
                { "0xF", { { 0xf } } },         /* digits of either case */
                { "0x", { { 0 } } },
                { "x", { { 0 } } },
                { "\n", { { 0 } } },            /* echo > apmask clears it */
                { "0", { { 0 } } },
        };
        char full[80];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ApMask m;
                ApParseError e = {};

                if (CHECK(ap_mask_parse_hex(cases[i].text, &m, &e) == 0))
                        CHECK_MASK_EQ(m, cases[i].expected);
                else
                        tap_diag("  '%s': %s", cases[i].text, e.message);
        }

        /* The kernel's read form, newline included, with the last id set. */
        snprintf(full, sizeof(full), "0x%.63s1\n", zeros64);
        {
                ApMask m;

                CHECK(ap_mask_parse_hex(full, &m, NULL) == 0);
                CHECK_MASK_EQ(m, mask_of(255, END_IDS));
        }
        tap_case_end("parse_hex: 0x, x or no prefix, short forms padded right, one newline");
}

static void test_relative(void) {
        static const struct {
                const char *text;
                const char *why;
        } cases[] = {
                /* The examples of Documentation/arch/s390/vfio-ap.rst and ap_bus.c. */
                { "+0,-6,+0x47,-0xf0", "doc example" },
                { "+0-15,+32,-128,-0xFF", "ap_bus.c example" },
                { "+0-255,-128", "last term wins" },
                { "+010", "010 is octal 8" },
                { "+010-012", "octal range 8-10" },
                { "+0X10", "upper-case 0X is hex" },
                { "+1\n+2\n", "newline separators and a trailing one" },
                { "+1,,+2,", "separator runs, as modify_bitmap skips them" },
                { "+1+2", "a term right after a number" },
                { "+0-5-3", "range then a clearing term without separator" },
                { "-0-255", "clear everything" },
        };
        ApMask expected[] = {
                mask_of(0, 5, 0x47, END_IDS),
                mask_of(RANGE_IDS(0, 15), 32, 200, END_IDS),
                mask_of(RANGE_IDS(0, 127), RANGE_IDS(129, 255), END_IDS),
                mask_of(8, END_IDS),
                mask_of(8, 9, 10, END_IDS),
                mask_of(16, END_IDS),
                mask_of(1, 2, END_IDS),
                mask_of(1, 2, END_IDS),
                mask_of(1, 2, END_IDS),
                mask_of(0, 1, 2, 4, 5, END_IDS),
                mask_of(END_IDS),
        };
        ApMask bases[] = {
                mask_of(5, 6, 0xf0, END_IDS),
                mask_of(128, 200, 255, END_IDS),
                mask_of(END_IDS),
                mask_of(END_IDS),
                mask_of(END_IDS),
                mask_of(END_IDS),
                mask_of(END_IDS),
                mask_of(END_IDS),
                mask_of(END_IDS),
                mask_of(END_IDS),
                mask_of(RANGE_IDS(0, 255), END_IDS),
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                ApMask m;
                ApParseError e = {};
                int r = ap_mask_apply_relative(cases[i].text, &bases[i], &m, &e);

                if (!CHECK(r == 0))
                        tap_diag("  %s: %s", cases[i].why, e.message);
                else if (!CHECK_MASK_EQ(m, expected[i]))
                        tap_diag("  %s", cases[i].why);
        }

        /* ret may be the base itself. */
        {
                ApMask m = mask_of(7, END_IDS);

                CHECK(ap_mask_apply_relative("+8,-7", &m, &m, NULL) == 0);
                CHECK_MASK_EQ(m, mask_of(8, END_IDS));
        }
        tap_case_end("apply_relative: kernel examples, base 0 numbers, separators, last wins");
}

static void test_parse_write(void) {
        ApMask cur = mask_of(1, 2, END_IDS), m;

        CHECK(ap_mask_parse_write("+3", &cur, &m, NULL) == 0);
        CHECK_MASK_EQ(m, mask_of(1, 2, 3, END_IDS));
        CHECK(ap_mask_parse_write("-1", &cur, &m, NULL) == 0);
        CHECK_MASK_EQ(m, mask_of(2, END_IDS));
        /* 0x2 is binary 0010: id 2, counted from the left. */
        CHECK(ap_mask_parse_write("0x2\n", &cur, &m, NULL) == 0);
        CHECK_MASK_EQ(m, mask_of(2, END_IDS));
        CHECK(ap_mask_parse_write("\n", &cur, &m, NULL) == 0);
        CHECK(ap_mask_is_empty(&m));
        tap_case_end("parse_write: relative on + or -, otherwise the whole mask is replaced");
}

/* The inputs that crashed modify_bitmap() before 6.10: refused, output untouched. */
static void test_cve_2024_38661(void) {
        static const char *const inputs[] = {
                "+0x80000000",
                "+2147483648",
                "+4294967295",
                "-0xffffffff",
                "+0x10-0x12,+60,-2147483648",
                "+2147483648-2147483649",
                "+0-0xffffffffffffffff",
                "-18446744073709551616",        /* 2^64: the fixed kernel wraps it to 0 */
                "+99999999999999999999999999999",
        };

        for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
                ApMask base = mask_of(3, END_IDS), m = mask_of(42, END_IDS);
                ApParseError e = {};
                int r = ap_mask_apply_relative(inputs[i], &base, &m, &e);

                CHECK(r == -ERANGE);
                CHECK(e.code == AP_PARSE_ID_TOO_BIG);
                CHECK(strstr(e.message, "above the maximum id 255") != NULL);
                CHECK_MASK_EQ(m, mask_of(42, END_IDS));
                tap_case_end("CVE-2024-38661 input '%s' refused as id-too-big", inputs[i]);
        }
}

static void test_id_parse_kernel(void) {
        static const struct {
                const char *text;
                unsigned max;
                unsigned expected;
        } cases[] = {
                { "5", 255, 5 },
                { "0", 255, 0 },
                { "00", 255, 0 },
                { "0x1a", 255, 26 },
                { "0X1A", 255, 26 },
                { "010", 255, 8 },      /* the octal trap: kstrtoul base 0 */
                { "0377", 255, 255 },
                { "+5", 255, 5 },       /* kstrtoull skips one '+' */
                { "5\n", 255, 5 },
                { "255", 255, 255 },
                { "63", 63, 63 },
                { "0xf\n", 15, 15 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                unsigned v = 999;
                ApParseError e = {};

                if (!CHECK(ap_id_parse_kernel(cases[i].text, cases[i].max, &v, &e) == 0))
                        tap_diag("  '%s': %s", cases[i].text, e.message);
                else if (!CHECK(v == cases[i].expected))
                        tap_diag("  '%s' gave %u, expected %u", cases[i].text, v, cases[i].expected);
        }
        tap_case_end("id_parse_kernel: decimal, 0x hex, leading-0 octal, '+', one newline");
}

static void test_octal_trap(void) {
        unsigned v = 0;
        ApMask m = {}, base = {};

        /* echo 010 > assign_domain assigns domain 8 ... */
        CHECK(ap_id_parse_kernel("010", 255, &v, NULL) == 0 && v == 8);
        /* ... and +010 in a relative apmask write sets adapter 8 ... */
        CHECK(ap_mask_apply_relative("+010", &base, &m, NULL) == 0);
        CHECK_MASK_EQ(m, mask_of(8, END_IDS));
        /* ... while the CLI list refuses it instead of guessing. */
        CHECK(ap_list_parse("010", 255, &m, NULL) == -EINVAL);
        tap_case_end("octal trap: 010 is 8 for the kernel, refused in human lists");
}

static void test_code_names(void) {
        for (int a = 0; a < _AP_PARSE_CODE_MAX; a++) {
                const char *na = ap_parse_code_to_string((ApParseCode) a);

                if (!CHECK(na && *na))
                        continue;
                for (int b = a + 1; b < _AP_PARSE_CODE_MAX; b++) {
                        const char *nb = ap_parse_code_to_string((ApParseCode) b);

                        CHECK(nb && strcmp(na, nb) != 0);
                }
        }
        CHECK(ap_parse_code_to_string(_AP_PARSE_CODE_MAX) == NULL);
        CHECK_STREQ(ap_parse_code_to_string(AP_PARSE_MISSING_SIGN), "missing-sign");
        tap_case_end("every parse code has its own stable name");
}

int main(void) {
        test_set_operations();
        test_layout_is_by_id();
        test_format_hex();
        test_parse_hex();
        test_relative();
        test_parse_write();
        test_cve_2024_38661();
        test_id_parse_kernel();
        test_octal_trap();
        test_code_names();
        return tap_finish();
}
