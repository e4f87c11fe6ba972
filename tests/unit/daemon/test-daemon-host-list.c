/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.apctl.Host.List, which apctld serializes straight into its output
 * buffer: the reply must be the JSON that the json-c tree apctld built
 * before gave, member for member and in the same order. The reference
 * below is that tree builder, kept here as the oracle; it runs on the same
 * model as the daemon (every owner kind, driver, mode and flag, a z16-sized
 * bus, a reply that must wait for a slow reader).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon-test.h"
#include "json-ap.h"
#include "json-util.h"
#include "json-writer.h"
#include "varlink-protocol.h"

#define ADMIN 4242

static json_object *expected_queue(const Manager *m, const ApQueue *q) {
        _cleanup_json_ json_object *o = json_object_new_object();
        char buf[APQN_BUFSZ];
        const char *guest;
        ApqnOwnerKind owner = manager_apqn_owner(m, q->adapter, q->domain, &guest);

        if (!o || json_add_string(o, "apqn", apqn_format((Apqn) { q->adapter, q->domain }, buf)) < 0 ||
            json_add_int(o, "domain", q->domain) < 0 ||
            json_add_string(o, "driver", ap_driver_to_string(q->driver)) < 0 ||
            json_add_bool(o, "config", q->config) < 0 || json_add_bool(o, "online", q->online) < 0 ||
            json_add_bool(o, "chkstop", q->chkstop) < 0 ||
            json_add_string(o, "owner", apqn_owner_to_string(owner)) < 0 ||
            (guest && json_add_string(o, "guest", guest) < 0))
                return NULL;
        return TAKE_PTR(o);
}

static json_object *expected_card(const Manager *m, const ApCard *c, size_t *qi) {
        _cleanup_json_ json_object *o = json_object_new_object(), *queues = json_object_new_array();

        if (!o || !queues || json_add_int(o, "adapter", c->id) < 0 || json_add_int(o, "hwtype", c->hwtype) < 0 ||
            json_add_string(o, "mode", ap_mode_to_string(c->mode)) < 0 ||
            json_add_bool(o, "config", c->config) < 0 || json_add_bool(o, "online", c->online) < 0 ||
            json_add_bool(o, "chkstop", c->chkstop) < 0 ||
            json_add_string(o, "driver", ap_driver_to_string(c->driver)) < 0 ||
            json_add_bool(o, "vfio_capable", c->hwtype >= AP_HWTYPE_CEX4) < 0)
                return NULL;
        while (*qi < m->kernel.n_queues && m->kernel.queues[*qi].adapter < c->id)
                (*qi)++;
        for (; *qi < m->kernel.n_queues && m->kernel.queues[*qi].adapter == c->id; (*qi)++)
                if (json_append(queues, expected_queue(m, &m->kernel.queues[*qi])) < 0)
                        return NULL;
        if (json_add(o, "queues", TAKE_PTR(queues)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/* The reply message Host.List gave as a json-c tree, serialized compactly. */
static char *expected_reply(const Manager *m) {
        _cleanup_json_ json_object *p = json_object_new_object(), *cards = json_object_new_array();
        _cleanup_json_ json_object *reservation = json_object_new_object(), *bindings = json_object_new_object();
        _cleanup_json_ json_object *msg = NULL;
        size_t qi = 0;

        if (!p || !cards || !reservation || !bindings)
                return NULL;
        for (size_t i = 0; i < m->kernel.n_cards; i++)
                if (json_append(cards, expected_card(m, &m->kernel.cards[i], &qi)) < 0)
                        return NULL;
        if (json_add(reservation, "adapters", json_from_mask(&m->desired.host_apm)) < 0 ||
            json_add(reservation, "domains", json_from_mask(&m->desired.host_aqm)) < 0 ||
            json_add_int(bindings, "bound", m->kernel.bindings_bound) < 0 ||
            json_add_int(bindings, "total", m->kernel.bindings_total) < 0 ||
            json_add_bool(bindings, "complete", m->kernel.bindings_complete) < 0 ||
            json_add(p, "cards", TAKE_PTR(cards)) < 0 ||
            json_add(p, "apmask", json_from_mask(&m->kernel.apmask)) < 0 ||
            json_add(p, "aqmask", json_from_mask(&m->kernel.aqmask)) < 0 ||
            json_add(p, "reservation", TAKE_PTR(reservation)) < 0 ||
            json_add(p, "bindings", TAKE_PTR(bindings)) < 0 ||
            json_add_int(p, "max_adapter", m->kernel.max_adapter) < 0 ||
            json_add_int(p, "max_domain", m->kernel.max_domain) < 0 ||
            json_add_bool(p, "ap_bus", m->kernel.bus_present) < 0 ||
            json_add_bool(p, "vfio_ap", m->kernel.matrix_present) < 0 ||
            json_add_bool(p, "ap_config", m->kernel.ap_config_supported) < 0)
                return NULL;
        msg = varlink_reply_new(TAKE_PTR(p), false);
        return msg ? strdup(json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN)) : NULL;
}

/* Host.List's reply, parsed and serialized again the same way: equal text means equal members in equal order. */
static bool reply_matches(TestEnv *env, TestClient *c) {
        _cleanup_free_ char *want = expected_reply(env->m);
        json_object *reply = test_call(env, c, "io.apctl.Host.List", NULL);
        const char *got = reply ? json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN) : NULL;
        bool ok = want && got && streq(want, got);

        if (!ok) {
                size_t i = 0;
                while (want && got && want[i] && want[i] == got[i])
                        i++;
                tap_diag("Host.List differs from the json-c tree at byte %zu: got ...%.80s, want ...%.80s", i,
                         got ? got + (i > 20 ? i - 20 : 0) : "(no reply)", want ? want + (i > 20 ? i - 20 : 0) : "");
        }
        json_object_put(reply);
        return ok;
}

static void test_every_owner_and_flag(void) {
        TestEnv env;
        TestClient c;
        json_object *reply;
        size_t n_queues;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(reply_matches(&env, &c));

        /* Owners: host, free, defined for a guest, in a guest's running config. */
        reply = test_call(&env, &c, "io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &c, "io.apctl.Guest.Define",
                          "{\"name\":\"web01\",\"adapters\":[5],\"domains\":[1,2],\"control_domains\":[1]}");
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"web01\"}");
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &c, "io.apctl.Guest.Define",
                          "{\"name\":\"db.02:x-y_z\",\"adapters\":[6],\"domains\":[3,4]}");
        CHECK_OK(reply);
        json_object_put(reply);
        test_env_settle(&env);
        {
                _cleanup_free_ char *t = expected_reply(env.m);
                CHECK(t && strstr(t, "\"owner\":\"host\"") && strstr(t, "\"owner\":\"free\"") &&
                      strstr(t, "\"owner\":\"guest-defined\",\"guest\":\"db.02:x-y_z\"") &&
                      strstr(t, "\"owner\":\"guest-running\",\"guest\":\"web01\""));
        }
        CHECK(reply_matches(&env, &c));

        /* Every driver, mode and flag value the model can hold, and the top-level fields. */
        n_queues = env.m->kernel.n_queues;
        CHECK(n_queues >= 4 && env.m->kernel.n_cards == 3);
        for (size_t i = 0; i < n_queues; i++) {
                ApQueue *q = &env.m->kernel.queues[i];
                q->driver = i % _AP_DRIVER_MAX;
                q->config = i % 2;
                q->online = i % 3;
                q->chkstop = i % 5 == 0;
        }
        for (size_t i = 0; i < env.m->kernel.n_cards; i++) {
                ApCard *card = &env.m->kernel.cards[i];
                card->mode = i % _AP_MODE_MAX;
                card->driver = (i + 1) % _AP_DRIVER_MAX;
                card->config = i != 1;
                card->chkstop = i == 2;
                card->online = i != 0;
        }
        env.m->kernel.cards[0].mode = AP_MODE_UNKNOWN;
        env.m->kernel.bindings_bound = 7;
        env.m->kernel.bindings_total = 9;
        env.m->kernel.bindings_complete = false;
        env.m->kernel.ap_config_supported = !env.m->kernel.ap_config_supported;
        env.m->kernel.max_adapter = 255;
        CHECK(reply_matches(&env, &c));

        /* A card without queues, and no cards at all. */
        env.m->kernel.n_queues = 0;
        CHECK(reply_matches(&env, &c));
        env.m->kernel.n_cards = 0;
        env.m->kernel.bus_present = false;
        CHECK(reply_matches(&env, &c));
        env.m->kernel.n_queues = n_queues;
        env.m->kernel.n_cards = 3;

        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("Host.List as the json-c tree gave it: every owner, driver, mode and flag; no queues; no cards");
}

/* 60 adapters x 85 domains, the z16 maximum configuration; a reader whose socket takes 4 KiB at a time. */
static void test_z16_slow_reader(void) {
        KernelBackend *fake = NULL;
        ApMask domains = {};
        TestEnv env;
        TestClient c;

        CHECK(kernel_fake_new(&fake) >= 0);
        ap_mask_set_range(&domains, 0, 84);
        for (unsigned a = 0; a < 60; a++)
                CHECK(kernel_fake_add_card(fake, a, 14, a % 3 == 0 ? AP_MODE_EP11 : AP_MODE_CCA, &domains) >= 0);
        CHECK(test_env_start(&env, fake, NULL) >= 0);
        CHECK(env.m->kernel.n_queues == 5100);
        CHECK(test_client_connect_buffered(&env, ADMIN, 4096, &c) >= 0);
        CHECK(reply_matches(&env, &c));
        /* The connection still works after the big reply: the next call gets its own answer. */
        CHECK(reply_matches(&env, &c));
        test_client_close(&c);
        test_env_done(&env);
        kernel_backend_free(fake);
        tap_case_end("Host.List of a z16 (5,100 queues) to a slow reader, twice on one connection");
}

/* The writer's own text: what json-c parses back, strings with every kind of escape. */
static void test_writer_escapes(void) {
        static const char *const strings[] = {
                "", "plain", "quote \" backslash \\ slash /", "\b\f\n\r\t", "\x01\x1f\x7f", "ü € 😀",
        };
        JsonWriter w;
        char *text = NULL;
        size_t size = 0, allocated = 0;
        json_object *parsed, *v;
        ApMask m = {};

        ap_mask_set(&m, 0);
        ap_mask_set(&m, 255);
        CHECK(json_writer_init(&w, 1) == 0);
        json_writer_object_begin(&w);
        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                char key[16];
                snprintf(key, sizeof(key), "k%zu\n", i);
                json_writer_key(&w, key);
                json_writer_string(&w, strings[i]);
        }
        json_writer_key(&w, "n");
        json_writer_int(&w, INT64_MIN);
        json_writer_key(&w, "mask");
        json_writer_mask(&w, &m);
        json_writer_key(&w, "empty");
        json_writer_array_begin(&w);
        json_writer_array_end(&w);
        json_writer_key(&w, "nested");
        json_writer_array_begin(&w);
        json_writer_object_begin(&w);
        json_writer_object_end(&w);
        json_writer_bool(&w, false);
        json_writer_array_end(&w);
        json_writer_object_end(&w);
        CHECK(json_writer_finish(&w, &text, &size, &allocated) == 0);
        CHECK(text && size == strlen(text) + 1 && allocated >= size);
        parsed = text ? json_tokener_parse(text) : NULL;
        CHECK(parsed != NULL);
        for (size_t i = 0; parsed && i < ELEMENTSOF(strings); i++) {
                char key[16];
                snprintf(key, sizeof(key), "k%zu\n", i);
                CHECK(json_object_object_get_ex(parsed, key, &v) && streq(json_object_get_string(v), strings[i]));
        }
        CHECK(parsed && json_object_object_get_ex(parsed, "n", &v) && json_object_get_int64(v) == INT64_MIN);
        CHECK_STREQ(parsed ? json_object_to_json_string_ext(json_object_object_get(parsed, "mask"),
                                                            JSON_C_TO_STRING_PLAIN) : NULL, "[0,255]");
        CHECK_STREQ(parsed ? json_object_to_json_string_ext(json_object_object_get(parsed, "nested"),
                                                            JSON_C_TO_STRING_PLAIN) : NULL, "[{},false]");
        json_object_put(parsed);
        free(text);
        json_writer_done(&w);
        tap_case_end("JSON writer: escapes, integers, masks, nesting parse back as written");
}

/* One listing-like text written whole, and again with every call's output taken as a piece of its own. */
static void writer_sequence(JsonWriter *w, bool pieces, char **acc, size_t *acc_size) {
        for (int step = 0; step < 12; step++) {
                char *buf = NULL;
                size_t size = 0, allocated = 0;

                switch (step) {
                case 0: json_writer_object_begin(w); break;
                case 1: json_writer_key(w, "parameters"); break;
                case 2: json_writer_object_begin(w); break;
                case 3: json_writer_key(w, "cards"); break;
                case 4: json_writer_array_begin(w); break;
                case 5: json_writer_int(w, 5); break;
                case 6: json_writer_string(w, "x"); break;
                case 7: json_writer_array_end(w); break;
                case 8: json_writer_key(w, "ok"); break;
                case 9: json_writer_bool(w, true); break;
                case 10: json_writer_object_end(w); break;
                case 11: json_writer_object_end(w); break;
                }
                if (!pieces)
                        continue;
                CHECK(json_writer_take(w, &buf, &size, &allocated) == 0);
                *acc = realloc(*acc, *acc_size + size + 1);
                memcpy(*acc + *acc_size, buf, size);
                *acc_size += size;
                (*acc)[*acc_size] = 0;
                /* Every other piece goes on in the buffer just taken, the rest in a new one. */
                CHECK(json_writer_resume(w, step % 2 ? buf : NULL, step % 2 ? allocated : 0, 2) == 0);
                if (step % 2 == 0)
                        free(buf);
        }
}

static void test_writer_pieces(void) {
        JsonWriter whole, pieces;
        char *text = NULL, *acc = NULL;
        size_t size = 0, allocated = 0, acc_size = 0;

        CHECK(json_writer_init(&whole, 4) == 0);
        writer_sequence(&whole, false, NULL, NULL);
        CHECK(json_writer_finish(&whole, &text, &size, &allocated) == 0);
        CHECK_STREQ(text, "{\"parameters\":{\"cards\":[5,\"x\"],\"ok\":true}}");
        CHECK(json_writer_init(&pieces, 1) == 0);
        writer_sequence(&pieces, true, &acc, &acc_size);
        CHECK(acc && acc_size == strlen(text) && streq(acc, text));
        free(text);
        free(acc);
        json_writer_done(&whole);
        json_writer_done(&pieces);
        tap_case_end("JSON writer: text taken a piece at a time, commas across pieces, is the text written whole");
}

int main(void) {
        test_writer_escapes();
        test_writer_pieces();
        test_every_owner_and_flag();
        test_z16_slow_reader();
        return tap_finish();
}
