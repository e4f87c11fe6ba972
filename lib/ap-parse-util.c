/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error reporting shared by the ap-mask.h parsers: stable code names, the
 * ApParseError filler and how a message shows a character.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "ap-parse-util.h"

static const char *const parse_code_names[] = {
        [AP_PARSE_OK] = "ok",
        [AP_PARSE_EMPTY] = "empty",
        [AP_PARSE_BAD_CHAR] = "bad-char",
        [AP_PARSE_TOO_MANY_DIGITS] = "too-many-digits",
        [AP_PARSE_MISSING_SIGN] = "missing-sign",
        [AP_PARSE_EMPTY_TERM] = "empty-term",
        [AP_PARSE_NO_NUMBER] = "no-number",
        [AP_PARSE_BAD_NUMBER] = "bad-number",
        [AP_PARSE_ID_TOO_BIG] = "id-too-big",
        [AP_PARSE_RANGE_REVERSED] = "range-reversed",
        [AP_PARSE_TRAILING_GARBAGE] = "trailing-garbage",
        [AP_PARSE_OCTAL_AMBIGUOUS] = "octal-ambiguous",
        [AP_PARSE_BAD_APQN] = "bad-apqn",
        [AP_PARSE_BAD_MATRIX_LINE] = "bad-matrix-line",
        [AP_PARSE_WRONG_FIELD_COUNT] = "wrong-field-count",
        [AP_PARSE_DUPLICATE] = "duplicate",
        [AP_PARSE_TOO_LONG] = "too-long",
        [AP_PARSE_BAD_DOMAIN_LINE] = "bad-domain-line",
        [AP_PARSE_NOT_CROSS_PRODUCT] = "not-cross-product",
};
_Static_assert(ELEMENTSOF(parse_code_names) == _AP_PARSE_CODE_MAX, "a parse code without a name");


const char *ap_parse_code_to_string(ApParseCode code) {
        if ((unsigned) code >= _AP_PARSE_CODE_MAX)
                return NULL;
        return parse_code_names[code];
}

int parse_fail(ApParseError *error, ApParseCode code, size_t offset, const char *fmt, ...) {
        assert(code > AP_PARSE_OK && code < _AP_PARSE_CODE_MAX);

        if (error) {
                va_list ap;

                error->code = code;
                error->offset = offset;
                va_start(ap, fmt);
                (void) vsnprintf(error->message, sizeof(error->message), fmt, ap);
                va_end(ap);
        }
        return code == AP_PARSE_ID_TOO_BIG ? -ERANGE : -EINVAL;
}

CharText char_text(char c) {
        CharText t;
        unsigned char u = (unsigned char) c;

        if (c == '\0')
                snprintf(t.s, sizeof(t.s), "end of input");
        else if (c == '\n')
                snprintf(t.s, sizeof(t.s), "'\\n'");
        else if (u < 0x20 || u >= 0x7f)
                snprintf(t.s, sizeof(t.s), "'\\x%02x'", u);
        else
                snprintf(t.s, sizeof(t.s), "'%c'", c);
        return t;
}
