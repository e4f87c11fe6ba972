/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ApMask set operations and the apmask/aqmask text forms: the 0x + 64 hex
 * digit mask, the relative +N/-N-M edits, and assign_* ids, accepted exactly
 * as drivers/s390/crypto/ap_bus.c (hex2bitmap, modify_bitmap) and
 * lib/kstrtox.c accept them, except where ap-mask.h says otherwise.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ap-mask.h"
#include "ap-parse-util.h"

/* ---- set operations ---------------------------------------------------- */

void ap_mask_clear_all(ApMask *m) {
        for (unsigned i = 0; i < ELEMENTSOF(m->word); i++)
                m->word[i] = 0;
}

void ap_mask_set(ApMask *m, unsigned id) {
        assert(id <= AP_ID_MAX);
        m->word[id / 64] |= UINT64_C(1) << (id % 64);
}

void ap_mask_clear(ApMask *m, unsigned id) {
        assert(id <= AP_ID_MAX);
        m->word[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

bool ap_mask_test(const ApMask *m, unsigned id) {
        assert(id <= AP_ID_MAX);
        return (m->word[id / 64] >> (id % 64)) & 1;
}

void ap_mask_set_range(ApMask *m, unsigned first, unsigned last) {
        assert(first <= last && last <= AP_ID_MAX);
        for (unsigned id = first; id <= last; id++)
                ap_mask_set(m, id);
}

static void ap_mask_clear_range(ApMask *m, unsigned first, unsigned last) {
        assert(first <= last && last <= AP_ID_MAX);
        for (unsigned id = first; id <= last; id++)
                ap_mask_clear(m, id);
}

unsigned ap_mask_count(const ApMask *m) {
        unsigned n = 0;

        for (unsigned i = 0; i < ELEMENTSOF(m->word); i++)
                n += (unsigned) __builtin_popcountll(m->word[i]);
        return n;
}

bool ap_mask_is_empty(const ApMask *m) {
        return (m->word[0] | m->word[1] | m->word[2] | m->word[3]) == 0;
}

bool ap_mask_equal(const ApMask *a, const ApMask *b) {
        for (unsigned i = 0; i < ELEMENTSOF(a->word); i++)
                if (a->word[i] != b->word[i])
                        return false;
        return true;
}

bool ap_mask_intersects(const ApMask *a, const ApMask *b) {
        for (unsigned i = 0; i < ELEMENTSOF(a->word); i++)
                if (a->word[i] & b->word[i])
                        return true;
        return false;
}

bool ap_mask_is_subset(const ApMask *sub, const ApMask *super) {
        for (unsigned i = 0; i < ELEMENTSOF(sub->word); i++)
                if (sub->word[i] & ~super->word[i])
                        return false;
        return true;
}

/* ret may alias a or b. */
void ap_mask_and(ApMask *ret, const ApMask *a, const ApMask *b) {
        for (unsigned i = 0; i < ELEMENTSOF(ret->word); i++)
                ret->word[i] = a->word[i] & b->word[i];
}

void ap_mask_or(ApMask *ret, const ApMask *a, const ApMask *b) {
        for (unsigned i = 0; i < ELEMENTSOF(ret->word); i++)
                ret->word[i] = a->word[i] | b->word[i];
}

void ap_mask_andnot(ApMask *ret, const ApMask *a, const ApMask *b) {
        for (unsigned i = 0; i < ELEMENTSOF(ret->word); i++)
                ret->word[i] = a->word[i] & ~b->word[i];
}

int ap_mask_next(const ApMask *m, unsigned from) {
        for (unsigned w = from / 64; w < ELEMENTSOF(m->word); w++) {
                uint64_t bits = m->word[w];

                if (w == from / 64)
                        bits &= ~UINT64_C(0) << (from % 64);
                if (bits)
                        return (int) (w * 64 + (unsigned) __builtin_ctzll(bits));
        }
        return -1;
}

/* ---- absolute hex masks ------------------------------------------------ */

const char *ap_mask_format_hex(const ApMask *m, char buf[static AP_MASK_HEX_BUFSZ]) {
        static const char hex[] = "0123456789abcdef";

        buf[0] = '0';
        buf[1] = 'x';
        /* Digit k holds ids 4k..4k+3, id 4k in its most significant bit. */
        for (unsigned k = 0; k < AP_MASK_BITS / 4; k++) {
                unsigned v = 0;

                for (unsigned n = 0; n < 4; n++)
                        if (ap_mask_test(m, 4 * k + n))
                                v |= 8u >> n;
                buf[2 + k] = hex[v];
        }
        buf[2 + AP_MASK_BITS / 4] = '\0';
        return buf;
}

/* Shared with ap_config_parse(); see ap-parse-util.h. */
int ap_mask_hex_field_parse(const char *s, size_t len, size_t base, const char *what,
                            bool allow_newline, ApMask *ret, ApParseError *error) {
        ApMask m = {};
        size_t i = 0, digits = 0;

        if (len >= 2 && s[0] == '0' && s[1] == 'x')
                i = 1;
        if (i < len && s[i] == 'x')
                i++;

        for (; i < len && is_xdigit(s[i]); i++, digits++) {
                unsigned v = digit_value(s[i]);

                if (digits == AP_MASK_BITS / 4)
                        return parse_fail(error, AP_PARSE_TOO_MANY_DIGITS, base + i,
                                          "%s at offset %zu: more than 64 hex digits (a mask has 256 bits)",
                                          what, base + i);
                for (unsigned n = 0; n < 4; n++)
                        if (v & (8u >> n))
                                ap_mask_set(&m, (unsigned) (4 * digits + n));
        }

        if (allow_newline && i < len && s[i] == '\n') {
                i++;
                if (i < len)
                        return parse_fail(error, AP_PARSE_TRAILING_GARBAGE, base + i,
                                          "%s at offset %zu: %s after the final newline",
                                          what, base + i, char_text(s[i]).s);
        }
        if (i < len)
                return parse_fail(error, AP_PARSE_BAD_CHAR, base + i,
                                  "%s at offset %zu: %s is not a hex digit%s",
                                  what, base + i, char_text(s[i]).s,
                                  s[i] == 'X' ? " (the prefix must be a lower-case 0x)" : "");
        *ret = m;
        return 0;
}

int ap_mask_parse_hex(const char *s, ApMask *ret, ApParseError *error) {
        assert(s);
        assert(ret);

        /* The kernel never sees an empty write, so "" cannot mean "clear"; "\n" does. */
        if (s[0] == '\0')
                return parse_fail(error, AP_PARSE_EMPTY, 0,
                                  "empty mask: expected 0x followed by up to 64 hex digits");
        return ap_mask_hex_field_parse(s, strlen(s), 0, "mask", true, ret, error);
}

/* ---- numbers as the kernel reads them ---------------------------------- */

/*
 * What lib/kstrtox.c makes of the number at s in base 0: "0x" + a hex digit
 * means hex, another leading 0 means octal, else decimal. Digits are taken
 * while valid for the base; the value wraps past 64 bits, which is noted.
 */
typedef struct KernelNumber {
        uint64_t value;
        bool overflow;
        unsigned base;
        size_t length;          /* prefix + digits; 0 when there is no number */
} KernelNumber;

static KernelNumber kernel_number_scan(const char *s) {
        KernelNumber n = { .base = 10 };
        size_t i = 0;

        if (s[0] == '0') {
                if ((s[1] == 'x' || s[1] == 'X') && is_xdigit(s[2])) {
                        n.base = 16;
                        i = 2;
                } else
                        n.base = 8;
        }
        for (; digit_value(s[i]) < n.base; i++) {
                unsigned d = digit_value(s[i]);

                if (n.value > (UINT64_MAX - d) / n.base)
                        n.overflow = true;
                n.value = n.value * n.base + d;
        }
        n.length = i;
        return n;
}

/*
 * Explains why the character just after a number (at offset at) cannot
 * continue it: "08" stops at '8', "0x" without digits at 'x'.
 */
static int number_bad_digit(ApParseError *error, const char *s, size_t start, size_t at,
                            const KernelNumber *n, const char *where) {
        if (n->base == 8 && at == start + 1 && (s[at] == 'x' || s[at] == 'X'))
                return parse_fail(error, AP_PARSE_BAD_NUMBER, at,
                                  "%s at offset %zu: '0%c' is not followed by a hex digit",
                                  where, at, s[at]);
        return parse_fail(error, AP_PARSE_BAD_NUMBER, at,
                          "%s at offset %zu: %s is not a %s digit%s", where, at,
                          char_text(s[at]).s, base_name(n->base),
                          n->base == 8 ? " (a leading 0 makes the number octal)" : "");
}

/* ---- relative apmask/aqmask writes ------------------------------------- */

/* One number of a relative term, at *pos; moves *pos past it. */
static int relative_number(const char *s, size_t *pos, const char *where, unsigned *ret,
                           ApParseError *error) {
        size_t start = *pos;
        KernelNumber n = kernel_number_scan(s + start);

        if (n.length == 0)
                return parse_fail(error, AP_PARSE_NO_NUMBER, start,
                                  "%s at offset %zu: %s where a number was expected",
                                  where, start, char_text(s[start]).s);
        /* Values past INT_MAX crashed modify_bitmap() before 6.10 (CVE-2024-38661). */
        if (n.overflow || n.value > AP_ID_MAX)
                return parse_fail(error, AP_PARSE_ID_TOO_BIG, start,
                                  "%s at offset %zu: %.*s%s is above the maximum id 255",
                                  where, start, quote_len(n.length), s + start,
                                  n.length > QUOTE_MAX ? "..." : "");
        if (is_alnum(s[start + n.length]))
                return number_bad_digit(error, s, start, start + n.length, &n, where);
        *pos = start + n.length;
        *ret = (unsigned) n.value;
        return 0;
}

int ap_mask_apply_relative(const char *s, const ApMask *base, ApMask *ret, ApParseError *error) {
        ApMask m;
        size_t len, i = 0;
        unsigned term = 0;

        assert(s);
        assert(base);
        assert(ret);

        len = strnlen(s, AP_WRITE_MAX + 1);
        if (len == 0)
                return parse_fail(error, AP_PARSE_EMPTY, 0,
                                  "empty relative mask: expected terms like +N, -N, +N-M or -N-M");
        if (len > AP_WRITE_MAX)
                return parse_fail(error, AP_PARSE_TOO_LONG, AP_WRITE_MAX,
                                  "relative mask at offset %u: longer than the %u bytes the kernel reads",
                                  AP_WRITE_MAX, AP_WRITE_MAX);
        if (s[0] == ',' || s[0] == '\n')
                return parse_fail(error, AP_PARSE_EMPTY_TERM, 0,
                                  "relative mask starts with a separator at offset 0");

        m = *base;
        /*
         * Like modify_bitmap(): runs of ',' and '\n' between terms, and a
         * term right after a number ("+1+2", "+0-5-3"), are accepted.
         */
        while (i < len) {
                size_t start = i;
                char sign = s[i], where[48];
                unsigned first, last;
                int r;

                term++;
                snprintf(where, sizeof(where), "relative term %u", term);
                if (sign != '+' && sign != '-') {
                        if (is_digit(sign))
                                return parse_fail(error, AP_PARSE_MISSING_SIGN, start,
                                                  "%s at offset %zu: '%c' has no sign; every term needs its own + or -",
                                                  where, start, sign);
                        return parse_fail(error, AP_PARSE_BAD_CHAR, start,
                                          "%s at offset %zu: %s where + or - was expected",
                                          where, start, char_text(sign).s);
                }
                i++;
                r = relative_number(s, &i, where, &first, error);
                if (r < 0)
                        return r;
                last = first;
                if (s[i] == '-') {
                        i++;
                        r = relative_number(s, &i, where, &last, error);
                        if (r < 0)
                                return r;
                        if (first > last)
                                return parse_fail(error, AP_PARSE_RANGE_REVERSED, start,
                                                  "%s at offset %zu: range %u-%u is reversed (N must be <= M)",
                                                  where, start, first, last);
                }
                if (s[i] != '\0' && s[i] != ',' && s[i] != '\n' && s[i] != '+' && s[i] != '-')
                        return parse_fail(error, AP_PARSE_BAD_CHAR, i,
                                          "%s at offset %zu: %s after a number; separate terms with ',' or a newline",
                                          where, i, char_text(s[i]).s);

                if (sign == '+')
                        ap_mask_set_range(&m, first, last);
                else
                        ap_mask_clear_range(&m, first, last);
                while (s[i] == ',' || s[i] == '\n')
                        i++;
        }
        *ret = m;
        return 0;
}

int ap_mask_parse_write(const char *s, const ApMask *current, ApMask *ret, ApParseError *error) {
        assert(s);
        assert(current);
        assert(ret);

        if (s[0] == '+' || s[0] == '-')
                return ap_mask_apply_relative(s, current, ret, error);
        return ap_mask_parse_hex(s, ret, error);
}

/* ---- assign_* values ---------------------------------------------------- */

int ap_id_parse_kernel(const char *s, unsigned max, unsigned *ret, ApParseError *error) {
        KernelNumber n;
        size_t i = 0, end;

        assert(s);
        assert(ret);
        assert(max <= AP_ID_MAX);

        if (s[0] == '\0')
                return parse_fail(error, AP_PARSE_EMPTY, 0, "empty id: expected a number");
        /* kstrtoull() skips one '+'. */
        if (s[0] == '+')
                i = 1;
        n = kernel_number_scan(s + i);
        if (n.length == 0)
                return parse_fail(error, AP_PARSE_NO_NUMBER, i,
                                  "id at offset %zu: %s where a number was expected", i,
                                  char_text(s[i]).s);
        end = i + n.length;
        /* kstrtoul() checks overflow first and answers -ERANGE. */
        if (n.overflow)
                return parse_fail(error, AP_PARSE_ID_TOO_BIG, i,
                                  "id at offset %zu: %.*s%s does not fit in 64 bits", i,
                                  quote_len(n.length), s + i,
                                  n.length > QUOTE_MAX ? "..." : "");
        if (is_alnum(s[end]))
                return number_bad_digit(error, s, i, end, &n, "id");
        if (s[end] == '\n') {
                end++;
                if (s[end] != '\0')
                        return parse_fail(error, AP_PARSE_TRAILING_GARBAGE, end,
                                          "id at offset %zu: %s after the final newline", end,
                                          char_text(s[end]).s);
        }
        if (s[end] != '\0')
                return parse_fail(error, AP_PARSE_BAD_CHAR, end,
                                  "id at offset %zu: %s after the number", end, char_text(s[end]).s);
        if (n.value > max)
                return parse_fail(error, AP_PARSE_ID_TOO_BIG, i,
                                  "id at offset %zu: %llu is above the maximum %u", i,
                                  (unsigned long long) n.value, max);
        *ret = (unsigned) n.value;
        return 0;
}
