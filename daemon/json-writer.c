/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON text into one growing buffer; see json-writer.h. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-writer.h"

int json_writer_init(JsonWriter *w, size_t size_hint) {
        char *buf = malloc(size_hint > 0 ? size_hint : 1);

        if (!buf)
                return -ENOMEM;
        *w = (JsonWriter) { .buf = buf, .allocated = size_hint > 0 ? size_hint : 1 };
        return 0;
}

void json_writer_done(JsonWriter *w) {
        free(w->buf);
        *w = (JsonWriter) {};
}

/* Room for n more bytes; false (and the sticky error set) if there is none. */
static bool reserve(JsonWriter *w, size_t n) {
        size_t want;
        char *p;

        if (w->err)
                return false;
        if (w->allocated - w->size >= n)
                return true;
        want = w->allocated * 2;
        if (want < w->size + n)
                want = w->size + n;
        p = realloc(w->buf, want);
        if (!p) {
                w->err = -ENOMEM;
                return false;
        }
        w->buf = p;
        w->allocated = want;
        return true;
}

static void put(JsonWriter *w, const char *s, size_t n) {
        if (!reserve(w, n))
                return;
        memcpy(w->buf + w->size, s, n);
        w->size += n;
}

/* The ',' before a value or key that is not the first in its container. */
static void separate(JsonWriter *w) {
        if (w->comma)
                put(w, ",", 1);
}

static void put_quoted(JsonWriter *w, const char *s) {
        static const char hex[] = "0123456789abcdef";
        size_t run = 0;

        put(w, "\"", 1);
        for (const unsigned char *p = (const unsigned char *) s;; p++) {
                const char *esc = NULL;
                char u[6];

                if (*p >= 0x20 && *p != '"' && *p != '\\') {
                        run++;
                        continue;
                }
                /* Flush the plain run before this byte. */
                put(w, (const char *) p - run, run);
                run = 0;
                if (*p == 0)
                        break;
                switch (*p) {
                case '"': esc = "\\\""; break;
                case '\\': esc = "\\\\"; break;
                case '\b': esc = "\\b"; break;
                case '\f': esc = "\\f"; break;
                case '\n': esc = "\\n"; break;
                case '\r': esc = "\\r"; break;
                case '\t': esc = "\\t"; break;
                default:
                        memcpy(u, "\\u00", 4);
                        u[4] = hex[*p >> 4];
                        u[5] = hex[*p & 0xf];
                        put(w, u, sizeof(u));
                        continue;
                }
                put(w, esc, 2);
        }
        put(w, "\"", 1);
}

void json_writer_object_begin(JsonWriter *w) {
        separate(w);
        put(w, "{", 1);
        w->comma = false;
}

void json_writer_object_end(JsonWriter *w) {
        put(w, "}", 1);
        w->comma = true;
}

void json_writer_array_begin(JsonWriter *w) {
        separate(w);
        put(w, "[", 1);
        w->comma = false;
}

void json_writer_array_end(JsonWriter *w) {
        put(w, "]", 1);
        w->comma = true;
}

void json_writer_key(JsonWriter *w, const char *key) {
        separate(w);
        put_quoted(w, key);
        put(w, ":", 1);
        w->comma = false;
}

void json_writer_string(JsonWriter *w, const char *s) {
        separate(w);
        put_quoted(w, s);
        w->comma = true;
}

void json_writer_int(JsonWriter *w, int64_t v) {
        char buf[1 + DECIMAL_U64_BUFSZ];
        /* Not snprintf: a z16 Host.List writes some 30,000 numbers, a journal entry dozens. */
        size_t n = v < 0 ? 1 + format_u64(buf + 1, -(uint64_t) v) : format_u64(buf, (uint64_t) v);

        if (v < 0)
                buf[0] = '-';
        separate(w);
        put(w, buf, n);
        w->comma = true;
}

void json_writer_bool(JsonWriter *w, bool v) {
        separate(w);
        if (v)
                put(w, "true", 4);
        else
                put(w, "false", 5);
        w->comma = true;
}

void json_writer_mask(JsonWriter *w, const ApMask *m) {
        json_writer_array_begin(w);
        AP_MASK_FOREACH(id, m)
                json_writer_int(w, id);
        json_writer_array_end(w);
}

int json_writer_take(JsonWriter *w, char **ret_buf, size_t *ret_size, size_t *ret_allocated) {
        if (w->err)
                return w->err;
        *ret_buf = w->buf;
        *ret_size = w->size;
        *ret_allocated = w->allocated;
        w->buf = NULL;
        w->size = w->allocated = 0;
        return 0;
}

int json_writer_finish(JsonWriter *w, char **ret_buf, size_t *ret_size, size_t *ret_allocated) {
        int r;

        put(w, "", 1);
        r = json_writer_take(w, ret_buf, ret_size, ret_allocated);
        if (r < 0)
                return r;
        w->comma = false;
        return 0;
}

int json_writer_resume(JsonWriter *w, char *buf, size_t allocated, size_t size_hint) {
        assert(!w->buf);
        if (w->err) {
                free(buf);
                return w->err;
        }
        if (allocated < size_hint) {
                char *p = realloc(buf, size_hint);
                if (!p) {
                        free(buf);
                        return -ENOMEM;
                }
                buf = p;
                allocated = size_hint;
        }
        w->buf = buf;
        w->size = 0;
        w->allocated = allocated;
        return 0;
}

void json_writer_member_string(JsonWriter *w, const char *key, const char *s) {
        json_writer_key(w, key);
        json_writer_string(w, s);
}

void json_writer_member_int(JsonWriter *w, const char *key, int64_t v) {
        json_writer_key(w, key);
        json_writer_int(w, v);
}

void json_writer_member_bool(JsonWriter *w, const char *key, bool v) {
        json_writer_key(w, key);
        json_writer_bool(w, v);
}

void json_writer_member_mask(JsonWriter *w, const char *key, const ApMask *m) {
        json_writer_key(w, key);
        json_writer_mask(w, m);
}
