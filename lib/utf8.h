/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict UTF-8 validation (RFC 3629, Unicode table 3-7) for text a peer
 * sends: json-c's own check looks at byte structure only and lets overlong
 * forms, surrogates and code points above U+10FFFF through, which apctld
 * would then echo back in replies that are not UTF-8. And the cutting of
 * text to a buffer at a character boundary, so that a reply quoting what a
 * peer sent stays UTF-8 when it is too long to quote whole.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

/*
 * The offset of the first byte of s[0..len) that does not begin a
 * well-formed sequence (overlong, surrogate, above U+10FFFF, a stray
 * continuation byte, or a sequence cut short by the end), or len when all
 * of it is well-formed.
 */
size_t utf8_find_invalid(const char *s, size_t len);

/*
 * The length of the longest prefix of s[0..len) that does not end inside a
 * multi-byte sequence: len, or the offset of a lead byte near the end whose
 * sequence len cuts short. Nothing before the last sequence is looked at.
 */
size_t utf8_truncate(const char *s, size_t len);

/*
 * vsnprintf() into buf[0..size) (size > 0), and when the text does not fit,
 * cut it back to a character boundary (utf8_truncate()) rather than in the
 * middle of a character: for text that may quote what a peer sent.
 */
void utf8_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) _printf_(3, 0);
void utf8_snprintf(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);
