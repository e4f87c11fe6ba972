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

static bool grow(JsonWriter *w, size_t n);

/* Room for n more bytes; false (and the sticky error set) if there is none. */
static inline bool reserve(JsonWriter *w, size_t n) {
        if (w->err)
                return false;
        return w->allocated - w->size >= n || grow(w, n);
}

static bool grow(JsonWriter *w, size_t n) {
        size_t want;
        char *p;

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

static inline void put(JsonWriter *w, const char *s, size_t n) {
        if (!reserve(w, n))
                return;
        memcpy(w->buf + w->size, s, n);
        w->size += n;
}

static inline void put_char(JsonWriter *w, char c) {
        if (!reserve(w, 1))
                return;
        w->buf[w->size++] = c;
}

/* The ',' before a value or key that is not the first in its container. */
static void separate(JsonWriter *w) {
        if (w->comma)
                put_char(w, ',');
}

/* The bytes a JSON string cannot hold as they are: control characters, '"' and '\\'. */
static inline bool needs_escape(unsigned char c) {
        return c < 0x20 || c == '"' || c == '\\';
}

static void put_quoted_slow(JsonWriter *w, const char *s);

static void put_quoted(JsonWriter *w, const char *s) {
        size_t n = 0;

        /* Keys and names need no escapes: one scan, one copy. */
        while (s[n] && !needs_escape((unsigned char) s[n]))
                n++;
        if (s[n]) {
                put_quoted_slow(w, s);
                return;
        }
        if (!reserve(w, n + 2))
                return;
        w->buf[w->size] = '"';
        memcpy(w->buf + w->size + 1, s, n);
        w->buf[w->size + 1 + n] = '"';
        w->size += n + 2;
}

static void put_quoted_slow(JsonWriter *w, const char *s) {
        static const char hex[] = "0123456789abcdef";
        size_t run = 0;

        put_char(w, '"');
        for (const unsigned char *p = (const unsigned char *) s;; p++) {
                const char *esc = NULL;
                char u[6];

                if (*p != 0 && !needs_escape(*p)) {
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
        put_char(w, '"');
}

void json_writer_object_begin(JsonWriter *w) {
        separate(w);
        put_char(w, '{');
        w->comma = false;
}

void json_writer_object_end(JsonWriter *w) {
        put_char(w, '}');
        w->comma = true;
}

void json_writer_array_begin(JsonWriter *w) {
        separate(w);
        put_char(w, '[');
        w->comma = false;
}

void json_writer_array_end(JsonWriter *w) {
        put_char(w, ']');
        w->comma = true;
}

void json_writer_key(JsonWriter *w, const char *key) {
        separate(w);
        put_quoted(w, key);
        put_char(w, ':');
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

/* The decimal digits of an id (0..255). */
static inline size_t id_digits(unsigned id) {
        return 1 + (id >= 10) + (id >= 100);
}

void json_writer_mask(JsonWriter *w, const ApMask *m) {
        size_t len = 2;         /* "[]" */
        bool first = true;
        char *p;

        /* Written in place, its exact length reserved first: a streamed reply's pieces are sized to their items. */
        for (unsigned i = 0; i < ELEMENTSOF(m->word); i++)
                for (uint64_t bits = m->word[i]; bits; bits &= bits - 1)
                        len += id_digits(i * 64 + (unsigned) __builtin_ctzll(bits)) + 1;
        if (len > 2)
                len--;          /* one comma fewer than ids */
        separate(w);
        if (!reserve(w, len))
                return;
        p = w->buf + w->size;
        *p++ = '[';
        for (unsigned i = 0; i < ELEMENTSOF(m->word); i++)
                for (uint64_t bits = m->word[i]; bits; bits &= bits - 1) {
                        unsigned id = i * 64 + (unsigned) __builtin_ctzll(bits);

                        if (!first)
                                *p++ = ',';
                        first = false;
                        if (id >= 100)
                                *p++ = (char) ('0' + id / 100);
                        if (id >= 10)
                                *p++ = (char) ('0' + id / 10 % 10);
                        *p++ = (char) ('0' + id % 10);
                }
        *p = ']';
        assert((size_t) (p - (w->buf + w->size)) == len - 1);
        w->size += len;
        w->comma = true;
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

void json_writer_ap_config(JsonWriter *w, const ApConfig *c) {
        json_writer_object_begin(w);
        json_writer_member_mask(w, "adapters", &c->apm);
        json_writer_member_mask(w, "domains", &c->aqm);
        json_writer_member_mask(w, "control_domains", &c->adm);
        json_writer_object_end(w);
}

void json_writer_member_ap_config(JsonWriter *w, const char *key, const ApConfig *c) {
        json_writer_key(w, key);
        json_writer_ap_config(w, c);
}
