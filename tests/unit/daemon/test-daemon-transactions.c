/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Transactions under failure: every write step of every kernel-touching
 * method is made to fail in turn, and the kernel and the persisted state
 * must come out exactly as they went in (no half-configured mdev). Then
 * the daemon is "killed" after each step and restarted: recovery rolls back
 * (or forward) to a consistent state. And a kernel write that hangs is
 * reported as timed out while queries keep being answered.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon-test.h"
#include "fileio.h"
#include "journal.h"
#include "kernel-diff.h"
#include "log.h"
#include "server.h"

#define ADMIN 4242
#define UUID_A "aaaaaaaa-0000-4000-8000-000000000001"
#define UUID_B "bbbbbbbb-0000-4000-8000-000000000002"

typedef struct Scenario {
        const char *name;
        bool ap_config;                 /* kernel offers the atomic ap_config write */
        const char *const *setup;       /* method, params pairs, NULL-terminated */
        const char *method;
        const char *params;
} Scenario;

static const char *const setup_defined[] = {
        "io.apctl.Host.Release", "{\"adapters\":[5,6]}",
        "io.apctl.Guest.Define", "{\"name\":\"a\",\"uuid\":\"" UUID_A "\",\"adapters\":[5,6],\"domains\":[1,2,3],"
                                 "\"control_domains\":[1,2]}",
        NULL,
};

static const char *const setup_running[] = {
        "io.apctl.Host.Release", "{\"adapters\":[5,6]}",
        "io.apctl.Guest.Define", "{\"name\":\"a\",\"uuid\":\"" UUID_A "\",\"adapters\":[5],\"domains\":[1,2,3],"
                                 "\"control_domains\":[1]}",
        "io.apctl.Guest.Start", "{\"name\":\"a\"}",
        NULL,
};

static const char *const setup_none[] = { NULL };

static const char *const setup_host_released[] = {
        "io.apctl.Host.Release", "{\"adapters\":[5,6,9],\"domains\":[200]}",
        "io.apctl.Guest.Define", "{\"name\":\"a\",\"uuid\":\"" UUID_A "\",\"adapters\":[5,6],\"domains\":[1,2,3]}",
        NULL,
};

static const Scenario scenarios[] = {
        { "start (assign_* writes)", false, setup_defined, "io.apctl.Guest.Start", "{\"name\":\"a\"}" },
        { "start (ap_config)", true, setup_defined, "io.apctl.Guest.Start", "{\"name\":\"a\"}" },
        { "attach (assign_* writes)", false, setup_running, "io.apctl.Guest.Attach",
          "{\"name\":\"a\",\"adapters\":[6],\"domains\":[4,5],\"control_domains\":[4]}" },
        { "detach (unassign_* writes)", false, setup_running, "io.apctl.Guest.Detach",
          "{\"name\":\"a\",\"domains\":[1,2],\"control_domains\":[1]}" },
        { "modify live (mixed)", false, setup_running, "io.apctl.Guest.Modify",
          "{\"name\":\"a\",\"adapters\":[6],\"domains\":[7,8]}" },
        { "stop", false, setup_running, "io.apctl.Guest.Stop", "{\"name\":\"a\"}" },
        { "host release (mask writes)", false, setup_none, "io.apctl.Host.Release",
          "{\"adapters\":[5,6],\"domains\":[0,1]}" },
        { "host reserve (mask writes)", false, setup_host_released, "io.apctl.Host.Reserve",
          "{\"adapters\":[9],\"domains\":[200]}" },
};

typedef struct Snapshot {
        bool exists;
        MdevState mdev;
        ApMask apm, aqm;
        char *state;
} Snapshot;

static void snapshot(TestEnv *env, Snapshot *s) {
        s->exists = fake_mdev(env, UUID_A, &s->mdev);
        fake_masks(env, &s->apm, &s->aqm);
        s->state = state_file(env);
}

/*
 * After a rollback that failed too: Status says recovery is needed and
 * changes are refused (Busy). Then apctld restarts (c is closed) and
 * settles, which is where the entry left behind is rolled back.
 */
static void refused_until_restart(TestEnv *env, TestClient *c) {
        json_object *r = test_call(env, c, "io.apctl.Status", NULL);

        CHECK(r && json_object_get_boolean(json_object_object_get(reply_params(r), "recovery_needed")));
        json_object_put(r);
        r = test_call(env, c, "io.apctl.Guest.Define", "{\"name\":\"later\"}");
        CHECK_ERROR(r, "io.apctl.Busy");
        json_object_put(r);
        test_client_close(c);

        CHECK(test_env_restart(env, NULL) >= 0);
        test_env_settle(env);
}

static bool snapshot_equal(const Snapshot *a, const Snapshot *b) {
        if (a->exists != b->exists || !ap_mask_equal(&a->apm, &b->apm) || !ap_mask_equal(&a->aqm, &b->aqm))
                return false;
        if (a->exists && (!ap_mask_equal(&a->mdev.assigned.apm, &b->mdev.assigned.apm) ||
                          !ap_mask_equal(&a->mdev.assigned.aqm, &b->mdev.assigned.aqm) ||
                          !ap_mask_equal(&a->mdev.assigned.adm, &b->mdev.assigned.adm)))
                return false;
        return true;
}

static bool scenario_setup(TestEnv *env, TestClient *c, const Scenario *sc, KernelBackend *shared,
                           void (*tweak)(ManagerConfig *)) {
        if (test_env_start(env, shared, tweak) < 0 || test_client_connect(env, ADMIN, c) < 0)
                return false;
        kernel_fake_set_ap_config_supported(env->fake, sc->ap_config);
        /* The model must see the feature change before planning. */
        (void) manager_resync(env->m);
        for (size_t i = 0; sc->setup[i]; i += 2) {
                json_object *r = test_call(env, c, sc->setup[i], sc->setup[i + 1]);
                bool ok = r && !reply_error(r);
                if (!ok)
                        tap_diag("setup %s failed: %s", sc->setup[i], r ? json_object_to_json_string(r) : "no reply");
                json_object_put(r);
                if (!ok)
                        return false;
        }
        return true;
}

static void drop_event(void *userdata, json_object *event) {
        json_object_put(event);
}

/*
 * After a transaction apctld re-reads only what it touched; its model must
 * still equal a complete read of the kernel (what Host.List and Guest.Show
 * report). Returns the number of differences, or -1 if the read failed.
 */
static int model_differences(TestEnv *env) {
        KernelState fresh;
        size_t n;

        if (env->fake->ops->load(env->fake, &fresh) < 0)
                return -1;
        n = kernel_state_diff(&env->m->kernel, &fresh, drop_event, NULL);
        kernel_state_done(&fresh);
        return (int) n;
}

/* How many kernel writes the method takes when nothing fails. */
static unsigned scenario_steps(const Scenario *sc) {
        TestEnv env;
        TestClient c;
        json_object *r;
        unsigned n = 0;

        if (scenario_setup(&env, &c, sc, NULL, NULL)) {
                kernel_fake_reset_steps(env.fake);
                r = test_call(&env, &c, sc->method, sc->params);
                if (r && !reply_error(r)) {
                        n = kernel_fake_steps(env.fake);
                        if (!CHECK(model_differences(&env) == 0))
                                tap_diag("%s: apctld's model differs from the kernel after success", sc->name);
                } else
                        tap_diag("%s failed without injection: %s", sc->name, r ? json_object_to_json_string(r) : "-");
                json_object_put(r);
        }
        test_client_close(&c);
        test_env_done(&env);
        return n;
}

static void test_fail_every_step(const Scenario *sc) {
        unsigned steps = scenario_steps(sc);

        CHECK(steps > 0);
        for (unsigned k = 1; k <= steps; k++) {
                static const int errs[] = { EIO, EADDRINUSE, EBUSY, ENODEV };
                int err = errs[k % ELEMENTSOF(errs)];
                TestEnv env;
                TestClient c;
                Snapshot before, after;
                json_object *r;

                if (!CHECK(scenario_setup(&env, &c, sc, NULL, NULL)))
                        break;
                snapshot(&env, &before);
                kernel_fake_fail_step(env.fake, k, err);
                r = test_call(&env, &c, sc->method, sc->params);
                if (!CHECK(r && reply_error(r)))
                        tap_diag("step %u of %u did not fail the call", k, steps);
                else if (!CHECK(strstr(reply_message(r), "rolled back")))
                        tap_diag("step %u: %s", k, reply_message(r));
                snapshot(&env, &after);
                if (!CHECK(snapshot_equal(&before, &after)))
                        tap_diag("step %u of %u: kernel differs after rollback", k, steps);
                if (!CHECK(strcmp(before.state, after.state) == 0))
                        tap_diag("step %u of %u: persisted state changed", k, steps);
                CHECK(!journal_exists(&env));
                if (!CHECK(model_differences(&env) == 0))
                        tap_diag("step %u of %u: apctld's model differs from the kernel after rollback", k, steps);
                /* The daemon's model agrees with the kernel, and nothing is stuck. */
                json_object_put(r);
                r = test_call(&env, &c, "io.apctl.Status", NULL);
                CHECK(r && !reply_error(r));
                json_object_put(r);
                free(before.state);
                free(after.state);
                test_client_close(&c);
                test_env_done(&env);
        }
        tap_case_end("%s: each of its %u kernel writes failing leaves kernel, state and apctld's model of the kernel "
                     "unchanged", sc->name, steps);
}

/*
 * The rollback fails too (its first write after a forward write k fails):
 * the caller is told, changes are refused, the journal stays, and the next
 * start finishes the rollback.
 */
static void test_rollback_fails(const Scenario *sc) {
        unsigned steps = scenario_steps(sc);

        for (unsigned k = 2; k <= steps; k++) {
                TestEnv env;
                TestClient c;
                Snapshot before, after;
                json_object *r;

                if (!CHECK(scenario_setup(&env, &c, sc, NULL, NULL)))
                        break;
                snapshot(&env, &before);
                kernel_fake_fail_steps(env.fake, k, k + 1, EIO);
                r = test_call(&env, &c, sc->method, sc->params);
                CHECK(r && reply_error(r) && strstr(reply_message(r), "rolling back also failed"));
                json_object_put(r);
                CHECK(journal_exists(&env));
                refused_until_restart(&env, &c);
                snapshot(&env, &after);
                if (!CHECK(snapshot_equal(&before, &after)))
                        tap_diag("rollback failure after step %u of %u: restart did not restore the kernel", k, steps);
                CHECK(strcmp(before.state, after.state) == 0);
                CHECK(!journal_exists(&env) && !env.m->recovery_failed);
                free(before.state);
                free(after.state);
                test_env_done(&env);
        }
        tap_case_end("%s: when its rollback fails too, changes stop and the next start rolls back", sc->name);
}

/* Expected outcome after a crash mid-transaction and a restart: the state as before the call. */
static void test_crash_every_step(const Scenario *sc) {
        unsigned steps = scenario_steps(sc);

        for (unsigned k = 1; k < steps; k++) {
                TestEnv env;
                TestClient c;
                Snapshot before, after;
                json_object *r;

                if (!CHECK(scenario_setup(&env, &c, sc, NULL, NULL)))
                        break;
                snapshot(&env, &before);
                /* The hook stops the worker dead after step k, as SIGKILL would. */
                env.m->config.test_abandon_after_step = k;
                r = test_call(&env, &c, sc->method, sc->params);
                CHECK(r && reply_error(r));
                json_object_put(r);
                CHECK(journal_exists(&env));
                test_client_close(&c);
                /* Restart on the same kernel, without the hook: the journal is rolled back. */
                CHECK(test_env_restart(&env, NULL) >= 0);
                test_env_settle(&env);
                snapshot(&env, &after);
                if (!CHECK(snapshot_equal(&before, &after)))
                        tap_diag("crash after step %u of %u: kernel not rolled back", k, steps);
                CHECK(strcmp(before.state, after.state) == 0);
                CHECK(!journal_exists(&env));
                CHECK(!env.m->recovery_failed);
                free(before.state);
                free(after.state);
                test_env_done(&env);
        }
        tap_case_end("%s: killed after each of its %u steps and restarted, the change is rolled back", sc->name,
                     steps);
}

/*
 * Guest a started on scenario 0, and the journal entry of that start as
 * apctld would have written it (not written here): the tests then leave it
 * behind as a crash would.
 */
static void started_guest_entry(TestEnv *env, JournalEntry *j, MdevState *md) {
        TestClient c;
        json_object *r;

        CHECK(scenario_setup(env, &c, &scenarios[0], NULL, NULL));
        r = test_call(env, &c, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
        CHECK(r && !reply_error(r));
        json_object_put(r);
        test_client_close(&c);
        *j = (JournalEntry) { .kind = JOURNAL_MDEV };
        snprintf(j->method, sizeof(j->method), "io.apctl.Guest.Start");
        snprintf(j->guest, sizeof(j->guest), "a");
        snprintf(j->uuid, sizeof(j->uuid), UUID_A);
        CHECK(journal_new_id(&j->id) >= 0);
        j->mdev_after.exists = true;
        CHECK(fake_mdev(env, UUID_A, md));
        j->mdev_after.config = md->assigned;
}

static void test_roll_forward(void) {
        TestEnv env;
        JournalEntry j;
        MdevState md;

        started_guest_entry(&env, &j, &md);
        /*
         * Pretend the daemon died after committing (the state lists the entry
         * as committed) but before removing the journal entry, and the kernel
         * lost some of the writes.
         */
        CHECK(journal_write(env.m->journal, &j) >= 0);
        CHECK(desired_state_add_committed(&env.m->desired, j.id) >= 0);
        CHECK(desired_state_save(env.state_dir, &env.m->desired) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, UUID_A, KERNEL_ASSIGN_DOMAIN, 2, false) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, UUID_A, KERNEL_ASSIGN_ADAPTER, 6, false) >= 0);

        CHECK(test_env_restart(&env, NULL) >= 0);
        CHECK(fake_mdev(&env, UUID_A, &md));
        CHECK(ap_mask_equal(&md.assigned.apm, &j.mdev_after.config.apm));
        CHECK(ap_mask_equal(&md.assigned.aqm, &j.mdev_after.config.aqm));
        CHECK(!journal_exists(&env));
        CHECK(!desired_state_is_committed(&env.m->desired, j.id));
        test_env_done(&env);
        tap_case_end("a journal entry the state lists as committed is rolled forward at start-up");
}

/*
 * An apctld from before the slot files left an entry, journal-<id>.json,
 * and was upgraded: the new one rolls it (committed) forward and removes
 * the file.
 */
static void test_old_style_entry_recovered(void) {
        TestEnv env;
        JournalEntry j;
        MdevState md;
        _cleanup_free_ char *slot = NULL;
        char path[256], old[256];
        const char *text;
        size_t len = 0;
        int fd;

        started_guest_entry(&env, &j, &md);
        /* The entry's JSON text, as the old apctld wrote it, in a file of its own; the slot cleared again. */
        CHECK(journal_write(env.m->journal, &j) >= 0);
        snprintf(path, sizeof(path), "%.200s/" JOURNAL_SLOT_PREFIX "00", env.runtime_dir);
        CHECK(read_file(path, 1 << 20, &slot, &len) >= 0);
        CHECK(journal_remove(env.m->journal, j.id) >= 0);
        snprintf(old, sizeof(old), "%.200s/" JOURNAL_PREFIX "%016" PRIx64 JOURNAL_SUFFIX, env.runtime_dir, j.id);
        text = slot ? strchr(slot, '\n') : NULL;
        fd = open(old, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (CHECK(text && fd >= 0)) {
                text++;
                CHECK(write(fd, text, len - (size_t) (text - slot)) == (ssize_t) (len - (size_t) (text - slot)));
        }
        safe_close(fd);
        CHECK(desired_state_add_committed(&env.m->desired, j.id) >= 0);
        CHECK(desired_state_save(env.state_dir, &env.m->desired) >= 0);
        /* The kernel lost some of the writes. */
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, UUID_A, KERNEL_ASSIGN_DOMAIN, 2, false) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, UUID_A, KERNEL_ASSIGN_ADAPTER, 6, false) >= 0);

        CHECK(test_env_restart(&env, NULL) >= 0);
        CHECK(!env.m->recovery_failed);
        CHECK(fake_mdev(&env, UUID_A, &md));
        CHECK(ap_mask_equal(&md.assigned.apm, &j.mdev_after.config.apm));
        CHECK(ap_mask_equal(&md.assigned.aqm, &j.mdev_after.config.aqm));
        CHECK(access(old, F_OK) < 0 && errno == ENOENT);
        CHECK(!journal_exists(&env));
        CHECK(!desired_state_is_committed(&env.m->desired, j.id));
        test_env_done(&env);
        tap_case_end("an old-style journal-<id>.json entry left before an upgrade is recovered and removed");
}

static void tweak_timeout(ManagerConfig *c) {
        c->kernel_timeout_usec = 200 * 1000;
}

/*
 * The short timeout is only for the write the fake kernel holds (it cannot
 * finish, so it times out however slow the machine is). Writes after it must
 * not race a 200 ms timer on a loaded machine: they get a long one.
 */
static void relax_timeout(TestEnv *env) {
        env->m->config.kernel_timeout_usec = 60ULL * 1000 * 1000;
}

static void test_timeout_keeps_answering(void) {
        TestEnv env;
        TestClient c, q;
        MdevState md;
        json_object *r, *stuck;

        /* Guest a runs on 05 x 1-3; attaching domain 4 hangs in the kernel. */
        CHECK(scenario_setup(&env, &c, &scenarios[2], NULL, tweak_timeout));
        CHECK(test_client_connect(&env, ADMIN, &q) >= 0);
        kernel_fake_block_step(env.fake, 1);
        r = test_call(&env, &c, "io.apctl.Guest.Attach", "{\"name\":\"a\",\"domains\":[4]}");
        CHECK_ERROR(r, "io.apctl.KernelTimeout");
        json_object_put(r);
        relax_timeout(&env);

        /* The loop is free: queries are answered while the write hangs, and Status names it. */
        r = test_call(&env, &q, "io.apctl.Guest.Show", "{\"name\":\"a\"}");
        CHECK_OK(r);
        json_object_put(r);
        r = test_call(&env, &q, "io.apctl.Status", NULL);
        stuck = json_object_object_get(reply_params(r), "stuck");
        CHECK(stuck && json_object_array_length(stuck) == 1);
        CHECK_STREQ(json_object_get_string(json_object_object_get(json_object_array_get_idx(stuck, 0), "subject")), "a");
        CHECK(!json_object_object_get(reply_params(r), "transaction"));
        json_object_put(r);

        /* What the hung write holds stays locked: the guest, the APQNs it moves, the host masks... */
        r = test_call(&env, &q, "io.apctl.Guest.Modify", "{\"name\":\"a\",\"autostart\":true}");
        CHECK_ERROR(r, "io.apctl.Busy");
        CHECK(strstr(reply_message(r), "guest 'a'") != NULL);
        json_object_put(r);
        r = test_call(&env, &q, "io.apctl.Guest.Define", "{\"name\":\"c\",\"adapters\":[5],\"domains\":[4]}");
        CHECK_ERROR(r, "io.apctl.Busy");
        CHECK(strstr(reply_message(r), "05.0004") != NULL);
        json_object_put(r);
        r = test_call(&env, &q, "io.apctl.Host.Reserve", "{\"adapters\":[9]}");
        CHECK_ERROR(r, "io.apctl.Busy");
        json_object_put(r);
        /* ...and everything else goes on, kernel writes included. */
        r = test_call(&env, &q, "io.apctl.Guest.Define", "{\"name\":\"b\",\"adapters\":[6],\"domains\":[9]}");
        CHECK_OK(r);
        json_object_put(r);
        r = test_call(&env, &q, "io.apctl.Guest.Start", "{\"name\":\"b\"}");
        CHECK_OK(r);
        json_object_put(r);
        CHECK(journal_exists(&env));

        /* The kernel answers at last: a's change completes on top of b's, and the locks go. */
        kernel_fake_release(env.fake);
        test_env_settle(&env);
        CHECK(env.m->n_stuck == 0);
        CHECK(fake_mdev(&env, UUID_A, &md) && ap_mask_test(&md.assigned.aqm, 4));
        CHECK(!journal_exists(&env));
        {
                const GuestDef *a = desired_state_find_guest(&env.m->desired, "a");
                CHECK(a && ap_mask_test(&a->config.aqm, 4));
                CHECK(desired_state_find_guest(&env.m->desired, "b") != NULL);
                CHECK(env.m->desired.n_committed == 0);
        }
        r = test_call(&env, &q, "io.apctl.Guest.Modify", "{\"name\":\"a\",\"autostart\":true}");
        CHECK_OK(r);
        json_object_put(r);
        test_client_close(&c);
        test_client_close(&q);
        test_env_done(&env);
        tap_case_end("a hung kernel write times out; it locks only its guest, APQNs and the masks; it completes later");
}

static void test_crash_while_stuck(void) {
        TestEnv env;
        TestClient c;
        MdevState md;
        json_object *r;

        /* a's attach hangs; b is defined and started meanwhile; then apctld dies. */
        CHECK(scenario_setup(&env, &c, &scenarios[2], NULL, tweak_timeout));
        kernel_fake_block_step(env.fake, 1);
        r = test_call(&env, &c, "io.apctl.Guest.Attach", "{\"name\":\"a\",\"domains\":[4]}");
        CHECK_ERROR(r, "io.apctl.KernelTimeout");
        json_object_put(r);
        relax_timeout(&env);
        r = test_call(&env, &c, "io.apctl.Guest.Define",
                      "{\"name\":\"b\",\"uuid\":\"" UUID_B "\",\"adapters\":[6],\"domains\":[9]}");
        CHECK_OK(r);
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"b\"}");
        CHECK_OK(r);
        json_object_put(r);
        test_client_close(&c);

        /* The restart finds a's entry (never committed): rolled back; b's commit stands. */
        CHECK(test_env_restart(&env, NULL) >= 0);
        CHECK(!env.m->recovery_failed);
        CHECK(!journal_exists(&env));
        CHECK(fake_mdev(&env, UUID_A, &md) && !ap_mask_test(&md.assigned.aqm, 4));
        CHECK(fake_mdev(&env, UUID_B, &md) && ap_mask_test(&md.assigned.aqm, 9));
        {
                const GuestDef *a = desired_state_find_guest(&env.m->desired, "a");
                CHECK(a && !ap_mask_test(&a->config.aqm, 4));
                CHECK(desired_state_find_guest(&env.m->desired, "b") != NULL);
        }
        /*
         * Let the dead daemon's thread out of the kernel (a real crash would
         * not have one); it finds nobody listening and frees its own job.
         */
        kernel_fake_release(env.fake);
        for (int i = 0; i < 500 && kernel_fake_users(env.fake) > 2; i++)
                (void) sd_event_run(env.event, 10 * 1000);
        CHECK(kernel_fake_users(env.fake) == 2);        /* the test's handle and the new manager's */
        test_env_done(&env);
        tap_case_end("killed while a write hangs: the hung change rolls back, the one committed meanwhile stays");
}

/*
 * Two kernel writes hang at once (each past its timeout, each set aside),
 * then apctld dies: the next start finds both entries, in slots of their
 * own, and rolls both back.
 */
static void test_crash_while_two_stuck(void) {
        TestEnv env;
        TestClient c;
        MdevState md;
        json_object *r;

        CHECK(scenario_setup(&env, &c, &scenarios[2], NULL, tweak_timeout));
        kernel_fake_block_step(env.fake, 1);
        r = test_call(&env, &c, "io.apctl.Guest.Attach", "{\"name\":\"a\",\"domains\":[4]}");
        CHECK_ERROR(r, "io.apctl.KernelTimeout");
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Guest.Define",
                      "{\"name\":\"b\",\"uuid\":\"" UUID_B "\",\"adapters\":[6],\"domains\":[9]}");
        CHECK_OK(r);
        json_object_put(r);
        /* b's first write hangs too (the first one still waits). */
        kernel_fake_block_step(env.fake, 1);
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"b\"}");
        CHECK_ERROR(r, "io.apctl.KernelTimeout");
        json_object_put(r);
        CHECK(env.m->n_stuck == 2);
        test_client_close(&c);

        CHECK(test_env_restart(&env, NULL) >= 0);
        CHECK(!env.m->recovery_failed);
        CHECK(!journal_exists(&env));
        CHECK(fake_mdev(&env, UUID_A, &md) && !ap_mask_test(&md.assigned.aqm, 4));
        CHECK(!fake_mdev(&env, UUID_B, &md));
        {
                const GuestDef *a = desired_state_find_guest(&env.m->desired, "a");
                CHECK(a && !ap_mask_test(&a->config.aqm, 4));
                CHECK(env.m->desired.n_committed == 0);
        }
        /* Let the dead daemon's threads out of the kernel; they find nobody listening. */
        kernel_fake_release(env.fake);
        for (int i = 0; i < 500 && kernel_fake_users(env.fake) > 2; i++)
                (void) sd_event_run(env.event, 10 * 1000);
        CHECK(kernel_fake_users(env.fake) == 2);
        test_env_done(&env);
        tap_case_end("killed while two writes hang: both entries are found and rolled back");
}

/*
 * Kernel jobs run on kept worker threads instead of a thread each. A thread
 * whose write hangs is left to the kernel: the next job gets a new thread,
 * completes while the hung write still waits, and threads are reused again
 * afterwards.
 */
static void test_worker_after_hung_write(void) {
        TestEnv env;
        TestClient c;
        MdevState md;
        json_object *r;
        unsigned long threads;

        CHECK(scenario_setup(&env, &c, &scenarios[2], NULL, tweak_timeout));
        relax_timeout(&env);
        r = test_call(&env, &c, "io.apctl.Guest.Define",
                      "{\"name\":\"b\",\"uuid\":\"" UUID_B "\",\"adapters\":[6],\"domains\":[9]}");
        CHECK_OK(r);
        json_object_put(r);
        test_env_settle(&env);
        /* Only the setup's start ran so far, on the one thread started. */
        threads = worker_pool_threads_started(env.m->workers);
        CHECK(threads == 1);

        /* Jobs one after the other: the same thread serves them all. */
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"b\"}");
        CHECK_OK(r);
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Guest.Stop", "{\"name\":\"b\"}");
        CHECK_OK(r);
        json_object_put(r);
        test_env_settle(&env);
        CHECK(worker_pool_threads_started(env.m->workers) == threads);

        /* a's attach hangs on that thread. */
        env.m->config.kernel_timeout_usec = 200 * 1000;
        kernel_fake_block_step(env.fake, 1);
        r = test_call(&env, &c, "io.apctl.Guest.Attach", "{\"name\":\"a\",\"domains\":[4]}");
        CHECK_ERROR(r, "io.apctl.KernelTimeout");
        json_object_put(r);
        relax_timeout(&env);
        CHECK(worker_pool_threads_started(env.m->workers) == threads);

        /* The next job: a new thread, and it completes although the hung write has not returned. */
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"b\"}");
        CHECK_OK(r);
        json_object_put(r);
        CHECK(worker_pool_threads_started(env.m->workers) == threads + 1);
        CHECK(env.m->n_stuck == 1);
        CHECK(fake_mdev(&env, UUID_B, &md) && ap_mask_test(&md.assigned.apm, 6) && ap_mask_test(&md.assigned.aqm, 9));
        CHECK(fake_mdev(&env, UUID_A, &md) && !ap_mask_test(&md.assigned.aqm, 4));

        /* The kernel answers: the hung change completes; its thread serves again, no third one. */
        kernel_fake_release(env.fake);
        test_env_settle(&env);
        CHECK(env.m->n_stuck == 0);
        CHECK(fake_mdev(&env, UUID_A, &md) && ap_mask_test(&md.assigned.aqm, 4));
        r = test_call(&env, &c, "io.apctl.Guest.Stop", "{\"name\":\"b\"}");
        CHECK_OK(r);
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Guest.Detach", "{\"name\":\"a\",\"domains\":[4]}");
        CHECK_OK(r);
        json_object_put(r);
        test_env_settle(&env);
        CHECK(worker_pool_threads_started(env.m->workers) == threads + 1);
        CHECK(fake_mdev(&env, UUID_B, &md) == false);
        CHECK(fake_mdev(&env, UUID_A, &md) && !ap_mask_test(&md.assigned.aqm, 4));
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("the worker after a hung write is a new one and serves the next job; threads are reused");
}

static void tweak_long_timeout(ManagerConfig *c) {
        c->kernel_timeout_usec = 60ULL * 1000 * 1000;
}

static void test_changes_queue_behind_transaction(void) {
        TestEnv env;
        TestClient c, q, gone;
        json_object *r;
        MdevState md;
        const char start[] = "{\"method\":\"io.apctl.Guest.Start\",\"parameters\":{\"name\":\"a\"}}";
        const char define_b[] = "{\"method\":\"io.apctl.Guest.Define\",\"parameters\":{\"name\":\"b\","
                                "\"adapters\":[6],\"domains\":[9]}}";
        const char define_c[] = "{\"method\":\"io.apctl.Guest.Define\",\"parameters\":{\"name\":\"c\","
                                "\"adapters\":[6],\"domains\":[10]}}";

        /* A long timeout: this is about waiting in line, not about hung writes. */
        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, tweak_long_timeout));
        CHECK(test_client_connect(&env, ADMIN, &q) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &gone) >= 0);
        kernel_fake_block_step(env.fake, 1);
        CHECK(test_client_send_raw(&c, start, sizeof(start)) >= 0);
        /* Run the loop until the start is in flight (its write is now blocked in the kernel). */
        for (int i = 0; i < 250 && !env.m->txn; i++)
                (void) sd_event_run(env.event, 20 * 1000);
        CHECK(env.m->txn != NULL);
        CHECK(test_client_send_raw(&q, define_b, sizeof(define_b)) >= 0);
        CHECK(test_client_send_raw(&gone, define_c, sizeof(define_c)) >= 0);
        {
                /* A query is answered at once and shows both changes waiting. */
                TestClient s;
                CHECK(test_client_connect(&env, 1000, &s) >= 0);
                r = test_call(&env, &s, "io.apctl.Status", NULL);
                CHECK(r && json_object_get_int(json_object_object_get(reply_params(r), "queued_calls")) == 2);
                json_object_put(r);
                test_client_close(&s);
        }
        test_client_close(&gone);
        /* Until apctld has seen the hangup: only c and q remain. */
        for (int i = 0; i < 250 && server_n_clients(env.m->server) > 2; i++)
                (void) sd_event_run(env.event, 20 * 1000);
        CHECK(server_n_clients(env.m->server) == 2);
        kernel_fake_release(env.fake);
        r = test_client_receive(&env, &c);
        CHECK_OK(r);
        json_object_put(r);
        r = test_client_receive(&env, &q);
        CHECK_OK(r);
        json_object_put(r);
        test_env_settle(&env);
        CHECK(fake_mdev(&env, UUID_A, &md));
        CHECK(desired_state_find_guest(&env.m->desired, "b") != NULL);
        /* The client that went away before its turn: its change was dropped, not applied. */
        CHECK(desired_state_find_guest(&env.m->desired, "c") == NULL);
        test_client_close(&c);
        test_client_close(&q);
        test_env_done(&env);
        tap_case_end("changes wait their turn behind a transaction; a vanished client's waiting change is dropped");
}

static bool state_file_stat(TestEnv *env, struct stat *ret) {
        char path[160];

        snprintf(path, sizeof(path), "%s/%s", env->state_dir, DESIRED_STATE_FILE);
        return stat(path, ret) >= 0;
}

/*
 * The state file is written only when the desired state changes: starting
 * and stopping a guest touch the kernel alone (they commit by removing
 * their journal entry); a live Attach changes the definition and is saved.
 */
static void test_state_file_only_on_desired_change(void) {
        TestEnv env;
        TestClient c;
        struct stat st0, st1;
        char *before, *after;
        json_object *r;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, NULL));
        before = state_file(&env);
        CHECK(state_file_stat(&env, &st0));
        for (int i = 0; i < 2; i++) {
                r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
                CHECK_OK(r);
                json_object_put(r);
                CHECK(!journal_exists(&env));
                r = test_call(&env, &c, "io.apctl.Guest.Stop", "{\"name\":\"a\"}");
                CHECK_OK(r);
                json_object_put(r);
        }
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
        CHECK_OK(r);
        json_object_put(r);
        after = state_file(&env);
        CHECK(state_file_stat(&env, &st1));
        /* Every save replaces the file (a new inode): the same inode means it was not written. */
        if (!CHECK(strcmp(before, after) == 0 && st0.st_ino == st1.st_ino))
                tap_diag("Guest.Start/Stop rewrote the state file");
        free(after);

        r = test_call(&env, &c, "io.apctl.Guest.Attach", "{\"name\":\"a\",\"domains\":[4]}");
        CHECK_OK(r);
        json_object_put(r);
        after = state_file(&env);
        CHECK(state_file_stat(&env, &st1));
        CHECK(strcmp(before, after) != 0 && st0.st_ino != st1.st_ino);
        CHECK(!journal_exists(&env));
        CHECK(env.m->desired.n_committed == 0);
        free(before);
        free(after);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("Guest.Start and Guest.Stop leave the state file alone; a live Attach saves it");
}

/* A commit marker whose journal entry is gone (a power loss empties the runtime directory) is dropped. */
static void test_stale_commit_marker_dropped(void) {
        TestEnv env;
        TestClient c;
        const uint64_t id = 0x1234abcd5678ef01ULL;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, NULL));
        CHECK(desired_state_add_committed(&env.m->desired, id) >= 0);
        CHECK(desired_state_save(env.state_dir, &env.m->desired) >= 0);
        test_client_close(&c);
        CHECK(test_env_restart(&env, NULL) >= 0);
        CHECK(!desired_state_is_committed(&env.m->desired, id));
        CHECK(!env.m->recovery_failed);
        test_env_done(&env);
        tap_case_end("a commit marker without its journal entry is dropped at start-up");
}

/*
 * A kernel-only transaction commits by removing its journal entry; when
 * that fails, the kernel change is undone and the caller told, so that a
 * restart (which would roll the entry back) agrees with what was replied.
 */
static void test_commit_by_removal_fails(void) {
        const char start[] = "{\"method\":\"io.apctl.Guest.Start\",\"parameters\":{\"name\":\"a\"}}";
        TestEnv env;
        TestClient c;
        Snapshot before, after;
        json_object *r;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, tweak_long_timeout));
        snapshot(&env, &before);
        kernel_fake_block_step(env.fake, 1);
        CHECK(test_client_send_raw(&c, start, sizeof(start)) >= 0);
        for (int i = 0; i < 250 && !env.m->txn; i++)
                (void) sd_event_run(env.event, 20 * 1000);
        CHECK(env.m->txn != NULL);
        /* The entry's slot read-only: clearing it fails with EBADF. */
        CHECK(journal_slots_set_writable(&env, false) > 0);
        kernel_fake_release(env.fake);
        r = test_client_receive(&env, &c);
        CHECK_ERROR(r, "io.apctl.InternalError");
        CHECK(r && strstr(reply_message(r), "could not commit") && strstr(reply_message(r), "rolled back"));
        json_object_put(r);
        test_env_settle(&env);
        snapshot(&env, &after);
        CHECK(snapshot_equal(&before, &after));
        CHECK(strcmp(before.state, after.state) == 0);
        CHECK(model_differences(&env) == 0);
        /* The entry stays (its slot could not be cleared) and is rolled back again at the next start: a no-op. */
        CHECK(journal_exists(&env));
        test_client_close(&c);
        CHECK(test_env_restart(&env, NULL) >= 0);
        test_env_settle(&env);
        CHECK(!journal_exists(&env) && !env.m->recovery_failed);
        free(after.state);
        snapshot(&env, &after);
        CHECK(snapshot_equal(&before, &after));
        free(before.state);
        free(after.state);
        test_env_done(&env);
        tap_case_end("a kernel-only transaction whose journal entry cannot be removed is undone");
}

/*
 * The same daemon again over a spy backend (which counts reads and fails
 * chosen writes) on its fake kernel; c is reconnected. *ret_spy is the
 * caller's to free after test_env_done().
 */
static bool restart_over_spy(TestEnv *env, TestClient *c, KernelBackend **ret_spy) {
        KernelBackend *inner, *spy;

        test_client_close(c);
        test_env_stop_manager(env);
        if (kernel_fake_share(env->fake, &inner) < 0 || test_spy_new(inner, NULL, &spy) < 0)
                return false;
        *ret_spy = spy;
        return test_env_start_manager(env, kernel_backend_ref(spy), NULL) >= 0 &&
               test_client_connect(env, ADMIN, c) >= 0;
}

/*
 * The job starts before its journal entry is written (it reads and plans
 * meanwhile): when the entry cannot be written, it writes nothing to the
 * kernel, the caller is told, and the next transaction runs normally.
 */
static void test_journal_unwritable_writes_nothing(void) {
        TestEnv env;
        TestClient c;
        KernelBackend *spy = NULL;
        json_object *r;
        Snapshot before, after;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, NULL));
        /* The same daemon again, over a spy that counts its reads of the kernel. */
        CHECK(restart_over_spy(&env, &c, &spy));
        snapshot(&env, &before);
        /* Its slot read-only: the entry's write fails with EBADF. */
        CHECK(journal_slots_set_writable(&env, false) > 0);
        kernel_fake_reset_steps(env.fake);
        test_spy_reset_guest_reads(spy);
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
        CHECK_ERROR(r, "io.apctl.InternalError");
        CHECK(r && strstr(reply_message(r), "could not start the transaction"));
        json_object_put(r);
        test_env_settle(&env);
        CHECK(kernel_fake_steps(env.fake) == 0);
        /* Its transaction is gone: the job does not re-read the mdev for nobody. */
        if (!CHECK(test_spy_guest_reads(spy) == 0))
                tap_diag("the aborted job re-read the mdev %u times", test_spy_guest_reads(spy));
        snapshot(&env, &after);
        CHECK(snapshot_equal(&before, &after));
        CHECK(!journal_exists(&env));
        CHECK(journal_slots_set_writable(&env, true) > 0);
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
        CHECK(r && !reply_error(r));
        json_object_put(r);
        CHECK(kernel_fake_steps(env.fake) > 0 && !journal_exists(&env));
        free(before.state);
        free(after.state);
        test_client_close(&c);
        test_env_done(&env);
        kernel_backend_free(spy);
        tap_case_end("a journal entry that cannot be written: nothing reaches the kernel or is read back, the next "
                     "start works");
}

/*
 * The rollback fails at its own first step, the read of where the failed
 * write left the mdev: the caller is told that read failed (not the
 * forward write again, which the rollback never reached), with the read's
 * errno; changes stop, the journal stays, and the next start rolls back.
 */
static void test_rollback_read_fails(void) {
        TestEnv env;
        TestClient c;
        KernelBackend *spy = NULL;
        json_object *r;
        Snapshot before, after;
        const char *msg;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, NULL));
        CHECK(restart_over_spy(&env, &c, &spy));
        snapshot(&env, &before);

        test_spy_fail_next_write(spy, EBUSY, EIO);
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
        /* The error is the forward write's; the message names both failures. */
        CHECK_ERROR(r, "io.apctl.Busy");
        CHECK(r && json_object_get_int(json_object_object_get(reply_params(r), "errno")) == EBUSY);
        msg = r ? reply_message(r) : "";
        if (!CHECK(strstr(msg, "the kernel refused 'create mdev " UUID_A "': Device or resource busy") &&
                   strstr(msg, "rolling back also failed at 'read the current kernel state': Input/output error")))
                tap_diag("  %s", msg);
        json_object_put(r);
        test_env_settle(&env);
        CHECK(env.m->recovery_failed && journal_exists(&env));
        refused_until_restart(&env, &c);
        snapshot(&env, &after);
        CHECK(snapshot_equal(&before, &after) && strcmp(before.state, after.state) == 0);
        CHECK(!journal_exists(&env) && !env.m->recovery_failed);
        free(before.state);
        free(after.state);
        test_env_done(&env);
        kernel_backend_free(spy);
        tap_case_end("a rollback whose read of the mdev fails names that read, not the forward write; changes stop "
                     "until the next start rolls back");
}

/*
 * The read a job plans its first write from fails (sysfs: aqmask unreadable):
 * nothing was written and no rollback ran. The reply, the log and the
 * transaction-failed event all say nothing was changed; there is nothing
 * to recover, and changes go on.
 */
static void test_read_fails_before_any_write(void) {
        TestEnv env;
        TestClient c, sub;
        KernelBackend *spy = NULL;
        json_object *r, *ev, *e, *failed = NULL;
        Snapshot before, after;
        const char *msg;

        CHECK(scenario_setup(&env, &c, &scenarios[6], NULL, NULL));
        CHECK(restart_over_spy(&env, &c, &spy));
        CHECK(test_client_connect(&env, ADMIN, &sub) >= 0);
        test_client_send_raw(&sub, SUBSCRIBE, sizeof(SUBSCRIBE));
        json_object_put(test_client_receive(&env, &sub));
        test_env_settle(&env);
        snapshot(&env, &before);
        kernel_fake_reset_steps(env.fake);

        test_spy_fail_next_read(spy, EISDIR);
        r = test_call(&env, &c, "io.apctl.Host.Release", scenarios[6].params);
        CHECK_ERROR(r, "io.apctl.KernelError");
        CHECK(r && json_object_get_int(json_object_object_get(reply_params(r), "errno")) == EISDIR);
        msg = r ? reply_message(r) : "";
        if (!CHECK(strstr(msg, "could not read the current kernel state: Is a directory; nothing was changed "
                               "(failed before any kernel write)") && !strstr(msg, "rolling back")))
                tap_diag("  %s", msg);
        json_object_put(r);
        test_env_settle(&env);
        CHECK(kernel_fake_steps(env.fake) == 0);
        CHECK(!env.m->recovery_failed && !journal_exists(&env));
        while (test_client_try_receive(&sub, &ev) > 0) {
                if (json_object_object_get_ex(reply_params(ev), "event", &e) &&
                    streq(json_object_get_string(json_object_object_get(e, "type")) ?: "", "transaction-failed"))
                        failed = json_object_get(e);
                json_object_put(ev);
        }
        if (CHECK(failed)) {
                CHECK_STREQ(json_object_get_string(json_object_object_get(failed, "failed")),
                            "read the current kernel state");
                CHECK(json_object_get_int(json_object_object_get(failed, "errno")) == EISDIR);
                CHECK(json_object_get_boolean(json_object_object_get(failed, "rolled_back")));
                CHECK(json_object_get_boolean(json_object_object_get(failed, "before_write")));
        }
        json_object_put(failed);
        snapshot(&env, &after);
        CHECK(snapshot_equal(&before, &after) && strcmp(before.state, after.state) == 0);
        /* Nothing to recover: the same change goes through now. */
        r = test_call(&env, &c, "io.apctl.Host.Release", scenarios[6].params);
        CHECK_OK(r);
        json_object_put(r);
        free(before.state);
        free(after.state);
        test_client_close(&sub);
        test_client_close(&c);
        test_env_done(&env);
        kernel_backend_free(spy);
        tap_case_end("a read that fails before any kernel write: reply, log and event say nothing was changed, "
                     "nothing to recover");
}

/*
 * A kernel read can hang as a write can: the Reconcile waiting for it gets
 * io.apctl.KernelTimeout after the kernel timeout instead of no answer, the
 * next one io.apctl.Busy without waiting, and once the kernel answers
 * Reconcile works again.
 */
static void test_reconcile_behind_hung_read(void) {
        TestEnv env;
        TestClient c;
        json_object *r;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, tweak_timeout));
        test_env_settle(&env);
        kernel_fake_hold_load(env.fake);
        r = test_call(&env, &c, "io.apctl.Reconcile", NULL);
        CHECK_ERROR(r, "io.apctl.KernelTimeout");
        if (r && !CHECK(strstr(reply_message(r), "kernel read") != NULL))
                tap_diag("  %s", reply_message(r));
        json_object_put(r);
        CHECK(kernel_fake_wait_load_held(env.fake, TEST_DEADLINE_USEC));
        relax_timeout(&env);
        r = test_call(&env, &c, "io.apctl.Reconcile", NULL);
        CHECK_ERROR(r, "io.apctl.Busy");
        CHECK(r && strstr(reply_message(r), "has not returned"));
        json_object_put(r);
        /* Queries go on meanwhile. */
        r = test_call(&env, &c, "io.apctl.Status", NULL);
        CHECK_OK(r);
        json_object_put(r);

        kernel_fake_release_load(env.fake);
        test_env_settle(&env);
        r = test_call(&env, &c, "io.apctl.Reconcile", NULL);
        CHECK_OK(r);
        json_object_put(r);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("a Reconcile behind a hung kernel read gets KernelTimeout, the next Busy; it works once the "
                     "read returns");
}

static void tweak_two_queued(ManagerConfig *c) {
        c->kernel_timeout_usec = 60ULL * 1000 * 1000;
        c->max_queued_calls = 2;
}

/* Reconcile calls waiting for a kernel read are limited as queued changes are, and Status counts them. */
static void test_reconcile_waiters_limited(void) {
        static const char reconcile[] = "{\"method\":\"io.apctl.Reconcile\"}";
        TestEnv env;
        TestClient c, w[2];
        json_object *r;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, tweak_two_queued));
        test_env_settle(&env);
        kernel_fake_hold_load(env.fake);
        for (size_t i = 0; i < ELEMENTSOF(w); i++) {
                CHECK(test_client_connect(&env, ADMIN, &w[i]) >= 0);
                CHECK(test_client_send_raw(&w[i], reconcile, sizeof(reconcile)) >= 0);
        }
        for (int i = 0; i < 500 && env.m->n_load_waiters < ELEMENTSOF(w); i++)
                (void) sd_event_run(env.event, 10 * 1000);
        CHECK(env.m->n_load_waiters == ELEMENTSOF(w));
        r = test_call(&env, &c, "io.apctl.Status", NULL);
        CHECK(r && json_object_get_int(json_object_object_get(reply_params(r), "queued_calls")) == 2);
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Reconcile", NULL);
        CHECK_ERROR(r, "io.apctl.LimitExceeded");
        json_object_put(r);

        /* The kernel answers: both waiting calls are answered. */
        CHECK(kernel_fake_wait_load_held(env.fake, TEST_DEADLINE_USEC));
        kernel_fake_release_load(env.fake);
        for (size_t i = 0; i < ELEMENTSOF(w); i++) {
                r = test_client_receive(&env, &w[i]);
                CHECK_OK(r);
                json_object_put(r);
                test_client_close(&w[i]);
        }
        r = test_call(&env, &c, "io.apctl.Status", NULL);
        CHECK(r && json_object_get_int(json_object_object_get(reply_params(r), "queued_calls")) == 0);
        json_object_put(r);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("Reconcile calls waiting for a kernel read are capped at max_queued_calls and counted in Status");
}

static void test_kernel_refusal_names_error(void) {
        TestEnv env;
        TestClient c;
        json_object *r;
        Snapshot before, after;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, NULL));
        /* An mdev apctl does not manage holds 06.0002: the kernel refuses, apctl rolls back. */
        CHECK(env.fake->ops->mdev_create(env.fake, NULL, UUID_B) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, UUID_B, KERNEL_ASSIGN_ADAPTER, 6, true) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, UUID_B, KERNEL_ASSIGN_DOMAIN, 2, true) >= 0);
        (void) manager_resync(env.m);
        snapshot(&env, &before);
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
        CHECK_ERROR(r, "io.apctl.Conflict");
        CHECK(strstr(reply_message(r), "assign_") && strstr(reply_message(r), "rolled back"));
        json_object_put(r);
        snapshot(&env, &after);
        CHECK(!after.exists);
        CHECK(snapshot_equal(&before, &after) && strcmp(before.state, after.state) == 0);
        free(before.state);
        free(after.state);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("the kernel's EADDRINUSE becomes io.apctl.Conflict, with the refused write named");
}

/*
 * An mdev's own uevents make apctld re-read that mdev only: one created and
 * one removed behind its back both show up, and the model still equals a
 * complete read of the kernel.
 */
static void test_mdev_uevent_reread(void) {
        TestEnv env;
        TestClient c;
        const MdevState *md;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, NULL));
        CHECK(env.fake->ops->mdev_create(env.fake, NULL, UUID_B) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, UUID_B, KERNEL_ASSIGN_ADAPTER, 6, true) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, UUID_B, KERNEL_ASSIGN_DOMAIN, 9, true) >= 0);
        manager_schedule_mdev_reread(env.m, UUID_B);
        test_env_settle(&env);
        md = kernel_state_find_mdev(&env.m->kernel, UUID_B);
        CHECK(md && ap_mask_test(&md->assigned.apm, 6) && ap_mask_test(&md->assigned.aqm, 9));
        CHECK(model_differences(&env) == 0);
        /* Names pile up while a re-read is out; each is read. */
        CHECK(env.fake->ops->mdev_remove(env.fake, NULL, UUID_B) >= 0);
        manager_schedule_mdev_reread(env.m, UUID_B);
        manager_schedule_mdev_reread(env.m, UUID_A);
        test_env_settle(&env);
        CHECK(kernel_state_find_mdev(&env.m->kernel, UUID_B) == NULL);
        CHECK(model_differences(&env) == 0);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("an mdev's uevent re-reads that mdev: created and removed behind apctld's back, both seen");
}

/* Events received so far whose type is one of types ("a|b"); the rest are dropped. */
static unsigned count_events(TestClient *sub, const char *types) {
        json_object *ev;
        unsigned n = 0;

        while (test_client_try_receive(sub, &ev) > 0) {
                const char *type = json_object_get_string(
                        json_object_object_get(json_object_object_get(reply_params(ev), "event"), "type"));
                size_t len = type ? strlen(type) : 0;

                for (const char *p = types; type && *p; p += strcspn(p, "|"), p += *p == '|')
                        if (strncmp(p, type, len) == 0 && (p[len] == '|' || p[len] == 0))
                                n++;
                json_object_put(ev);
        }
        return n;
}

/*
 * A kernel re-read that took its copy before a Start wrote and returns after
 * the Start committed holds the guest as stopped. Applied as it is, it would
 * drop the mdev from the model (an mdev-removed event, a guest shown stopped)
 * until the next re-read; apctld keeps the mdev as the Start left it. A
 * host mask write changes more than one mdev: a load it overlapped is read
 * again.
 */
static void test_reread_overlapping_write(void) {
        static const char reconcile[] = "{\"method\":\"io.apctl.Reconcile\"}";
        TestEnv env;
        TestClient c, q, sub;
        json_object *r, *ev;
        const MdevState *md;

        CHECK(scenario_setup(&env, &c, &scenarios[0], NULL, NULL));
        CHECK(test_client_connect(&env, ADMIN, &q) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &sub) >= 0);
        CHECK(test_client_send_raw(&sub, SUBSCRIBE, sizeof(SUBSCRIBE)) >= 0);
        ev = test_client_receive(&env, &sub);
        CHECK(ev && !reply_error(ev));
        json_object_put(ev);

        /* A Reconcile starts a full re-read on a worker thread; it takes its copy (guest a stopped) and waits. */
        kernel_fake_hold_load(env.fake);
        CHECK(test_client_send_raw(&c, reconcile, sizeof(reconcile)) >= 0);
        while (!env.m->load_running && sd_event_run(env.event, TEST_DEADLINE_USEC) > 0)
                ;
        CHECK(env.m->load_running);
        CHECK(kernel_fake_wait_load_held(env.fake, TEST_DEADLINE_USEC));

        /* Meanwhile guest a starts (on another worker thread) and commits. */
        r = test_call(&env, &q, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
        CHECK_OK(r);
        json_object_put(r);
        CHECK(kernel_state_find_mdev(&env.m->kernel, UUID_A) != NULL);

        /* The old read returns: the Reconcile is answered from a read made after the start. */
        kernel_fake_release_load(env.fake);
        r = test_client_receive(&env, &c);
        CHECK_OK(r);
        json_object_put(r);
        test_env_settle(&env);
        md = kernel_state_find_mdev(&env.m->kernel, UUID_A);
        CHECK(md && ap_mask_test(&md->assigned.apm, 5) && ap_mask_test(&md->assigned.aqm, 3));
        CHECK(model_differences(&env) == 0);
        CHECK(count_events(&sub, "guest-started|mdev-removed") == 1);

        /* A host mask write is not one mdev: a load it overlapped is read again as a whole. */
        kernel_fake_hold_load(env.fake);
        CHECK(test_client_send_raw(&c, reconcile, sizeof(reconcile)) >= 0);
        while (!env.m->load_running && sd_event_run(env.event, TEST_DEADLINE_USEC) > 0)
                ;
        CHECK(kernel_fake_wait_load_held(env.fake, TEST_DEADLINE_USEC));
        r = test_call(&env, &q, "io.apctl.Host.Release", "{\"domains\":[200]}");
        CHECK_OK(r);
        json_object_put(r);
        kernel_fake_release_load(env.fake);
        r = test_client_receive(&env, &c);
        CHECK_OK(r);
        json_object_put(r);
        test_env_settle(&env);
        CHECK(ap_mask_test(&env.m->kernel.aqmask, 200) == false);
        CHECK(model_differences(&env) == 0);
        CHECK(kernel_state_find_mdev(&env.m->kernel, UUID_A) != NULL);
        /* One masks-changed, the release's: the old load never put the old masks back into the model. */
        CHECK(count_events(&sub, "masks-changed") == 1);
        test_client_close(&c);
        test_client_close(&q);
        test_client_close(&sub);
        test_env_done(&env);
        tap_case_end("a kernel re-read that overlapped a Start keeps the started mdev; one a mask write overlapped is read again");
}

/*
 * Another party (mdevctl, libvirt, an admin) removes a running guest's
 * mdev while an Attach writes to it. The job's kept files then answer
 * -ENODEV; the rollback must plan from the mdev as it is now (gone: it
 * makes it again), not fail on the dead files and leave apctld refusing
 * every change until restarted. On the sysfs backend, whose files a job
 * keeps; the spy removes the mdev after the Attach's first write.
 */
static void test_mdev_removed_mid_job_rolls_back(const char *python, const char *tree_script) {
        TestEnv env;
        TestClient c;
        KernelBackend *b, *spy = NULL;
        json_object *r;
        char mdev[PATH_MAX];
        struct stat st;

        if (!python || !tree_script) {
                printf("ok %u - mdev removed mid-job # SKIP no python3 to build the synthetic tree\n", ++tap.cases);
                return;
        }
        CHECK(test_sysfs_env_prepare(&env, python, tree_script) >= 0);
        CHECK(kernel_sysfs_new(env.sysfs_root, &b) >= 0);
        CHECK(test_spy_new(b, env.sysfs_root, &spy) >= 0);
        CHECK(test_env_start_manager(&env, kernel_backend_ref(spy), NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        r = test_call(&env, &c, "io.apctl.Guest.Define",
                      "{\"name\":\"a\",\"uuid\":\"" UUID_A "\",\"adapters\":[0],\"domains\":[1,2,3],"
                      "\"control_domains\":[1]}");
        CHECK_OK(r);
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Guest.Start", "{\"name\":\"a\"}");
        CHECK_OK(r);
        json_object_put(r);

        test_spy_remove_mdev_after_writes(spy, 1);
        r = test_call(&env, &c, "io.apctl.Guest.Attach", "{\"name\":\"a\",\"adapters\":[1],\"domains\":[4,5]}");
        CHECK_ERROR(r, "io.apctl.NoSuchDevice");
        if (!CHECK(r && strstr(reply_message(r), "(rolled back)")))
                tap_diag("  %s", reply_message(r));
        json_object_put(r);
        test_env_settle(&env);
        CHECK(!env.m->recovery_failed && !journal_exists(&env));
        /* The rollback made the mdev again, and apctld's model has it. */
        snprintf(mdev, sizeof(mdev), "%s/devices/vfio_ap/matrix/" UUID_A, env.sysfs_root);
        CHECK(stat(mdev, &st) >= 0 && S_ISDIR(st.st_mode));
        CHECK(kernel_state_find_mdev(&env.m->kernel, UUID_A) != NULL);
        r = test_call(&env, &c, "io.apctl.Status", NULL);
        CHECK(r && !json_object_get_boolean(json_object_object_get(reply_params(r), "recovery_needed")));
        json_object_put(r);
        /* Changes go on. */
        r = test_call(&env, &c, "io.apctl.Guest.Define", "{\"name\":\"later\"}");
        CHECK_OK(r);
        json_object_put(r);

        test_client_close(&c);
        test_env_done(&env);
        kernel_backend_free(spy);
        tap_case_end("an mdev removed by another party mid-Attach: the job's kept files fail, the rollback plans "
                     "from no mdev, and changes go on");
}

/* usage: test-daemon-transactions [PYTHON3 DAEMON-SYSFS-TREE.PY] */
/*
 * A second apctld on the same runtime directory would write into the first
 * one's journal slots and remove its entries: it refuses to start, saying
 * why, before it touches the socket (it would unlink the first one's and
 * bind its own), and the first one goes on answering there.
 */
static void test_second_daemon_refused(void) {
        TestEnv env, second;
        TestClient c = { .fd = -EBADF };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *log_text = NULL;
        char log_path[256], expected[256];
        KernelBackend *b = NULL;
        int saved_stderr, log_fd, r;
        json_object *reply;

        if (!CHECK(test_env_start(&env, NULL, NULL) >= 0))
                goto out;
        second = env;
        second.m = NULL;
        /* Its log, from stderr. */
        snprintf(log_path, sizeof(log_path), "%s/second.log", env.dir);
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        CHECK(log_fd >= 0 && saved_stderr >= 0);
        fflush(stderr);
        (void) dup2(log_fd, STDERR_FILENO);
        log_set_target(LOG_TARGET_STDERR);
        r = kernel_fake_share(env.fake, &b);
        if (r >= 0)
                r = test_env_start_manager(&second, b, NULL);
        second.m = manager_free(second.m);
        fflush(stderr);
        log_set_target(getenv("APCTLD_TEST_LOG") ? LOG_TARGET_STDERR : LOG_TARGET_NULL);
        (void) dup2(saved_stderr, STDERR_FILENO);
        safe_close(saved_stderr);
        safe_close(log_fd);
        if (!CHECK(r == -EBUSY))
                tap_diag("the second apctld's start returned %d", r);
        snprintf(expected, sizeof(expected), "another apctld holds the runtime directory %s", env.runtime_dir);
        CHECK(read_file(log_path, 1 << 16, &log_text, NULL) >= 0);
        if (!CHECK(log_text && strstr(log_text, expected)))
                tap_diag("its log: %s", log_text ?: "(none)");
        /* The first one still answers on its socket. */
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/apctld.sock", env.dir);
        c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (CHECK(c.fd >= 0 && connect(c.fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0)) {
                reply = test_call(&env, &c, "io.apctl.Status", NULL);
                CHECK_OK(reply);
                json_object_put(reply);
        }
        test_client_close(&c);
out:
        test_env_done(&env);
        tap_case_end("a second apctld on the same runtime directory refuses to start; the first one's socket answers");
}

int main(int argc, char *argv[]) {
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
                test_fail_every_step(&scenarios[i]);
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
                test_crash_every_step(&scenarios[i]);
        test_rollback_fails(&scenarios[0]);
        test_rollback_fails(&scenarios[2]);
        test_rollback_fails(&scenarios[6]);
        test_roll_forward();
        test_timeout_keeps_answering();
        test_kernel_refusal_names_error();
        test_rollback_read_fails();
        test_read_fails_before_any_write();
        test_reconcile_behind_hung_read();
        test_reconcile_waiters_limited();
        test_journal_unwritable_writes_nothing();
        test_crash_while_stuck();
        test_crash_while_two_stuck();
        test_old_style_entry_recovered();
        test_worker_after_hung_write();
        test_changes_queue_behind_transaction();
        test_mdev_uevent_reread();
        test_reread_overlapping_write();
        test_state_file_only_on_desired_change();
        test_stale_commit_marker_dropped();
        test_commit_by_removal_fails();
        test_second_daemon_refused();
        test_mdev_removed_mid_job_rolls_back(argc > 2 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL);
        return tap_finish();
}
