/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The socket protocol under abuse: oversized and malformed messages, deep
 * nesting, wrong shapes, pipelining, and every limit a peer could exhaust
 * (clients, subscriptions, slow readers, idle connections). Each must end
 * in an error reply or a closed connection, and the daemon keeps serving.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon-test.h"
#include "server.h"
#include "utf8.h"
#include "varlink-protocol.h"

#define ADMIN 4242

static bool daemon_alive(TestEnv *env) {
        TestClient c;
        json_object *r;
        bool ok;

        if (test_client_connect(env, 1000, &c) < 0)
                return false;
        r = test_call(env, &c, "io.apctl.Status", NULL);
        ok = r && !reply_error(r);
        json_object_put(r);
        test_client_close(&c);
        return ok;
}

static void test_malformed(void) {
        static const struct {
                const char *text;
                const char *error;      /* expected error name */
                bool closes;            /* the connection is dropped afterwards */
        } cases[] = {
                { "{not json", VARLINK_ERROR_INVALID_PARAMETER, true },
                { "{\"method\":\"io.apctl.Status\"} trailing", VARLINK_ERROR_INVALID_PARAMETER, true },
                { "[1,2,3]", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "\"io.apctl.Status\"", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "{\"method\":42}", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "{\"parameters\":{}}", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "{\"method\":\"io.apctl.Status\",\"parameters\":[]}", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "{\"method\":\"io.apctl.Status\",\"extra\":1}", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "{\"method\":\"io.apctl.Status\",\"more\":true}", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"name\":7}}", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{}}", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"name\":\"\xff\xfe\"}}", VARLINK_ERROR_INVALID_PARAMETER, true },
                /* Well-formed byte structure, still not UTF-8: overlong, surrogate, above U+10FFFF, cut short. */
                { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"name\":\"\xc0\xaf\"}}", VARLINK_ERROR_INVALID_PARAMETER, true },
                { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"name\":\"\xed\xa0\x80\"}}", VARLINK_ERROR_INVALID_PARAMETER, true },
                { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"name\":\"\xf4\x90\x80\x80\"}}", VARLINK_ERROR_INVALID_PARAMETER, true },
                { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"name\":\"\xe0\x80\xaf\"}}", VARLINK_ERROR_INVALID_PARAMETER, true },
                { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"name\":\"x\xe2\x82\"}}", VARLINK_ERROR_INVALID_PARAMETER, true },
                /* json-c would keep the last of two equal keys; the call is refused instead. */
                /*
                 * Which of the keys holds "oneway" cannot be trusted: a client that sent a oneway call
                 * would take the error for its next call's reply, so the connection closes after it.
                 */
                { "{\"method\":\"io.apctl.Guest.Show\",\"method\":\"io.apctl.Status\"}", VARLINK_ERROR_INVALID_PARAMETER, true },
                { "{\"method\":\"io.apctl.Status\",\"parameters\":{},\"parameters\":{}}", VARLINK_ERROR_INVALID_PARAMETER, true },
                { "{\"method\":\"io.apctl.Status\",\"oneway\":true,\"oneway\":true}", VARLINK_ERROR_INVALID_PARAMETER, true },
                { "{\"method\":\"io.apctl.Host.Release\",\"parameters\":{\"adapters\":[1.5]}}", VARLINK_ERROR_INVALID_PARAMETER, false },
                { "{\"method\":\"io.apctl.Host.Release\",\"parameters\":{\"adapters\":\"010\"}}", VARLINK_ERROR_INVALID_PARAMETER, false },
        };
        TestEnv env;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                TestClient c;
                json_object *r;

                CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
                CHECK(test_client_send_raw(&c, cases[i].text, strlen(cases[i].text) + 1) >= 0);
                r = test_client_receive(&env, &c);
                if (!CHECK(r && reply_error(r) && strcmp(reply_error(r), cases[i].error) == 0))
                        tap_diag("input %s: got %s", cases[i].text, r ? json_object_to_json_string(r) : "nothing");
                CHECK(r && *reply_message(r));
                json_object_put(r);
                if (cases[i].closes)
                        CHECK(test_client_wait_closed(&env, &c));
                else {
                        /* Same connection still works. */
                        r = test_call(&env, &c, "io.apctl.Status", NULL);
                        CHECK_OK(r);
                        json_object_put(r);
                }
                test_client_close(&c);
        }
        CHECK(daemon_alive(&env));
        test_env_done(&env);
        tap_case_end("malformed messages get an error naming the problem, and framing errors close");
}

static void test_null_optional_fields(void) {
        TestEnv env;
        TestClient c;
        json_object *r, *v;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        r = test_call(&env, &c, "io.apctl.Host.Release", "{\"adapters\":[5],\"domains\":null}");
        CHECK_OK(r);
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Guest.Define",
                      "{\"name\":\"web01\",\"uuid\":null,\"adapters\":[5],\"domains\":[1],"
                      "\"control_domains\":null,\"autostart\":null,\"overprovision\":null}");
        CHECK_OK(r);
        CHECK(r && json_object_object_get_ex(reply_params(r), "autostart", &v) && !json_object_get_boolean(v));
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Guest.Show", "{\"name\":null}");
        CHECK(r && reply_error(r) && strcmp(reply_error(r), VARLINK_ERROR_INVALID_PARAMETER) == 0);
        json_object_put(r);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("an optional field sent as null counts as absent; a required one is refused");
}

/* C would read each of these strings cut short at the NUL; each is refused, naming the field. */
static void test_nul_in_strings(void) {
        static const struct {
                const char *method;
                const char *params;
                const char *parameter;  /* expected "parameter" of the error, or NULL */
        } cases[] = {
                { "io.apctl.Guest.Define", "{\"name\":\"nul\\u0000../../etc\",\"adapters\":[5],\"domains\":[1]}", "name" },
                { "io.apctl.Guest.Define", "{\"name\":\"web02\",\"adapters\":\"6\\u0000,7\",\"domains\":[1]}", "adapters" },
                { "io.apctl.Guest.Define",
                  "{\"name\":\"web03\",\"uuid\":\"2b5f2a3e-6c4d-4c1b-9a43-3f0e8c7d1a10\\u0000zz\",\"adapters\":[5],"
                  "\"domains\":[2]}", "uuid" },
                { "io.apctl.Guest.Check",
                  "{\"uuid\":\"2b5f2a3e-6c4d-4c1b-9a43-3f0e8c7d1a11\",\"action\":\"define\",\"mdevctl\":"
                  "{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"manual\","
                  "\"attrs\":[{\"assign_adapter\":\"5\\u0000junk\"},{\"assign_domain\":\"3\"}]}}", NULL },
        };
        static const char method_nul[] = "{\"method\":\"io.apctl.Status\\u0000junk\"}";
        static const char key_nul[] = "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"name\\u0000x\":\"web01\"}}";
        static const char param_twice[] =
                "{\"method\":\"io.apctl.Guest.Define\",\"parameters\":{\"name\":\"web04\",\"adapters\":[5],\"domains\":[4],"
                "\"name\":\"web05\"}}";
        TestEnv env;
        TestClient c;
        json_object *r, *v;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        r = test_call(&env, &c, "io.apctl.Host.Release", "{\"adapters\":[5,6,7]}");
        CHECK_OK(r);
        json_object_put(r);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                r = test_call(&env, &c, cases[i].method, cases[i].params);
                if (!CHECK(r && reply_error(r) && strcmp(reply_error(r), VARLINK_ERROR_INVALID_PARAMETER) == 0))
                        tap_diag("params %s: got %s", cases[i].params, r ? json_object_to_json_string(r) : "nothing");
                if (cases[i].parameter)
                        CHECK(r && json_object_object_get_ex(reply_params(r), "parameter", &v) &&
                              strcmp(json_object_get_string(v), cases[i].parameter) == 0);
                json_object_put(r);
        }
        r = test_call(&env, &c, "io.apctl.Guest.Show", "{\"name\":\"nul\"}");
        CHECK(r && reply_error(r));
        json_object_put(r);

        CHECK(test_client_send_raw(&c, method_nul, sizeof(method_nul)) >= 0);
        r = test_client_receive(&env, &c);
        CHECK(r && reply_error(r) && strcmp(reply_error(r), VARLINK_ERROR_INVALID_PARAMETER) == 0);
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Status", NULL);
        CHECK_OK(r);
        json_object_put(r);

        /* A key json-c would cut at the NUL: refused naming it, then the connection closes. */
        CHECK(test_client_send_raw(&c, key_nul, sizeof(key_nul)) >= 0);
        r = test_client_receive(&env, &c);
        CHECK(r && reply_error(r) && strcmp(reply_error(r), VARLINK_ERROR_INVALID_PARAMETER) == 0);
        CHECK(r && json_object_object_get_ex(reply_params(r), "parameter", &v) &&
              strcmp(json_object_get_string(v), "name") == 0);
        json_object_put(r);
        CHECK(test_client_wait_closed(&env, &c));
        test_client_close(&c);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);

        /* A parameter given twice: refused, the connection closed, and neither guest defined. */
        CHECK(test_client_send_raw(&c, param_twice, sizeof(param_twice)) >= 0);
        r = test_client_receive(&env, &c);
        CHECK(r && reply_error(r) && strcmp(reply_error(r), VARLINK_ERROR_INVALID_PARAMETER) == 0);
        json_object_put(r);
        CHECK(test_client_wait_closed(&env, &c));
        test_client_close(&c);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        r = test_call(&env, &c, "io.apctl.Guest.Show", "{\"name\":\"web05\"}");
        CHECK(r && reply_error(r));
        json_object_put(r);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("a string or key with an embedded NUL, or a key given twice, is refused, not read cut short; "
                     "a bad key closes the connection");
}

/* Every string of an error reply (message, parameter), as the client decoded it, is UTF-8. */
static bool reply_strings_are_utf8(json_object *r) {
        json_object *v;

        if (!r || !reply_message(r))
                return false;
        if (utf8_find_invalid(reply_message(r), strlen(reply_message(r))) != strlen(reply_message(r)))
                return false;
        if (json_object_object_get_ex(reply_params(r), "parameter", &v)) {
                const char *p = json_object_get_string(v);
                if (utf8_find_invalid(p, strlen(p)) != strlen(p))
                        return false;
        }
        return true;
}

/*
 * An error that quotes a long non-ASCII key or method name is cut to fit
 * its buffer at a character boundary: cut in the middle of "é", the reply
 * was not UTF-8 and clients could not read it.
 */
static void test_long_non_ascii_quoted_in_errors(void) {
        TestEnv env;
        TestClient c;
        unsigned bad = 0, calls = 0;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        for (size_t n = 1; n <= 300; n++) {
                _cleanup_free_ char *key = malloc(2 * n + 2), *msg = NULL;
                static const struct {
                        const char *before, *after;
                } kinds[] = {
                        { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"", "\":1}}" },       /* unknown field */
                        { "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"", "\\u0000\":1}}" }, /* key with a NUL: closes */
                        { "{\"method\":\"io.apctl.", "\"}" },                                         /* no such method */
                };

                if (!CHECK(key))
                        break;
                for (size_t i = 0; i < n; i++)
                        memcpy(key + 2 * i, "\xc3\xa9", 2);
                strcpy(key + 2 * n, "a");
                for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                        json_object *r;

                        free(msg);
                        if (!CHECK(asprintf(&msg, "%s%s%s", kinds[k].before, key, kinds[k].after) >= 0)) {
                                msg = NULL;
                                break;
                        }
                        CHECK(test_client_send_raw(&c, msg, strlen(msg) + 1) >= 0);
                        r = test_client_receive(&env, &c);
                        calls++;
                        if (!reply_error(r) || !reply_strings_are_utf8(r)) {
                                if (bad++ < 5)
                                        tap_diag("n=%zu, kind %zu: %s", n, k,
                                                 r ? json_object_to_json_string(r) : "no reply");
                        }
                        json_object_put(r);
                        if (k == 1) {
                                /* A key holding a NUL closes the connection after its error. */
                                CHECK(test_client_wait_closed(&env, &c));
                                test_client_close(&c);
                                CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
                        }
                }
        }
        CHECK(bad == 0);
        if (bad)
                tap_diag("%u of %u replies not UTF-8", bad, calls);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("an error quoting a long non-ASCII key or method name is cut at a character, and stays UTF-8");
}

static void test_size_and_depth(void) {
        TestEnv env;
        TestClient c;
        json_object *r;
        size_t big = VARLINK_MESSAGE_MAX + 100, depth = 200;
        char *msg = malloc(big), *deep = malloc(depth * 2 + 64);

        CHECK(test_env_start(&env, NULL, NULL) >= 0);

        /* A message that never ends within the limit. */
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        memset(msg, ' ', big);
        memcpy(msg, "{\"method\":\"io.apctl.Status\",\"x\":\"", 33);
        CHECK(test_client_send_raw(&c, msg, big) >= 0);
        r = test_client_receive(&env, &c);
        CHECK_ERROR(r, APCTL_ERROR_LIMIT);
        json_object_put(r);
        CHECK(test_client_wait_closed(&env, &c));
        test_client_close(&c);

        /* Nesting deeper than the limit is refused before it costs anything. */
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        size_t n = 0;
        n += sprintf(deep, "{\"method\":\"io.apctl.Status\",\"parameters\":{\"a\":");
        for (size_t i = 0; i < depth; i++)
                deep[n++] = '[';
        for (size_t i = 0; i < depth; i++)
                deep[n++] = ']';
        n += sprintf(deep + n, "}}");
        CHECK(test_client_send_raw(&c, deep, n + 1) >= 0);
        r = test_client_receive(&env, &c);
        CHECK_ERROR(r, VARLINK_ERROR_INVALID_PARAMETER);
        json_object_put(r);
        CHECK(test_client_wait_closed(&env, &c));
        test_client_close(&c);

        CHECK(daemon_alive(&env));
        free(msg);
        free(deep);
        test_env_done(&env);
        tap_case_end("oversized messages and deep nesting are refused and the connection closed");
}

static void test_pipelining(void) {
        TestEnv env;
        TestClient c;
        json_object *r;
        const char three[] =
                "{\"method\":\"io.apctl.Host.Release\",\"parameters\":{\"adapters\":[5]}}\0"
                "{\"method\":\"io.apctl.Guest.Define\",\"parameters\":{\"name\":\"p\",\"adapters\":[5],\"domains\":[1]}}\0"
                "{\"method\":\"io.apctl.Guest.Show\",\"parameters\":{\"name\":\"p\"}}";

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(test_client_send_raw(&c, three, sizeof(three)) >= 0);
        /* Replies come in order, each after its call completed. */
        r = test_client_receive(&env, &c);
        CHECK_OK(r);
        CHECK(r && json_object_object_get(reply_params(r), "adapters"));
        json_object_put(r);
        r = test_client_receive(&env, &c);
        CHECK_OK(r);
        json_object_put(r);
        r = test_client_receive(&env, &c);
        CHECK_OK(r);
        CHECK(r && json_object_object_get(reply_params(r), "drift"));
        json_object_put(r);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("pipelined calls are answered in order, each after the previous one finished");
}

/*
 * More pipelined calls than one read takes and than one wake-up answers:
 * the socket is edge-triggered, so apctld must come back for the bytes it
 * left in the socket without a new edge announcing them. Status and
 * GetInfo alternate, so the order of the replies shows.
 */
static void test_pipelining_many(void) {
        static const char status[] = "{\"method\":\"io.apctl.Status\"}";
        static const char info[] = "{\"method\":\"org.varlink.service.GetInfo\"}";
        const unsigned calls = 1000;
        size_t len = 0, size = calls * sizeof(info);
        char *all = malloc(size);
        unsigned answered = 0;
        TestEnv env;
        TestClient c;

        CHECK(all);
        for (unsigned i = 0; all && i < calls; i++) {
                const char *m = i % 2 ? info : status;
                size_t l = strlen(m) + 1;
                memcpy(all + len, m, l);
                len += l;
        }
        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(all && test_client_send_raw(&c, all, len) >= 0);
        for (unsigned i = 0; i < calls; i++) {
                json_object *r = test_client_receive(&env, &c);
                bool ok = r && !reply_error(r) &&
                          json_object_object_get(reply_params(r), i % 2 ? "vendor" : "queues");
                json_object_put(r);
                if (!ok)
                        break;
                answered++;
        }
        if (!CHECK(answered == calls))
                tap_diag("reply %u of %u missing, an error or out of order", answered + 1, calls);

        /* One call sent a byte at a time, the loop running between the bytes: each byte is a new edge. */
        for (size_t i = 0; i < sizeof(status); i++) {
                CHECK(test_client_send_raw(&c, status + i, 1) >= 0);
                (void) sd_event_run(env.event, 0);
        }
        json_object *r = test_client_receive(&env, &c);
        CHECK_OK(r);
        CHECK(r && json_object_object_get(reply_params(r), "queues"));
        json_object_put(r);
        test_client_close(&c);
        test_env_done(&env);
        free(all);
        tap_case_end("1000 pipelined calls (many reads, many wake-ups) and one sent bytewise are all answered in order");
}

/*
 * "oneway" (no reply) with "more" (a stream of replies) is refused, not
 * served: a subscription would send events to a client that asked for no
 * reply. The error names "oneway" and the connection closes, since the
 * client could take the error for its next call's reply.
 */
static void test_oneway_more_refused(void) {
        static const char call[] = "{\"method\":\"io.apctl.Events.Subscribe\",\"more\":true,\"oneway\":true}";
        TestEnv env;
        TestClient c;
        json_object *r, *v;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(test_client_send_raw(&c, call, sizeof(call)) >= 0);
        r = test_client_receive(&env, &c);
        CHECK_ERROR(r, VARLINK_ERROR_INVALID_PARAMETER);
        CHECK(json_object_object_get_ex(reply_params(r), "parameter", &v) &&
              strcmp(json_object_get_string(v), "oneway") == 0);
        json_object_put(r);
        CHECK(test_client_wait_closed(&env, &c));
        CHECK(server_n_subscriptions(env.m->server) == 0);
        CHECK(daemon_alive(&env));
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("a call with both oneway and more is refused naming 'oneway', and the connection closed");
}

static void tweak_limits(ManagerConfig *c) {
        c->max_clients = 3;
        c->max_clients_per_uid = 3;
        c->max_subscriptions = 1;
        c->max_output_bytes = 8192;
        c->idle_timeout_usec = 1500 * 1000;
}

static int connect_socket(TestEnv *env) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/apctld.sock", env->dir);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        return fd;
}

static void test_limits(void) {
        TestEnv env;
        TestClient a, b, s2, extra, own[3] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };
        unsigned n_own = 0;
        json_object *r, *ev;
        int fd;

        CHECK(test_env_start(&env, NULL, tweak_limits) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &a) >= 0);
        CHECK(test_client_connect_buffered(&env, 1000, 4096, &b) >= 0);

        /* One subscription per uid. */
        CHECK(test_client_send_raw(&b, SUBSCRIBE, sizeof(SUBSCRIBE)) >= 0);
        ev = test_client_receive(&env, &b);
        CHECK(ev && !reply_error(ev));
        json_object_put(ev);
        CHECK(test_client_connect(&env, 1000, &s2) >= 0);
        CHECK(test_client_send_raw(&s2, SUBSCRIBE, sizeof(SUBSCRIBE)) >= 0);
        r = test_client_receive(&env, &s2);
        CHECK_ERROR(r, APCTL_ERROR_LIMIT);
        json_object_put(r);

        /*
         * Three clients: a fourth (through the real socket) is told why and closed. Root's
         * connections have a pool of their own: when the test runs as root, that one is filled.
         */
        while (n_own < ELEMENTSOF(own) && test_client_connect(&env, getuid(), &own[n_own]) >= 0)
                n_own++;
        CHECK(getuid() == 0 ? n_own == 3 : n_own == 0);
        fd = connect_socket(&env);
        CHECK(fd >= 0);
        extra = (TestClient) { .fd = fd };
        r = test_client_receive(&env, &extra);
        CHECK_ERROR(r, APCTL_ERROR_LIMIT);
        json_object_put(r);
        CHECK(test_client_wait_closed(&env, &extra));
        test_client_close(&extra);
        for (unsigned i = 0; i < n_own; i++)
                test_client_close(&own[i]);

        /* A subscriber that never reads is dropped once its output passes the limit. */
        r = test_call(&env, &a, "io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        json_object_put(r);
        for (int i = 0; i < 200 && server_n_subscriptions(env.m->server) > 0; i++) {
                r = test_call(&env, &a, i % 2 ? "io.apctl.Host.Reserve" : "io.apctl.Host.Release",
                              "{\"domains\":[1,2,3,4,5,6,7,8]}");
                json_object_put(r);
        }
        CHECK(server_n_subscriptions(env.m->server) == 0);

        /* Idle clients are closed; a client with a call in flight or a subscription is not idle. */
        CHECK(test_client_wait_closed(&env, &s2));
        CHECK(daemon_alive(&env));
        test_client_close(&a);
        test_client_close(&b);
        test_client_close(&s2);
        test_env_done(&env);
        tap_case_end("limits: clients, subscriptions per uid, slow readers, idle connections");
}

static void tweak_eight_clients(ManagerConfig *c) {
        c->max_clients = 8;
}

/* Run the loop until apctld holds n clients; false on deadline. */
static bool wait_n_clients(TestEnv *env, unsigned n) {
        for (int i = 0; i < 1000 && server_n_clients(env->m->server) != n; i++)
                (void) sd_event_run(env->event, 5000);
        return server_n_clients(env->m->server) == n;
}

/*
 * One user cannot take every connection: a uid holds at most a quarter of
 * --max-clients, and root, with a pool of its own, can connect when other
 * users hold every slot.
 */
static void test_clients_per_uid(void) {
        TestClient c[8], extra = { .fd = -1 }, root[3];
        unsigned n = 0;
        json_object *r;
        TestEnv env;

        for (unsigned i = 0; i < ELEMENTSOF(c); i++)
                c[i] = (TestClient) { .fd = -1 };
        for (unsigned i = 0; i < ELEMENTSOF(root); i++)
                root[i] = (TestClient) { .fd = -1 };

        CHECK(test_env_start(&env, NULL, tweak_eight_clients) >= 0);
        CHECK(server_max_clients_per_uid(env.m->server) == 2);
        CHECK(test_client_connect(&env, 1000, &c[n++]) >= 0);
        CHECK(test_client_connect(&env, 1000, &c[n++]) >= 0);
        CHECK(test_client_connect(&env, 1000, &extra) == -EUSERS);
        test_client_close(&extra);
        for (uid_t uid = 1001; uid <= 1003; uid++) {
                CHECK(test_client_connect(&env, uid, &c[n++]) >= 0);
                CHECK(test_client_connect(&env, uid, &c[n++]) >= 0);
        }
        CHECK(test_client_connect(&env, 1004, &extra) == -EMFILE);
        test_client_close(&extra);
        for (unsigned i = 0; i < ELEMENTSOF(root); i++)
                CHECK(test_client_connect(&env, 0, &root[i]) >= 0);
        r = test_call(&env, &root[2], "io.apctl.Status", NULL);
        CHECK_OK(r);
        json_object_put(r);

        /* A connection closed frees its uid's slot. */
        test_client_close(&c[0]);
        CHECK(wait_n_clients(&env, 8 + ELEMENTSOF(root) - 1));
        CHECK(test_client_connect(&env, 1000, &c[0]) >= 0);
        for (unsigned i = 0; i < n; i++)
                test_client_close(&c[i]);
        for (unsigned i = 0; i < ELEMENTSOF(root); i++)
                test_client_close(&root[i]);
        test_env_done(&env);
        tap_case_end("a uid holds at most a quarter of the connections; root connects when others hold every slot");
}

/*
 * More clients ready at once than one wake-up takes (64): the rest stay
 * ready and are served on the next turns of the loop.
 */
static void test_many_ready_clients(void) {
        static const char status[] = "{\"method\":\"io.apctl.Status\"}";
        enum { N = 150 };
        TestClient *c = calloc(N, sizeof(TestClient));
        unsigned answered = 0;
        TestEnv env;

        CHECK(c);
        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        /* Four users: one may hold a quarter of the connections. */
        for (unsigned i = 0; c && i < N; i++)
                CHECK(test_client_connect(&env, 2000 + i % 4, &c[i]) >= 0);
        /* Every call is sent before the loop runs again. */
        for (unsigned i = 0; c && i < N; i++)
                CHECK(test_client_send_raw(&c[i], status, sizeof(status)) >= 0);
        for (unsigned i = 0; c && i < N; i++) {
                json_object *r = test_client_receive(&env, &c[i]);
                bool ok = r && !reply_error(r);
                json_object_put(r);
                if (!ok)
                        break;
                answered++;
        }
        if (!CHECK(answered == N))
                tap_diag("%u of %u clients answered", answered, (unsigned) N);
        for (unsigned i = 0; c && i < N; i++)
                test_client_close(&c[i]);
        test_env_done(&env);
        free(c);
        tap_case_end("150 clients calling at once are all answered");
}

/*
 * While a call is in flight (here a subscription, which stays in flight)
 * apctld reads on but holds at most one maximum message: a client that
 * sends more is closed, and the daemon keeps serving.
 */
static void test_too_much_while_in_flight(void) {
        size_t big = VARLINK_MESSAGE_MAX + 8192;
        char *junk = malloc(big);
        TestEnv env;
        TestClient c;
        json_object *r;

        CHECK(junk);
        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(test_client_send_raw(&c, SUBSCRIBE, sizeof(SUBSCRIBE)) >= 0);
        r = test_client_receive(&env, &c);
        CHECK(r && !reply_error(r));
        json_object_put(r);
        if (junk) {
                memset(junk, ' ', big);
                CHECK(test_client_send_raw(&c, junk, big) >= 0);
        }
        CHECK(test_client_wait_closed(&env, &c));
        CHECK(server_n_subscriptions(env.m->server) == 0);
        CHECK(daemon_alive(&env));
        test_client_close(&c);
        test_env_done(&env);
        free(junk);
        tap_case_end("more than one maximum message sent while a call is in flight closes the connection");
}

/*
 * One wake-up serves every ready client. Here the first ready client's call
 * makes an event that overflows a subscriber which is ready in the same
 * wake-up (it sent bytes after the call): the subscriber is dropped before
 * its turn comes, and its turn must find it dropped, not freed (AddressSanitizer
 * builds see a use after free).
 */
static void test_dropped_within_one_wakeup(void) {
        TestEnv env;
        TestClient a, b;
        json_object *r;

        CHECK(test_env_start(&env, NULL, tweak_limits) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &a) >= 0);
        CHECK(test_client_connect_buffered(&env, 1000, 4096, &b) >= 0);
        CHECK(test_client_send_raw(&b, SUBSCRIBE, sizeof(SUBSCRIBE)) >= 0);
        r = test_client_receive(&env, &b);
        CHECK(r && !reply_error(r));
        json_object_put(r);
        for (int i = 0; i < 200 && server_n_subscriptions(env.m->server) > 0; i++) {
                char define[128];

                /* Defining a guest changes no kernel state: its event goes out before the call returns. */
                snprintf(define, sizeof(define),
                         "{\"method\":\"io.apctl.Guest.Define\",\"parameters\":{\"name\":\"guest%d\"}}", i);
                CHECK(test_client_send_raw(&a, define, strlen(define) + 1) >= 0);
                /* While its subscription runs, the subscriber's bytes are only buffered. */
                CHECK(test_client_send_raw(&b, " ", 1) >= 0);
                r = test_client_receive(&env, &a);
                CHECK_OK(r);
                json_object_put(r);
        }
        CHECK(server_n_subscriptions(env.m->server) == 0);
        CHECK(test_client_wait_closed(&env, &b));
        CHECK(daemon_alive(&env));
        test_client_close(&a);
        test_client_close(&b);
        test_env_done(&env);
        tap_case_end("a subscriber dropped by another client's call in the same wake-up is skipped, not used after free");
}

/* Seeded, so every run and architecture sends the same bytes. */
static uint32_t xorshift(uint32_t *state) {
        uint32_t x = *state;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return *state = x;
}

static void test_random_garbage(void) {
        static const char *const pieces[] = {
                "{", "}", "[", "]", "\"method\"", ":", ",", "\"io.apctl.Guest.Define\"", "\"parameters\"",
                "\"name\"", "\"adapters\"", "1e999", "-1", "256", "null", "true", "\"\\u0000\"", "\xc3\x28",
                "\"more\"", "\"oneway\"", " ", "\"0-3,5\"", "\"010\"", "\"\xff\"", "0x10",
        };
        uint32_t seed = 0x5eed1234;
        TestEnv env;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        for (int i = 0; i < 300; i++) {
                char msg[512];
                size_t n = 0;
                TestClient c;
                json_object *r;
                int parts = 1 + xorshift(&seed) % 24;

                for (int k = 0; k < parts; k++) {
                        const char *p = pieces[xorshift(&seed) % ELEMENTSOF(pieces)];
                        size_t l = strlen(p);
                        if (n + l >= sizeof(msg) - 1)
                                break;
                        memcpy(msg + n, p, l);
                        n += l;
                }
                msg[n++] = 0;
                CHECK(test_client_connect(&env, 4242, &c) >= 0);
                CHECK(test_client_send_raw(&c, msg, n) >= 0);
                /* Some garbage is a valid call (a Define that succeeds); anything else is an error or a close. */
                r = test_client_receive(&env, &c);
                if (!r)
                        CHECK(test_client_wait_closed(&env, &c));
                json_object_put(r);
                test_client_close(&c);
        }
        CHECK(daemon_alive(&env));
        test_env_done(&env);
        tap_case_end("300 seeded random messages: each answered or closed, daemon still serving");
}

static void tweak_short_idle(ManagerConfig *c) {
        c->idle_timeout_usec = 400 * 1000;
}

/*
 * The idle timer is not moved on every message (apctld only records the
 * time): a client calling now and then for several timeouts must still be
 * served, and closed once it falls silent for one.
 */
static void test_active_client_stays(void) {
        TestEnv env;
        TestClient a;
        uint64_t start;
        unsigned calls = 0;
        bool ok = true;

        CHECK(test_env_start(&env, NULL, tweak_short_idle) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &a) >= 0);
        start = monotonic_usec();
        while (ok && monotonic_usec() - start < 1200 * 1000) {
                json_object *r = test_call(&env, &a, "io.apctl.Status", NULL);
                ok = r && !reply_error(r);
                json_object_put(r);
                calls++;
                /* Run the loop (its timers included) for a while between calls. */
                (void) sd_event_run(env.event, 100 * 1000);
        }
        if (!CHECK(ok))
                tap_diag("call %u, %llu ms after connecting, was not answered", calls,
                         (unsigned long long) ((monotonic_usec() - start) / 1000));
        CHECK(server_n_clients(env.m->server) == 1);
        CHECK(test_client_wait_closed(&env, &a));
        test_client_close(&a);
        test_env_done(&env);
        tap_case_end("a client calling for three idle timeouts stays connected, then is closed when silent");
}

/*
 * Only a complete message is activity: a client trickling the bytes of a
 * call that never ends is idle from its connection on. The idle deadline
 * is checked, not elapsed time; the loop runs until its clock moved
 * between the bytes, so that a byte counted as activity would show.
 */
static void test_trickle_is_idle(void) {
        static const char status[] = "{\"method\":\"io.apctl.Status\"}";
        uint64_t connected;
        TestEnv env;
        TestClient a;
        json_object *r;

        CHECK(test_env_start(&env, NULL, tweak_short_idle) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &a) >= 0);
        connected = server_idle_deadline(env.m->server);
        for (size_t i = 0; i + 1 < sizeof(status); i++) {
                uint64_t before = monotonic_usec();

                while (monotonic_usec() < before + 1000)
                        (void) sd_event_run(env.event, 1000);
                CHECK(test_client_send_raw(&a, status + i, 1) >= 0);
                (void) sd_event_run(env.event, 0);
        }
        if (!CHECK(server_idle_deadline(env.m->server) == connected))
                tap_diag("the bytes of an unfinished call moved the idle deadline by %lld us",
                         (long long) (server_idle_deadline(env.m->server) - connected));
        /* The message complete: that is activity. */
        CHECK(test_client_send_raw(&a, "", 1) >= 0);
        r = test_client_receive(&env, &a);
        CHECK_OK(r);
        json_object_put(r);
        CHECK(server_idle_deadline(env.m->server) > connected);
        test_client_close(&a);
        test_env_done(&env);
        tap_case_end("bytes of an unfinished call are not activity: only complete calls move the idle deadline");
}

/*
 * Out of file descriptors, accept4() fails with EMFILE and the connection
 * stays in the backlog: apctld accepted again at once, forever, at full CPU.
 * It must stop listening (the loop goes quiet) and serve the waiting client
 * once another leaves.
 */
static void test_out_of_fds_does_not_spin(void) {
        struct rlimit saved, low;
        TestEnv env;
        TestClient waiting = { .fd = -1 };
        json_object *r;
        int first, lowest_free, quiet = 0;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        first = connect_socket(&env);
        CHECK(first >= 0);
        CHECK(wait_n_clients(&env, 1));
        test_env_settle(&env);

        /* Room for the waiting client's socket only: apctld's accept4() gets EMFILE. */
        CHECK(getrlimit(RLIMIT_NOFILE, &saved) == 0);
        lowest_free = dup(0);
        CHECK(lowest_free >= 0);
        close(lowest_free);
        low = (struct rlimit) { .rlim_cur = lowest_free + 1, .rlim_max = saved.rlim_max };
        CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
        waiting.fd = connect_socket(&env);
        CHECK(waiting.fd >= 0);
        for (int i = 0; i < 20 && quiet < 3; i++)
                quiet = sd_event_run(env.event, 0) > 0 ? 0 : quiet + 1;
        if (!CHECK(quiet >= 3))
                tap_diag("the loop kept dispatching with a connection it cannot accept");
        CHECK(server_n_clients(env.m->server) == 1);
        CHECK(setrlimit(RLIMIT_NOFILE, &saved) == 0);

        /* A client leaves: the waiting one is accepted and served. */
        close(first);
        r = test_call(&env, &waiting, "io.apctl.Status", NULL);
        CHECK_OK(r);
        json_object_put(r);
        test_client_close(&waiting);
        test_env_done(&env);
        tap_case_end("out of file descriptors, apctld stops accepting instead of spinning, and resumes");
}

int main(void) {
        test_malformed();
        test_null_optional_fields();
        test_nul_in_strings();
        test_long_non_ascii_quoted_in_errors();
        test_size_and_depth();
        test_pipelining();
        test_oneway_more_refused();
        test_pipelining_many();
        test_limits();
        test_out_of_fds_does_not_spin();
        test_clients_per_uid();
        test_dropped_within_one_wakeup();
        test_too_much_while_in_flight();
        test_many_ready_clients();
        test_active_client_stays();
        test_trickle_is_idle();
        test_random_garbage();
        return tap_finish();
}
