/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json-c helpers shared by apctld and the CLI: cleanup attributes, a parser
 * with the size and nesting limits a peer must not exceed, and field tables
 * that decode a JSON object into a C struct in one place (each field: JSON
 * name, expected type, parser, offset, required), rejecting unknown fields.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
#define _cleanup_json_ _cleanup_(json_object_putp)

/* Why a JSON object was refused: the field and a human sentence. */
typedef struct JsonError {
        char field[64];         /* "" when the problem is not one field */
        char message[224];
} JsonError;

void json_error_set(JsonError *e, const char *field, const char *fmt, ...) _printf_(3, 4);

/*
 * Parse exactly one JSON value from text[0..len). More than max_depth levels
 * of nesting, trailing garbage, invalid JSON or text that is not strictly
 * UTF-8 (utf8_find_invalid()) give -EBADMSG and a message in *e. Never
 * writes *ret on failure.
 */
int json_parse_limited(const char *text, size_t len, int max_depth, json_object **ret, JsonError *e);

/*
 * Refuse what json-c silently changes in the keys of text when it parses it
 * to parsed (text must be what json_parse_limited() accepted): a key with an
 * embedded NUL, which json-c cuts short there, and a key given twice in one
 * object, of which json-c keeps the last. -EINVAL with e naming the key
 * (as far as it goes before the NUL) or the problem.
 */
int json_check_keys(const char *text, size_t len, json_object *parsed, JsonError *e);

typedef int (*JsonFieldParser)(const char *name, json_object *v, void *dest, JsonError *e);

/*
 * A field without JSON_FIELD_REQUIRED is optional (varlink's ?type): it may
 * be left out or sent as null, and either leaves the destination untouched.
 * A required field must be there and not null.
 */
enum {
        JSON_FIELD_REQUIRED = 1u << 0,
};

typedef struct JsonField {
        const char *name;               /* borrowed: the JSON key */
        json_type type;                 /* expected type; json_type_null means "any" */
        JsonFieldParser parse;
        size_t offset;                  /* into the destination struct */
        unsigned flags;
} JsonField;

/*
 * Decode obj (which must be an object, or NULL for "no parameters") through
 * the NULL-name-terminated table into base. Unknown keys, wrong types and
 * missing required fields give -EINVAL with e naming the field. Parsers that
 * allocate must leave ownership in the destination so the caller's cleanup
 * frees it even when a later field fails.
 */
int json_dispatch(json_object *obj, const JsonField *table, void *base, JsonError *e);

/*
 * Whether the JSON string v holds a NUL ("\u0000"): C code would read it
 * cut short there, so every string from a peer is checked before use.
 */
bool json_string_has_nul(json_object *v);

/* Stock parsers. Destinations: char* (malloc'd; a string with a NUL is refused), bool, uint32_t, int64_t, json_object* (ref held). */
int json_dispatch_string(const char *name, json_object *v, void *dest, JsonError *e);
int json_dispatch_bool(const char *name, json_object *v, void *dest, JsonError *e);
int json_dispatch_uint32(const char *name, json_object *v, void *dest, JsonError *e);
int json_dispatch_int64(const char *name, json_object *v, void *dest, JsonError *e);
int json_dispatch_object_ref(const char *name, json_object *v, void *dest, JsonError *e);

/* Build helpers that return -ENOMEM instead of silently dropping a key. */
int json_add_string(json_object *o, const char *key, const char *value);
int json_add_int(json_object *o, const char *key, int64_t value);
int json_add_bool(json_object *o, const char *key, bool value);
/* Takes the reference of value, also on failure. */
int json_add(json_object *o, const char *key, json_object *value);
int json_append(json_object *array, json_object *value);
