/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio_ap mdev text formats: `matrix`/`guest_matrix` lines,
 * `control_domains` lines and the `ap_config` triple (kernel-abi.md §4.2),
 * parsed as strictly as vfio_ap_ops.c prints and reads them.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ap-mask.h"
#include "ap-parse-util.h"

/* vfio_ap reads only this much of an ap_config write (3 x "0x"+64 + 2 ',' + '\n'). */
#define AP_CONFIG_INPUT_MAX 201u
/* A full 256 x 256 matrix is 65536 lines of "xx.yyyy\n". */
#define AP_MATRIX_TEXT_MAX (AP_MASK_BITS * AP_MASK_BITS * 8u)
/* 256 lines of "yyyy\n". */
#define AP_DOMAIN_LINES_TEXT_MAX (AP_MASK_BITS * 5u)

/* The three line forms vfio_ap prints; a matrix uses exactly one of them. */
typedef enum MatrixLineForm {
        MATRIX_LINE_APQN,               /* "xx.yyyy" */
        MATRIX_LINE_ADAPTER,            /* "xx." */
        MATRIX_LINE_DOMAIN,             /* ".yyyy" */
} MatrixLineForm;

static bool lower_hex_run(const char *s, size_t n, unsigned *ret) {
        unsigned v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!is_lower_xdigit(s[i]))
                        return false;
                v = v * 16 + digit_value(s[i]);
        }
        *ret = v;
        return true;
}

/* One line of s[0..len) at offset off; fills the ids it names. */
static int matrix_line_parse(const char *s, size_t len, size_t off, unsigned line,
                             MatrixLineForm *ret_form, unsigned *ret_adapter, unsigned *ret_domain,
                             ApParseError *error) {
        unsigned a = 0, d = 0;
        MatrixLineForm form;
        bool ok;

        if (len == 7 && s[2] == '.') {
                form = MATRIX_LINE_APQN;
                ok = lower_hex_run(s, 2, &a) && lower_hex_run(s + 3, 4, &d);
        } else if (len == 3 && s[2] == '.') {
                form = MATRIX_LINE_ADAPTER;
                ok = lower_hex_run(s, 2, &a);
        } else if (len == 5 && s[0] == '.') {
                form = MATRIX_LINE_DOMAIN;
                ok = lower_hex_run(s + 1, 4, &d);
        } else
                ok = false;
        if (!ok)
                return parse_fail(error, AP_PARSE_BAD_MATRIX_LINE, off,
                                  "matrix line %u at offset %zu: '%.*s%s' is not xx.yyyy, xx. or .yyyy in lower-case hex",
                                  line, off, quote_len(len), s, len > QUOTE_MAX ? "..." : "");
        if (d > AP_ID_MAX)
                return parse_fail(error, AP_PARSE_ID_TOO_BIG, off,
                                  "matrix line %u at offset %zu: domain 0x%04x is above the maximum id 255",
                                  line, off, d);
        *ret_form = form;
        *ret_adapter = a;
        *ret_domain = d;
        return 0;
}

int ap_matrix_parse(const char *text, ApMask *ret_apm, ApMask *ret_aqm, ApParseError *error) {
        ApMask seen[AP_MASK_BITS] = {};         /* seen[a]: domains listed for adapter a (8 KiB) */
        ApMask apm = {}, aqm = {};
        size_t len, pos = 0, apqns = 0;
        MatrixLineForm first_form = MATRIX_LINE_APQN;
        unsigned line = 0;

        assert(text);
        assert(ret_apm);
        assert(ret_aqm);

        len = strnlen(text, AP_MATRIX_TEXT_MAX + 1);
        if (len > AP_MATRIX_TEXT_MAX)
                return parse_fail(error, AP_PARSE_TOO_LONG, AP_MATRIX_TEXT_MAX,
                                  "matrix text at offset %u: longer than a full 256 x 256 matrix",
                                  AP_MATRIX_TEXT_MAX);

        while (pos < len) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t end = nl ? (size_t) (nl - text) : len;
                MatrixLineForm form = MATRIX_LINE_APQN;
                unsigned a = 0, d = 0;
                bool dup;
                int r;

                line++;
                r = matrix_line_parse(text + pos, end - pos, pos, line, &form, &a, &d, error);
                if (r < 0)
                        return r;
                if (line == 1)
                        first_form = form;
                else if (form != first_form)
                        return parse_fail(error, AP_PARSE_NOT_CROSS_PRODUCT, pos,
                                          "matrix line %u at offset %zu: mixes xx.yyyy, xx. and .yyyy lines",
                                          line, pos);
                switch (form) {
                case MATRIX_LINE_APQN:
                        dup = ap_mask_test(&seen[a], d);
                        ap_mask_set(&seen[a], d);
                        apqns++;
                        break;
                case MATRIX_LINE_ADAPTER:
                        dup = ap_mask_test(&apm, a);
                        break;
                default:
                        dup = ap_mask_test(&aqm, d);
                        break;
                }
                if (dup)
                        return parse_fail(error, AP_PARSE_DUPLICATE, pos,
                                          "matrix line %u at offset %zu: '%.*s' is listed twice",
                                          line, pos, (int) (end - pos), text + pos);
                if (form != MATRIX_LINE_DOMAIN)
                        ap_mask_set(&apm, a);
                if (form != MATRIX_LINE_ADAPTER)
                        ap_mask_set(&aqm, d);
                pos = end + 1;
        }

        /* Masks can only describe adapters x domains: every pair must be listed. */
        if (first_form == MATRIX_LINE_APQN &&
            apqns != (size_t) ap_mask_count(&apm) * ap_mask_count(&aqm))
                return parse_fail(error, AP_PARSE_NOT_CROSS_PRODUCT, len,
                                  "matrix at offset %zu (its end): %zu APQNs listed, but %u adapters x %u domains make %zu",
                                  len, apqns, ap_mask_count(&apm), ap_mask_count(&aqm),
                                  (size_t) ap_mask_count(&apm) * ap_mask_count(&aqm));
        *ret_apm = apm;
        *ret_aqm = aqm;
        return 0;
}

char *ap_matrix_format(const ApMask *apm, const ApMask *aqm) {
        size_t na = ap_mask_count(apm), nq = ap_mask_count(aqm), size, n = 0;
        char *buf;

        if (na > 0 && nq > 0)
                size = na * nq * 8 + 1;
        else
                size = na * 4 + nq * 6 + 1;
        buf = malloc(size);
        if (!buf)
                return NULL;
        buf[0] = '\0';

        if (na > 0 && nq > 0) {
                AP_MASK_FOREACH(a, apm)
                        AP_MASK_FOREACH(d, aqm)
                                n += (size_t) snprintf(buf + n, size - n, "%02x.%04x\n", (unsigned) a, (unsigned) d);
        } else if (na > 0) {
                AP_MASK_FOREACH(a, apm)
                        n += (size_t) snprintf(buf + n, size - n, "%02x.\n", (unsigned) a);
        } else {
                AP_MASK_FOREACH(d, aqm)
                        n += (size_t) snprintf(buf + n, size - n, ".%04x\n", (unsigned) d);
        }
        assert(n < size);
        return buf;
}

/* ---- control_domains ---------------------------------------------------- */

int ap_domain_lines_parse(const char *text, ApMask *ret, ApParseError *error) {
        ApMask m = {};
        size_t len, pos = 0;
        unsigned line = 0;

        assert(text);
        assert(ret);

        len = strnlen(text, AP_DOMAIN_LINES_TEXT_MAX + 1);
        if (len > AP_DOMAIN_LINES_TEXT_MAX)
                return parse_fail(error, AP_PARSE_TOO_LONG, AP_DOMAIN_LINES_TEXT_MAX,
                                  "control domain text at offset %u: longer than 256 domain lines",
                                  AP_DOMAIN_LINES_TEXT_MAX);
        while (pos < len) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t end = nl ? (size_t) (nl - text) : len;
                unsigned d;

                line++;
                if (end - pos != 4 || !lower_hex_run(text + pos, 4, &d))
                        return parse_fail(error, AP_PARSE_BAD_DOMAIN_LINE, pos,
                                          "control domain line %u at offset %zu: '%.*s%s' is not 4 lower-case hex digits",
                                          line, pos, quote_len(end - pos), text + pos,
                                          end - pos > QUOTE_MAX ? "..." : "");
                if (d > AP_ID_MAX)
                        return parse_fail(error, AP_PARSE_ID_TOO_BIG, pos,
                                          "control domain line %u at offset %zu: 0x%04x is above the maximum id 255",
                                          line, pos, d);
                if (ap_mask_test(&m, d))
                        return parse_fail(error, AP_PARSE_DUPLICATE, pos,
                                          "control domain line %u at offset %zu: domain %04x is listed twice",
                                          line, pos, d);
                ap_mask_set(&m, d);
                pos = end + 1;
        }
        *ret = m;
        return 0;
}

char *ap_domain_lines_format(const ApMask *m) {
        size_t size = ap_mask_count(m) * 5 + 1, n = 0;
        char *buf = malloc(size);

        if (!buf)
                return NULL;
        buf[0] = '\0';
        AP_MASK_FOREACH(d, m)
                n += (size_t) snprintf(buf + n, size - n, "%04x\n", (unsigned) d);
        assert(n < size);
        return buf;
}

/* ---- ap_config ---------------------------------------------------------- */

int ap_config_parse(const char *s, ApConfig *ret, ApParseError *error) {
        static const char *const field_names[] = { "ap_config APM", "ap_config AQM", "ap_config ADM" };
        ApMask masks[3];
        size_t len, pos = 0;

        assert(s);
        assert(ret);

        len = strnlen(s, AP_CONFIG_INPUT_MAX + 1);
        if (len == 0)
                return parse_fail(error, AP_PARSE_EMPTY, 0,
                                  "empty ap_config: expected APM,AQM,ADM as three hex masks");
        /* vfio_ap would silently drop the rest; refuse instead. */
        if (len > AP_CONFIG_INPUT_MAX)
                return parse_fail(error, AP_PARSE_TOO_LONG, AP_CONFIG_INPUT_MAX,
                                  "ap_config at offset %u: longer than the %u bytes vfio_ap reads",
                                  AP_CONFIG_INPUT_MAX, AP_CONFIG_INPUT_MAX);

        /* Like vfio_ap's strsep(",\n"): "a,q\n" has an empty third field, "a,q" none. */
        for (unsigned k = 0; k < 3; k++) {
                size_t end = pos;
                int r;

                /* The previous field ended the text: nothing left to split. */
                if (pos > len)
                        return parse_fail(error, AP_PARSE_WRONG_FIELD_COUNT, len,
                                          "ap_config at offset %zu: only %u mask%s; expected APM,AQM,ADM",
                                          len, k, k == 1 ? "" : "s");
                while (end < len && s[end] != ',' && s[end] != '\n')
                        end++;
                r = ap_mask_hex_field_parse(s + pos, end - pos, pos, field_names[k], false, &masks[k], error);
                if (r < 0)
                        return r;
                pos = end + 1;
        }
        /* pos is one past the third field's terminator (or past the end). */
        if (pos <= len) {
                size_t end = pos - 1;

                if (s[end] == ',')
                        return parse_fail(error, AP_PARSE_WRONG_FIELD_COUNT, end,
                                          "ap_config at offset %zu: more than three masks", end);
                if (pos < len)
                        return parse_fail(error, AP_PARSE_TRAILING_GARBAGE, pos,
                                          "ap_config at offset %zu: %s after the final newline",
                                          pos, char_text(s[pos]).s);
        }
        ret->apm = masks[0];
        ret->aqm = masks[1];
        ret->adm = masks[2];
        return 0;
}

const char *ap_config_format(const ApConfig *c, char buf[static AP_CONFIG_BUFSZ]) {
        char apm[AP_MASK_HEX_BUFSZ], aqm[AP_MASK_HEX_BUFSZ], adm[AP_MASK_HEX_BUFSZ];

        snprintf(buf, AP_CONFIG_BUFSZ, "%s,%s,%s\n",
                 ap_mask_format_hex(&c->apm, apm),
                 ap_mask_format_hex(&c->aqm, aqm),
                 ap_mask_format_hex(&c->adm, adm));
        return buf;
}
