/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict UTF-8 validation and cutting at character boundaries. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "utf8.h"

/*
 * The well-formed sequences of Unicode table 3-7: the lead byte decides the
 * length and the range of the second byte (which excludes overlong forms,
 * surrogates and everything above U+10FFFF); later bytes are 80..BF.
 */
static bool utf8_lead(uint8_t c, unsigned *ret_continuation, uint8_t *ret_lo, uint8_t *ret_hi) {
        unsigned n;
        uint8_t lo = 0x80, hi = 0xbf;

        if (c >= 0xc2 && c <= 0xdf)
                n = 1;
        else if (c >= 0xe0 && c <= 0xef) {
                n = 2;
                if (c == 0xe0)
                        lo = 0xa0;      /* below: overlong */
                else if (c == 0xed)
                        hi = 0x9f;      /* above: surrogates D800..DFFF */
        } else if (c >= 0xf0 && c <= 0xf4) {
                n = 3;
                if (c == 0xf0)
                        lo = 0x90;      /* below: overlong */
                else if (c == 0xf4)
                        hi = 0x8f;      /* above: beyond U+10FFFF */
        } else
                return false;           /* continuation byte, C0/C1 (overlong ASCII) or F5..FF */
        *ret_continuation = n;
        *ret_lo = lo;
        *ret_hi = hi;
        return true;
}

size_t utf8_find_invalid(const char *s, size_t len) {
        const uint8_t *p = (const uint8_t *) s;
        size_t i = 0;

        while (i < len) {
                unsigned n;
                uint8_t lo, hi;

                if (p[i] < 0x80) {
                        i++;
                        continue;
                }
                if (!utf8_lead(p[i], &n, &lo, &hi) || len - i <= n)
                        return i;
                if (p[i + 1] < lo || p[i + 1] > hi)
                        return i;
                for (unsigned k = 2; k <= n; k++)
                        if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                                return i;
                i += n + 1;
        }
        return len;
}

size_t utf8_truncate(const char *s, size_t len) {
        const uint8_t *p = (const uint8_t *) s;

        /* A sequence is at most 4 bytes: its lead byte is among the last 4 or it is complete. */
        for (size_t back = 1; back <= 4 && back <= len; back++) {
                size_t lead = len - back;
                unsigned n;
                uint8_t lo, hi;

                if (p[lead] < 0x80)
                        return len;             /* ASCII: whatever follows it is not a cut sequence */
                if ((p[lead] & 0xc0) == 0x80)
                        continue;               /* continuation byte: look further back */
                if (utf8_lead(p[lead], &n, &lo, &hi) && back <= n)
                        return lead;            /* needs n continuation bytes, has back - 1 */
                return len;
        }
        return len;
}

void utf8_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) {
        int r = vsnprintf(buf, size, fmt, ap);

        if (r >= 0 && (size_t) r >= size)
                buf[utf8_truncate(buf, size - 1)] = 0;
}

void utf8_snprintf(char *buf, size_t size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        utf8_vsnprintf(buf, size, fmt, ap);
        va_end(ap);
}
