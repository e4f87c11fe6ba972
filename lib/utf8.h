/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict UTF-8 validation (RFC 3629, Unicode table 3-7) for text a peer
 * sends: json-c's own check looks at byte structure only and lets overlong
 * forms, surrogates and code points above U+10FFFF through, which apctld
 * would then echo back in replies that are not UTF-8.
 */
#pragma once

#include <stddef.h>

/*
 * The offset of the first byte of s[0..len) that does not begin a
 * well-formed sequence (overlong, surrogate, above U+10FFFF, a stray
 * continuation byte, or a sequence cut short by the end), or len when all
 * of it is well-formed.
 */
size_t utf8_find_invalid(const char *s, size_t len);
