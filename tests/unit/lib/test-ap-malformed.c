/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Malformed input, table-driven: every row names a parser, an input, the
 * code it must be refused with and the byte offset the error must point at.
 * Each row also checks the errno, that the message is there and names the
 * offset, and that the output was not written. One TAP line per row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ap-mask.h"
#include "macro.h"
#include "tap.h"

typedef enum Parser {
        PARSE_HEX,
        PARSE_RELATIVE,
        PARSE_WRITE,
        PARSE_ID,               /* max 255 */
        PARSE_ID_MAX63,         /* a host without APXA: ap_max_adapter_id 63 */
        PARSE_MATRIX,
        PARSE_DOMAIN_LINES,
        PARSE_CONFIG,
        PARSE_LIST,             /* max 255 */
        PARSE_LIST_MAX15,
        PARSE_APQN,
        _PARSE_MAX,
} Parser;

static const char *const parser_names[_PARSE_MAX] = {
        [PARSE_HEX] = "hex",
        [PARSE_RELATIVE] = "relative",
        [PARSE_WRITE] = "write",
        [PARSE_ID] = "id",
        [PARSE_ID_MAX63] = "id(max 63)",
        [PARSE_MATRIX] = "matrix",
        [PARSE_DOMAIN_LINES] = "control_domains",
        [PARSE_CONFIG] = "ap_config",
        [PARSE_LIST] = "list",
        [PARSE_LIST_MAX15] = "list(max 15)",
        [PARSE_APQN] = "apqn",
};

typedef struct Row {
        Parser parser;
        const char *input;      /* NULL: built by long_input() */
        ApParseCode code;
        size_t offset;
} Row;

static const Row rows[] = {
        /* absolute apmask/aqmask (hex2bitmap) */
        { PARSE_HEX, "", AP_PARSE_EMPTY, 0 },
        { PARSE_HEX, "0x12 ", AP_PARSE_BAD_CHAR, 4 },
        { PARSE_HEX, "0xg", AP_PARSE_BAD_CHAR, 2 },
        { PARSE_HEX, "0X12", AP_PARSE_BAD_CHAR, 1 },            /* the kernel skips only lower-case 0x */
        { PARSE_HEX, "0x0x1", AP_PARSE_BAD_CHAR, 3 },
        { PARSE_HEX, "xx1", AP_PARSE_BAD_CHAR, 1 },
        { PARSE_HEX, "not supported\n", AP_PARSE_BAD_CHAR, 0 },
        { PARSE_HEX, "0x1,0x2", AP_PARSE_BAD_CHAR, 3 },
        { PARSE_HEX, "0x1\n\n", AP_PARSE_TRAILING_GARBAGE, 4 },
        { PARSE_HEX, "0x1\nff", AP_PARSE_TRAILING_GARBAGE, 4 },
        { PARSE_HEX, "0x00000000000000000000000000000000000000000000000000000000000000000",
          AP_PARSE_TOO_MANY_DIGITS, 66 },

        /* relative apmask/aqmask (modify_bitmap) */
        { PARSE_RELATIVE, "", AP_PARSE_EMPTY, 0 },
        { PARSE_RELATIVE, "+1,2", AP_PARSE_MISSING_SIGN, 3 },
        { PARSE_RELATIVE, ",+1", AP_PARSE_EMPTY_TERM, 0 },
        { PARSE_RELATIVE, "+", AP_PARSE_NO_NUMBER, 1 },
        { PARSE_RELATIVE, "+1-", AP_PARSE_NO_NUMBER, 3 },
        { PARSE_RELATIVE, "+-1", AP_PARSE_NO_NUMBER, 1 },
        { PARSE_RELATIVE, "+ 1", AP_PARSE_NO_NUMBER, 1 },
        { PARSE_RELATIVE, "+1--2", AP_PARSE_NO_NUMBER, 3 },
        { PARSE_RELATIVE, "+08", AP_PARSE_BAD_NUMBER, 2 },       /* 0 makes it octal */
        { PARSE_RELATIVE, "+0xg", AP_PARSE_BAD_NUMBER, 2 },
        { PARSE_RELATIVE, "+1a", AP_PARSE_BAD_NUMBER, 2 },
        { PARSE_RELATIVE, "+256", AP_PARSE_ID_TOO_BIG, 1 },
        { PARSE_RELATIVE, "-0-256", AP_PARSE_ID_TOO_BIG, 3 },
        { PARSE_RELATIVE, "-0-255,+1-16,+0x128", AP_PARSE_ID_TOO_BIG, 14 },  /* ap_bus.c's own comment */
        { PARSE_RELATIVE, "+0x80000000", AP_PARSE_ID_TOO_BIG, 1 },           /* CVE-2024-38661 */
        { PARSE_RELATIVE, "+2147483648-2147483649", AP_PARSE_ID_TOO_BIG, 1 }, /* CVE-2024-38661 */
        { PARSE_RELATIVE, "+18446744073709551617", AP_PARSE_ID_TOO_BIG, 1 }, /* wraps to 1 in the kernel */
        { PARSE_RELATIVE, "+5-3", AP_PARSE_RANGE_REVERSED, 0 },
        { PARSE_RELATIVE, "+1,-9-8", AP_PARSE_RANGE_REVERSED, 3 },
        { PARSE_RELATIVE, "+1;+2", AP_PARSE_BAD_CHAR, 2 },
        { PARSE_RELATIVE, "+1 ", AP_PARSE_BAD_CHAR, 2 },
        { PARSE_RELATIVE, "+1,x", AP_PARSE_BAD_CHAR, 3 },
        { PARSE_RELATIVE, "*1", AP_PARSE_BAD_CHAR, 0 },
        { PARSE_RELATIVE, NULL, AP_PARSE_TOO_LONG, 4096 },

        /* what apmask_store dispatches on */
        { PARSE_WRITE, "", AP_PARSE_EMPTY, 0 },
        { PARSE_WRITE, "+1,-", AP_PARSE_NO_NUMBER, 4 },
        { PARSE_WRITE, "1,+2", AP_PARSE_BAD_CHAR, 1 },

        /* assign_* (kstrtoul base 0) */
        { PARSE_ID, "", AP_PARSE_EMPTY, 0 },
        { PARSE_ID, "\n", AP_PARSE_NO_NUMBER, 0 },
        { PARSE_ID, "-1", AP_PARSE_NO_NUMBER, 0 },
        { PARSE_ID, " 5", AP_PARSE_NO_NUMBER, 0 },
        { PARSE_ID, "++5", AP_PARSE_NO_NUMBER, 1 },
        { PARSE_ID, "5 ", AP_PARSE_BAD_CHAR, 1 },
        { PARSE_ID, "08", AP_PARSE_BAD_NUMBER, 1 },
        { PARSE_ID, "0x", AP_PARSE_BAD_NUMBER, 1 },
        { PARSE_ID, "12z", AP_PARSE_BAD_NUMBER, 2 },
        { PARSE_ID, "5\n\n", AP_PARSE_TRAILING_GARBAGE, 2 },
        { PARSE_ID, "256", AP_PARSE_ID_TOO_BIG, 0 },
        { PARSE_ID, "18446744073709551616", AP_PARSE_ID_TOO_BIG, 0 },
        { PARSE_ID_MAX63, "64", AP_PARSE_ID_TOO_BIG, 0 },
        { PARSE_ID_MAX63, "0100", AP_PARSE_ID_TOO_BIG, 0 },     /* octal 64 */

        /* matrix / guest_matrix */
        { PARSE_MATRIX, "05.0004\n06.0005\n", AP_PARSE_NOT_CROSS_PRODUCT, 16 },
        { PARSE_MATRIX, "05.\n.0004\n", AP_PARSE_NOT_CROSS_PRODUCT, 4 },
        { PARSE_MATRIX, "5.0004\n", AP_PARSE_BAD_MATRIX_LINE, 0 },
        { PARSE_MATRIX, "05.00AB\n", AP_PARSE_BAD_MATRIX_LINE, 0 },
        { PARSE_MATRIX, "05.0004\n\n", AP_PARSE_BAD_MATRIX_LINE, 8 },
        { PARSE_MATRIX, "05.0100\n", AP_PARSE_ID_TOO_BIG, 0 },
        { PARSE_MATRIX, "05.0004\n05.0004\n", AP_PARSE_DUPLICATE, 8 },
        { PARSE_MATRIX, NULL, AP_PARSE_TOO_LONG, 256u * 256u * 8u },

        /* control_domains */
        { PARSE_DOMAIN_LINES, "0004\n004\n", AP_PARSE_BAD_DOMAIN_LINE, 5 },
        { PARSE_DOMAIN_LINES, "0100\n", AP_PARSE_ID_TOO_BIG, 0 },
        { PARSE_DOMAIN_LINES, "0004\n0004\n", AP_PARSE_DUPLICATE, 5 },

        /* ap_config */
        { PARSE_CONFIG, "", AP_PARSE_EMPTY, 0 },
        { PARSE_CONFIG, "0x8,0x4", AP_PARSE_WRONG_FIELD_COUNT, 7 },
        { PARSE_CONFIG, "0x8,0x4,0x2,0x1\n", AP_PARSE_WRONG_FIELD_COUNT, 11 },
        { PARSE_CONFIG, "0x8,0xg,0x2\n", AP_PARSE_BAD_CHAR, 6 },
        { PARSE_CONFIG, "0x8,0x4,0x2\n\n", AP_PARSE_TRAILING_GARBAGE, 12 },
        { PARSE_CONFIG, NULL, AP_PARSE_TOO_LONG, 201 },

        /* human lists */
        { PARSE_LIST, "1,,2", AP_PARSE_EMPTY_TERM, 2 },
        { PARSE_LIST, "1,", AP_PARSE_EMPTY_TERM, 2 },
        { PARSE_LIST, ",1", AP_PARSE_EMPTY_TERM, 0 },
        { PARSE_LIST, "010", AP_PARSE_OCTAL_AMBIGUOUS, 0 },
        { PARSE_LIST, "3-1", AP_PARSE_RANGE_REVERSED, 0 },
        { PARSE_LIST, "1a", AP_PARSE_BAD_NUMBER, 1 },
        { PARSE_LIST, "0x", AP_PARSE_BAD_NUMBER, 2 },
        { PARSE_LIST, "1-3,2", AP_PARSE_DUPLICATE, 4 },
        { PARSE_LIST, "1 ,2", AP_PARSE_BAD_CHAR, 1 },
        { PARSE_LIST, "1-2-3", AP_PARSE_BAD_CHAR, 3 },
        { PARSE_LIST, "-3", AP_PARSE_NO_NUMBER, 0 },
        { PARSE_LIST, "+3", AP_PARSE_NO_NUMBER, 0 },
        { PARSE_LIST, "256", AP_PARSE_ID_TOO_BIG, 0 },
        { PARSE_LIST_MAX15, "0-16", AP_PARSE_ID_TOO_BIG, 2 },

        /* APQNs */
        { PARSE_APQN, "", AP_PARSE_EMPTY, 0 },
        { PARSE_APQN, "05", AP_PARSE_BAD_APQN, 2 },
        { PARSE_APQN, "005.0001", AP_PARSE_BAD_APQN, 0 },
        { PARSE_APQN, "g5.0001", AP_PARSE_BAD_APQN, 0 },
        { PARSE_APQN, "05.", AP_PARSE_BAD_APQN, 3 },
        { PARSE_APQN, "05.00001", AP_PARSE_BAD_APQN, 3 },
        { PARSE_APQN, "05.0100", AP_PARSE_ID_TOO_BIG, 3 },
        { PARSE_APQN, "05.001a ", AP_PARSE_TRAILING_GARBAGE, 7 },
};

/* The inputs too long to write out: one byte past each parser's limit. */
static char *long_input(Parser p) {
        size_t len = p == PARSE_RELATIVE ? 4097 : p == PARSE_CONFIG ? 202 : 256u * 256u * 8u + 1;
        char *s = malloc(len + 1);

        if (!s)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                /* Well-formed apart from the length: "+1,+1,...", "0,0,...", "05.0004\n"... */
                if (p == PARSE_MATRIX)
                        s[i] = "05.0004\n"[i % 8];
                else if (p == PARSE_RELATIVE)
                        s[i] = "+1,"[i % 3];
                else
                        s[i] = i % 2 ? ',' : '0';
        }
        s[len] = '\0';
        return s;
}

/* Runs one parser with its output poisoned; true if the output is still the poison. */
static int run(Parser p, const char *in, ApParseError *e, bool *ret_untouched) {
        ApMask poison, m, m2;
        ApConfig c;
        Apqn q;
        unsigned id;
        int r;

        memset(&poison, 0xa5, sizeof(poison));
        m = m2 = poison;
        c.apm = c.aqm = c.adm = poison;
        memset(&q, 0xa5, sizeof(q));
        memset(&id, 0xa5, sizeof(id));

        switch (p) {
        case PARSE_HEX:
                r = ap_mask_parse_hex(in, &m, e);
                break;
        case PARSE_RELATIVE:
                r = ap_mask_apply_relative(in, &(ApMask) {}, &m, e);
                break;
        case PARSE_WRITE:
                r = ap_mask_parse_write(in, &(ApMask) {}, &m, e);
                break;
        case PARSE_ID:
        case PARSE_ID_MAX63: {
                unsigned before = id;

                r = ap_id_parse_kernel(in, p == PARSE_ID ? 255 : 63, &id, e);
                *ret_untouched = id == before;
                return r;
        }
        case PARSE_MATRIX:
                r = ap_matrix_parse(in, &m, &m2, e);
                break;
        case PARSE_DOMAIN_LINES:
                r = ap_domain_lines_parse(in, &m, e);
                break;
        case PARSE_CONFIG:
                r = ap_config_parse(in, &c, e);
                break;
        case PARSE_LIST:
        case PARSE_LIST_MAX15:
                r = ap_list_parse(in, p == PARSE_LIST ? 255 : 15, &m, e);
                break;
        case PARSE_APQN: {
                Apqn before = q;

                r = apqn_parse(in, &q, e);
                *ret_untouched = memcmp(&q, &before, sizeof(q)) == 0;
                return r;
        }
        default:
                abort();
        }
        *ret_untouched = memcmp(&m, &poison, sizeof(m)) == 0 && memcmp(&m2, &poison, sizeof(m2)) == 0 &&
                         memcmp(&c.apm, &poison, sizeof(poison)) == 0 &&
                         memcmp(&c.aqm, &poison, sizeof(poison)) == 0 &&
                         memcmp(&c.adm, &poison, sizeof(poison)) == 0;
        return r;
}

/* The input as a TAP line can show it. */
static void quote(const char *in, char *buf, size_t size) {
        size_t n = 0;

        for (; *in && n + 8 < size; in++) {
                if (*in == '\n')
                        n += (size_t) snprintf(buf + n, size - n, "\\n");
                else
                        buf[n++] = *in;
        }
        if (*in)
                n += (size_t) snprintf(buf + n, size - n, "...");
        buf[n] = '\0';
}

int main(void) {
        unsigned per_code[_AP_PARSE_CODE_MAX] = {};

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                const Row *row = &rows[i];
                _cleanup_free_ char *built = row->input ? NULL : long_input(row->parser);
                const char *in = row->input ? row->input : built;
                ApParseError e;
                char shown[48], where[32];
                bool untouched = false;
                int r, expected_errno = row->code == AP_PARSE_ID_TOO_BIG ? -ERANGE : -EINVAL;

                if (!CHECK(in))
                        continue;
                memset(&e, 0, sizeof(e));
                r = run(row->parser, in, &e, &untouched);
                if (!CHECK(r == expected_errno))
                        tap_diag("  returned %d, expected %d", r, expected_errno);
                if (!CHECK(e.code == row->code))
                        tap_diag("  code %s, expected %s", ap_parse_code_to_string(e.code) ?: "?",
                                 ap_parse_code_to_string(row->code));
                if (!CHECK(e.offset == row->offset))
                        tap_diag("  offset %zu, expected %zu", e.offset, row->offset);
                CHECK(e.message[0] != '\0');
                /* The message says where, except for empty input, where there is no where. */
                snprintf(where, sizeof(where), "offset %zu", row->offset);
                if (row->code != AP_PARSE_EMPTY && !CHECK(strstr(e.message, where)))
                        tap_diag("  message lacks '%s': %s", where, e.message);
                CHECK(untouched);
                per_code[row->code]++;

                quote(in, shown, sizeof(shown));
                tap_case_end("%s '%s' -> %s at %zu (%s)", parser_names[row->parser], shown,
                             ap_parse_code_to_string(row->code), row->offset, e.message);
        }

        /* Every rejection code is exercised by at least one row. */
        for (int code = AP_PARSE_OK + 1; code < _AP_PARSE_CODE_MAX; code++)
                if (!CHECK(per_code[code] > 0))
                        tap_diag("  no row for %s", ap_parse_code_to_string((ApParseCode) code));
        tap_case_end("every rejection code has a malformed-input row");
        return tap_finish();
}
