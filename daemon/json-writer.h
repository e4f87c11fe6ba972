/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON text written straight into one growing buffer, for replies too big
 * to build as a json-c tree first (a z16's Host.List: ~0.5 MiB of text, but
 * ~9 MiB of json-c objects). Compact output as json-c's
 * JSON_C_TO_STRING_PLAIN writes it (no spaces; '/' is not escaped, which
 * JSON allows either way). The caller writes a well-formed sequence of
 * calls; the writer only places the commas. The first allocation failure
 * sticks: later calls do nothing, json_writer_finish() reports it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ap-mask.h"
#include "macro.h"

typedef struct JsonWriter {
        char *buf;              /* owned */
        size_t size;            /* bytes written */
        size_t allocated;
        bool comma;             /* the next value or key in the open container needs a ',' first */
        int err;                /* first error, 0 if none */
} JsonWriter;

/* An empty writer with room for size_hint bytes (grows past it); -ENOMEM. */
int json_writer_init(JsonWriter *w, size_t size_hint);
void json_writer_done(JsonWriter *w);

void json_writer_object_begin(JsonWriter *w);
void json_writer_object_end(JsonWriter *w);
void json_writer_array_begin(JsonWriter *w);
void json_writer_array_end(JsonWriter *w);
/* An object member's key; the next call writes its value. */
void json_writer_key(JsonWriter *w, const char *key);
void json_writer_string(JsonWriter *w, const char *s);
void json_writer_int(JsonWriter *w, int64_t v);
void json_writer_bool(JsonWriter *w, bool v);
/* A mask as json_from_mask() gives it: the array of its ids. */
void json_writer_mask(JsonWriter *w, const ApMask *m);
/* A configuration as json_from_ap_config() gives it: {"adapters":[...],"domains":[...],"control_domains":[...]}. */
void json_writer_ap_config(JsonWriter *w, const ApConfig *c);
/* An object member, key and value in one call. */
void json_writer_member_string(JsonWriter *w, const char *key, const char *s);
void json_writer_member_int(JsonWriter *w, const char *key, int64_t v);
void json_writer_member_bool(JsonWriter *w, const char *key, bool v);
void json_writer_member_mask(JsonWriter *w, const char *key, const ApMask *m);
void json_writer_member_ap_config(JsonWriter *w, const char *key, const ApConfig *c);

/*
 * End the text with a NUL (counted in *ret_size) and hand the buffer over;
 * w is empty afterwards. The sticky error (-ENOMEM) if any call failed; the
 * ret_* are untouched then and w still owns (and frees) its buffer.
 */
int json_writer_finish(JsonWriter *w, char **ret_buf, size_t *ret_size, size_t *ret_allocated);

/*
 * Text written a piece at a time (a streamed reply): json_writer_take()
 * hands the piece written so far over like json_writer_finish() but without
 * a NUL, and w keeps its place in the nesting (the next value still gets
 * its comma) with no buffer; json_writer_resume() gives it the buffer for
 * the next piece: buf (malloc'd, taken over, freed on failure; NULL for a
 * new one), grown to size_hint bytes if it is smaller.
 */
int json_writer_take(JsonWriter *w, char **ret_buf, size_t *ret_size, size_t *ret_allocated);
int json_writer_resume(JsonWriter *w, char *buf, size_t allocated, size_t size_hint);
