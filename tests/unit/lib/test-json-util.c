/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The field-table dispatch and the parser as a peer meets them: null for
 * optional fields, strings with an embedded NUL, keys json-c would merge or
 * truncate.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "macro.h"
#include "tap.h"

typedef struct Params {
        char *name;     /* owned */
        char *comment;  /* owned */
        bool flag;
        uint32_t count;
} Params;

static const JsonField fields[] = {
        { "name", json_type_string, json_dispatch_string, offsetof(Params, name), JSON_FIELD_REQUIRED },
        { "comment", json_type_string, json_dispatch_string, offsetof(Params, comment), 0 },
        { "flag", json_type_boolean, json_dispatch_bool, offsetof(Params, flag), 0 },
        { "count", json_type_int, json_dispatch_uint32, offsetof(Params, count), 0 },
        {}
};

/* Parse text and dispatch it into p; the dispatch result, or the parse error. */
static int dispatch_text(const char *text, size_t len, Params *p, JsonError *e) {
        _cleanup_json_ json_object *o = NULL;
        int r = json_parse_limited(text, len, 8, &o, e);

        if (r < 0)
                return r;
        return json_dispatch(o, fields, p, e);
}

#define DISPATCH(lit, p, e) dispatch_text(lit, sizeof(lit) - 1, p, e)

static void params_done(Params *p) {
        free(p->name);
        free(p->comment);
}

static void test_null_optional(void) {
        Params p = { .flag = true, .count = 7 };
        JsonError e = {};

        CHECK(DISPATCH("{\"name\":\"a\",\"comment\":null,\"flag\":null,\"count\":null}", &p, &e) == 0);
        CHECK_STREQ(p.name, "a");
        CHECK(!p.comment);
        CHECK(p.flag && p.count == 7);     /* null leaves the default, as leaving the field out does */
        params_done(&p);

        p = (Params) {};
        e = (JsonError) {};
        CHECK(DISPATCH("{\"name\":null}", &p, &e) == -EINVAL);
        CHECK_STREQ(e.field, "name");
        CHECK(strstr(e.message, "null"));
        params_done(&p);

        p = (Params) {};
        e = (JsonError) {};
        CHECK(DISPATCH("{\"comment\":null}", &p, &e) == -EINVAL);
        CHECK_STREQ(e.field, "name");
        params_done(&p);
        tap_case_end("null for an optional field means absent; a required field must not be null");
}

static void test_nul_in_string(void) {
        Params p = {};
        JsonError e = {};

        CHECK(DISPATCH("{\"name\":\"nul\\u0000../../etc\"}", &p, &e) == -EINVAL);
        CHECK_STREQ(e.field, "name");
        CHECK(!p.name);
        params_done(&p);

        p = (Params) {};
        e = (JsonError) {};
        CHECK(DISPATCH("{\"name\":\"a\",\"comment\":\"\\u0000\"}", &p, &e) == -EINVAL);
        CHECK_STREQ(e.field, "comment");
        params_done(&p);

        /* "\\u0000" spelled with an escaped backslash is six plain characters, not a NUL. */
        p = (Params) {};
        e = (JsonError) {};
        CHECK(DISPATCH("{\"name\":\"a\\\\u0000b\"}", &p, &e) == 0);
        CHECK_STREQ(p.name, "a\\u0000b");
        params_done(&p);
        tap_case_end("a string field with an embedded NUL is refused by name");
}

static int check_keys_text(const char *text, size_t len, JsonError *e) {
        _cleanup_json_ json_object *o = NULL;
        int r = json_parse_limited(text, len, 8, &o, e);

        if (r < 0)
                return r;
        return json_check_keys(text, len, o, e);
}

#define CHECK_KEYS(lit, e) check_keys_text(lit, sizeof(lit) - 1, e)

static void test_nul_in_key(void) {
        JsonError e = {};

        CHECK(CHECK_KEYS("{\"name\\u0000x\":\"a\"}", &e) == -EINVAL);
        CHECK_STREQ(e.field, "name");
        e = (JsonError) {};
        CHECK(CHECK_KEYS("{\"p\":{\"q\":[{\"\\u0000\":1}]}}", &e) == -EINVAL);
        CHECK_STREQ(e.field, "");
        CHECK(strstr(e.message, "NUL"));
        /* NUL in a value, an escaped backslash before "u0000", and "\u0000" in a string value followed by ':' text. */
        CHECK(CHECK_KEYS("{\"a\":\"x\\u0000\"}", &e) == 0);
        CHECK(CHECK_KEYS("{\"a\\\\u0000\":1}", &e) == 0);
        CHECK(CHECK_KEYS("[\"\\u0000\", \":\"]", &e) == 0);
        CHECK(CHECK_KEYS("{\"k\" \t:\"v\\\"\\u0000:\"}", &e) == 0);
        tap_case_end("an object key with an embedded NUL is refused, named up to the NUL");
}

static void test_duplicate_key(void) {
        JsonError e = {};

        CHECK(CHECK_KEYS("{\"method\":\"a\",\"method\":\"b\"}", &e) == -EINVAL);
        CHECK(strstr(e.message, "twice"));
        /* The same key spelled two ways is still the same key. */
        CHECK(CHECK_KEYS("{\"method\":\"a\",\"m\\u0065thod\":\"b\"}", &e) == -EINVAL);
        CHECK(CHECK_KEYS("{\"p\":{\"name\":1,\"x\":[{\"a\":1,\"a\":2}]}}", &e) == -EINVAL);
        /* Equal keys in different objects, and a value that looks like a key, are fine. */
        CHECK(CHECK_KEYS("{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}],\"c\":\"a\"}", &e) == 0);
        CHECK(CHECK_KEYS("{\"a\":\"b\",\"b\":\"a\"}", &e) == 0);
        CHECK(CHECK_KEYS("{}", &e) == 0);
        CHECK(CHECK_KEYS("\"x\"", &e) == 0);
        tap_case_end("a key given twice in one object is refused, at any depth and in any spelling");
}

int main(void) {
        test_null_optional();
        test_nul_in_string();
        test_nul_in_key();
        test_duplicate_key();
        return tap_finish();
}
