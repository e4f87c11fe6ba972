/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.apctl.Status is answered from a cache while nothing it reports has
 * changed. Through every kind of change Status can show (clients,
 * subscriptions, desired state, running guests, kernel model, bindings,
 * drift, a transaction in flight, a stuck write, queued calls), each reply
 * must equal one built afresh at that moment, and the cache must be used
 * exactly when the reply holds no drift, transaction or stuck write.
 */
#include <string.h>

#include "daemon-test.h"
#include "methods.h"
#include "server.h"

#define ADMIN 4242
#define USER 1000

enum { CACHE_UNUSED, CACHE_USED };

/*
 * Status twice: both replies must equal method_status_build() right after
 * them (nothing runs between), and the second comes from the cache exactly
 * when expected.
 */
static bool status_is_fresh(TestEnv *env, TestClient *c, const char *step, int cache) {
        unsigned long hits = 0;
        bool ok = true;

        for (int i = 0; i < 2; i++) {
                json_object *r, *fresh;

                hits = method_status_cache_hits();
                r = test_call(env, c, "io.apctl.Status", NULL);
                fresh = method_status_build(env->m);
                if (!r || reply_error(r) || !fresh || !json_object_equal(reply_params(r), fresh)) {
                        tap_diag("%s, call %d: got %s", step, i + 1,
                                 r ? json_object_to_json_string(r) : "no reply");
                        tap_diag("  built afresh: %s", fresh ? json_object_to_json_string(fresh) : "nothing");
                        ok = false;
                }
                json_object_put(r);
                json_object_put(fresh);
        }
        if ((method_status_cache_hits() > hits) != (cache == CACHE_USED)) {
                tap_diag("%s: the second Status was %s the cache", step, cache == CACHE_USED ? "not from" : "from");
                ok = false;
        }
        return ok;
}

static bool wait_for_clients(TestEnv *env, unsigned n) {
        for (int i = 0; i < 250 && server_n_clients(env->m->server) != n; i++)
                (void) sd_event_run(env->event, 20 * 1000);
        return server_n_clients(env->m->server) == n;
}

static void tweak_timeout(ManagerConfig *c) {
        /* Only for the write the fake kernel holds: it cannot finish, so it times out however slow the machine. */
        c->kernel_timeout_usec = 200 * 1000;
}

#define CALL_OK(client, method, params)                                         \
        do {                                                                    \
                json_object *_r = test_call(&env, (client), (method), (params)); \
                CHECK_OK(_r);                                                   \
                json_object_put(_r);                                            \
        } while (0)

static void test_status_cache(void) {
        const char stop[] = "{\"method\":\"io.apctl.Guest.Stop\",\"parameters\":{\"name\":\"g\"}}";
        const char define[] = "{\"method\":\"io.apctl.Guest.Define\",\"parameters\":{\"name\":\"h\","
                              "\"adapters\":[6],\"domains\":[9]}}";
        TestEnv env;
        TestClient c, other, sub, q;
        json_object *r;

        CHECK(test_env_start(&env, NULL, tweak_timeout) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "a fresh daemon", CACHE_USED));

        CHECK(test_client_connect(&env, USER, &other) >= 0);
        CHECK(status_is_fresh(&env, &c, "a second client", CACHE_USED));
        test_client_close(&other);
        CHECK(wait_for_clients(&env, 1));
        CHECK(status_is_fresh(&env, &c, "the second client gone", CACHE_USED));

        CHECK(test_client_connect(&env, USER, &sub) >= 0);
        CHECK(test_client_send_raw(&sub, SUBSCRIBE, sizeof(SUBSCRIBE)) >= 0);
        r = test_client_receive(&env, &sub);
        CHECK(r && !reply_error(r));
        json_object_put(r);
        CHECK(status_is_fresh(&env, &c, "a subscription", CACHE_USED));

        CALL_OK(&c, "io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "host release (generation, events sent)", CACHE_USED));
        CALL_OK(&c, "io.apctl.Guest.Define", "{\"name\":\"g\",\"adapters\":[5],\"domains\":[1,2]}");
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "a guest defined", CACHE_USED));
        CALL_OK(&c, "io.apctl.Guest.Start", "{\"name\":\"g\"}");
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "the guest running (mdevs, status text)", CACHE_USED));

        /* Drift: the guest's adapter leaves the configuration, then comes back. */
        CHECK(kernel_fake_set_card_config(env.fake, 5, false) >= 0);
        CALL_OK(&c, "io.apctl.Reconcile", NULL);
        test_env_settle(&env);
        CHECK(json_object_array_length(env.m->drift) > 0);
        CHECK(status_is_fresh(&env, &c, "drift", CACHE_UNUSED));
        CHECK(kernel_fake_set_card_config(env.fake, 5, true) >= 0);
        CALL_OK(&c, "io.apctl.Reconcile", NULL);
        test_env_settle(&env);
        CHECK(json_object_array_length(env.m->drift) == 0);
        CHECK(status_is_fresh(&env, &c, "drift gone (resyncs)", CACHE_USED));

        kernel_fake_set_bindings_complete(env.fake, false);
        CALL_OK(&c, "io.apctl.Reconcile", NULL);
        test_env_settle(&env);
        CHECK(!env.m->kernel.bindings_complete);
        CHECK(status_is_fresh(&env, &c, "bindings incomplete", CACHE_USED));
        kernel_fake_set_bindings_complete(env.fake, true);
        CALL_OK(&c, "io.apctl.Reconcile", NULL);
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "bindings complete", CACHE_USED));

        /* A transaction in flight, with a change waiting behind it. */
        CHECK(test_client_connect(&env, ADMIN, &q) >= 0);
        env.m->config.kernel_timeout_usec = 60ULL * 1000 * 1000;
        kernel_fake_block_step(env.fake, 1);
        CHECK(test_client_send_raw(&c, stop, sizeof(stop)) >= 0);
        for (int i = 0; i < 250 && !env.m->txn; i++)
                (void) sd_event_run(env.event, 20 * 1000);
        CHECK(env.m->txn != NULL);
        CHECK(status_is_fresh(&env, &q, "a transaction in flight", CACHE_UNUSED));
        CHECK(test_client_send_raw(&q, define, sizeof(define)) >= 0);
        for (int i = 0; i < 250 && env.m->n_queued == 0; i++)
                (void) sd_event_run(env.event, 20 * 1000);
        CHECK(env.m->n_queued == 1);
        {
                TestClient s;
                CHECK(test_client_connect(&env, USER, &s) >= 0);
                CHECK(status_is_fresh(&env, &s, "a call queued", CACHE_UNUSED));
                test_client_close(&s);
                CHECK(wait_for_clients(&env, 3));
        }
        kernel_fake_release(env.fake);
        r = test_client_receive(&env, &c);
        CHECK_OK(r);
        json_object_put(r);
        r = test_client_receive(&env, &q);
        CHECK_OK(r);
        json_object_put(r);
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "the transaction done", CACHE_USED));

        /* A write that hangs past its timeout: stuck, then done. */
        env.m->config.kernel_timeout_usec = 200 * 1000;
        kernel_fake_block_step(env.fake, 1);
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"g\"}");
        CHECK_ERROR(r, "io.apctl.KernelTimeout");
        json_object_put(r);
        env.m->config.kernel_timeout_usec = 60ULL * 1000 * 1000;
        CHECK(env.m->n_stuck == 1);
        CHECK(status_is_fresh(&env, &c, "a stuck write", CACHE_UNUSED));
        kernel_fake_release(env.fake);
        test_env_settle(&env);
        CHECK(env.m->n_stuck == 0);
        CHECK(status_is_fresh(&env, &c, "the stuck write done", CACHE_USED));

        CALL_OK(&c, "io.apctl.Guest.Stop", "{\"name\":\"g\"}");
        CALL_OK(&c, "io.apctl.Guest.Undefine", "{\"name\":\"g\"}");
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "the guest stopped and undefined", CACHE_USED));

        test_client_close(&sub);
        test_client_close(&q);
        CHECK(wait_for_clients(&env, 1));
        CHECK(status_is_fresh(&env, &c, "subscriber gone", CACHE_USED));
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("Status equals a fresh build through every change; cached only without drift, transactions, stuck writes");
}

/*
 * Each input of the reply changed alone (poked into the manager for the
 * length of two calls, then put back): a key that missed one would answer
 * the second call from a stale cache.
 */
#define POKE(what, change, undo)                                                        \
        do {                                                                            \
                change;                                                                 \
                CHECK(status_is_fresh(&env, &c, what, CACHE_USED));                     \
                undo;                                                                   \
                CHECK(status_is_fresh(&env, &c, what " undone", CACHE_USED));           \
        } while (0)

static void test_status_cache_each_input(void) {
        char saved[sizeof(((Manager *) NULL)->status_text)];
        GuestDef *a;
        TestEnv env;
        TestClient c, sub;
        json_object *r;
        Manager *m;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        m = env.m;
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL_OK(&c, "io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        CALL_OK(&c, "io.apctl.Guest.Define", "{\"name\":\"a\",\"adapters\":[5],\"domains\":[1]}");
        CALL_OK(&c, "io.apctl.Guest.Define", "{\"name\":\"b\",\"adapters\":[6],\"domains\":[2]}");
        CALL_OK(&c, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "the start", CACHE_USED));

        /* Only the subscription count changes: the subscriber connected first. */
        CHECK(test_client_connect(&env, USER, &sub) >= 0);
        CHECK(status_is_fresh(&env, &c, "a client", CACHE_USED));
        CHECK(test_client_send_raw(&sub, SUBSCRIBE, sizeof(SUBSCRIBE)) >= 0);
        r = test_client_receive(&env, &sub);
        CHECK(r && !reply_error(r));
        json_object_put(r);
        CHECK(status_is_fresh(&env, &c, "the client subscribed", CACHE_USED));

        POKE("generation", m->desired.generation++, m->desired.generation--);
        POKE("resyncs", m->resyncs++, m->resyncs--);
        POKE("events sent", m->events_sent++, m->events_sent--);
        POKE("queued calls", m->n_queued++, m->n_queued--);
        POKE("recovery needed", m->recovery_failed = true, m->recovery_failed = false);
        POKE("abandoned", m->abandoned = true, m->abandoned = false);
        POKE("bindings complete", m->kernel.bindings_complete = false, m->kernel.bindings_complete = true);
        POKE("bindings bound", m->kernel.bindings_bound--, m->kernel.bindings_bound++);
        POKE("bindings total", m->kernel.bindings_total++, m->kernel.bindings_total--);
        POKE("cards", m->kernel.n_cards--, m->kernel.n_cards++);
        POKE("queues", m->kernel.n_queues--, m->kernel.n_queues++);
        POKE("guests", m->desired.n_guests--, m->desired.n_guests++);
        a = (GuestDef *) desired_state_find_guest(&m->desired, "a");
        CHECK(a && manager_guest_running(m, a));
        if (a) {
                /* Not running when its mdev is not found; the mdev count stays. */
                saved[0] = a->uuid[0];
                POKE("running", a->uuid[0] = a->uuid[0] == 'f' ? 'e' : 'f', a->uuid[0] = saved[0]);
        }
        memcpy(saved, m->status_text, sizeof(saved));
        POKE("status text", m->status_text[0] = saved[0] == 'X' ? 'Y' : 'X',
             memcpy(m->status_text, saved, sizeof(saved)));
        test_client_close(&sub);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("each input of Status changed alone gives a fresh reply, then the cache again");
}

/* A restarted daemon (another Manager) with the same state gets the same reply: the cache keys on content. */
static void test_status_cache_restart(void) {
        TestEnv env;
        TestClient c;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL_OK(&c, "io.apctl.Host.Release", "{\"adapters\":[5]}");
        CALL_OK(&c, "io.apctl.Guest.Define", "{\"name\":\"g\",\"adapters\":[5],\"domains\":[1]}");
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "before the restart", CACHE_USED));
        test_client_close(&c);
        CHECK(test_env_restart(&env, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        test_env_settle(&env);
        CHECK(status_is_fresh(&env, &c, "after the restart", CACHE_USED));
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("after a restart Status shows the new daemon's state");
}

/* The status text, formatted by hand since, reads as the snprintf format it had, for every flag and width. */
static void test_status_text(void) {
        static const size_t numbers[] = { 0, 1, 9, 10, 255, 65535, SIZE_MAX };
        TestEnv env;
        Manager *m;
        size_t saved_queues;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        m = env.m;
        CHECK(m->desired.n_guests == 0 && !m->txn);
        saved_queues = m->kernel.n_queues;
        for (size_t i = 0; i < ELEMENTSOF(numbers); i++)
                for (int flags = 0; flags < 4; flags++) {
                        char want[sizeof(m->status_text)];

                        m->kernel.n_queues = numbers[i];
                        m->recovery_failed = flags & 2;
                        /* Only compared with NULL: "a transaction in flight" without starting one. */
                        m->txn = flags & 1 ? (Transaction *) m : NULL;
                        manager_update_status(m);
                        m->txn = NULL;
                        snprintf(want, sizeof(want), "%zu guests (%zu running), %zu queues, %zu drift%s%s",
                                 (size_t) 0, (size_t) 0, numbers[i], json_object_array_length(m->drift),
                                 flags & 1 ? ", transaction in flight" : "", flags & 2 ? ", RECOVERY NEEDED" : "");
                        CHECK_STREQ(m->status_text, want);
                }
        m->kernel.n_queues = saved_queues;
        m->recovery_failed = false;
        manager_update_status(m);
        test_env_done(&env);
        tap_case_end("the status text reads as before for each flag and number width");
}

int main(void) {
        test_status_cache();
        test_status_cache_each_input();
        test_status_cache_restart();
        test_status_text();
        return tap_finish();
}
