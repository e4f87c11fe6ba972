/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio_ap mdev text formats: matrix/guest_matrix lines in their three
 * forms, control_domains lines, and the ap_config triple with vfio_ap's
 * "a,q\n" quirk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ap-mask.h"
#include "macro.h"
#include "mask-helpers.h"
#include "tap.h"

static void test_matrix_forms(void) {
        static const struct {
                const char *text;
                const char *why;
        } cases[] = {
                { "05.0004\n05.00ab\n06.0004\n06.00ab\n", "2 adapters x 2 domains" },
                { "05.\n06.\n", "adapters only" },
                { ".0004\n.00ab\n", "domains only" },
                { "", "empty matrix" },
                { "05.0004\n05.00ab\n06.0004\n06.00ab", "no final newline" },
                { "06.00ab\n05.0004\n06.0004\n05.00ab\n", "any order" },
        };
        ApMask apms[] = {
                mask_of(5, 6, END_IDS), mask_of(5, 6, END_IDS), mask_of(END_IDS),
                mask_of(END_IDS), mask_of(5, 6, END_IDS), mask_of(5, 6, END_IDS),
        };
        ApMask aqms[] = {
                mask_of(4, 0xab, END_IDS), mask_of(END_IDS), mask_of(4, 0xab, END_IDS),
                mask_of(END_IDS), mask_of(4, 0xab, END_IDS), mask_of(4, 0xab, END_IDS),
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ApMask apm, aqm;
                ApParseError e = {};

                if (!CHECK(ap_matrix_parse(cases[i].text, &apm, &aqm, &e) == 0)) {
                        tap_diag("  %s: %s", cases[i].why, e.message);
                        continue;
                }
                if (!CHECK_MASK_EQ(apm, apms[i]) || !CHECK_MASK_EQ(aqm, aqms[i]))
                        tap_diag("  %s", cases[i].why);
        }
        tap_case_end("matrix_parse: xx.yyyy, xx., .yyyy and empty");
}

static void test_matrix_format(void) {
        ApMask a = mask_of(5, 6, END_IDS), q = mask_of(4, 0xab, END_IDS), none = {};
        _cleanup_free_ char *both = ap_matrix_format(&a, &q);
        _cleanup_free_ char *adapters = ap_matrix_format(&a, &none);
        _cleanup_free_ char *domains = ap_matrix_format(&none, &q);
        _cleanup_free_ char *empty = ap_matrix_format(&none, &none);

        CHECK_STREQ(both, "05.0004\n05.00ab\n06.0004\n06.00ab\n");
        CHECK_STREQ(adapters, "05.\n06.\n");
        CHECK_STREQ(domains, ".0004\n.00ab\n");
        CHECK_STREQ(empty, "");
        tap_case_end("matrix_format: the kernel's %%02x.%%04x rendering");
}

static void test_matrix_full(void) {
        ApMask all = mask_of(RANGE_IDS(0, 255), END_IDS), apm, aqm;
        _cleanup_free_ char *text = ap_matrix_format(&all, &all);

        if (CHECK(text)) {
                CHECK(strlen(text) == 256u * 256u * 8u);
                CHECK(strncmp(text + strlen(text) - 8, "ff.00ff\n", 8) == 0);
                CHECK(ap_matrix_parse(text, &apm, &aqm, NULL) == 0);
                CHECK_MASK_EQ(apm, all);
                CHECK_MASK_EQ(aqm, all);
        }
        tap_case_end("matrix: the full 256 x 256 matrix formats and parses back");
}

static void test_domain_lines(void) {
        ApMask m;
        _cleanup_free_ char *text = NULL;
        ApMask ids = mask_of(1, 0xab, 255, END_IDS), none = {};
        _cleanup_free_ char *empty = ap_domain_lines_format(&none);

        CHECK(ap_domain_lines_parse("0001\n00ab\n00ff\n", &m, NULL) == 0);
        CHECK_MASK_EQ(m, ids);
        CHECK(ap_domain_lines_parse("0001\n00ab\n00ff", &m, NULL) == 0);
        CHECK_MASK_EQ(m, ids);
        CHECK(ap_domain_lines_parse("", &m, NULL) == 0);
        CHECK(ap_mask_is_empty(&m));
        text = ap_domain_lines_format(&ids);
        CHECK_STREQ(text, "0001\n00ab\n00ff\n");
        CHECK_STREQ(empty, "");
        tap_case_end("control_domains: one %%04x line per domain");
}

static void test_ap_config(void) {
        char buf[AP_CONFIG_BUFSZ];
        ApConfig c, expected = {
                .apm = mask_of(0, END_IDS),
                .aqm = mask_of(1, END_IDS),
                .adm = mask_of(2, END_IDS),
        };
        const char *full = "0x8000000000000000000000000000000000000000000000000000000000000000,"
                           "0x4000000000000000000000000000000000000000000000000000000000000000,"
                           "0x2000000000000000000000000000000000000000000000000000000000000000\n";

        CHECK_STREQ(ap_config_format(&expected, buf), full);
        CHECK(strlen(buf) == 201);     /* exactly what vfio_ap reads at most */

        CHECK(ap_config_parse(full, &c, NULL) == 0);
        CHECK_MASK_EQ(c.apm, expected.apm);
        CHECK_MASK_EQ(c.aqm, expected.aqm);
        CHECK_MASK_EQ(c.adm, expected.adm);

        CHECK(ap_config_parse("0x8,0x4,0x2", &c, NULL) == 0);
        CHECK_MASK_EQ(c.adm, expected.adm);
        CHECK(ap_config_parse("8\n4\n2\n", &c, NULL) == 0);
        CHECK_MASK_EQ(c.aqm, expected.aqm);

        /* vfio_ap's strsep() quirk: "a,q\n" leaves an empty third field. */
        CHECK(ap_config_parse("0x8,0x4\n", &c, NULL) == 0);
        CHECK_MASK_EQ(c.apm, expected.apm);
        CHECK(ap_mask_is_empty(&c.adm));
        CHECK(ap_config_parse(",,\n", &c, NULL) == 0);
        CHECK(ap_mask_is_empty(&c.apm) && ap_mask_is_empty(&c.aqm) && ap_mask_is_empty(&c.adm));
        tap_case_end("ap_config: the triple, short fields, newline separators, the a,q\\n quirk");
}

static void test_no_output_on_failure(void) {
        ApMask apm = mask_of(9, END_IDS), aqm = mask_of(9, END_IDS), m = mask_of(9, END_IDS);
        ApConfig c = { .apm = mask_of(9, END_IDS) };

        CHECK(ap_matrix_parse("05.0004\n06.0005\n", &apm, &aqm, NULL) == -EINVAL);
        CHECK_MASK_EQ(apm, mask_of(9, END_IDS));
        CHECK_MASK_EQ(aqm, mask_of(9, END_IDS));
        CHECK(ap_domain_lines_parse("0001\nzz\n", &m, NULL) == -EINVAL);
        CHECK_MASK_EQ(m, mask_of(9, END_IDS));
        CHECK(ap_config_parse("0x8,0x4,0xq\n", &c, NULL) == -EINVAL);
        CHECK_MASK_EQ(c.apm, mask_of(9, END_IDS));
        tap_case_end("matrix, control_domains, ap_config: outputs untouched on failure");
}

int main(void) {
        test_matrix_forms();
        test_matrix_format();
        test_matrix_full();
        test_domain_lines();
        test_ap_config();
        test_no_output_on_failure();
        return tap_finish();
}
