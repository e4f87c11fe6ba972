/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private helpers of the ap-mask.h parsers (ap-mask.c, ap-matrix.c,
 * ap-list.c): the error filler, ASCII classes (never the locale's), and the
 * one hex mask field reader that apmask and ap_config share.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ap-mask.h"
#include "macro.h"

/*
 * The kernel takes at most one page from a sysfs write; longer relative
 * masks or lists cannot mean anything, so they are refused outright.
 */
#define AP_WRITE_MAX 4096u
/* How much of a bad token a message quotes. */
#define QUOTE_MAX 24u

static inline int quote_len(size_t n) {
        return (int) (n < QUOTE_MAX ? n : QUOTE_MAX);
}

/* Fills *error (if any) and returns the errno ap-mask.h promises for code. */
_printf_(4, 5)
int parse_fail(ApParseError *error, ApParseCode code, size_t offset, const char *fmt, ...);

/* A character as a message shows it: 'x', '\n', '\x01', or "end of input". */
typedef struct CharText {
        char s[16];
} CharText;
CharText char_text(char c);

static inline bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static inline bool is_alnum(char c) {
        return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 0..15 for a hex digit of either case, 16 for anything else. */
static inline unsigned digit_value(char c) {
        if (is_digit(c))
                return (unsigned) (c - '0');
        if (c >= 'a' && c <= 'f')
                return (unsigned) (c - 'a' + 10);
        if (c >= 'A' && c <= 'F')
                return (unsigned) (c - 'A' + 10);
        return 16;
}

static inline bool is_xdigit(char c) {
        return digit_value(c) < 16;
}

static inline bool is_lower_xdigit(char c) {
        return is_digit(c) || (c >= 'a' && c <= 'f');
}

static inline const char *base_name(unsigned base) {
        return base == 16 ? "hex" : base == 8 ? "octal" : "decimal";
}

/*
 * One hex mask in s[0..len), as hex2bitmap reads it: "0x" or "x" prefix
 * (lower case only), up to 64 digits from the left, then, if allowed, one
 * '\n'. Empty text is the empty mask, as in the kernel. what names the
 * field and base is its offset in the caller's input, for messages.
 */
int ap_mask_hex_field_parse(const char *s, size_t len, size_t base, const char *what,
                            bool allow_newline, ApMask *ret, ApParseError *error);
