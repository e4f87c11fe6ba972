/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CLI's text forms: human id lists (decimal or 0x hex, never octal,
 * with a hint for a leading 0) and APQNs in lszcrypt's 05.001a form.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ap-mask.h"
#include "macro.h"
#include "mask-helpers.h"
#include "tap.h"

static void test_list_parse(void) {
        static const struct {
                const char *text;
                unsigned max;
        } cases[] = {
                { "0-3,5,0x1a-0x1c", 255 },
                { "", 255 },
                { "0", 255 },
                { "255", 255 },
                { "0x00-0x03,0x05,0x1A-0X1C", 255 },
                { "28,26-27,5,3,2,1,0", 255 },
                { "0-15", 15 },
        };
        ApMask expected[] = {
                mask_of(RANGE_IDS(0, 3), 5, RANGE_IDS(0x1a, 0x1c), END_IDS),
                mask_of(END_IDS),
                mask_of(0, END_IDS),
                mask_of(255, END_IDS),
                mask_of(RANGE_IDS(0, 3), 5, RANGE_IDS(0x1a, 0x1c), END_IDS),
                mask_of(RANGE_IDS(0, 3), 5, RANGE_IDS(0x1a, 0x1c), END_IDS),
                mask_of(RANGE_IDS(0, 15), END_IDS),
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ApMask m;
                ApParseError e = {};

                if (!CHECK(ap_list_parse(cases[i].text, cases[i].max, &m, &e) == 0))
                        tap_diag("  '%s': %s", cases[i].text, e.message);
                else if (!CHECK_MASK_EQ(m, expected[i]))
                        tap_diag("  '%s'", cases[i].text);
        }
        tap_case_end("list_parse: decimal and 0x hex ids and ranges, any order, \"\" is empty");
}

static void test_list_octal_hint(void) {
        ApMask m = mask_of(7, END_IDS);
        ApParseError e = {};

        CHECK(ap_list_parse("1,010", 255, &m, &e) == -EINVAL);
        CHECK(e.code == AP_PARSE_OCTAL_AMBIGUOUS);
        CHECK(e.offset == 2);
        if (!CHECK(strstr(e.message, "write 10 for decimal or 0x10 for hex") != NULL))
                tap_diag("  message: %s", e.message);
        CHECK(strstr(e.message, "octal") != NULL);
        CHECK_MASK_EQ(m, mask_of(7, END_IDS));

        CHECK(ap_list_parse("007", 255, &m, &e) == -EINVAL);
        if (!CHECK(strstr(e.message, "write 7 for decimal or 0x7 for hex") != NULL))
                tap_diag("  message: %s", e.message);
        tap_case_end("list_parse: a leading 0 is refused with a hint naming both readings");
}

static void test_list_format(void) {
        ApMask m = mask_of(RANGE_IDS(0, 3), 5, RANGE_IDS(0x1a, 0x1c), 255, END_IDS), none = {};
        ApMask all = mask_of(RANGE_IDS(0, 255), END_IDS);
        _cleanup_free_ char *dec = ap_list_format(&m, AP_LIST_DECIMAL);
        _cleanup_free_ char *hex = ap_list_format(&m, AP_LIST_HEX);
        _cleanup_free_ char *empty = ap_list_format(&none, AP_LIST_DECIMAL);
        _cleanup_free_ char *full = ap_list_format(&all, AP_LIST_HEX);

        CHECK_STREQ(dec, "0-3,5,26-28,255");
        CHECK_STREQ(hex, "0x00-0x03,0x05,0x1a-0x1c,0xff");
        CHECK_STREQ(empty, "");
        CHECK_STREQ(full, "0x00-0xff");
        tap_case_end("list_format: compact ranges, decimal or 0x%%02x");
}

static void test_list_format_long_outputs(void) {
        ApMask even = {}, pairs = {}, back;

        /* The longest outputs: most single ids, and most two-id ranges. */
        for (unsigned id = 0; id <= AP_ID_MAX; id += 2)
                ap_mask_set(&even, id);
        for (unsigned id = 0; id + 1 <= AP_ID_MAX; id += 3)
                ap_mask_set_range(&pairs, id, id + 1);
        for (int style = AP_LIST_DECIMAL; style <= AP_LIST_HEX; style++) {
                _cleanup_free_ char *a = ap_list_format(&even, (ApListStyle) style);
                _cleanup_free_ char *b = ap_list_format(&pairs, (ApListStyle) style);

                if (CHECK(a) && CHECK(ap_list_parse(a, 255, &back, NULL) == 0))
                        CHECK_MASK_EQ(back, even);
                if (CHECK(b) && CHECK(ap_list_parse(b, 255, &back, NULL) == 0))
                        CHECK_MASK_EQ(back, pairs);
        }
        tap_case_end("list_format: every other id, and 2-id runs, format and parse back");
}

static void test_apqn(void) {
        static const struct {
                const char *text;
                unsigned adapter, domain;
        } cases[] = {
                { "05.001a", 5, 0x1a },
                { "5.1a", 5, 0x1a },
                { "ff.00ff", 255, 255 },
                { "00.0000", 0, 0 },
                { "0A.00AB", 10, 0xab },
        };
        char buf[APQN_BUFSZ];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Apqn q = { 999, 999 };
                ApParseError e = {};

                if (!CHECK(apqn_parse(cases[i].text, &q, &e) == 0))
                        tap_diag("  '%s': %s", cases[i].text, e.message);
                else if (!CHECK(q.adapter == cases[i].adapter && q.domain == cases[i].domain))
                        tap_diag("  '%s' gave %u.%u", cases[i].text, q.adapter, q.domain);
        }
        CHECK_STREQ(apqn_format((Apqn) { 5, 0x1a }, buf), "05.001a");
        CHECK_STREQ(apqn_format((Apqn) { 255, 255 }, buf), "ff.00ff");
        tap_case_end("apqn: lszcrypt's xx.yyyy, shorter forms and either case accepted");
}

int main(void) {
        test_list_parse();
        test_list_octal_hint();
        test_list_format();
        test_list_format_long_outputs();
        test_apqn();
        return tap_finish();
}
