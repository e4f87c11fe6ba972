/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every call gets its reply under load: hundreds of Guest.Start/Stop
 * cycles from several clients at once, pipelined on each connection, two
 * clients stopping the same guest, a Stop of a stopped guest, Status and
 * Show in between, a subscriber counting the events; on the fake kernel,
 * with kernel writes that hang past their timeout (the job keeps its
 * thread, the next job gets another), and on the sysfs backend over a
 * synthetic tree (bench/daemon-sysfs-tree.py) where this test makes the
 * mdev directory a `create` would. Nothing sleeps: the loop runs until
 * every reply is in, and an overall deadline fails the case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon-test.h"
#include "worker.h"

#define ADMIN 4242
#define STRESS_DEADLINE_USEC (90ULL * 1000 * 1000)
#define OWN_GUESTS 4
#define SHARED_CLIENTS 2

/* What a reply may be. */
enum {
        OUT_OK          = 1u << 0,
        OUT_RUNNING     = 1u << 1,      /* GuestRunning */
        OUT_NOT_RUNNING = 1u << 2,      /* GuestNotRunning */
        OUT_BUSY        = 1u << 3,
        OUT_TIMEOUT     = 1u << 4,      /* KernelTimeout */
        OUT_OTHER       = 1u << 5,      /* anything else: never allowed */
};

static const struct {
        const char *error;
        unsigned outcome;
} outcome_table[] = {
        { "io.apctl.GuestRunning",    OUT_RUNNING },
        { "io.apctl.GuestNotRunning", OUT_NOT_RUNNING },
        { "io.apctl.Busy",            OUT_BUSY },
        { "io.apctl.KernelTimeout",   OUT_TIMEOUT },
};

static unsigned outcome_of(json_object *reply) {
        const char *e = reply_error(reply);

        if (!e)
                return OUT_OK;
        for (size_t i = 0; i < ELEMENTSOF(outcome_table); i++)
                if (streq(outcome_table[i].error, e))
                        return outcome_table[i].outcome;
        return OUT_OTHER;
}

typedef struct Step {
        const char *method;
        bool with_name;                 /* parameters {"name": the client's guest} */
        unsigned allowed;               /* OUT_* */
        bool barrier;                   /* sent only once every earlier reply is in, after the client's hook */
} Step;

typedef struct StressClient StressClient;
struct StressClient {
        TestClient tc;
        const char *guest;              /* borrowed: static */
        const Step *steps;              /* borrowed: static, one cycle */
        size_t n_steps;
        unsigned cycles;                /* to run */
        unsigned burst;                 /* cycles sent at once when the steps have no barrier */
        int (*hook)(StressClient *c, const Step *s); /* before a barrier step is sent */
        void *userdata;                 /* borrowed: the hook's */
        /* Progress: steps sent and replies checked, counted over all cycles. */
        size_t sent, received;
        unsigned ok_start, ok_stop;
};

static size_t client_total(const StressClient *c) {
        return c->n_steps * c->cycles;
}

static bool append(char **buf, size_t *len, const char *method, const char *guest) {
        _cleanup_free_ char *p = NULL;
        char *grown;
        int n = asprintf(&p, "{\"method\":\"%s\"%s%s%s}", method, guest ? ",\"parameters\":{\"name\":\"" : "",
                         guest ?: "", guest ? "\"}" : "");

        if (n < 0) {
                p = NULL;       /* undefined after a failed asprintf() */
                return false;
        }
        grown = realloc(*buf, *len + n + 1);
        if (!grown)
                return false;
        *buf = grown;
        memcpy(*buf + *len, p, n + 1);
        *len += n + 1;
        return true;
}

/* Send the next group of calls in one write: up to the next barrier, or burst whole cycles. */
static bool client_send_group(StressClient *c) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, end = c->sent + c->n_steps * c->burst;
        bool barriers = false;

        for (size_t i = 0; i < c->n_steps; i++)
                barriers = barriers || c->steps[i].barrier;
        if (barriers)
                end = c->sent + 1;
        while (end < client_total(c) && barriers && !c->steps[end % c->n_steps].barrier)
                end++;
        if (end > client_total(c))
                end = client_total(c);
        if (c->sent >= end)
                return true;
        if (c->hook && c->steps[c->sent % c->n_steps].barrier && c->hook(c, &c->steps[c->sent % c->n_steps]) < 0) {
                tap_diag("client for '%s': preparing step %zu failed", c->guest, c->sent);
                return false;
        }
        for (size_t i = c->sent; i < end; i++) {
                const Step *s = &c->steps[i % c->n_steps];
                if (!append(&buf, &len, s->method, s->with_name ? c->guest : NULL))
                        return false;
        }
        c->sent = end;
        return test_client_send_raw(&c->tc, buf, len) >= 0;
}

/* Check one reply against the step it answers; on to the next group when the last one is in. */
static bool client_handle_reply(StressClient *c, json_object *reply) {
        const Step *s = &c->steps[c->received % c->n_steps];
        unsigned out = outcome_of(reply);

        if (c->received >= c->sent) {
                tap_diag("client for '%s': a reply nobody asked for: %s", c->guest, json_object_to_json_string(reply));
                return false;
        }
        if (!(out & s->allowed)) {
                tap_diag("client for '%s', cycle %zu: %s answered %s", c->guest, c->received / c->n_steps, s->method,
                         reply ? json_object_to_json_string(reply) : "(unparseable)");
                return false;
        }
        if (out == OUT_OK && streq(s->method, "io.apctl.Guest.Start"))
                c->ok_start++;
        if (out == OUT_OK && streq(s->method, "io.apctl.Guest.Stop"))
                c->ok_stop++;
        c->received++;
        if (c->received == c->sent && c->sent < client_total(c))
                return client_send_group(c);
        return true;
}

typedef struct Subscriber {
        TestClient tc;
        unsigned started, stopped;      /* guest-started and guest-stopped events seen */
} Subscriber;

static void subscriber_handle(Subscriber *s, json_object *msg) {
        json_object *p = reply_params(msg), *e, *type;

        if (!p || !json_object_object_get_ex(p, "event", &e) || !json_object_object_get_ex(e, "type", &type))
                return;
        if (streq(json_object_get_string(type), "guest-started"))
                s->started++;
        else if (streq(json_object_get_string(type), "guest-stopped"))
                s->stopped++;
}

/*
 * Run the loop until every client has all its replies and the subscriber
 * (if any) has as many start and stop events as there were successful
 * calls; false on a failed check or at the deadline, saying who waits.
 */
static bool stress_drive(TestEnv *env, StressClient *cl, size_t n, Subscriber *sub, void (*tick)(TestEnv *env)) {
        uint64_t deadline = monotonic_usec() + STRESS_DEADLINE_USEC;

        for (size_t i = 0; i < n; i++)
                if (!client_send_group(&cl[i]))
                        return false;
        for (;;) {
                unsigned starts = 0, stops = 0;
                bool done = true, got = false;

                for (size_t i = 0; i < n; i++) {
                        json_object *msg;
                        int r;

                        while ((r = test_client_try_receive(&cl[i].tc, &msg)) > 0) {
                                bool ok = client_handle_reply(&cl[i], msg);
                                got = true;
                                json_object_put(msg);
                                if (!ok)
                                        return false;
                        }
                        if (r < 0) {
                                tap_diag("client for '%s': apctld closed the connection", cl[i].guest);
                                return false;
                        }
                        done = done && cl[i].received == client_total(&cl[i]);
                        starts += cl[i].ok_start;
                        stops += cl[i].ok_stop;
                }
                if (sub) {
                        json_object *msg;
                        while (test_client_try_receive(&sub->tc, &msg) > 0) {
                                subscriber_handle(sub, msg);
                                json_object_put(msg);
                        }
                        done = done && sub->started >= starts && sub->stopped >= stops;
                }
                if (done)
                        return true;
                if (monotonic_usec() > deadline) {
                        for (size_t i = 0; i < n; i++)
                                if (cl[i].received < client_total(&cl[i]))
                                        tap_diag("client for '%s': %zu of %zu replies, waiting for %s", cl[i].guest,
                                                 cl[i].received, client_total(&cl[i]),
                                                 cl[i].steps[cl[i].received % cl[i].n_steps].method);
                        if (sub)
                                tap_diag("subscriber: %u/%u started, %u/%u stopped events", sub->started, starts,
                                         sub->stopped, stops);
                        tap_diag("apctld: %zu queued calls, transaction %s, %zu stuck, %u worker jobs out",
                                 env->m->n_queued, env->m->txn ? "in flight" : "none", env->m->n_stuck,
                                 env->m->worker_jobs_running);
                        return false;
                }
                /* As uevents would: a re-read after each change seen, not a storm. */
                if (tick && got)
                        tick(env);
                (void) sd_event_run(env->event, 20 * 1000);
        }
}

/* What a uevent does: a kernel re-read on a worker thread, beside the transaction's job. */
static void tick_resync(TestEnv *env) {
        manager_schedule_resync(env->m);
}

static bool call_ok(TestEnv *env, TestClient *c, const char *method, const char *params) {
        json_object *r = test_call(env, c, method, params);
        bool ok = CHECK_OK(r);

        json_object_put(r);
        return ok;
}

static bool subscribe(TestEnv *env, Subscriber *s) {
        json_object *r;
        bool ok;

        *s = (Subscriber) {};
        if (test_client_connect(env, ADMIN, &s->tc) < 0 || test_client_send_raw(&s->tc, SUBSCRIBE, sizeof(SUBSCRIBE)) < 0)
                return false;
        r = test_client_receive(env, &s->tc);
        ok = CHECK_OK(r);
        json_object_put(r);
        return ok;
}

static void tweak_stress(ManagerConfig *c) {
        /* Only the hang case wants a timeout to fire; a loaded sanitizer build must never hit this one. */
        c->kernel_timeout_usec = 60ULL * 1000 * 1000;
}

static const char *const own_guests[OWN_GUESTS] = { "own0", "own1", "own2", "own3" };

/* A client alone on its guest: every outcome is known. */
static const Step own_cycle[] = {
        { "io.apctl.Guest.Start", true,  OUT_OK },
        { "io.apctl.Status",      false, OUT_OK },
        { "io.apctl.Guest.Stop",  true,  OUT_OK },
        { "io.apctl.Guest.Stop",  true,  OUT_NOT_RUNNING },
        { "io.apctl.Guest.Show",  true,  OUT_OK },
};

/*
 * The same while kernel re-reads run beside the transactions: a re-read
 * that read the kernel before a start or stop and reports after it shows
 * the guest as it was until the next re-read, so either answer may come.
 */
static const Step own_cycle_rereads[] = {
        { "io.apctl.Guest.Start", true,  OUT_OK | OUT_RUNNING },
        { "io.apctl.Status",      false, OUT_OK },
        { "io.apctl.Guest.Stop",  true,  OUT_OK | OUT_NOT_RUNNING },
        { "io.apctl.Guest.Stop",  true,  OUT_OK | OUT_NOT_RUNNING },
        { "io.apctl.Guest.Show",  true,  OUT_OK },
};

/* Two clients on one guest: which of them wins each race is open, that each gets an answer is not. */
static const Step shared_cycle[] = {
        { "io.apctl.Guest.Start", true,  OUT_OK | OUT_RUNNING },
        { "io.apctl.Guest.Stop",  true,  OUT_OK | OUT_NOT_RUNNING },
        { "io.apctl.Guest.Stop",  true,  OUT_OK | OUT_NOT_RUNNING },
        { "io.apctl.Status",      false, OUT_OK },
};

static const Step monitor_cycle[] = {
        { "io.apctl.Status",      false, OUT_OK },
        { "io.apctl.Guest.List",  false, OUT_OK },
};

/* rereads: a kernel re-read after each reply, as the uevents of each start and stop trigger. */
static void test_fake_many_clients(bool rereads) {
        enum { CYCLES = 300 };
        StressClient cl[OWN_GUESTS + SHARED_CLIENTS + 1] = {};
        size_t n = ELEMENTSOF(cl);
        unsigned ok_start = 0, ok_stop = 0;
        Subscriber sub;
        TestClient admin;
        TestEnv env;
        MdevState md;
        char params[160];

        CHECK(test_env_start(&env, NULL, tweak_stress) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &admin) >= 0);
        CHECK(call_ok(&env, &admin, "io.apctl.Host.Release", "{\"adapters\":[5,6]}"));
        for (size_t i = 0; i < OWN_GUESTS; i++) {
                snprintf(params, sizeof(params), "{\"name\":\"%s\",\"adapters\":[5],\"domains\":[%zu]}", own_guests[i],
                         i);
                CHECK(call_ok(&env, &admin, "io.apctl.Guest.Define", params));
        }
        CHECK(call_ok(&env, &admin, "io.apctl.Guest.Define", "{\"name\":\"shared\",\"adapters\":[6],\"domains\":[0]}"));
        CHECK(subscribe(&env, &sub));

        for (size_t i = 0; i < n; i++) {
                StressClient *c = &cl[i];
                CHECK(test_client_connect(&env, ADMIN, &c->tc) >= 0);
                c->cycles = CYCLES;
                c->burst = 1;
                if (i < OWN_GUESTS) {
                        c->guest = own_guests[i];
                        c->steps = rereads ? own_cycle_rereads : own_cycle;
                        c->n_steps = ELEMENTSOF(own_cycle);
                        /* One client pipelines ten whole cycles per write. */
                        c->burst = i == 0 ? 10 : 1;
                } else if (i < OWN_GUESTS + SHARED_CLIENTS) {
                        c->guest = "shared";
                        c->steps = shared_cycle;
                        c->n_steps = ELEMENTSOF(shared_cycle);
                } else {
                        c->guest = "(monitor)";
                        c->steps = monitor_cycle;
                        c->n_steps = ELEMENTSOF(monitor_cycle);
                }
        }
        CHECK(stress_drive(&env, cl, n, &sub, rereads ? tick_resync : NULL));

        for (size_t i = 0; i < n; i++) {
                ok_start += cl[i].ok_start;
                ok_stop += cl[i].ok_stop;
                if (i < OWN_GUESTS && !rereads)
                        CHECK(cl[i].ok_start == CYCLES && cl[i].ok_stop == CYCLES);
        }
        if (!rereads) {
                /* Starts and stops of the shared guest alternate: it runs iff one start is not matched by a stop. */
                unsigned shared_start = 0, shared_stop = 0;
                const GuestDef *g = desired_state_find_guest(&env.m->desired, "shared");
                bool running;

                for (size_t i = OWN_GUESTS; i < OWN_GUESTS + SHARED_CLIENTS; i++) {
                        shared_start += cl[i].ok_start;
                        shared_stop += cl[i].ok_stop;
                }
                CHECK(shared_start >= 1 && (shared_start == shared_stop || shared_start == shared_stop + 1));
                running = shared_start == shared_stop + 1;
                test_env_settle(&env);
                CHECK(g && manager_guest_running(env.m, g) == running);
                CHECK(g && fake_mdev(&env, g->uuid, &md) == running);
        } else {
                /* After one more re-read the model is the kernel's again, guest by guest. */
                CHECK(call_ok(&env, &admin, "io.apctl.Reconcile", NULL));
                for (size_t i = 0; i < env.m->desired.n_guests; i++) {
                        const GuestDef *g = &env.m->desired.guests[i];
                        CHECK(manager_guest_running(env.m, g) == fake_mdev(&env, g->uuid, &md));
                }
        }
        CHECK(sub.started == ok_start && sub.stopped == ok_stop);
        CHECK(env.m->n_queued == 0 && !env.m->txn && env.m->n_stuck == 0);
        /* Kept threads: a handful serve thousands of jobs. */
        CHECK(worker_pool_threads_started(env.m->workers) <= 4);
        tap_diag("%u clients, %u cycles each: %u starts and %u stops answered OK, %lu worker threads", (unsigned) n,
                 CYCLES, ok_start, ok_stop, worker_pool_threads_started(env.m->workers));

        for (size_t i = 0; i < n; i++)
                test_client_close(&cl[i].tc);
        test_client_close(&sub.tc);
        test_client_close(&admin);
        test_env_done(&env);
        tap_case_end("fake kernel: %d start/stop cycles from %zu clients at once, pipelined%s, all answered", CYCLES, n,
                     rereads ? ", kernel re-reads beside them" : "");
}

/* The hung client's calls while its start hangs: its guest is locked, and it is not running yet. */
static const Step hung_cycle[] = {
        { "io.apctl.Guest.Stop",  true,  OUT_NOT_RUNNING },
        { "io.apctl.Guest.Start", true,  OUT_BUSY },
        { "io.apctl.Status",      false, OUT_OK },
};

static bool run_until_unstuck(TestEnv *env) {
        uint64_t deadline = monotonic_usec() + STRESS_DEADLINE_USEC;

        while (env->m->n_stuck > 0 && monotonic_usec() < deadline)
                (void) sd_event_run(env->event, 20 * 1000);
        return env->m->n_stuck == 0;
}

static void test_fake_hung_writes(void) {
        enum { CYCLES = 40 };
        StressClient cl[2] = {};
        TestClient admin;
        TestEnv env;
        json_object *r;
        char params[160];
        unsigned answered = 0;

        CHECK(test_env_start(&env, NULL, tweak_stress) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &admin) >= 0);
        CHECK(call_ok(&env, &admin, "io.apctl.Host.Release", "{\"adapters\":[5]}"));
        for (size_t i = 0; i < 2; i++) {
                snprintf(params, sizeof(params), "{\"name\":\"%s\",\"adapters\":[5],\"domains\":[%zu]}", own_guests[i],
                         i);
                CHECK(call_ok(&env, &admin, "io.apctl.Guest.Define", params));
                CHECK(test_client_connect(&env, ADMIN, &cl[i].tc) >= 0);
                cl[i].guest = own_guests[i];
                cl[i].burst = 1;
        }
        cl[0].steps = hung_cycle;
        cl[0].n_steps = ELEMENTSOF(hung_cycle);
        cl[1].steps = own_cycle;
        cl[1].n_steps = ELEMENTSOF(own_cycle);

        for (unsigned i = 0; i < CYCLES && tap.case_ok; i++) {
                /* own0's start hangs in its first write and times out... */
                env.m->config.kernel_timeout_usec = 50 * 1000;
                kernel_fake_block_step(env.fake, 1);
                r = test_call(&env, &cl[0].tc, "io.apctl.Guest.Start", "{\"name\":\"own0\"}");
                CHECK_ERROR(r, "io.apctl.KernelTimeout");
                json_object_put(r);
                env.m->config.kernel_timeout_usec = 60ULL * 1000 * 1000;
                /* ...while both clients go on, own1's jobs on another thread. */
                for (size_t j = 0; j < 2; j++)
                        cl[j].cycles++;
                CHECK(stress_drive(&env, cl, 2, NULL, NULL));
                /* The kernel answers: the set-aside start commits, and own0 stops as any running guest. */
                kernel_fake_release(env.fake);
                CHECK(run_until_unstuck(&env));
                r = test_call(&env, &cl[0].tc, "io.apctl.Guest.Stop", "{\"name\":\"own0\"}");
                CHECK_OK(r);
                json_object_put(r);
                r = test_call(&env, &cl[0].tc, "io.apctl.Guest.Stop", "{\"name\":\"own0\"}");
                CHECK_ERROR(r, "io.apctl.GuestNotRunning");
                json_object_put(r);
                answered += 3 + cl[0].n_steps + cl[1].n_steps;
        }
        CHECK(cl[1].ok_start == CYCLES && cl[1].ok_stop == CYCLES);
        CHECK(env.m->n_queued == 0 && !env.m->txn && env.m->n_stuck == 0);
        /* A hung write costs at most one more thread, not one per job. */
        CHECK(worker_pool_threads_started(env.m->workers) <= 4);
        tap_diag("%u hung starts, %u calls answered, %lu worker threads", CYCLES, answered,
                 worker_pool_threads_started(env.m->workers));

        for (size_t i = 0; i < 2; i++)
                test_client_close(&cl[i].tc);
        test_client_close(&admin);
        test_env_done(&env);
        tap_case_end("fake kernel: %d starts hung past their timeout while others start and stop; all answered", CYCLES);
}

typedef struct SysfsGuest {
        char uuid[UUID_STRING_LEN + 1];
        const char *root;               /* borrowed: the env's sysfs_root */
} SysfsGuest;

/* Plain files cannot make an mdev appear on `create`: the test does it before the start, and undoes it. */
static int sysfs_hook(StressClient *c, const Step *s) {
        SysfsGuest *g = c->userdata;
        int r;

        r = test_sysfs_mdev_remove(g->root, g->uuid);
        if (r < 0 || streq(s->method, "io.apctl.Reconcile"))
                return r;
        return test_sysfs_mdev_make(g->root, g->uuid);
}

/*
 * Reconcile re-reads the tree after the mdev directory went; then the
 * directory is made and the start finds it. Another client's re-read may
 * land after a start or a stop of this one (and a stopped mdev stays on
 * plain files): both answers are possible for each.
 */
static const Step sysfs_cycle[] = {
        { "io.apctl.Reconcile",   false, OUT_OK, true },
        { "io.apctl.Guest.Start", true,  OUT_OK | OUT_RUNNING, true },
        { "io.apctl.Status",      false, OUT_OK },
        { "io.apctl.Guest.Stop",  true,  OUT_OK | OUT_NOT_RUNNING },
        { "io.apctl.Guest.Stop",  true,  OUT_OK | OUT_NOT_RUNNING },
        { "io.apctl.Guest.Show",  true,  OUT_OK },
};

static int sysfs_env_start(TestEnv *env, const char *python, const char *tree_script) {
        KernelBackend *b;
        int r;

        r = test_sysfs_env_prepare(env, python, tree_script);
        if (r < 0)
                return r;
        r = kernel_sysfs_new(env->sysfs_root, &b);
        if (r < 0)
                return r;
        return test_env_start_manager(env, b, tweak_stress);
}

static void test_sysfs_many_clients(const char *python, const char *tree_script) {
        enum { CYCLES = 50 };
        StressClient cl[OWN_GUESTS + 1] = {};
        SysfsGuest guests[OWN_GUESTS] = {};
        size_t n = ELEMENTSOF(cl);
        unsigned ok_start = 0, ok_stop = 0;
        char params[256];
        TestClient admin;
        TestEnv env;

        if (!python || !tree_script) {
                printf("ok %u - sysfs backend # SKIP no python3 to build the synthetic tree\n", ++tap.cases);
                return;
        }
        CHECK(sysfs_env_start(&env, python, tree_script) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &admin) >= 0);
        for (size_t i = 0; i < OWN_GUESTS; i++) {
                snprintf(guests[i].uuid, sizeof(guests[i].uuid), "5e000000-0000-4000-8000-%012zx", i);
                guests[i].root = env.sysfs_root;
                snprintf(params, sizeof(params),
                         "{\"name\":\"%.16s\",\"uuid\":\"%.36s\",\"adapters\":[%zu],\"domains\":[0,1],\"control_domains\":[0]}",
                         own_guests[i], guests[i].uuid, i);
                CHECK(call_ok(&env, &admin, "io.apctl.Guest.Define", params));
        }
        for (size_t i = 0; i < n; i++) {
                StressClient *c = &cl[i];
                CHECK(test_client_connect(&env, ADMIN, &c->tc) >= 0);
                c->cycles = CYCLES;
                c->burst = 1;
                if (i < OWN_GUESTS) {
                        c->guest = own_guests[i];
                        c->steps = sysfs_cycle;
                        c->n_steps = ELEMENTSOF(sysfs_cycle);
                        c->hook = sysfs_hook;
                        c->userdata = &guests[i];
                } else {
                        c->guest = "(monitor)";
                        c->steps = monitor_cycle;
                        c->n_steps = ELEMENTSOF(monitor_cycle);
                }
        }
        CHECK(stress_drive(&env, cl, n, NULL, NULL));
        for (size_t i = 0; i < n; i++) {
                ok_start += cl[i].ok_start;
                ok_stop += cl[i].ok_stop;
                /* The races above are rare: most starts of a guest's own directory succeed. */
                if (i < OWN_GUESTS)
                        CHECK(cl[i].ok_start > 0 && cl[i].ok_stop > 0);
        }
        test_env_settle(&env);
        CHECK(env.m->n_queued == 0 && !env.m->txn && env.m->n_stuck == 0 && env.m->n_load_waiters == 0);
        CHECK(worker_pool_threads_started(env.m->workers) <= 4);
        tap_diag("%zu clients, %d cycles each: %u starts and %u stops answered OK, %lu worker threads", n, CYCLES,
                 ok_start, ok_stop, worker_pool_threads_started(env.m->workers));

        for (size_t i = 0; i < n; i++)
                test_client_close(&cl[i].tc);
        test_client_close(&admin);
        test_env_done(&env);
        tap_case_end("sysfs backend, synthetic tree: %d reconcile/start/stop cycles from %d clients at once, all answered",
                     CYCLES, OWN_GUESTS);
}

/* usage: test-daemon-stress [PYTHON3 DAEMON-SYSFS-TREE.PY] */
int main(int argc, char *argv[]) {
        test_fake_many_clients(false);
        test_fake_many_clients(true);
        test_fake_hung_writes();
        test_sysfs_many_clients(argc > 2 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL);
        return tap_finish();
}
