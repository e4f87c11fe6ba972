/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CLI's own text forms: human id lists ("0-3,5,0x1a-0x1c", never octal)
 * and APQNs as lszcrypt prints them ("05.001a").
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ap-mask.h"
#include "ap-parse-util.h"

/*
 * One number of a list term at *pos: decimal or 0x hex, never octal.
 * Moves *pos past it.
 */
static int list_number(const char *s, size_t *pos, unsigned term, unsigned max, unsigned *ret,
                       ApParseError *error) {
        size_t start = *pos, i = start;
        unsigned base = 10;
        uint64_t v = 0;

        if (!is_digit(s[i]))
                return parse_fail(error, AP_PARSE_NO_NUMBER, i,
                                  "list term %u at offset %zu: %s where a number was expected",
                                  term, i, char_text(s[i]).s);
        if (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
                base = 16;
                i += 2;
                if (!is_xdigit(s[i]))
                        return parse_fail(error, AP_PARSE_BAD_NUMBER, i,
                                          "list term %u at offset %zu: '0%c' is not followed by a hex digit",
                                          term, i, s[start + 1]);
        } else if (s[i] == '0' && is_digit(s[i + 1])) {
                size_t end = i, lead = i;

                while (is_digit(s[end]))
                        end++;
                while (lead + 1 < end && s[lead] == '0')
                        lead++;
                return parse_fail(error, AP_PARSE_OCTAL_AMBIGUOUS, start,
                                  "list term %u at offset %zu: '%.*s' has a leading 0, octal to the kernel; write %.*s for decimal or 0x%.*s for hex",
                                  term, start, quote_len(end - start), s + start,
                                  quote_len(end - lead), s + lead, quote_len(end - lead), s + lead);
        }
        /* Saturate instead of wrapping: anything past 0xffff is too big anyway. */
        for (; digit_value(s[i]) < base; i++)
                v = v > 0xffff ? v : v * base + digit_value(s[i]);
        if (is_alnum(s[i]))
                return parse_fail(error, AP_PARSE_BAD_NUMBER, i,
                                  "list term %u at offset %zu: %s is not a %s digit%s",
                                  term, i, char_text(s[i]).s, base_name(base),
                                  base == 10 && is_xdigit(s[i]) ? " (hex numbers start with 0x)" : "");
        if (v > max)
                return parse_fail(error, AP_PARSE_ID_TOO_BIG, start,
                                  "list term %u at offset %zu: %.*s%s is above the maximum id %u",
                                  term, start, quote_len(i - start), s + start,
                                  i - start > QUOTE_MAX ? "..." : "", max);
        *pos = i;
        *ret = (unsigned) v;
        return 0;
}

int ap_list_parse(const char *s, unsigned max, ApMask *ret, ApParseError *error) {
        ApMask m = {};
        size_t len, i = 0;
        unsigned term = 0;

        assert(s);
        assert(ret);
        assert(max <= AP_ID_MAX);

        len = strnlen(s, AP_WRITE_MAX + 1);
        if (len > AP_WRITE_MAX)
                return parse_fail(error, AP_PARSE_TOO_LONG, AP_WRITE_MAX,
                                  "id list at offset %u: longer than %u bytes", AP_WRITE_MAX, AP_WRITE_MAX);

        /* "" is the empty set, so that ap_list_format() output always parses back. */
        while (i < len) {
                size_t start = i;
                unsigned first, last;
                int r;

                term++;
                if (s[i] == ',')
                        return parse_fail(error, AP_PARSE_EMPTY_TERM, i,
                                          "list term %u at offset %zu is empty", term, i);
                r = list_number(s, &i, term, max, &first, error);
                if (r < 0)
                        return r;
                last = first;
                if (s[i] == '-') {
                        i++;
                        r = list_number(s, &i, term, max, &last, error);
                        if (r < 0)
                                return r;
                        if (first > last)
                                return parse_fail(error, AP_PARSE_RANGE_REVERSED, start,
                                                  "list term %u at offset %zu: range %u-%u is reversed (write %u-%u)",
                                                  term, start, first, last, last, first);
                }
                if (s[i] != ',' && s[i] != '\0')
                        return parse_fail(error, AP_PARSE_BAD_CHAR, i,
                                          "list term %u at offset %zu: %s where ',' or the end was expected",
                                          term, i, char_text(s[i]).s);
                for (unsigned id = first; id <= last; id++) {
                        if (ap_mask_test(&m, id))
                                return parse_fail(error, AP_PARSE_DUPLICATE, start,
                                                  "list term %u at offset %zu: id %u is already in the list",
                                                  term, start, id);
                        ap_mask_set(&m, id);
                }
                if (s[i] == ',') {
                        i++;
                        if (s[i] == '\0')
                                return parse_fail(error, AP_PARSE_EMPTY_TERM, i,
                                                  "list term %u at offset %zu is empty (trailing ',')",
                                                  term + 1, i);
                }
        }
        *ret = m;
        return 0;
}

/* Appends one id in the list's style at buf + *n. */
static void list_id_append(char *buf, size_t size, size_t *n, unsigned id, ApListStyle style) {
        int k = style == AP_LIST_HEX ? snprintf(buf + *n, size - *n, "0x%02x", id)
                                     : snprintf(buf + *n, size - *n, "%u", id);

        assert(k > 0 && (size_t) k < size - *n);
        *n += (size_t) k;
}

char *ap_list_format(const ApMask *m, ApListStyle style) {
        /* At most 128 runs (a gap between each), each at most "0xfe-0xff," (10 bytes). */
        size_t size = AP_MASK_BITS / 2 * 10 + 1, n = 0;
        char *buf = malloc(size);
        int id;

        if (!buf)
                return NULL;
        buf[0] = '\0';
        id = ap_mask_next(m, 0);
        while (id >= 0) {
                unsigned first = (unsigned) id, last = first;

                while (last < AP_ID_MAX && ap_mask_test(m, last + 1))
                        last++;
                if (n > 0)
                        buf[n++] = ',';
                list_id_append(buf, size, &n, first, style);
                if (last > first) {
                        buf[n++] = '-';
                        list_id_append(buf, size, &n, last, style);
                }
                id = last < AP_ID_MAX ? ap_mask_next(m, last + 1) : -1;
        }
        return buf;
}

/* ---- APQNs ---------------------------------------------------------------- */

int apqn_parse(const char *s, Apqn *ret, ApParseError *error) {
        size_t na = 0, nd = 0, end;
        unsigned a = 0, d = 0;

        assert(s);
        assert(ret);

        if (s[0] == '\0')
                return parse_fail(error, AP_PARSE_EMPTY, 0, "empty APQN: expected xx.yyyy, e.g. 05.001a");
        while (is_xdigit(s[na]))
                na++;
        if (na == 0 || na > 2)
                return parse_fail(error, AP_PARSE_BAD_APQN, 0,
                                  "APQN at offset 0: the adapter needs 1-2 hex digits before '.' (e.g. 05.001a)");
        if (s[na] != '.')
                return parse_fail(error, AP_PARSE_BAD_APQN, na,
                                  "APQN at offset %zu: %s where '.' was expected (e.g. 05.001a)",
                                  na, char_text(s[na]).s);
        while (is_xdigit(s[na + 1 + nd]))
                nd++;
        if (nd == 0 || nd > 4)
                return parse_fail(error, AP_PARSE_BAD_APQN, na + 1,
                                  "APQN at offset %zu: the domain needs 1-4 hex digits after '.' (e.g. 05.001a)",
                                  na + 1);
        end = na + 1 + nd;
        if (s[end] != '\0')
                return parse_fail(error, AP_PARSE_TRAILING_GARBAGE, end,
                                  "APQN at offset %zu: %s after the domain", end, char_text(s[end]).s);
        for (size_t i = 0; i < na; i++)
                a = a * 16 + digit_value(s[i]);
        for (size_t i = na + 1; i < end; i++)
                d = d * 16 + digit_value(s[i]);
        if (d > AP_ID_MAX)
                return parse_fail(error, AP_PARSE_ID_TOO_BIG, na + 1,
                                  "APQN at offset %zu: domain 0x%x is above the maximum id 255", na + 1, d);
        *ret = (Apqn) { .adapter = a, .domain = d };
        return 0;
}

const char *apqn_format(Apqn q, char buf[static APQN_BUFSZ]) {
        assert(q.adapter <= AP_ID_MAX && q.domain <= AP_ID_MAX);
        snprintf(buf, APQN_BUFSZ, "%02x.%04x", q.adapter, q.domain);
        return buf;
}
