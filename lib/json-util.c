/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json-c helpers: limited parsing, field-table dispatch, checked builders. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json-util.h"
#include "utf8.h"

void json_error_set(JsonError *e, const char *field, const char *fmt, ...) {
        va_list ap;

        if (!e)
                return;
        /* Both may quote a peer's key: cut at a character, or the reply would not be UTF-8. */
        utf8_snprintf(e->field, sizeof(e->field), "%s", field ?: "");
        va_start(ap, fmt);
        utf8_vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free);

int json_parse_limited(const char *text, size_t len, int max_depth, json_object **ret, JsonError *e) {
        _cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
        _cleanup_json_ json_object *o = NULL;
        enum json_tokener_error jerr;

        if (len > INT32_MAX) {
                json_error_set(e, NULL, "message of %zu bytes is too large", len);
                return -EBADMSG;
        }
        /* Before json-c: its UTF-8 check lets overlongs, surrogates and > U+10FFFF through. */
        size_t bad = utf8_find_invalid(text, len);
        if (bad < len) {
                json_error_set(e, NULL, "invalid UTF-8 at offset %zu", bad);
                return -EBADMSG;
        }
        tok = json_tokener_new_ex(max_depth);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, text, (int) len);
        jerr = json_tokener_get_error(tok);
        if (jerr == json_tokener_continue) {
                json_error_set(e, NULL, "incomplete JSON value");
                return -EBADMSG;
        }
        if (jerr != json_tokener_success) {
                json_error_set(e, NULL, "invalid JSON at offset %zu: %s",
                               json_tokener_get_parse_end(tok), json_tokener_error_desc(jerr));
                return -EBADMSG;
        }
        /* Strict mode stops after one value; anything but whitespace after it is garbage. */
        for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
                if (!strchr(" \t\r\n", text[i])) {
                        json_error_set(e, NULL, "trailing data after the JSON value at offset %zu", i);
                        return -EBADMSG;
                }
        *ret = TAKE_PTR(o);
        return 0;
}

/* Keys in the parsed tree; json-c holds one entry per distinct key of an object. */
static size_t json_count_keys(json_object *o) {
        size_t n = 0;

        if (json_object_is_type(o, json_type_object)) {
                n = (size_t) json_object_object_length(o);
                json_object_object_foreach(o, key, val) {
                        (void) key;
                        n += json_count_keys(val);
                }
        } else if (json_object_is_type(o, json_type_array))
                for (size_t i = 0; i < json_object_array_length(o); i++)
                        n += json_count_keys(json_object_array_get_idx(o, i));
        return n;
}

int json_check_keys(const char *text, size_t len, json_object *parsed, JsonError *e) {
        size_t keys = 0;

        /*
         * text is valid JSON, so '"' outside a string opens one, a backslash
         * inside one escapes the next byte, and a string is a key exactly
         * when the next byte after it that is not blank is ':'.
         */
        for (size_t i = 0; i < len; i++) {
                size_t start, nul = SIZE_MAX, j;

                if (text[i] != '"')
                        continue;
                start = ++i;
                for (; i < len && text[i] != '"'; i++)
                        if (text[i] == '\\') {
                                if (nul == SIZE_MAX && len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0)
                                        nul = i;
                                i++;
                        }
                for (j = i + 1; j < len && text[j] && strchr(" \t\r\n", text[j]); j++)
                        ;
                if (j >= len || text[j] != ':')
                        continue;
                keys++;
                if (nul != SIZE_MAX) {
                        char key[49];

                        utf8_snprintf(key, sizeof(key), "%.*s", (int) (nul - start), text + start);
                        json_error_set(e, key, "object key '%s\\u0000...' contains a NUL character", key);
                        return -EINVAL;
                }
        }
        if (keys != json_count_keys(parsed)) {
                json_error_set(e, NULL, "an object has the same key twice");
                return -EINVAL;
        }
        return 0;
}

static const char *json_type_label(json_type t) {
        static const char *const labels[] = {
                [json_type_null] = "null",       [json_type_boolean] = "a boolean",
                [json_type_double] = "a number", [json_type_int] = "an integer",
                [json_type_object] = "an object", [json_type_array] = "an array",
                [json_type_string] = "a string",
        };
        return (unsigned) t < ELEMENTSOF(labels) ? labels[t] : "?";
}

int json_dispatch(json_object *obj, const JsonField *table, void *base, JsonError *e) {
        if (obj && !json_object_is_type(obj, json_type_object)) {
                json_error_set(e, NULL, "parameters must be an object, not %s",
                               json_type_label(json_object_get_type(obj)));
                return -EINVAL;
        }

        if (obj) {
                json_object_object_foreach(obj, key, val) {
                        const JsonField *f;

                        for (f = table; f->name; f++)
                                if (streq(f->name, key))
                                        break;
                        if (!f->name) {
                                json_error_set(e, key, "unknown field '%s'", key);
                                return -EINVAL;
                        }
                        if (!val) {
                                /* varlink: an optional (?) field may be sent as null, meaning absent. */
                                if (!(f->flags & JSON_FIELD_REQUIRED))
                                        continue;
                                json_error_set(e, key, "field '%s' is required and must not be null", key);
                                return -EINVAL;
                        }
                        if (f->type != json_type_null && !json_object_is_type(val, f->type)) {
                                json_error_set(e, key, "field '%s' must be %s, not %s", key,
                                               json_type_label(f->type),
                                               json_type_label(json_object_get_type(val)));
                                return -EINVAL;
                        }
                        int r = f->parse(key, val, (uint8_t *) base + f->offset, e);
                        if (r < 0)
                                return r;
                }
        }

        for (const JsonField *f = table; f->name; f++)
                if ((f->flags & JSON_FIELD_REQUIRED) && !(obj && json_object_object_get_ex(obj, f->name, NULL))) {
                        json_error_set(e, f->name, "missing required field '%s'", f->name);
                        return -EINVAL;
                }
        return 0;
}

bool json_string_has_nul(json_object *v) {
        return strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v);
}

int json_dispatch_string(const char *name, json_object *v, void *dest, JsonError *e) {
        char **s = dest, *copy;

        if (!json_object_is_type(v, json_type_string)) {
                json_error_set(e, name, "field '%s' must be a string", name);
                return -EINVAL;
        }
        if (json_string_has_nul(v)) {
                json_error_set(e, name, "field '%s' must not contain a NUL character", name);
                return -EINVAL;
        }
        copy = strdup(json_object_get_string(v));
        if (!copy)
                return -ENOMEM;
        free(*s);
        *s = copy;
        return 0;
}

int json_dispatch_bool(const char *name, json_object *v, void *dest, JsonError *e) {
        if (!json_object_is_type(v, json_type_boolean)) {
                json_error_set(e, name, "field '%s' must be a boolean", name);
                return -EINVAL;
        }
        *(bool *) dest = json_object_get_boolean(v);
        return 0;
}

int json_dispatch_int64(const char *name, json_object *v, void *dest, JsonError *e) {
        if (!json_object_is_type(v, json_type_int)) {
                json_error_set(e, name, "field '%s' must be an integer", name);
                return -EINVAL;
        }
        errno = 0;
        int64_t x = json_object_get_int64(v);
        if (errno == EINVAL || ((x == INT64_MAX || x == INT64_MIN) && errno)) {
                json_error_set(e, name, "field '%s' is out of range", name);
                return -ERANGE;
        }
        *(int64_t *) dest = x;
        return 0;
}

int json_dispatch_uint32(const char *name, json_object *v, void *dest, JsonError *e) {
        int64_t x;
        int r = json_dispatch_int64(name, v, &x, e);

        if (r < 0)
                return r;
        if (x < 0 || x > UINT32_MAX) {
                json_error_set(e, name, "field '%s' must be between 0 and %" PRIu32, name, UINT32_MAX);
                return -ERANGE;
        }
        *(uint32_t *) dest = (uint32_t) x;
        return 0;
}

int json_dispatch_object_ref(const char *name, json_object *v, void *dest, JsonError *e) {
        json_object **o = dest;

        json_object_put(*o);
        *o = json_object_get(v);
        return 0;
}

int json_add(json_object *o, const char *key, json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_object_add(o, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

int json_append(json_object *array, json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_array_add(array, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

int json_add_string(json_object *o, const char *key, const char *value) {
        return json_add(o, key, json_object_new_string(value ?: ""));
}

int json_add_int(json_object *o, const char *key, int64_t value) {
        return json_add(o, key, json_object_new_int64(value));
}

int json_add_bool(json_object *o, const char *key, bool value) {
        return json_add(o, key, json_object_new_boolean(value));
}
