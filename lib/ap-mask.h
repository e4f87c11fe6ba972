/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * APQN ids, 256-bit AP masks, and parsers and printers for every text format
 * the AP bus and vfio_ap speak (shared/docs/kernel-abi.md §1.2, §4.2), plus
 * the human list and APQN forms of the CLI.
 *
 * Every parser returns 0 or a negative errno (-EINVAL for malformed text,
 * -ERANGE for an id above the allowed maximum), never writes its ret_*
 * output on failure, and, when given a non-NULL ApParseError, fills it on
 * failure with a distinct code, the byte offset of the problem and a
 * message naming what is wrong and where.
 *
 * The kernel formats accept exactly what the kernel accepts (ap_bus.c
 * hex2bitmap/modify_bitmap, vfio_ap ap_config_store, kstrtoul), with three
 * deliberate exceptions where the kernel silently loses input: numbers past
 * 64 bits (the relative parser wraps them; we refuse), ap_config text after
 * the third mask or past the 201 bytes vfio_ap reads (dropped; we refuse),
 * and an empty string (the kernel never sees an empty write; we refuse).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_ID_MAX 255u          /* architectural maximum adapter or domain id */
#define AP_MASK_BITS 256u
#define AP_MASK_HEX_BUFSZ 67    /* "0x" + 64 hex digits + NUL */
#define APQN_BUFSZ 8            /* "05.001a" + NUL, the lszcrypt form */
#define AP_CONFIG_BUFSZ (3 * (AP_MASK_HEX_BUFSZ - 1) + 2 + 2) /* "a,q,d\n" + NUL */

/*
 * A set of adapter or domain ids 0..255. Id n is bit (n % 64) of
 * word[n / 64]; the struct is never cast to bytes, so it means the same on
 * big- and little-endian machines. The text forms put id 0 leftmost.
 */
typedef struct ApMask {
        uint64_t word[4];
} ApMask;

typedef struct Apqn {
        unsigned adapter;       /* 0..255 */
        unsigned domain;        /* 0..255 */
} Apqn;

/* The three masks of a vfio_ap mdev's ap_config attribute, and of QCI. */
typedef struct ApConfig {
        ApMask apm;             /* adapters */
        ApMask aqm;             /* usage domains */
        ApMask adm;             /* control domains */
} ApConfig;

/* Why a parser refused its input; each rejection has its own code. */
typedef enum ApParseCode {
        AP_PARSE_OK = 0,
        AP_PARSE_EMPTY,                 /* nothing to parse */
        AP_PARSE_BAD_CHAR,              /* a character that is not allowed here */
        AP_PARSE_TOO_MANY_DIGITS,       /* more than 64 hex digits in a mask */
        AP_PARSE_MISSING_SIGN,          /* relative term without its own + or - */
        AP_PARSE_EMPTY_TERM,            /* ",," or a trailing ',' in a list; a leading separator */
        AP_PARSE_NO_NUMBER,             /* a sign or '-' with no number after it */
        AP_PARSE_BAD_NUMBER,            /* a number with invalid digits for its base */
        AP_PARSE_ID_TOO_BIG,            /* an id above the maximum (-ERANGE) */
        AP_PARSE_RANGE_REVERSED,        /* N-M with N > M */
        AP_PARSE_TRAILING_GARBAGE,      /* text after a complete value */
        AP_PARSE_OCTAL_AMBIGUOUS,       /* human list: leading 0, refused with a hint */
        AP_PARSE_BAD_APQN,              /* not XX.YYYY */
        AP_PARSE_BAD_MATRIX_LINE,       /* not XX.YYYY, XX. or .YYYY */
        AP_PARSE_WRONG_FIELD_COUNT,     /* ap_config without exactly three masks */
        AP_PARSE_DUPLICATE,             /* the same id or APQN twice where that is an error */
        AP_PARSE_TOO_LONG,              /* input longer than the format allows */
        AP_PARSE_BAD_DOMAIN_LINE,       /* control_domains line not "yyyy" */
        AP_PARSE_NOT_CROSS_PRODUCT,     /* matrix lines that are not adapters x domains */
        _AP_PARSE_CODE_MAX,
} ApParseCode;

typedef struct ApParseError {
        ApParseCode code;
        size_t offset;          /* byte offset in the input where the problem starts */
        char message[160];      /* e.g. "relative term 2 at offset 3: '7' has no sign" */
} ApParseError;

/* Name of a code, e.g. "missing-sign"; stable, used in JSON errors. */
const char *ap_parse_code_to_string(ApParseCode code);

/* Set operations. Ids above 255 are a programming error (assert). */
void ap_mask_clear_all(ApMask *m);
void ap_mask_set(ApMask *m, unsigned id);
void ap_mask_clear(ApMask *m, unsigned id);
bool ap_mask_test(const ApMask *m, unsigned id);
void ap_mask_set_range(ApMask *m, unsigned first, unsigned last);
unsigned ap_mask_count(const ApMask *m);
bool ap_mask_is_empty(const ApMask *m);
bool ap_mask_equal(const ApMask *a, const ApMask *b);
bool ap_mask_intersects(const ApMask *a, const ApMask *b);
bool ap_mask_is_subset(const ApMask *sub, const ApMask *super);
void ap_mask_and(ApMask *ret, const ApMask *a, const ApMask *b);
void ap_mask_or(ApMask *ret, const ApMask *a, const ApMask *b);
void ap_mask_andnot(ApMask *ret, const ApMask *a, const ApMask *b);
/* Next set id >= from, or -1 when there is none. */
int ap_mask_next(const ApMask *m, unsigned from);
#define AP_MASK_FOREACH(id, m) \
        for (int id = ap_mask_next((m), 0); id >= 0; id = (id < 255 ? ap_mask_next((m), id + 1) : -1))

/* "0x" + 64 lower-case hex digits, id 0 leftmost (sysfs read form). */
const char *ap_mask_format_hex(const ApMask *m, char buf[static AP_MASK_HEX_BUFSZ]);

/*
 * The absolute apmask/aqmask write form: optional "0x" (or bare "x"),
 * up to 64 hex digits filling the mask from the left, short strings padded
 * with zeros on the right, one optional trailing '\n'.
 */
int ap_mask_parse_hex(const char *s, ApMask *ret, ApParseError *error);

/*
 * The relative form: terms separated by ',' or '\n', each "+N", "-N",
 * "+N-M" or "-N-M", numbers in base 0 (so "010" is 8), ids <= 255, N <= M,
 * applied left to right on top of *base. As in the kernel, runs of
 * separators and a trailing one are fine, and a term may follow a number
 * directly ("+1+2"; "+0-5-3" sets 0..5, then clears 3). At most 4096 bytes.
 */
int ap_mask_apply_relative(const char *s, const ApMask *base, ApMask *ret, ApParseError *error);

/* What apmask_store does: relative if s starts with '+' or '-', else absolute. "\n" clears. */
int ap_mask_parse_write(const char *s, const ApMask *current, ApMask *ret, ApParseError *error);

/*
 * One assign_adapter/assign_domain/assign_control_domain value as the
 * kernel's kstrtoul(s, 0) reads it: decimal, 0x hex, leading-0 octal, one
 * optional trailing '\n'; -ERANGE above max.
 */
int ap_id_parse_kernel(const char *s, unsigned max, unsigned *ret, ApParseError *error);

/*
 * The text of an mdev's `matrix` or `guest_matrix` file: lines "XX.YYYY",
 * "XX." (adapters only) or ".YYYY" (domains only), lower-case hex, '\n'
 * terminated (the last '\n' may be missing); an empty file is an empty
 * matrix. Lines must form the full cross product of their adapters and
 * domains, each once, in one of the three forms.
 */
int ap_matrix_parse(const char *text, ApMask *ret_apm, ApMask *ret_aqm, ApParseError *error);
/* The kernel's rendering of the same; returns a malloc'd string or NULL on ENOMEM. */
char *ap_matrix_format(const ApMask *apm, const ApMask *aqm);

/* `control_domains`: one "%04x" line per domain, each once; the last '\n' may be missing. */
int ap_domain_lines_parse(const char *text, ApMask *ret, ApParseError *error);
char *ap_domain_lines_format(const ApMask *m);

/*
 * `ap_config`: "0x<64>,0x<64>,0x<64>\n" (APM, AQM, ADM), split on ',' and
 * '\n' like vfio_ap; each field as ap_mask_parse_hex without the newline,
 * an empty field is an empty mask (so "a,q\n" has an empty ADM, as in the
 * kernel, while "a,q" is refused).
 */
int ap_config_parse(const char *s, ApConfig *ret, ApParseError *error);
const char *ap_config_format(const ApConfig *c, char buf[static AP_CONFIG_BUFSZ]);

/*
 * Human id lists for the CLI and config files: "0-3,5,0x1a-0x1c".
 * Decimal or 0x hex; a number with a leading 0 (other than "0" itself) is
 * refused with AP_PARSE_OCTAL_AMBIGUOUS and a hint, never read as octal.
 * Ids above max give -ERANGE. No spaces, no id twice; "" is the empty set
 * (what ap_list_format() prints for it).
 */
int ap_list_parse(const char *s, unsigned max, ApMask *ret, ApParseError *error);

typedef enum ApListStyle {
        AP_LIST_DECIMAL,        /* "0-3,5,26-28" */
        AP_LIST_HEX,            /* "0x00-0x03,0x05,0x1a-0x1c" */
} ApListStyle;
/* Compact ranges; "" for an empty mask. malloc'd, NULL on ENOMEM. */
char *ap_list_format(const ApMask *m, ApListStyle style);

/*
 * APQN "XX.YYYY" in hex, as lszcrypt prints it ("05.001a"): 1-2 hex digits,
 * a dot, 1-4 hex digits, both ids <= 255. Printed as %02x.%04x.
 */
int apqn_parse(const char *s, Apqn *ret, ApParseError *error);
const char *apqn_format(Apqn q, char buf[static APQN_BUFSZ]);
