/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parser's state and its value parsers, shared between the line reader
 * (policy-parse.c) and the section and key tables (policy-rules.c).
 */
#pragma once

#include "policy-internal.h"

#define PARSER_KEYS_MAX 16

typedef struct Parser Parser;

typedef struct KeyType {
        const char *name;               /* borrowed, static */
        int (*parse)(Parser *ps, const char *value);
} KeyType;

typedef struct SectionType {
        const char *kind;               /* borrowed, static: "defaults", "host", "access", "guest" */
        bool named;                     /* [kind NAME] rather than [kind] */
        int (*begin)(Parser *ps, const char *name);
        int (*end)(Parser *ps);         /* completeness checks, at the next header or end of file */
        const KeyType *keys;            /* borrowed, static */
        size_t n_keys;
} SectionType;

struct Parser {
        Policy *policy;                 /* borrowed; the policy being built */
        const char *file;               /* borrowed from policy->files */
        unsigned line;
        const PolicyLoadOptions *opts;  /* borrowed */
        PolicyError *error;             /* borrowed, may be NULL */
        const SectionType *section;     /* borrowed, static; NULL before the first header */
        unsigned section_line;
        size_t index;                   /* the current rule in policy->access or ->guests */
        unsigned key_lines[PARSER_KEYS_MAX]; /* where each key of the section was set, 0 if not yet */
        const char *key;                /* borrowed; the key being parsed, for messages */
};

/* Fill ps->error at the current line and return -EINVAL. */
int parser_error(Parser *ps, PolicyErrorCode code, const char *format, ...) _printf_(3, 4);
PolicyOrigin parser_origin(const Parser *ps);

/*
 * Comma-separated entries, whitespace around each trimmed; refuses empty
 * entries, duplicates and more than POLICY_LIST_ENTRIES_MAX. *ret is a
 * NULL-terminated array of owned strings.
 */
int parser_list(Parser *ps, const char *value, char ***ret, size_t *ret_n);
int parser_bool(Parser *ps, const char *value, bool *ret);
int parser_number(Parser *ps, const char *value, unsigned min, unsigned max, unsigned *ret);
/* "0-3,5,0x1a" (lib's human list form), spaces after commas allowed. */
int parser_id_list(Parser *ps, const char *value, ApMask *ret);

void strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);

extern const SectionType policy_section_types[];
extern const size_t policy_n_section_types;
