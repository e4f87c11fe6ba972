/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.apctl.Host.List, which apctld streams from a snapshot of its model,
 * written as the client reads it: the reply must be the JSON that the
 * json-c tree apctld built before gave, member for member and in the same
 * order, and byte for byte the message apctld sent whole before it
 * streamed. The reference below is that tree builder, kept here as the
 * oracle; it runs on the same model as the daemon (every owner kind,
 * driver, mode and flag, a z16-sized bus, slow readers, the model changing
 * mid-stream, pipelined calls, readers that hang up or stop reading).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon-test.h"
#include "json-ap.h"
#include "json-util.h"
#include "json-writer.h"
#include "server.h"
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

/* A bus of n_cards adapters with 85 domains each (60: a z16's maximum configuration). */
static KernelBackend *fake_bus(unsigned n_cards) {
        KernelBackend *fake = NULL;
        ApMask domains = {};

        if (kernel_fake_new(&fake) < 0)
                return NULL;
        ap_mask_set_range(&domains, 0, 84);
        for (unsigned a = 0; a < n_cards; a++)
                if (kernel_fake_add_card(fake, a, 14, a % 3 == 0 ? AP_MODE_EP11 : AP_MODE_CCA, &domains) < 0)
                        return kernel_backend_free(fake);
        return fake;
}

/* What apctld sent Host.List before it streamed: the whole message, its NUL included. */
static char *expected_wire(const Manager *m, size_t *ret_size) {
        char *text = expected_reply(m);

        if (text)
                *ret_size = strlen(text) + 1;
        return text;
}

static void send_call(TestClient *c, const char *method) {
        char msg[128];

        snprintf(msg, sizeof(msg), "{\"method\":\"%s\"}", method);
        CHECK(test_client_send_raw(c, msg, strlen(msg) + 1) >= 0);
}

/*
 * A slow reader: reads at most step bytes at a time and lets apctld's loop
 * run once after every read, and until something happens whenever the
 * socket is empty, so apctld always meets a socket that drained a little.
 * Reads until a NUL arrived or until_len bytes are held (raw, in c->buf),
 * and records the most apctld held for its clients' output after any turn
 * of its loop. False on EOF or when the deadline passed.
 */
static bool read_slowly(TestEnv *env, TestClient *c, size_t step, size_t until_len, size_t *max_held) {
        uint64_t deadline = monotonic_usec() + TEST_DEADLINE_USEC;
        char tmp[4096];

        while (!(c->len > 0 && memchr(c->buf, 0, c->len)) && c->len < until_len) {
                ssize_t n;

                if (monotonic_usec() > deadline) {
                        tap_diag("Host.List reply incomplete after %llu ms (%zu bytes)",
                                 TEST_DEADLINE_USEC / 1000ULL, c->len);
                        return false;
                }
                n = recv(c->fd, tmp, step < sizeof(tmp) ? step : sizeof(tmp), MSG_DONTWAIT);
                if (n == 0)
                        return false;
                if (n < 0 && errno != EAGAIN)
                        return false;
                if (n > 0) {
                        char *p = realloc(c->buf, c->len + n);
                        if (!p)
                                return false;
                        c->buf = p;
                        memcpy(c->buf + c->len, tmp, n);
                        c->len += n;
                }
                (void) sd_event_run(env->event, n > 0 ? 0 : 20 * 1000);
                if (max_held && server_output_allocated(env->m->server) > *max_held)
                        *max_held = server_output_allocated(env->m->server);
        }
        return true;
}

/* Take the first message's raw bytes (NUL included) off c->buf; NULL when none is complete. */
static char *take_message(TestClient *c, size_t *ret_size) {
        char *nul = c->buf ? memchr(c->buf, 0, c->len) : NULL;
        size_t size;
        char *msg;

        if (!nul)
                return NULL;
        size = nul - c->buf + 1;
        msg = malloc(size);
        if (!msg)
                return NULL;
        memcpy(msg, c->buf, size);
        memmove(c->buf, c->buf + size, c->len - size);
        c->len -= size;
        *ret_size = size;
        return msg;
}

static bool wire_equal(const char *got, size_t got_size, const char *want, size_t want_size) {
        size_t i = 0;

        if (got && want && got_size == want_size && memcmp(got, want, want_size) == 0)
                return true;
        while (got && want && i < got_size && i < want_size && got[i] == want[i])
                i++;
        tap_diag("Host.List's bytes differ at byte %zu of %zu (expected %zu): got ...%.60s, want ...%.60s", i,
                 got_size, want_size, got ? got + (i > 20 ? i - 20 : 0) : "(nothing)",
                 want ? want + (i > 20 ? i - 20 : 0) : "(nothing)");
        return false;
}

/* The next Host.List reply read slowly (step bytes at a time) equals want byte for byte. */
static bool receive_listing(TestEnv *env, TestClient *c, size_t step, const char *want, size_t want_size,
                            size_t *max_held) {
        _cleanup_free_ char *got = NULL;
        size_t got_size = 0;

        if (!read_slowly(env, c, step, SIZE_MAX, max_held))
                return false;
        got = take_message(c, &got_size);
        return wire_equal(got, got_size, want, want_size);
}

/*
 * A z16's ~570 KiB reply to a reader that takes 1,000 bytes at a time
 * through a 4 KiB socket buffer: the bytes are exactly the message apctld
 * sent whole before (the json-c tree's text and its NUL), and apctld never
 * holds more than 64 KiB of it.
 */
static void test_stream_bytes(void) {
        KernelBackend *fake = fake_bus(60);
        _cleanup_free_ char *want = NULL;
        size_t want_size = 0, max_held = 0;
        TestEnv env;
        TestClient c;

        CHECK(fake);
        CHECK(test_env_start(&env, fake, NULL) >= 0);
        CHECK(env.m->kernel.n_queues == 5100);
        /* Owners of every kind in the listing: a running guest, a defined one, released adapters. */
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        json_object_put(test_call(&env, &c, "io.apctl.Host.Release", "{\"adapters\":[10,11,12]}"));
        json_object_put(test_call(&env, &c, "io.apctl.Guest.Define",
                                  "{\"name\":\"web01\",\"adapters\":[10,11],\"domains\":[1,2,3]}"));
        json_object_put(test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"web01\"}"));
        json_object_put(test_call(&env, &c, "io.apctl.Guest.Define",
                                  "{\"name\":\"db.02:x-y_z\",\"adapters\":[12],\"domains\":[7]}"));
        test_client_close(&c);
        test_env_settle(&env);
        want = expected_wire(env.m, &want_size);
        CHECK(want && want_size > 500 * 1024 && strstr(want, "\"guest\":\"web01\"") &&
              strstr(want, "\"guest\":\"db.02:x-y_z\""));

        CHECK(test_client_connect_buffered(&env, ADMIN, 4096, &c) >= 0);
        send_call(&c, "io.apctl.Host.List");
        CHECK(receive_listing(&env, &c, 1000, want, want_size, &max_held));
        if (!CHECK(max_held > 0 && max_held <= 64 * 1024))
                tap_diag("apctld held %zu bytes of output", max_held);
        /* Read fast this time: the same bytes. */
        send_call(&c, "io.apctl.Host.List");
        CHECK(receive_listing(&env, &c, 4096, want, want_size, NULL));
        test_client_close(&c);
        test_env_done(&env);
        kernel_backend_free(fake);
        tap_case_end("a z16's Host.List read 1,000 bytes at a time: the old whole message byte for byte, "
                     "at most 64 KiB held");
}

/*
 * While a slow reader's listing is out, the model changes every way it
 * can: the desired state (a reservation, a guest defined), the kernel
 * through a transaction (a guest started), and a kernel re-read that finds
 * a card gone and another one's queues taken offline. The reply still
 * shows the state the call arrived in; the next one shows the new state.
 */
static void test_stream_consistent(void) {
        KernelBackend *fake = fake_bus(60);
        _cleanup_free_ char *before = NULL, *after = NULL;
        size_t before_size = 0, after_size = 0;
        TestEnv env;
        TestClient reader, admin;
        json_object *r;

        CHECK(fake);
        CHECK(test_env_start(&env, fake, NULL) >= 0);
        before = expected_wire(env.m, &before_size);
        CHECK(test_client_connect_buffered(&env, ADMIN, 4096, &reader) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &admin) >= 0);
        send_call(&reader, "io.apctl.Host.List");
        CHECK(read_slowly(&env, &reader, 1000, 20000, NULL));
        CHECK(reader.len >= 20000 && !memchr(reader.buf, 0, reader.len));

        r = test_call(&env, &admin, "io.apctl.Host.Release", "{\"adapters\":[20,21],\"domains\":[84]}");
        CHECK_OK(r);
        json_object_put(r);
        r = test_call(&env, &admin, "io.apctl.Guest.Define",
                      "{\"name\":\"late\",\"adapters\":[20,21],\"domains\":[5,6]}");
        CHECK_OK(r);
        json_object_put(r);
        r = test_call(&env, &admin, "io.apctl.Guest.Start", "{\"name\":\"late\"}");
        CHECK_OK(r);
        json_object_put(r);
        CHECK(kernel_fake_remove_card(fake, 59) >= 0);
        CHECK(kernel_fake_set_card_config(fake, 3, false) >= 0);
        CHECK(manager_resync(env.m) >= 0);
        test_env_settle(&env);
        after = expected_wire(env.m, &after_size);
        CHECK(env.m->kernel.n_queues == 59 * 85);
        CHECK(after && before && !streq(after, before) && strstr(after, "\"guest\":\"late\"") &&
              !strstr(before, "\"guest\":\"late\""));
        /* Still mid-stream: the reader has not read on, so apctld can have sent only a little more. */
        CHECK(!memchr(reader.buf, 0, reader.len));

        CHECK(receive_listing(&env, &reader, 1000, before, before_size, NULL));
        send_call(&reader, "io.apctl.Host.List");
        CHECK(receive_listing(&env, &reader, 4096, after, after_size, NULL));
        test_client_close(&reader);
        test_client_close(&admin);
        test_env_done(&env);
        kernel_backend_free(fake);
        tap_case_end("Host.List streamed while the desired state, a transaction and a re-read change the model "
                     "shows the state it was called in");
}

/*
 * Calls pipelined behind a streamed listing are answered after it, in
 * order; meanwhile other clients are served, another listing included,
 * while the first reader holds its stream up by not reading.
 */
static void test_stream_order(void) {
        static const char calls[] =
                "{\"method\":\"io.apctl.Host.List\"}\0"
                "{\"method\":\"io.apctl.Status\"}\0"
                "{\"method\":\"io.apctl.Host.List\"}\0"
                "{\"method\":\"org.varlink.service.GetInfo\"}";
        KernelBackend *fake = fake_bus(60);
        _cleanup_free_ char *want = NULL;
        size_t want_size = 0;
        TestEnv env;
        TestClient a, b, c;
        json_object *r;

        CHECK(fake);
        CHECK(test_env_start(&env, fake, NULL) >= 0);
        want = expected_wire(env.m, &want_size);
        CHECK(test_client_connect_buffered(&env, 1000, 4096, &a) >= 0);
        CHECK(test_client_connect(&env, 1001, &b) >= 0);
        CHECK(test_client_connect_buffered(&env, 1002, 4096, &c) >= 0);

        CHECK(test_client_send_raw(&a, calls, sizeof(calls)) >= 0);
        CHECK(read_slowly(&env, &a, 1000, 10000, NULL));
        CHECK(a.len >= 10000 && !memchr(a.buf, 0, a.len));
        /*
         * a stops reading ~560 KiB short of its first reply's end, which
         * apctld (holding at most 64 KiB, a few KiB in the socket) cannot
         * have produced yet: its loop serves the others meanwhile.
         */
        r = test_call(&env, &b, "io.apctl.Status", NULL);
        CHECK_OK(r);
        json_object_put(r);
        send_call(&c, "io.apctl.Host.List");
        CHECK(receive_listing(&env, &c, 1000, want, want_size, NULL));
        r = test_call(&env, &b, "io.apctl.Status", NULL);
        CHECK_OK(r);
        json_object_put(r);

        CHECK(receive_listing(&env, &a, 1000, want, want_size, NULL));
        r = test_client_receive(&env, &a);
        CHECK_OK(r);
        CHECK(r && json_object_object_get(reply_params(r), "queues"));
        json_object_put(r);
        CHECK(receive_listing(&env, &a, 1000, want, want_size, NULL));
        r = test_client_receive(&env, &a);
        CHECK_OK(r);
        CHECK(r && json_object_object_get(reply_params(r), "vendor"));
        json_object_put(r);

        test_client_close(&a);
        test_client_close(&b);
        test_client_close(&c);
        test_env_done(&env);
        kernel_backend_free(fake);
        tap_case_end("calls pipelined behind a streamed Host.List come after it, in order; other clients are "
                     "served while it waits");
}

static bool wait_clients(TestEnv *env, unsigned n) {
        uint64_t deadline = monotonic_usec() + TEST_DEADLINE_USEC;

        while (server_n_clients(env->m->server) != n && monotonic_usec() < deadline)
                (void) sd_event_run(env->event, 20 * 1000);
        return server_n_clients(env->m->server) == n;
}

static void tweak_idle(ManagerConfig *c) {
        c->idle_timeout_usec = 500 * 1000;
}

/*
 * A reader that hangs up mid-stream and one that stops reading end with
 * everything the stream held freed (AddressSanitizer builds check it: a
 * leak fails the test at exit); the second is closed by the idle timeout.
 */
static void test_stream_abandoned(void) {
        KernelBackend *fake = fake_bus(20);
        _cleanup_free_ char *want = NULL;
        size_t want_size = 0;
        TestEnv env;
        TestClient c;

        CHECK(fake);
        CHECK(test_env_start(&env, fake, tweak_idle) >= 0);
        want = expected_wire(env.m, &want_size);
        CHECK(want_size > 160 * 1024);

        /* Hangs up mid-stream, with a piece waiting for the socket. */
        CHECK(test_client_connect_buffered(&env, ADMIN, 4096, &c) >= 0);
        send_call(&c, "io.apctl.Host.List");
        CHECK(read_slowly(&env, &c, 1000, 10000, NULL));
        CHECK(!memchr(c.buf, 0, c.len));
        test_client_close(&c);
        CHECK(wait_clients(&env, 0));

        /* Stops reading: closed when the idle timeout passes with nothing read. */
        CHECK(test_client_connect_buffered(&env, ADMIN, 4096, &c) >= 0);
        send_call(&c, "io.apctl.Host.List");
        CHECK(read_slowly(&env, &c, 1000, 10000, NULL));
        CHECK(wait_clients(&env, 0));
        CHECK(!memchr(c.buf, 0, c.len));
        CHECK(test_client_wait_closed(&env, &c));
        test_client_close(&c);
        test_env_done(&env);
        kernel_backend_free(fake);
        tap_case_end("a reader that hangs up or stops reading mid-stream is dropped with all freed");
}

/* Long enough that no stall of the test can let the idle timeout close the reader. */
#define IDLE_TIMEOUT_LONG_USEC (3600ULL * 1000 * 1000)

static void tweak_idle_long(ManagerConfig *c) {
        c->idle_timeout_usec = IDLE_TIMEOUT_LONG_USEC;
}

/* Whatever the socket holds, without running apctld's loop; false on EOF. */
static bool read_socket_empty(TestClient *c) {
        char tmp[4096];
        ssize_t n;

        while ((n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT)) > 0) {
                char *p = realloc(c->buf, c->len + n);
                if (!p)
                        return false;
                c->buf = p;
                memcpy(c->buf + c->len, tmp, n);
                c->len += n;
        }
        return n < 0 && errno == EAGAIN;
}

/*
 * A reader that keeps reading a streamed reply, however slowly, is not
 * idle: each read that lets apctld write more moves its idle deadline to
 * a timeout after the read. Checked on the deadline apctld computes, not
 * on elapsed time: the reader empties its socket, apctld's loop runs until
 * it has nothing left to do (it refills the socket), and the deadline must
 * be at least the timeout after the moment before the read. Without the
 * read counting, it stays where the call's arrival put it, before every
 * read after the first. A reader still mid-stream when apctld exits ends
 * with everything freed.
 */
static void test_stream_reader_not_idle(void) {
        KernelBackend *fake = fake_bus(20);
        _cleanup_free_ char *want = NULL;
        size_t want_size = 0;
        unsigned reads = 0;
        TestEnv env;
        TestClient c;

        CHECK(fake);
        CHECK(test_env_start(&env, fake, tweak_idle_long) >= 0);
        want = expected_wire(env.m, &want_size);
        CHECK(want_size > 160 * 1024);
        CHECK(test_client_connect_buffered(&env, ADMIN, 4096, &c) >= 0);
        send_call(&c, "io.apctl.Host.List");
        while (sd_event_run(env.event, 0) > 0)
                ;
        /* The deadline only ends a hang (apctld no longer refilling the socket) with a failure. */
        for (uint64_t deadline = monotonic_usec() + TEST_DEADLINE_USEC;
             !(c.len > 0 && memchr(c.buf, 0, c.len)) && server_n_clients(env.m->server) == 1;) {
                bool output_waits = server_output_unsent(env.m->server) > 0;
                uint64_t before = monotonic_usec();

                if (!CHECK(before < deadline)) {
                        tap_diag("the reply did not complete within %llu ms (%zu bytes in)",
                                 TEST_DEADLINE_USEC / 1000ULL, c.len);
                        break;
                }

                if (!CHECK(read_socket_empty(&c)))
                        break;
                while (sd_event_run(env.event, 0) > 0)
                        ;
                if (!output_waits)
                        continue;
                reads++;
                if (!CHECK(server_idle_deadline(env.m->server) >= before + IDLE_TIMEOUT_LONG_USEC)) {
                        tap_diag("read %u (%zu bytes in): the idle deadline is %llu us short of a timeout after it",
                                 reads, c.len,
                                 (unsigned long long) (before + IDLE_TIMEOUT_LONG_USEC -
                                                       server_idle_deadline(env.m->server)));
                        break;
                }
        }
        /* The reply is ~40 socketfuls: enough reads that let apctld write for the check to mean something. */
        if (!CHECK(reads >= 10))
                tap_diag("only %u reads let apctld write more", reads);
        CHECK(receive_listing(&env, &c, 4096, want, want_size, NULL));
        CHECK(server_n_clients(env.m->server) == 1);

        /* Still mid-stream when apctld shuts down. */
        send_call(&c, "io.apctl.Host.List");
        CHECK(read_slowly(&env, &c, 1000, 10000, NULL));
        CHECK(!memchr(c.buf, 0, c.len));
        test_env_done(&env);
        test_client_close(&c);
        kernel_backend_free(fake);
        tap_case_end("a reader that keeps reading a streamed reply is not idle: each read moves its idle deadline; "
                     "one mid-stream at shutdown is freed");
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
        ApConfig config = {};
        json_object *config_tree;

        ap_mask_set(&m, 0);
        ap_mask_set(&m, 255);
        ap_mask_set(&config.apm, 3);
        ap_mask_set(&config.aqm, 0);
        ap_mask_set(&config.aqm, 84);
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
        json_writer_member_ap_config(&w, "config", &config);
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
        /* The configuration byte for byte as json_from_ap_config() writes it. */
        config_tree = json_from_ap_config(&config);
        CHECK(text && config_tree &&
              strstr(text, json_object_to_json_string_ext(config_tree, JSON_C_TO_STRING_PLAIN)));
        json_object_put(config_tree);
        json_object_put(parsed);
        free(text);
        json_writer_done(&w);
        tap_case_end("JSON writer: escapes, integers, masks, configurations, nesting parse back as written");
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
        test_stream_bytes();
        test_stream_consistent();
        test_stream_order();
        test_stream_abandoned();
        test_stream_reader_not_idle();
        return tap_finish();
}
