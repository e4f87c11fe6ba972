/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Round trips: whatever a printer writes, its parser reads back as the same
 * masks, for edge masks and for seeded random masks of every density. The
 * seed is fixed, so a failure names a mask that reproduces on any machine.
 */
#include <stdlib.h>
#include <string.h>

#include "ap-mask.h"
#include "macro.h"
#include "mask-helpers.h"
#include "tap.h"

#define RANDOM_MASKS 2000
#define RANDOM_MATRICES 100

/* Edge masks first, then random ones; index picks one deterministically. */
static ApMask sample_mask(Rng *rng, unsigned index) {
        switch (index) {
        case 0:
                return mask_of(END_IDS);
        case 1:
                return mask_of(RANGE_IDS(0, 255), END_IDS);
        case 2:
                return mask_of(0, END_IDS);
        case 3:
                return mask_of(255, END_IDS);
        case 4:
                return mask_of(63, 64, 127, 128, 191, 192, END_IDS);
        default:
                /* Densities from sparse to full, so ranges and gaps both occur. */
                return rng_mask(rng, (unsigned) (rng_next(rng) % 257));
        }
}

static void report(const ApMask *m, const char *what) {
        char hex[AP_MASK_HEX_BUFSZ];

        tap_diag("  %s failed for %s", what, ap_mask_format_hex(m, hex));
}

static void test_hex_roundtrip(void) {
        Rng rng = { 0x5eed0001 };

        for (unsigned i = 0; i < RANDOM_MASKS; i++) {
                ApMask m = sample_mask(&rng, i), back;
                char hex[AP_MASK_HEX_BUFSZ], line[AP_MASK_HEX_BUFSZ + 1];

                ap_mask_format_hex(&m, hex);
                if (!CHECK(ap_mask_parse_hex(hex, &back, NULL) == 0 && ap_mask_equal(&m, &back)))
                        report(&m, "format_hex -> parse_hex");
                /* As sysfs shows it: with the newline. */
                snprintf(line, sizeof(line), "%s\n", hex);
                if (!CHECK(ap_mask_parse_hex(line, &back, NULL) == 0 && ap_mask_equal(&m, &back)))
                        report(&m, "sysfs read form -> parse_hex");
        }
        tap_case_end("hex: %d masks format and parse back, with and without newline", RANDOM_MASKS);
}

static void test_relative_roundtrip(void) {
        Rng rng = { 0x5eed0002 };

        /* "-0-255," + the list as +terms turns any base into the mask. */
        for (unsigned i = 0; i < RANDOM_MASKS; i++) {
                ApMask m = sample_mask(&rng, i), base = rng_mask(&rng, 128), back;
                _cleanup_free_ char *list = ap_list_format(&m, i % 2 ? AP_LIST_HEX : AP_LIST_DECIMAL);
                char text[4096] = "-0-255";
                size_t n = strlen(text);

                if (!CHECK(list))
                        break;
                for (const char *t = strtok(list, ","); t; t = strtok(NULL, ","))
                        n += (size_t) snprintf(text + n, sizeof(text) - n, ",+%s", t);
                if (!CHECK(n < sizeof(text)))
                        break;
                if (!CHECK(ap_mask_apply_relative(text, &base, &back, NULL) == 0 && ap_mask_equal(&m, &back)))
                        report(&m, "relative rebuild");
        }
        tap_case_end("relative: %d masks rebuilt from -0-255 plus +terms on random bases", RANDOM_MASKS);
}

static void test_list_roundtrip(void) {
        Rng rng = { 0x5eed0003 };

        for (unsigned i = 0; i < RANDOM_MASKS; i++) {
                ApMask m = sample_mask(&rng, i), back;

                for (int style = AP_LIST_DECIMAL; style <= AP_LIST_HEX; style++) {
                        _cleanup_free_ char *text = ap_list_format(&m, (ApListStyle) style);

                        if (!CHECK(text && ap_list_parse(text, 255, &back, NULL) == 0 && ap_mask_equal(&m, &back)))
                                report(&m, style == AP_LIST_HEX ? "hex list" : "decimal list");
                }
        }
        tap_case_end("list: %d masks in both styles format and parse back", RANDOM_MASKS);
}

static void test_config_roundtrip(void) {
        Rng rng = { 0x5eed0004 };

        for (unsigned i = 0; i < RANDOM_MASKS; i++) {
                ApConfig c = {
                        .apm = sample_mask(&rng, i),
                        .aqm = sample_mask(&rng, i + 1),
                        .adm = sample_mask(&rng, i + 2),
                }, back;
                char text[AP_CONFIG_BUFSZ];

                ap_config_format(&c, text);
                if (!CHECK(ap_config_parse(text, &back, NULL) == 0 && ap_mask_equal(&c.apm, &back.apm) &&
                           ap_mask_equal(&c.aqm, &back.aqm) && ap_mask_equal(&c.adm, &back.adm)))
                        report(&c.apm, "ap_config");
        }
        tap_case_end("ap_config: %d triples format and parse back", RANDOM_MASKS);
}

static void test_domain_lines_roundtrip(void) {
        Rng rng = { 0x5eed0005 };

        for (unsigned i = 0; i < RANDOM_MASKS; i++) {
                ApMask m = sample_mask(&rng, i), back;
                _cleanup_free_ char *text = ap_domain_lines_format(&m);

                if (!CHECK(text && ap_domain_lines_parse(text, &back, NULL) == 0 && ap_mask_equal(&m, &back)))
                        report(&m, "control_domains");
        }
        tap_case_end("control_domains: %d masks format and parse back", RANDOM_MASKS);
}

static void test_matrix_roundtrip(void) {
        Rng rng = { 0x5eed0006 };

        for (unsigned i = 0; i < RANDOM_MATRICES; i++) {
                /* Empty adapters or domains now and then, to cover xx. and .yyyy. */
                ApMask apm = i % 7 == 3 ? mask_of(END_IDS) : rng_mask(&rng, (unsigned) (rng_next(&rng) % 64));
                ApMask aqm = i % 5 == 2 ? mask_of(END_IDS) : rng_mask(&rng, (unsigned) (rng_next(&rng) % 64));
                ApMask apm2, aqm2;
                _cleanup_free_ char *text = ap_matrix_format(&apm, &aqm);

                if (!CHECK(text && ap_matrix_parse(text, &apm2, &aqm2, NULL) == 0 &&
                           ap_mask_equal(&apm, &apm2) && ap_mask_equal(&aqm, &aqm2)))
                        report(&apm, "matrix");
        }
        tap_case_end("matrix: %d random adapter x domain sets format and parse back", RANDOM_MATRICES);
}

static void test_apqn_roundtrip(void) {
        unsigned bad = 0;

        for (unsigned a = 0; a <= AP_ID_MAX; a++)
                for (unsigned d = 0; d <= AP_ID_MAX; d++) {
                        char buf[APQN_BUFSZ];
                        Apqn q = { a, d }, back;

                        apqn_format(q, buf);
                        if (apqn_parse(buf, &back, NULL) < 0 || back.adapter != a || back.domain != d) {
                                if (bad++ < 5)
                                        tap_diag("  APQN %u.%u -> '%s' does not parse back", a, d, buf);
                        }
                }
        CHECK(bad == 0);
        tap_case_end("apqn: all 65536 APQNs format and parse back");
}

int main(void) {
        test_hex_roundtrip();
        test_relative_roundtrip();
        test_list_roundtrip();
        test_config_roundtrip();
        test_domain_lines_roundtrip();
        test_matrix_roundtrip();
        test_apqn_roundtrip();
        return tap_finish();
}
