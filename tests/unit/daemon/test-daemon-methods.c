/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every io.apctl method against the fake kernel: what the client gets back,
 * what the kernel ends up with, and what is persisted.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autostart-done.h"
#include "daemon-test.h"
#include "fileio.h"
#include "json-ap.h"
#include "log.h"
#include "policy-adapter.h"
#include "policy.h"
#include "server.h"
#include "utf8.h"

#define ADMIN 4242
#define USER 1000
#define UUID_AUTO "11111111-2222-4333-8444-666666666666"
#define UUID_AUTO_B "11111111-2222-4333-8444-777777777777"

static ApMask mask_from_reply(json_object *params, const char *key) {
        ApMask m = {};
        json_object *v;

        if (params && json_object_object_get_ex(params, key, &v))
                (void) json_parse_ap_mask(key, v, &m, NULL);
        return m;
}

static const char *str_field(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static bool bool_field(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

#define CALL(method, params) (json_object_put(reply), reply = test_call(&env, &c, (method), (params)))

static void test_service(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL, *v;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, USER, &c) >= 0);
        CALL("org.varlink.service.GetInfo", NULL);
        CHECK_OK(reply);
        CHECK(json_object_object_get_ex(reply_params(reply), "interfaces", &v) && json_object_array_length(v) == 2);
        CALL("org.varlink.service.GetInterfaceDescription", "{\"interface\":\"io.apctl\"}");
        CHECK_OK(reply);
        CHECK(strstr(str_field(reply_params(reply), "description") ?: "", "method Guest.Start") != NULL);
        CALL("org.varlink.service.GetInterfaceDescription", "{\"interface\":\"com.example\"}");
        CHECK_ERROR(reply, "org.varlink.service.InterfaceNotFound");
        CALL("io.apctl.NoSuchMethod", NULL);
        CHECK_ERROR(reply, "org.varlink.service.MethodNotFound");
        CALL("com.example.Foo", NULL);
        CHECK_ERROR(reply, "org.varlink.service.InterfaceNotFound");
        CALL("io.apctl.Policy.Reload", NULL);
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        CALL("io.apctl.Status", "{\"verbose\":true}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CHECK_STREQ(str_field(reply_params(reply), "parameter"), "verbose");
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("GetInfo, GetInterfaceDescription, unknown methods and interfaces, unknown parameters");
}

static void test_host_list_and_reservation(void) {
        TestEnv env;
        TestClient c, user;
        json_object *reply = NULL, *cards, *card, *queues, *q;
        ApMask apm, aqm, want;
        char *before, *after;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(test_client_connect(&env, USER, &user) >= 0);
        CALL("io.apctl.Host.List", NULL);
        CHECK_OK(reply);
        CHECK(json_object_object_get_ex(reply_params(reply), "cards", &cards) && json_object_array_length(cards) == 3);
        card = json_object_array_get_idx(cards, 0);
        CHECK(json_object_object_get_ex(card, "queues", &queues) && json_object_array_length(queues) == 16);
        q = json_object_array_get_idx(queues, 3);
        CHECK_STREQ(str_field(q, "apqn"), "05.0003");
        CHECK_STREQ(str_field(q, "owner"), "host");
        CHECK(!bool_field(json_object_array_get_idx(cards, 2), "vfio_capable"));

        /* Release: adapters leave the host in the kernel and in the persisted state. */
        before = state_file(&env);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        CHECK_OK(reply);
        fake_masks(&env, &apm, &aqm);
        CHECK(!ap_mask_test(&apm, 5) && !ap_mask_test(&apm, 6) && ap_mask_test(&apm, 7));
        after = state_file(&env);
        CHECK(strcmp(before, after) != 0);
        free(before);
        free(after);
        CALL("io.apctl.Host.List", NULL);
        cards = NULL;
        json_object_object_get_ex(reply_params(reply), "cards", &cards);
        json_object_object_get_ex(json_object_array_get_idx(cards, 0), "queues", &queues);
        CHECK_STREQ(str_field(json_object_array_get_idx(queues, 0), "owner"), "free");
        CHECK_STREQ(str_field(json_object_array_get_idx(queues, 0), "driver"), "vfio_ap");

        /* Reserve back adapter 6 with a string id list. */
        CALL("io.apctl.Host.Reserve", "{\"adapters\":\"6\"}");
        CHECK_OK(reply);
        want = mask_from_reply(reply_params(reply), "adapters");
        CHECK(ap_mask_test(&want, 6) && !ap_mask_test(&want, 5));
        fake_masks(&env, &apm, &aqm);
        CHECK(ap_mask_test(&apm, 6));
        CALL("io.apctl.Host.Reserve", "{}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CALL("io.apctl.Host.Reserve", "{\"adapters\":[300]}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CALL("io.apctl.Host.Reserve", "{\"adapters\":[1,1]}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");

        /* Unprivileged peers may look but not change. */
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Host.Release", "{\"adapters\":[7]}");
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Host.List", NULL);
        CHECK_OK(reply);
        json_object_put(reply);
        test_client_close(&c);
        test_client_close(&user);
        test_env_done(&env);
        tap_case_end("Host.List owners and drivers; Host.Release/Reserve change kernel and state; privilege");
}

static void test_guest_lifecycle(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL, *p, *list;
        MdevState md;
        char uuid[UUID_STRING_LEN + 1] = "";

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);

        /* Everything is with the host at first: defining a guest there is refused. */
        CALL("io.apctl.Guest.Define", "{\"name\":\"web01\",\"adapters\":[5],\"domains\":[1,2]}");
        CHECK_ERROR(reply, "io.apctl.ReservedByHost");
        CHECK(strstr(reply_message(reply), "05.0001") != NULL);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5,6,7,9]}");
        CHECK_OK(reply);

        CALL("io.apctl.Guest.Define",
             "{\"name\":\"web01\",\"adapters\":[5],\"domains\":[1,2],\"control_domains\":[1],\"autostart\":false}");
        CHECK_OK(reply);
        p = reply_params(reply);
        snprintf(uuid, sizeof(uuid), "%s", str_field(p, "uuid") ?: "");
        CHECK(uuid_is_valid(uuid));
        CHECK(!bool_field(p, "running"));
        CHECK(!fake_mdev(&env, uuid, &md));

        CALL("io.apctl.Guest.Define", "{\"name\":\"web01\",\"adapters\":[6],\"domains\":[1]}");
        CHECK_ERROR(reply, "io.apctl.GuestExists");
        CALL("io.apctl.Guest.Define", "{\"name\":\"db01\",\"adapters\":[5],\"domains\":[2,3]}");
        CHECK_ERROR(reply, "io.apctl.Conflict");
        CHECK(strstr(reply_message(reply), "web01") && strstr(reply_message(reply), "05.0002"));
        CALL("io.apctl.Guest.Define", "{\"name\":\"db01\",\"adapters\":[6],\"domains\":[5],\"control_domains\":[2]}");
        CHECK_OK(reply);
        /* db01 now also on adapter 5 would control web01's usage domain 2? No: 2 is only its control domain. */
        CALL("io.apctl.Guest.Attach", "{\"name\":\"db01\",\"adapters\":[5]}");
        CHECK_ERROR(reply, "io.apctl.Conflict");
        CHECK(strstr(reply_message(reply), "control domain 2") != NULL);
        CALL("io.apctl.Guest.Define", "{\"name\":\"old\",\"adapters\":[7],\"domains\":[0]}");
        CHECK_ERROR(reply, "io.apctl.UnsupportedCard");
        CALL("io.apctl.Guest.Define", "{\"name\":\"ghost\",\"adapters\":[9],\"domains\":[0]}");
        CHECK_ERROR(reply, "io.apctl.NoSuchDevice");
        CALL("io.apctl.Guest.Define", "{\"name\":\"ghost\",\"adapters\":[9],\"domains\":[0],\"overprovision\":true}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Define", "{\"name\":\"-bad\"}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CALL("io.apctl.Guest.Define", "{\"name\":\"x\",\"uuid\":\"not-a-uuid\"}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CALL("io.apctl.Guest.Define", "{\"name\":\"x\",\"colour\":\"red\"}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CHECK_STREQ(str_field(reply_params(reply), "parameter"), "colour");

        /* Start: the kernel gets the mdev with exactly the definition. */
        CALL("io.apctl.Guest.Start", "{\"name\":\"web01\"}");
        CHECK_OK(reply);
        CHECK(bool_field(reply_params(reply), "running"));
        CHECK(fake_mdev(&env, uuid, &md));
        CHECK(ap_mask_test(&md.assigned.apm, 5) && ap_mask_count(&md.assigned.aqm) == 2 &&
              ap_mask_test(&md.assigned.adm, 1));
        CALL("io.apctl.Guest.Start", "{\"name\":\"web01\"}");
        CHECK_ERROR(reply, "io.apctl.GuestRunning");
        CALL("io.apctl.Guest.Start", "{\"name\":\"nobody\"}");
        CHECK_ERROR(reply, "io.apctl.NoSuchGuest");

        /* The host cannot take back an APQN a running guest holds; the error names the guest. */
        CALL("io.apctl.Host.Reserve", "{\"adapters\":[5]}");
        CHECK_ERROR(reply, "io.apctl.Conflict");
        CHECK(strstr(reply_message(reply), "web01") && strstr(reply_message(reply), "running"));

        /* Hot plug and unplug. */
        CALL("io.apctl.Guest.Attach", "{\"name\":\"web01\",\"domains\":[3]}");
        CHECK_OK(reply);
        CHECK(fake_mdev(&env, uuid, &md) && ap_mask_test(&md.assigned.aqm, 3) && ap_mask_test(&md.guest_aqm, 3));
        CALL("io.apctl.Guest.Detach", "{\"name\":\"web01\",\"domains\":[1]}");
        CHECK_OK(reply);
        CHECK(fake_mdev(&env, uuid, &md) && !ap_mask_test(&md.assigned.aqm, 1) && ap_mask_count(&md.assigned.aqm) == 2);
        CALL("io.apctl.Guest.Attach", "{\"name\":\"web01\"}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        /* Modify with live=false changes only the definition. */
        CALL("io.apctl.Guest.Modify", "{\"name\":\"web01\",\"domains\":[4],\"live\":false}");
        CHECK_OK(reply);
        CHECK(fake_mdev(&env, uuid, &md) && !ap_mask_test(&md.assigned.aqm, 4));
        CALL("io.apctl.Guest.Modify", "{\"name\":\"web01\",\"domains\":[4,5],\"autostart\":true}");
        CHECK_OK(reply);
        CHECK(fake_mdev(&env, uuid, &md) && ap_mask_test(&md.assigned.aqm, 4) && ap_mask_test(&md.assigned.aqm, 5) &&
              ap_mask_count(&md.assigned.aqm) == 2);

        CALL("io.apctl.Guest.Show", "{\"name\":\"web01\"}");
        CHECK_OK(reply);
        CHECK(bool_field(reply_params(reply), "running") && bool_field(reply_params(reply), "autostart"));
        CALL("io.apctl.Guest.List", NULL);
        CHECK(json_object_object_get_ex(reply_params(reply), "guests", &list) && json_object_array_length(list) == 3);

        CALL("io.apctl.Guest.Undefine", "{\"name\":\"web01\"}");
        CHECK_ERROR(reply, "io.apctl.GuestRunning");
        CALL("io.apctl.Guest.Stop", "{\"name\":\"web01\"}");
        CHECK_OK(reply);
        CHECK(!fake_mdev(&env, uuid, &md));
        CALL("io.apctl.Guest.Stop", "{\"name\":\"web01\"}");
        CHECK_ERROR(reply, "io.apctl.GuestNotRunning");
        CALL("io.apctl.Guest.Undefine", "{\"name\":\"web01\"}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Show", "{\"name\":\"web01\"}");
        CHECK_ERROR(reply, "io.apctl.NoSuchGuest");

        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("Guest define/start/attach/detach/modify/show/list/stop/undefine with every refusal");
}

static void test_persistence_and_restart(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL, *list;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5]}");
        CALL("io.apctl.Guest.Define", "{\"name\":\"a\",\"adapters\":[5],\"domains\":[0],\"autostart\":true}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Define", "{\"name\":\"b\",\"adapters\":[5],\"domains\":[1]}");
        CHECK_OK(reply);
        json_object_put(reply);
        reply = NULL;
        test_client_close(&c);

        /* A restart on a kernel that lost its mdevs (a reboot): definitions survive, autostart runs. */
        CHECK(test_env_restart(&env, NULL) >= 0);
        test_env_settle(&env);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Guest.List", NULL);
        CHECK(json_object_object_get_ex(reply_params(reply), "guests", &list) && json_object_array_length(list) == 2);
        CHECK(bool_field(json_object_array_get_idx(list, 0), "running"));   /* a: autostart */
        CHECK(!bool_field(json_object_array_get_idx(list, 1), "running"));  /* b: manual */
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("definitions persist across restarts; autostart starts only autostart guests");
}

/* A new boot: the runtime directory (a tmpfs) starts empty. */
static int test_env_reboot(TestEnv *env) {
        char cmd[160];

        test_env_stop_manager(env);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->runtime_dir);
        if (system(cmd) != 0)
                return -EIO;
        return test_env_restart(env, NULL);
}

static void test_autostart_waits_for_bindings(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL;
        MdevState md;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[6]}");
        CALL("io.apctl.Guest.Define",
             "{\"name\":\"auto\",\"uuid\":\"11111111-2222-4333-8444-555555555555\",\"adapters\":[6],\"domains\":[2],"
             "\"autostart\":true}");
        CHECK_OK(reply);
        json_object_put(reply);
        test_client_close(&c);

        /* Bindings incomplete at start: apctld must force a scan and start the guest only after it. */
        kernel_fake_set_bindings_complete(env.fake, false);
        CHECK(test_env_restart(&env, NULL) >= 0);
        CHECK(!env.m->kernel.bindings_complete);
        /* Start-up reconcile ran: it must not have started the guest, only asked for a scan. */
        CHECK(env.m->txn == NULL);
        CHECK(env.m->rescan_requested);
        test_env_settle(&env);
        CHECK(env.m->rescan_requested);
        CHECK(fake_mdev(&env, "11111111-2222-4333-8444-555555555555", &md));

        /* A boot with vfio_ap not loaded at start: autostart waits for it instead of failing once for good. */
        CHECK(env.fake->ops->mdev_remove(env.fake, NULL, "11111111-2222-4333-8444-555555555555") >= 0);
        kernel_fake_set_matrix_present(env.fake, false);
        CHECK(test_env_reboot(&env) >= 0);
        test_env_settle(&env);
        CHECK(!fake_mdev(&env, "11111111-2222-4333-8444-555555555555", &md));
        kernel_fake_set_matrix_present(env.fake, true);
        CHECK(manager_resync(env.m) >= 0);      /* what the matrix device's uevent triggers */
        test_env_settle(&env);
        CHECK(fake_mdev(&env, "11111111-2222-4333-8444-555555555555", &md));
        test_env_done(&env);
        tap_case_end("autostart waits for vfio_ap and bindings complete, forcing a scan to get there");
}

/*
 * Guest a on adapter 5 started, then made autostart while it runs, and an
 * explicit Reconcile after that: autostart has not handled it (it was
 * running when autostart looked).
 */
static void autostart_guest_running_unhandled(TestEnv *env, TestClient *c) {
        static const char *const calls[][2] = {
                { "io.apctl.Host.Release", "{\"adapters\":[5]}" },
                { "io.apctl.Guest.Define",
                  "{\"name\":\"a\",\"uuid\":\"" UUID_AUTO "\",\"adapters\":[5],\"domains\":[1]}" },
                { "io.apctl.Guest.Start", "{\"name\":\"a\"}" },
                { "io.apctl.Guest.Modify", "{\"name\":\"a\",\"autostart\":true}" },
                { "io.apctl.Reconcile", NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                json_object *reply = test_call(env, c, calls[i][0], calls[i][1]);

                if (!CHECK(reply && !reply_error(reply)))
                        tap_diag("%s failed", calls[i][0]);
                json_object_put(reply);
        }
}

/*
 * Autostart runs once per boot: an autostart guest the admin stops stays
 * stopped, also one that was already running when autostart first looked
 * (made autostart while running, or running when apctld started), and
 * also after an explicit Reconcile while it ran. It started again at the
 * reconcile after the Stop; a Guest.Undefine right after the Stop then
 * raced that start (and lost: io.apctl.GuestRunning).
 */
static void test_stopped_autostart_guest_stays_stopped(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL;
        MdevState md;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        autostart_guest_running_unhandled(&env, &c);
        CALL("io.apctl.Guest.Stop", "{\"name\":\"a\"}");
        CHECK_OK(reply);
        test_env_settle(&env);
        if (!CHECK(!fake_mdev(&env, UUID_AUTO, &md)))
                tap_diag("made autostart while running, then stopped: started again");
        CALL("io.apctl.Guest.Undefine", "{\"name\":\"a\"}");
        CHECK_OK(reply);

        /* Running when apctld starts: autostart has nothing to do, and a Stop is not undone either. */
        CALL("io.apctl.Guest.Define", "{\"name\":\"b\",\"uuid\":\"" UUID_AUTO "\",\"adapters\":[5],"
                                      "\"domains\":[1],\"autostart\":true}");
        CHECK_OK(reply);
        test_env_settle(&env);
        CHECK(fake_mdev(&env, UUID_AUTO, &md));
        json_object_put(reply);
        reply = NULL;
        test_client_close(&c);
        CHECK(test_env_restart(&env, NULL) >= 0);
        test_env_settle(&env);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Guest.Stop", "{\"name\":\"b\"}");
        CHECK_OK(reply);
        test_env_settle(&env);
        if (!CHECK(!fake_mdev(&env, UUID_AUTO, &md)))
                tap_diag("running at start-up, then stopped: started again");
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("an autostart guest the admin stops stays stopped, also one running when autostart first "
                     "looked");
}

/*
 * Only a Stop that happened keeps autostart away: one the kernel refused
 * (rolled back, the guest still running) leaves the guest as eligible as
 * before. The guest then vanishes behind apctld's back: autostart starts
 * it. Guest.Stop marked its guest before the transaction ran, so a failed
 * Stop kept it stopped for the rest of the run. A Stop that outlives its
 * timeout and then completes keeps it stopped.
 */
static void test_failed_stop_keeps_autostart(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL;
        MdevState md;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        autostart_guest_running_unhandled(&env, &c);
        kernel_fake_fail_step(env.fake, 1, EIO);
        CALL("io.apctl.Guest.Stop", "{\"name\":\"a\"}");
        CHECK(reply && reply_error(reply));
        test_env_settle(&env);
        CHECK(fake_mdev(&env, UUID_AUTO, &md));

        CHECK(env.fake->ops->mdev_remove(env.fake, NULL, UUID_AUTO) >= 0);
        manager_schedule_resync(env.m);
        test_env_settle(&env);
        if (!CHECK(fake_mdev(&env, UUID_AUTO, &md)))
                tap_diag("a Stop the kernel refused kept the guest from autostart");

        /* A Stop whose kernel write outlives its timeout counts when it completes. */
        CALL("io.apctl.Reconcile", NULL);
        CHECK_OK(reply);
        env.m->config.kernel_timeout_usec = 200 * 1000;
        kernel_fake_block_step(env.fake, 1);
        CALL("io.apctl.Guest.Stop", "{\"name\":\"a\"}");
        CHECK(reply && reply_error(reply) && streq(reply_error(reply), "io.apctl.KernelTimeout"));
        env.m->config.kernel_timeout_usec = 60ULL * 1000 * 1000;
        kernel_fake_release(env.fake);
        test_env_settle(&env);
        CHECK(env.m->n_stuck == 0);
        if (!CHECK(!fake_mdev(&env, UUID_AUTO, &md)))
                tap_diag("a Stop that completed after its timeout: started again");
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("a Stop the kernel refused leaves an autostart guest eligible for autostart; one that "
                     "completes after its timeout keeps it stopped");
}

/*
 * Autostart runs once per boot, not once per run of apctld: after a
 * restart (on the same runtime directory) a guest the admin stopped stays
 * stopped, and one autostart started and that went away since is not
 * started again; after a new boot (an empty runtime directory) both are.
 * An explicit Reconcile still retries, also after a restart. The set
 * lived in memory only: a restart autostarted both again.
 */
static void test_autostart_once_per_boot(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL;
        MdevState md;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5]}");
        CALL("io.apctl.Guest.Define", "{\"name\":\"a\",\"uuid\":\"" UUID_AUTO "\",\"adapters\":[5],"
                                      "\"domains\":[1],\"autostart\":true}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Define", "{\"name\":\"b\",\"uuid\":\"" UUID_AUTO_B "\",\"adapters\":[5],"
                                      "\"domains\":[2],\"autostart\":true}");
        CHECK_OK(reply);
        test_env_settle(&env);
        CHECK(fake_mdev(&env, UUID_AUTO, &md));
        CHECK(fake_mdev(&env, UUID_AUTO_B, &md));
        CALL("io.apctl.Guest.Stop", "{\"name\":\"a\"}");
        CHECK_OK(reply);
        /* b goes away behind apctld's back (its mdev removed by hand). */
        CHECK(env.fake->ops->mdev_remove(env.fake, NULL, UUID_AUTO_B) >= 0);
        test_client_close(&c);

        CHECK(test_env_restart(&env, NULL) >= 0);
        test_env_settle(&env);
        if (!CHECK(!fake_mdev(&env, UUID_AUTO, &md)))
                tap_diag("stopped by the admin: autostarted again after a restart of apctld");
        if (!CHECK(!fake_mdev(&env, UUID_AUTO_B, &md)))
                tap_diag("autostarted already this boot: autostarted again after a restart of apctld");
        /* And after another restart, with nothing done in between. */
        CHECK(test_env_restart(&env, NULL) >= 0);
        test_env_settle(&env);
        CHECK(!fake_mdev(&env, UUID_AUTO, &md));
        CHECK(!fake_mdev(&env, UUID_AUTO_B, &md));

        CHECK(test_env_reboot(&env) >= 0);
        test_env_settle(&env);
        if (!CHECK(fake_mdev(&env, UUID_AUTO, &md) && fake_mdev(&env, UUID_AUTO_B, &md)))
                tap_diag("not autostarted after a new boot");

        /* Explicit Reconcile retries, also what an earlier run of apctld left alone. */
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Guest.Stop", "{\"name\":\"a\"}");
        CHECK_OK(reply);
        test_client_close(&c);
        CHECK(test_env_restart(&env, NULL) >= 0);
        test_env_settle(&env);
        CHECK(!fake_mdev(&env, UUID_AUTO, &md));
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Reconcile", NULL);
        CHECK_OK(reply);
        test_env_settle(&env);
        if (!CHECK(fake_mdev(&env, UUID_AUTO, &md)))
                tap_diag("an explicit Reconcile after a restart did not autostart the stopped guest");
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("autostart runs once per boot: a restart of apctld starts neither a guest the admin stopped nor "
                     "one autostart started already; a new boot or an explicit Reconcile does");
}

/*
 * The set is keyed by name: a guest undefined and defined again under the
 * same name is a new guest, autostarted as any other. The name stayed in
 * the set and the new guest was never started.
 */
static void test_redefined_autostart_guest_autostarts(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL;
        MdevState md;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5]}");
        CALL("io.apctl.Guest.Define", "{\"name\":\"a\",\"uuid\":\"" UUID_AUTO "\",\"adapters\":[5],"
                                      "\"domains\":[1],\"autostart\":true}");
        CHECK_OK(reply);
        test_env_settle(&env);
        CHECK(fake_mdev(&env, UUID_AUTO, &md));
        CALL("io.apctl.Guest.Stop", "{\"name\":\"a\"}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Undefine", "{\"name\":\"a\"}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Define", "{\"name\":\"a\",\"uuid\":\"" UUID_AUTO_B "\",\"adapters\":[5],"
                                      "\"domains\":[2],\"autostart\":true}");
        CHECK_OK(reply);
        test_env_settle(&env);
        if (!CHECK(fake_mdev(&env, UUID_AUTO_B, &md)))
                tap_diag("defined again under the name of a stopped guest: not autostarted");
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("an autostart guest undefined and defined again under its name is autostarted");
}

/* Restart apctld with its log (stderr) in log_path. */
static int test_env_restart_logging(TestEnv *env, const char *log_path) {
        int saved, fd, r;

        fflush(stderr);
        saved = dup(STDERR_FILENO);
        fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (saved < 0 || fd < 0 || dup2(fd, STDERR_FILENO) < 0)
                return -errno;
        close(fd);
        log_set_target(LOG_TARGET_STDERR);
        r = test_env_restart(env, NULL);
        test_env_settle(env);
        fflush(stderr);
        (void) dup2(saved, STDERR_FILENO);
        close(saved);
        log_set_target(getenv("APCTLD_TEST_LOG") ? LOG_TARGET_STDERR : LOG_TARGET_NULL);
        return r;
}

/*
 * A set file apctld cannot use (torn, edited, not guest names) is logged
 * by name and ignored: apctld starts, autostart does what it does after a
 * boot, and the file is written afresh.
 */
static void test_bad_autostart_file_ignored(void) {
        static const char *const bad[] = {
                "{\"guests\":[\"a\"",
                "{\"guests\":[\"../a\"]}",
                "{\"guests\":\"a\"}",
                "[]",
        };
        TestEnv env;
        TestClient c;
        json_object *reply = NULL;
        MdevState md;
        char log_path[160];

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        snprintf(log_path, sizeof(log_path), "%s/apctld.log", env.dir);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5]}");
        CALL("io.apctl.Guest.Define", "{\"name\":\"a\",\"uuid\":\"" UUID_AUTO "\",\"adapters\":[5],"
                                      "\"domains\":[1],\"autostart\":true}");
        CHECK_OK(reply);
        test_client_close(&c);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(autostart_done_clear) AutostartDone done = {};
                _cleanup_free_ char *log = NULL;
                JsonError e = {};

                CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
                test_env_settle(&env);
                CALL("io.apctl.Guest.Stop", "{\"name\":\"a\"}");
                CHECK_OK(reply);
                test_client_close(&c);
                test_env_stop_manager(&env);
                CHECK(write_file_replace(env.runtime_dir, AUTOSTART_DONE_FILE, bad[i], strlen(bad[i]), 0644) >= 0);
                CHECK(test_env_restart_logging(&env, log_path) >= 0);
                CHECK(read_file(log_path, 1 << 20, &log, NULL) >= 0);
                if (!CHECK(log && strstr(log, "Ignoring") && strstr(log, AUTOSTART_DONE_FILE)))
                        tap_diag("%s: no log line naming the file: %s", bad[i], log ?: "");
                if (!CHECK(fake_mdev(&env, UUID_AUTO, &md)))
                        tap_diag("%s: not autostarted", bad[i]);
                /* Written afresh: it lists what autostart did since. */
                CHECK(autostart_done_load(env.runtime_dir, &done, &e) >= 0);
                CHECK(autostart_done_contains(&done, "a"));
        }
        json_object_put(reply);
        test_env_done(&env);
        tap_case_end("an unusable autostart file is logged by name, ignored and written afresh");
}

static void test_mdevctl_import_export(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL, *def;
        char params[1024];
        MdevState md;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        /* Note "010": mdevctl hands it to the kernel, which reads octal 8. */
        snprintf(params, sizeof(params),
                 "{\"uuid\":\"62177883-f1bb-47f0-914d-32a22e3a8804\",\"name\":\"imported\",\"mdevctl\":"
                 "{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"auto\",\"attrs\":["
                 "{\"assign_adapter\":\"5\"},{\"assign_adapter\":\"0x06\"},{\"assign_domain\":\"010\"},"
                 "{\"assign_domain\":\"0xb\"},{\"unassign_adapter\":\"6\"},{\"assign_control_domain\":\"11\"}]}}");
        CALL("io.apctl.Guest.Import", params);
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Show", "{\"name\":\"imported\"}");
        CHECK(bool_field(reply_params(reply), "autostart"));
        {
                ApMask a = mask_from_reply(reply_params(reply), "adapters");
                ApMask d = mask_from_reply(reply_params(reply), "domains");
                CHECK(ap_mask_count(&a) == 1 && ap_mask_test(&a, 5));
                CHECK(ap_mask_count(&d) == 2 && ap_mask_test(&d, 8) && ap_mask_test(&d, 11));
        }
        CALL("io.apctl.Guest.Start", "{\"name\":\"imported\"}");
        CHECK_OK(reply);
        CHECK(fake_mdev(&env, "62177883-f1bb-47f0-914d-32a22e3a8804", &md) && ap_mask_test(&md.assigned.aqm, 8));

        CALL("io.apctl.Guest.Export", "{\"name\":\"imported\"}");
        CHECK_OK(reply);
        CHECK_STREQ(str_field(reply_params(reply), "path"),
                    "/etc/mdevctl.d/matrix/62177883-f1bb-47f0-914d-32a22e3a8804");
        CHECK(json_object_object_get_ex(reply_params(reply), "mdevctl", &def));
        CHECK_STREQ(str_field(def, "start"), "auto");
        CHECK(strstr(json_object_to_json_string_ext(def, JSON_C_TO_STRING_PLAIN), "\"assign_domain\":\"0x0008\"") != NULL);

        CALL("io.apctl.Guest.Import",
             "{\"uuid\":\"62177883-f1bb-47f0-914d-32a22e3a8805\",\"mdevctl\":{\"mdev_type\":\"vfio_ccw-io\",\"start\":\"auto\"}}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CALL("io.apctl.Guest.Import",
             "{\"uuid\":\"62177883-f1bb-47f0-914d-32a22e3a8805\",\"mdevctl\":{\"mdev_type\":\"vfio_ap-passthrough\","
             "\"start\":\"manual\",\"attrs\":[{\"assign_adapter\":\"5\",\"assign_domain\":\"1\"}]}}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CALL("io.apctl.Guest.Import", "{\"uuid\":\"62177883-f1bb-47f0-914d-32a22e3a8805\"}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("mdevctl import (ordered attrs, kernel number syntax) and export round trip");
}

static int int_field(json_object *o, const char *key) {
        json_object *v;

        return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

#define UUID_IMPORT "62177883-f1bb-47f0-914d-32a22e3a8806"
#define IMPORT_DEF "{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"manual\",\"attrs\":[{\"assign_adapter\":\"5\"},{\"assign_domain\":\"3\"}]}"

/* Guest.Import of path as c: the reply. */
static json_object *import_path(TestEnv *env, TestClient *c, const char *name, const char *path) {
        _cleanup_json_ json_object *params = json_object_new_object();

        if (!params || json_add_string(params, "uuid", UUID_IMPORT) < 0 || json_add_string(params, "name", name) < 0 ||
            json_add_string(params, "path", path) < 0)
                return NULL;
        return test_call(env, c, "io.apctl.Guest.Import", json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN));
}

/* InvalidParameter naming 'path', with errno err and what in its message. */
static bool check_bad_path(json_object *reply, int err, const char *what) {
        bool ok = CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");

        ok = CHECK_STREQ(str_field(reply_params(reply), "parameter"), "path") && ok;
        ok = CHECK(int_field(reply_params(reply), "errno") == err) && ok;
        if (!CHECK(strstr(reply_message(reply) ?: "", what) != NULL)) {
                tap_diag("  message without '%s': %s", what, reply_message(reply) ?: "(none)");
                ok = false;
        }
        return ok;
}

static void fifo_open_blocked(int sig) {
        static const char msg[] = "Bail out! Guest.Import of a FIFO blocked apctld's loop in open()\n";

        (void) sig;
        (void) !write(STDOUT_FILENO, msg, sizeof(msg) - 1);
        _exit(1);
}

/* env's policy directory (its path into dir) holding text as 50-test.conf, loaded into apctld. */
static void load_test_policy(TestEnv *env, const char *text, char *dir, size_t size, PolicyAdapter **ret) {
        _cleanup_free_ char *why = NULL;

        snprintf(dir, size, "%s/policy.d", env->dir);
        CHECK(mkdir_p(dir, 0755) >= 0);
        CHECK(write_file_atomic(dir, "50-test.conf", text, strlen(text), 0644) >= 0);
        if (!CHECK(policy_adapter_new(env->m, dir, POLICY_OWNER_ANY, ret, &why) >= 0))
                tap_diag("policy refused: %s", why ?: "?");
}

/*
 * Guest.Import's path: apctld reads it as root, on its event loop. Only
 * root may name one; what is not a regular file (a FIFO would block the
 * open(), the loop with it; a device node would be acted on) or is reached
 * through a symbolic link is refused as a bad 'path', as is a missing file.
 */
static void test_import_path_only_regular_files_for_root(void) {
        static const char policy_text[] = "[access nb]\nusers = 1000\nallow = read, guest-change\nguests = nb-*\n";
        _cleanup_(policy_adapter_freep) PolicyAdapter *adapter = NULL;
        TestEnv env;
        TestClient root, admin, user;
        json_object *reply = NULL;
        char dir[96], def[160], link[160], fifo[160], missing[160], policy_dir[128];

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        snprintf(dir, sizeof(dir), "%s/defs", env.dir);
        snprintf(def, sizeof(def), "%s/" UUID_IMPORT, dir);
        snprintf(link, sizeof(link), "%s/link", dir);
        snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
        snprintf(missing, sizeof(missing), "%s/missing", dir);
        CHECK(mkdir_p(dir, 0755) >= 0);
        CHECK(write_file_atomic(dir, UUID_IMPORT, IMPORT_DEF, strlen(IMPORT_DEF), 0644) >= 0);
        CHECK(symlink(def, link) == 0);
        CHECK(mkfifo(fifo, 0600) == 0);
        load_test_policy(&env, policy_text, policy_dir, sizeof(policy_dir), &adapter);
        CHECK(test_client_connect(&env, 0, &root) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &admin) >= 0);
        CHECK(test_client_connect(&env, USER, &user) >= 0);
        json_object_put(reply);
        reply = test_call(&env, &root, "io.apctl.Host.Release", "{\"adapters\":[5]}");
        CHECK_OK(reply);

        /* The policy lets USER change nb-*, the admin uid may change anything: neither may name a file. */
        json_object_put(reply);
        reply = import_path(&env, &user, "nb-y", def);
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        CHECK(strstr(reply_message(reply) ?: "", "'mdevctl'") != NULL);
        json_object_put(reply);
        reply = import_path(&env, &admin, "nb-y", def);
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        /* They send the definition itself. */
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Guest.Import",
                          "{\"uuid\":\"" UUID_IMPORT "\",\"name\":\"nb-y\",\"mdevctl\":" IMPORT_DEF "}");
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Guest.Undefine", "{\"name\":\"nb-y\"}");
        CHECK_OK(reply);

        json_object_put(reply);
        reply = import_path(&env, &root, "f-missing", missing);
        check_bad_path(reply, ENOENT, missing);
        json_object_put(reply);
        reply = import_path(&env, &root, "f-dir", dir);
        check_bad_path(reply, EISDIR, "is a directory");
        json_object_put(reply);
        reply = import_path(&env, &root, "f-link", link);
        check_bad_path(reply, ELOOP, "symbolic link");
        json_object_put(reply);
        reply = import_path(&env, &root, "f-dev", "/dev/null");
        check_bad_path(reply, EINVAL, "is a character device");
        json_object_put(reply);
        reply = import_path(&env, &root, "f-relative", "defs/" UUID_IMPORT);
        check_bad_path(reply, EINVAL, "not an absolute path");
        /* No writer ever comes: a blocking open() would never return, and the test with it. */
        signal(SIGALRM, fifo_open_blocked);
        alarm(TEST_DEADLINE_USEC / 1000000);
        json_object_put(reply);
        reply = import_path(&env, &root, "f-fifo", fifo);
        alarm(0);
        check_bad_path(reply, EINVAL, "is a FIFO");
        json_object_put(reply);
        reply = test_call(&env, &root, "io.apctl.Guest.List", NULL);
        CHECK(strstr(json_object_to_json_string(reply_params(reply)), "\"f-") == NULL);

        /* The regular file itself, named by root. */
        json_object_put(reply);
        reply = import_path(&env, &root, "f", def);
        CHECK_OK(reply);
        {
                ApMask d = mask_from_reply(reply_params(reply), "domains");
                CHECK(ap_mask_count(&d) == 1 && ap_mask_test(&d, 3));
        }
        json_object_put(reply);
        test_client_close(&root);
        test_client_close(&admin);
        test_client_close(&user);
        adapter = policy_adapter_free(adapter);
        test_env_done(&env);
        tap_case_end("Guest.Import's path: root only, regular files only, never a blocking open(), errors name 'path'");
}

/*
 * A definition file Guest.Import reads gets the key checks of a definition
 * sent inline: json-c would keep the last of two "attrs" and cut a key at
 * a NUL, so apctld would define something other than what the file says.
 */
static void test_import_path_checks_keys(void) {
        static const struct {
                const char *file, *text, *what;
        } cases[] = {
                { "twice", "{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"manual\","
                           "\"attrs\":[{\"assign_adapter\":\"5\"},{\"assign_domain\":\"3\"}],"
                           "\"attrs\":[{\"assign_adapter\":\"5\"},{\"assign_domain\":\"4\"}]}", "same key twice" },
                { "nul", "{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"manual\","
                         "\"attrs\":[{\"assign_adapter\":\"5\"},{\"assign_domain\\u0000x\":\"3\"}]}", "NUL character" },
        };
        TestEnv env;
        TestClient root;
        json_object *reply = NULL;
        char dir[96], path[160];

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        snprintf(dir, sizeof(dir), "%s/defs", env.dir);
        CHECK(mkdir_p(dir, 0755) >= 0);
        CHECK(test_client_connect(&env, 0, &root) >= 0);
        reply = test_call(&env, &root, "io.apctl.Host.Release", "{\"adapters\":[5]}");
        CHECK_OK(reply);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                CHECK(write_file_atomic(dir, cases[i].file, cases[i].text, strlen(cases[i].text), 0644) >= 0);
                snprintf(path, sizeof(path), "%s/%s", dir, cases[i].file);
                json_object_put(reply);
                reply = import_path(&env, &root, cases[i].file, path);
                check_bad_path(reply, EINVAL, path);
                if (!CHECK(strstr(reply_message(reply) ?: "", cases[i].what) != NULL))
                        tap_diag("  %s: %s", cases[i].file, reply_message(reply) ?: "(none)");
        }
        json_object_put(reply);
        reply = test_call(&env, &root, "io.apctl.Guest.List", NULL);
        CHECK(strstr(json_object_to_json_string(reply_params(reply)), "\"twice\"") == NULL);
        CHECK(strstr(json_object_to_json_string(reply_params(reply)), "\"nul\"") == NULL);
        json_object_put(reply);
        test_client_close(&root);
        test_env_done(&env);
        tap_case_end("Guest.Import's path: a file with a key given twice or holding a NUL is refused, naming the file");
}

/* A missing path of "é"×n (after an "a" for odd n) is quoted in the error, cut to fit at a character: the reply stays UTF-8. */
static void test_import_path_error_stays_utf8(void) {
        TestEnv env;
        TestClient root;
        unsigned bad = 0;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, 0, &root) >= 0);
        for (size_t n = 180; n <= 220; n++) {
                char path[2 * 220 + 3] = "/a";
                size_t start = 1 + n % 2;       /* odd n: "/a", so the cut falls at either byte of a character */
                json_object *reply;
                const char *msg;

                for (size_t i = 0; i < n; i++)
                        memcpy(path + start + 2 * i, "\xc3\xa9", 2);
                path[start + 2 * n] = 0;
                reply = import_path(&env, &root, "long", path);
                msg = reply_message(reply) ?: "";
                CHECK(str_field(reply_params(reply), "parameter") && streq(str_field(reply_params(reply), "parameter"), "path"));
                if (utf8_find_invalid(msg, strlen(msg)) != strlen(msg) && bad++ == 0)
                        tap_diag("n=%zu: the message is not UTF-8", n);
                json_object_put(reply);
        }
        CHECK(bad == 0);
        test_client_close(&root);
        test_env_done(&env);
        tap_case_end("Guest.Import's path error quoting a long non-ASCII path is cut at a character");
}

static void test_status_events_reconcile(void) {
        TestEnv env;
        TestClient c, sub;
        json_object *reply = NULL, *ev, *e, *drift;
        bool saw_define = false, saw_card_removed = false, saw_drift = false;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(test_client_connect(&env, USER, &sub) >= 0);
        json_object_put(reply);
        reply = test_call(&env, &sub, "io.apctl.Events.Subscribe", NULL);
        CHECK_ERROR(reply, "org.varlink.service.ExpectedMore");
        json_object_put(reply);
        reply = NULL;
        test_client_send_raw(&sub, SUBSCRIBE, sizeof(SUBSCRIBE));
        ev = test_client_receive(&env, &sub);
        CHECK(ev && bool_field(reply_params(ev), "subscribed") && bool_field(ev, "continues"));
        json_object_put(ev);

        CALL("io.apctl.Host.Release", "{\"adapters\":[5]}");
        CALL("io.apctl.Guest.Define", "{\"name\":\"g\",\"adapters\":[5],\"domains\":[0]}");
        CALL("io.apctl.Guest.Start", "{\"name\":\"g\"}");
        CHECK_OK(reply);
        /* The adapter disappears from the host: an event, and drift in Status. */
        CHECK(kernel_fake_remove_card(env.fake, 5) >= 0);
        CALL("io.apctl.Reconcile", NULL);
        CHECK_OK(reply);
        for (int i = 0; i < 200 && !(saw_define && saw_card_removed && saw_drift); i++) {
                ev = test_client_receive(&env, &sub);
                if (!ev)
                        break;
                if (json_object_object_get_ex(reply_params(ev), "event", &e)) {
                        const char *type = str_field(e, "type") ?: "";
                        saw_define |= strcmp(type, "guest-defined") == 0;
                        saw_card_removed |= strcmp(type, "card-removed") == 0;
                        saw_drift |= strcmp(type, "drift") == 0;
                }
                json_object_put(ev);
        }
        CHECK(saw_define);
        CHECK(saw_card_removed);
        CHECK(saw_drift);
        CALL("io.apctl.Status", NULL);
        CHECK_OK(reply);
        CHECK(json_object_object_get_ex(reply_params(reply), "drift", &drift) && json_object_array_length(drift) >= 1);
        CHECK(strstr(json_object_to_json_string(drift), "apqn-missing") != NULL);
        json_object_put(reply);
        test_client_close(&c);
        test_client_close(&sub);
        test_env_done(&env);
        tap_case_end("Events.Subscribe streams desired and kernel changes; drift in events and Status");
}

/* Whether Guest.Show says the guest runs with guest adapters exactly adapter (-1: not running). */
static bool guest_shows(TestEnv *env, TestClient *c, const char *name, int adapter) {
        char params[64];
        json_object *reply, *mdev, *ga;
        bool ok;

        snprintf(params, sizeof(params), "{\"name\":\"%s\"}", name);
        reply = test_call(env, c, "io.apctl.Guest.Show", params);
        ok = reply && !reply_error(reply) && bool_field(reply_params(reply), "running") == (adapter >= 0);
        if (ok && adapter >= 0)
                ok = json_object_object_get_ex(reply_params(reply), "mdev", &mdev) &&
                     json_object_object_get_ex(mdev, "guest_adapters", &ga) && json_object_array_length(ga) == 1 &&
                     json_object_get_int(json_object_array_get_idx(ga, 0)) == adapter;
        json_object_put(reply);
        return ok;
}

/*
 * A start or stop changes its mdev in the model in place (no copy of the
 * whole snapshot): mdevs added before, between and after others and
 * removed again keep the model sorted and findable, and each change is
 * announced as a whole diff would.
 */
/* Define, start, stop and undefine guest name (adapter 5, domain 0), each call answered without error. */
static void guest_round(TestEnv *env, TestClient *c, const char *name, const char *uuid) {
        static const char *const methods[] = { "io.apctl.Guest.Start", "io.apctl.Guest.Stop", "io.apctl.Guest.Undefine" };
        char params[256];
        json_object *reply;

        snprintf(params, sizeof(params), "{\"name\":\"%s\",\"uuid\":\"%s\",\"adapters\":[5],\"domains\":[0]}", name,
                 uuid);
        reply = test_call(env, c, "io.apctl.Guest.Define", params);
        CHECK_OK(reply);
        json_object_put(reply);
        snprintf(params, sizeof(params), "{\"name\":\"%s\"}", name);
        for (size_t i = 0; i < ELEMENTSOF(methods); i++) {
                reply = test_call(env, c, methods[i], params);
                CHECK_OK(reply);
                json_object_put(reply);
        }
        test_env_settle(env);
}

/*
 * Transaction events are built only when someone subscribes: a subscriber
 * still gets each one as before (its fields in order, time_usec within the
 * calls), and without subscribers they are counted the same in Status's
 * events_sent.
 */
static void test_transaction_events(void) {
        static const char *const guest_types[] = { "guest-defined", "guest-started", "guest-stopped", "guest-undefined" };
        TestEnv env;
        TestClient c, sub;
        json_object *reply = NULL, *ev, *e, *t, *host_reply = NULL;
        uint64_t before, after, sent0, sent1, sent2;
        size_t n_guest = 0, n_counted = 0;
        bool saw_host = false;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(test_client_connect(&env, USER, &sub) >= 0);
        test_client_send_raw(&sub, SUBSCRIBE, sizeof(SUBSCRIBE));
        json_object_put(test_client_receive(&env, &sub));
        before = manager_event_time_now();
        CALL("io.apctl.Host.Release", "{\"adapters\":[5]}");
        CHECK_OK(reply);
        host_reply = json_object_get(reply_params(reply));
        test_env_settle(&env);
        while (test_client_try_receive(&sub, &ev) > 0) {
                json_object *a, *d;

                if (json_object_object_get_ex(reply_params(ev), "event", &e) &&
                    streq(str_field(e, "type") ?: "", "host-reservation-changed")) {
                        saw_host = true;
                        CHECK(json_object_object_get_ex(e, "time_usec", &t) &&
                              (uint64_t) json_object_get_int64(t) >= before);
                        CHECK(host_reply && json_object_object_length(e) == 4 &&
                              json_object_object_get_ex(e, "adapters", &a) &&
                              json_object_object_get_ex(e, "domains", &d) &&
                              json_object_equal(a, json_object_object_get(host_reply, "adapters")) &&
                              json_object_equal(d, json_object_object_get(host_reply, "domains")));
                }
                json_object_put(ev);
        }
        sent0 = env.m->events_sent;
        before = manager_event_time_now();
        guest_round(&env, &c, "g", "62177883-f1bb-47f0-914d-32a22e3a8804");
        after = manager_event_time_now();
        sent1 = env.m->events_sent;
        while (test_client_try_receive(&sub, &ev) > 0) {
                const char *type;
                char want[512];

                if (!json_object_object_get_ex(reply_params(ev), "event", &e)) {
                        json_object_put(ev);
                        continue;
                }
                n_counted++;
                type = str_field(e, "type") ?: "";
                CHECK(json_object_object_get_ex(e, "time_usec", &t) &&
                      (uint64_t) json_object_get_int64(t) >= before && (uint64_t) json_object_get_int64(t) <= after);
                json_object_object_del(e, "time_usec");
                if (strncmp(type, "guest-", 6) == 0) {
                        snprintf(want, sizeof(want),
                                 "{\"type\":\"%s\",\"guest\":\"g\",\"uuid\":\"62177883-f1bb-47f0-914d-32a22e3a8804\","
                                 "\"config\":{\"adapters\":[5],\"domains\":[0],\"control_domains\":[]}}",
                                 n_guest < ELEMENTSOF(guest_types) ? guest_types[n_guest] : "?");
                        n_guest++;
                        if (!CHECK_STREQ(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN), want))
                                tap_diag("  event %zu", n_guest);
                }
                json_object_put(ev);
        }
        CHECK(saw_host);
        CHECK(n_guest == ELEMENTSOF(guest_types));
        if (!CHECK(sent1 - sent0 == n_counted))
                tap_diag("  events_sent +%llu, %zu received", (unsigned long long) (sent1 - sent0), n_counted);
        /* The same round with nobody listening counts the same events. */
        test_client_close(&sub);
        test_env_settle(&env);
        CHECK(server_n_subscriptions(env.m->server) == 0);
        sent2 = env.m->events_sent;
        guest_round(&env, &c, "h", "62177883-f1bb-47f0-914d-32a22e3a8805");
        if (!CHECK(env.m->events_sent - sent2 == n_counted))
                tap_diag("  events_sent +%llu", (unsigned long long) (env.m->events_sent - sent2));
        json_object_put(host_reply);
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("transaction events reach subscribers as before, and are counted the same without them");
}

static void test_start_stop_update_model_in_place(void) {
        static const char *const uuids[] = {
                "bbbbbbbb-0000-4000-8000-00000000000b", "cccccccc-0000-4000-8000-00000000000c",
                "aaaaaaaa-0000-4000-8000-00000000000a",
        };
        static const char *const names[] = { "b", "c", "a" };
        static const int adapters[] = { 5, 6, 5 };
        TestEnv env;
        TestClient c, sub;
        json_object *reply = NULL, *ev, *e;
        unsigned added = 0, removed = 0;
        char params[256];

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(test_client_connect(&env, USER, &sub) >= 0);
        test_client_send_raw(&sub, SUBSCRIBE, sizeof(SUBSCRIBE));
        json_object_put(test_client_receive(&env, &sub));
        CALL("io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        for (size_t i = 0; i < ELEMENTSOF(uuids); i++) {
                snprintf(params, sizeof(params),
                         "{\"name\":\"%s\",\"uuid\":\"%s\",\"adapters\":[%d],\"domains\":[%zu]}", names[i],
                         uuids[i], adapters[i], i + 1);
                CALL("io.apctl.Guest.Define", params);
                CHECK_OK(reply);
                snprintf(params, sizeof(params), "{\"name\":\"%s\"}", names[i]);
                CALL("io.apctl.Guest.Start", params);
                CHECK_OK(reply);
        }
        for (size_t i = 0; i < ELEMENTSOF(uuids); i++)
                CHECK(guest_shows(&env, &c, names[i], adapters[i]));
        CALL("io.apctl.Guest.Stop", "{\"name\":\"a\"}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Stop", "{\"name\":\"c\"}");
        CHECK_OK(reply);
        CHECK(guest_shows(&env, &c, "a", -1));
        CHECK(guest_shows(&env, &c, "b", 5));
        CHECK(guest_shows(&env, &c, "c", -1));
        CALL("io.apctl.Guest.Start", "{\"name\":\"c\"}");
        CHECK_OK(reply);
        CHECK(guest_shows(&env, &c, "c", 6));
        for (int i = 0; i < 200 && (added < 4 || removed < 2); i++) {
                ev = test_client_receive(&env, &sub);
                if (!ev)
                        break;
                if (json_object_object_get_ex(reply_params(ev), "event", &e)) {
                        const char *type = str_field(e, "type") ?: "";
                        added += strcmp(type, "mdev-added") == 0;
                        removed += strcmp(type, "mdev-removed") == 0;
                }
                json_object_put(ev);
        }
        CHECK(added == 4);
        CHECK(removed == 2);
        json_object_put(reply);
        test_client_close(&c);
        test_client_close(&sub);
        test_env_done(&env);
        tap_case_end("starts and stops change their mdev in the model in place, sorted, with mdev events");
}

static void test_drift_never_silently_fixed(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL, *drift;
        const char *text;
        MdevState md;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        CALL("io.apctl.Guest.Define", "{\"name\":\"g\",\"uuid\":\"" "cccccccc-0000-4000-8000-00000000000c"
             "\",\"adapters\":[5,6],\"domains\":[1,2]}");
        CALL("io.apctl.Guest.Start", "{\"name\":\"g\"}");
        CHECK_OK(reply);

        /* Adapter 6 leaves the host configuration; someone unassigns domain 2 by hand. */
        CHECK(kernel_fake_set_card_config(env.fake, 6, false) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, "cccccccc-0000-4000-8000-00000000000c",
                                         KERNEL_ASSIGN_DOMAIN, 2, false) >= 0);
        CALL("io.apctl.Reconcile", NULL);
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Show", "{\"name\":\"g\"}");
        CHECK(json_object_object_get_ex(reply_params(reply), "drift", &drift));
        text = drift ? json_object_to_json_string(drift) : "";
        CHECK(strstr(text, "adapter-filtered") != NULL);
        CHECK(strstr(text, "mdev-changed") != NULL);
        /* Reported, not "repaired": the running mdev keeps what the kernel has. */
        test_env_settle(&env);
        CHECK(fake_mdev(&env, "cccccccc-0000-4000-8000-00000000000c", &md));
        CHECK(!ap_mask_test(&md.assigned.aqm, 2));
        CHECK(!ap_mask_test(&md.guest_apm, 6) && ap_mask_test(&md.guest_apm, 5));
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("deconfigured adapter and hand-edited mdev show as drift and are left alone");
}

/* A policy engine stand-in: uid 1000 may change guest "mine" only; adapter 6 is for nobody. */
static int hook_may_call(void *userdata, const PeerCredentials *peer, const char *method, bool mutating,
                         const char *guest, char *reason, size_t size) {
        (*(unsigned *) userdata)++;
        if (!mutating || peer->uid == ADMIN)
                return 0;
        if (peer->uid == USER && guest && strcmp(guest, "mine") == 0)
                return 0;
        snprintf(reason, size, "uid %u may only change guest 'mine'", peer->uid);
        return -EACCES;
}

static int hook_may_assign(void *userdata, const PeerCredentials *peer, const char *guest, const ApConfig *config,
                           char *reason, size_t size) {
        if (!ap_mask_test(&config->apm, 6))
                return 0;
        snprintf(reason, size, "adapter 6 is reserved for testing");
        return -EACCES;
}

static void test_policy_hook(void) {
        TestEnv env;
        TestClient c, user;
        json_object *reply = NULL;
        unsigned calls = 0;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        env.m->policy = (PolicyHook) { .may_call = hook_may_call, .may_assign = hook_may_assign, .userdata = &calls };
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CHECK(test_client_connect(&env, USER, &user) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Define", "{\"name\":\"x\",\"adapters\":[6],\"domains\":[1]}");
        CHECK_ERROR(reply, "io.apctl.PolicyDenied");
        CHECK(strstr(reply_message(reply), "adapter 6 is reserved") != NULL);
        json_object_put(reply);
        /* The hook decides instead of the built-in uid check, with the guest the call names. */
        reply = test_call(&env, &user, "io.apctl.Guest.Define", "{\"name\":\"mine\",\"adapters\":[5],\"domains\":[1]}");
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Guest.Define", "{\"name\":\"theirs\",\"adapters\":[5],\"domains\":[2]}");
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        CHECK(strstr(reply_message(reply), "only change guest 'mine'") != NULL);
        /* Only the user's two calls: --admin-uid stands for root, whose access no policy limits. */
        CHECK(calls == 2);
        json_object_put(reply);
        /* A hook without reload: there is no policy directory to load again. */
        reply = test_call(&env, &c, "io.apctl.Policy.Reload", NULL);
        CHECK_ERROR(reply, "io.apctl.InvalidPolicy");
        json_object_put(reply);
        test_client_close(&c);
        test_client_close(&user);
        test_env_done(&env);
        tap_case_end("the policy hook decides access (with the guest named) and placement (PolicyDenied)");
}

static void test_policy_library(void) {
        static const char policy_text[] =
                "[defaults]\n"
                "read-group = none\n"
                "[access testers]\n"
                "users = 1000\n"
                "allow = read, guest-change\n"
                "guests = mine*\n"
                "[access readers]\n"
                "groups = 777\n"
                "allow = read\n"
                "[guest mine*]\n"
                "adapters = 5\n"
                "usage-domains = 0-7\n";
        _cleanup_(policy_adapter_freep) PolicyAdapter *adapter = NULL;
        TestEnv env;
        TestClient root, user, other;
        json_object *reply = NULL;
        char dir[128];

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        load_test_policy(&env, policy_text, dir, sizeof(dir), &adapter);
        CHECK(test_client_connect(&env, 0, &root) >= 0);
        CHECK(test_client_connect(&env, 1000, &user) >= 0);
        CHECK(test_client_connect(&env, 1001, &other) >= 0);

        reply = test_call(&env, &root, "io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Guest.Define", "{\"name\":\"mine1\",\"adapters\":[5],\"domains\":[1]}");
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Guest.Define", "{\"name\":\"mine2\",\"adapters\":[6],\"domains\":[1]}");
        CHECK_ERROR(reply, "io.apctl.PolicyDenied");
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Guest.Define", "{\"name\":\"yours\",\"adapters\":[5],\"domains\":[2]}");
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Host.Release", "{\"adapters\":[7]}");
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        json_object_put(reply);
        reply = test_call(&env, &other, "io.apctl.Guest.List", NULL);
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        json_object_put(reply);
        {
                /* A supplementary group (SO_PEERGROUPS) counts for group rules. */
                static const gid_t groups[] = { 100, 777 };
                PeerCredentials reader = { .uid = 3000, .gid = 3000, .gids = groups, .n_gids = 2 };
                TestClient r3;

                CHECK(test_client_connect_as(&env, &reader, 0, &r3) >= 0);
                reply = test_call(&env, &r3, "io.apctl.Guest.List", NULL);
                CHECK_OK(reply);
                json_object_put(reply);
                reply = test_call(&env, &r3, "io.apctl.Guest.Undefine", "{\"name\":\"mine1\"}");
                CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
                json_object_put(reply);
                test_client_close(&r3);
        }
        /* Reload: not for the testers; a broken file keeps the old policy; a good one takes effect. */
        reply = test_call(&env, &user, "io.apctl.Policy.Reload", NULL);
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        json_object_put(reply);
        {
                static const char bad[] = "[access x]\nfrobnicate = yes\n";
                CHECK(write_file_atomic(dir, "60-bad.conf", bad, strlen(bad), 0644) >= 0);
        }
        reply = test_call(&env, &root, "io.apctl.Policy.Reload", NULL);
        CHECK_ERROR(reply, "io.apctl.InvalidPolicy");
        CHECK(strstr(reply_message(reply), "60-bad.conf:2") != NULL);
        json_object_put(reply);
        /* Policy.Show is what apctld enforces: the old policy, not the broken files; a read for the testers. */
        reply = test_call(&env, &user, "io.apctl.Policy.Show", NULL);
        CHECK_OK(reply);
        CHECK_STREQ(str_field(reply_params(reply), "source"), dir);
        CHECK(strstr(str_field(reply_params(reply), "policy") ?: "", "[access testers]") != NULL);
        CHECK(strstr(str_field(reply_params(reply), "policy") ?: "", "50-test.conf:3") != NULL);
        CHECK(strstr(str_field(reply_params(reply), "policy") ?: "", "60-bad") == NULL);
        json_object_put(reply);
        reply = test_call(&env, &other, "io.apctl.Policy.Show", NULL);
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Guest.Define", "{\"name\":\"yours\",\"adapters\":[5],\"domains\":[2]}");
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        json_object_put(reply);
        {
                char path[200];
                static const char more[] = "[access yours]\nusers = 1000\nallow = guest-change\nguests = yours\n";
                snprintf(path, sizeof(path), "%s/60-bad.conf", dir);
                CHECK(unlink(path) == 0);
                CHECK(write_file_atomic(dir, "60-yours.conf", more, strlen(more), 0644) >= 0);
        }
        reply = test_call(&env, &root, "io.apctl.Policy.Reload", NULL);
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Guest.Define", "{\"name\":\"yours\",\"adapters\":[5],\"domains\":[2]}");
        CHECK_OK(reply);
        json_object_put(reply);

        test_client_close(&root);
        test_client_close(&user);
        test_client_close(&other);
        adapter = policy_adapter_free(adapter);
        test_env_done(&env);
        tap_case_end("the policy library plugged into the hook: per-user access, per-guest placement");
}

static void test_policy_default_directory(void) {
        static const char policy_text[] = "[access testers]\nusers = 1000\nallow = read\n";
        _cleanup_(policy_adapter_freep) PolicyAdapter *adapter = NULL;
        _cleanup_free_ char *why = NULL;
        TestEnv env;
        TestClient root, user;
        json_object *reply = NULL;
        char dir[128];

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        snprintf(dir, sizeof(dir), "%s/policy.d", env.dir);
        /* apctld's default directory may be missing: the built-in policy, not a refusal to start. */
        CHECK(policy_adapter_new(env.m, dir, POLICY_OWNER_ANY, &adapter, &why) == -ENOENT);
        if (!CHECK(policy_adapter_new_optional(env.m, dir, POLICY_OWNER_ANY, &adapter, &why) >= 0))
                tap_diag("policy refused: %s", why ?: "?");
        CHECK(test_client_connect(&env, 0, &root) >= 0);
        CHECK(test_client_connect(&env, 1000, &user) >= 0);
        reply = test_call(&env, &root, "io.apctl.Policy.Show", NULL);
        CHECK_OK(reply);
        CHECK_STREQ(str_field(reply_params(reply), "source"), "built-in");
        CHECK(strstr(str_field(reply_params(reply), "policy") ?: "", "[defaults]") != NULL);
        json_object_put(reply);
        /* Not in group apctl: the built-in policy lets uid 1000 read nothing, and says which rule refused. */
        reply = test_call(&env, &user, "io.apctl.Guest.List", NULL);
        CHECK_ERROR(reply, "org.varlink.service.PermissionDenied");
        CHECK(strstr(reply_message(reply), "built-in") != NULL);
        json_object_put(reply);
        /* The directory appears: a reload picks it up. */
        CHECK(mkdir_p(dir, 0755) >= 0);
        CHECK(write_file_atomic(dir, "50-test.conf", policy_text, strlen(policy_text), 0644) >= 0);
        reply = test_call(&env, &root, "io.apctl.Policy.Reload", NULL);
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Guest.List", NULL);
        CHECK_OK(reply);
        json_object_put(reply);
        reply = test_call(&env, &user, "io.apctl.Policy.Show", NULL);
        CHECK_OK(reply);
        CHECK_STREQ(str_field(reply_params(reply), "source"), dir);
        json_object_put(reply);

        test_client_close(&root);
        test_client_close(&user);
        adapter = policy_adapter_free(adapter);
        test_env_done(&env);
        tap_case_end("apctld's default policy directory: built-in policy while missing, loaded by a reload once it exists");
}

/*
 * An InvalidParameter for a value the field table accepted but the method
 * refused (a bad guest name, UUID, action or mdevctl definition) names the
 * field in "parameter", as apctl-protocol(7) says, like the table's own.
 */
static void test_invalid_value_names_parameter(void) {
        static const struct {
                const char *method, *params, *parameter;
        } cases[] = {
                { "io.apctl.Guest.Define", "{\"name\":\"-bad\"}", "name" },
                { "io.apctl.Guest.Define", "{\"name\":\"x\",\"uuid\":\"not-a-uuid\"}", "uuid" },
                { "io.apctl.Guest.Import", "{\"uuid\":\"NOT-A-UUID\",\"mdevctl\":{}}", "uuid" },
                { "io.apctl.Guest.Import", "{\"uuid\":\"" UUID_AUTO "\",\"name\":\".bad\",\"mdevctl\":{}}", "name" },
                { "io.apctl.Guest.Import", "{\"uuid\":\"" UUID_AUTO "\",\"mdevctl\":{\"mdev_type\":\"vfio_ccw-io\"}}",
                  "mdevctl" },
                { "io.apctl.Guest.Check", "{\"uuid\":\"" UUID_AUTO "\",\"action\":\"fly\",\"mdevctl\":{}}", "action" },
                { "io.apctl.Guest.Check", "{\"uuid\":\"x\",\"action\":\"define\",\"mdevctl\":{}}", "uuid" },
                { "io.apctl.Guest.Check", "{\"uuid\":\"" UUID_AUTO "\",\"action\":\"define\",\"mdevctl\":{}}",
                  "mdevctl" },
        };
        json_object *reply = NULL;
        TestEnv env;
        TestClient c;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                CALL(cases[i].method, cases[i].params);
                if (!CHECK_ERROR(reply, "org.varlink.service.InvalidParameter") ||
                    !CHECK_STREQ(str_field(reply_params(reply), "parameter"), cases[i].parameter))
                        tap_diag("  %s %s", cases[i].method, cases[i].params);
        }
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("InvalidParameter for a refused guest name, UUID, action or definition names the field");
}

/*
 * Guest.Attach and Guest.Detach with only empty sets are refused (as
 * Host.Reserve and Host.Release refuse them). A detach of ids the guest does
 * not hold, or an attach of ids it holds, succeeds saying "changed": false,
 * so that a script can make sure of a state by running it again; the
 * definition stays as it was. One that changes something says true.
 */
static void test_plug_changing_nothing_succeeds_unchanged(void) {
        json_object *reply = NULL;
        char *before;
        TestEnv env;
        TestClient c;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5,6]}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Define", "{\"name\":\"g2\",\"adapters\":[5],\"domains\":[1,2]}");
        CHECK_OK(reply);
        before = state_file(&env);

        CALL("io.apctl.Guest.Attach", "{\"name\":\"g2\",\"adapters\":[]}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CHECK_STREQ(str_field(reply_params(reply), "parameter"), "adapters");
        CALL("io.apctl.Guest.Detach", "{\"name\":\"g2\",\"domains\":[],\"control_domains\":[]}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CHECK_STREQ(str_field(reply_params(reply), "parameter"), "domains");

        CALL("io.apctl.Guest.Detach", "{\"name\":\"g2\",\"domains\":[7]}");
        if (CHECK_OK(reply)) {
                ApMask d = mask_from_reply(reply_params(reply), "domains");
                CHECK(json_object_object_get_ex(reply_params(reply), "changed", NULL));
                CHECK(!bool_field(reply_params(reply), "changed"));
                CHECK(ap_mask_count(&d) == 2 && ap_mask_test(&d, 1) && ap_mask_test(&d, 2));
        }
        CALL("io.apctl.Guest.Attach", "{\"name\":\"g2\",\"adapters\":[5],\"domains\":[1,2]}");
        if (CHECK_OK(reply)) {
                CHECK(json_object_object_get_ex(reply_params(reply), "changed", NULL));
                CHECK(!bool_field(reply_params(reply), "changed"));
        }
        {
                char *after = state_file(&env);
                CHECK(before && after && strcmp(before, after) == 0);
                free(after);
        }

        /* Partly held: the change is made, the reply shows the result. */
        CALL("io.apctl.Guest.Detach", "{\"name\":\"g2\",\"domains\":[2,7]}");
        if (CHECK_OK(reply)) {
                ApMask d = mask_from_reply(reply_params(reply), "domains");
                CHECK(ap_mask_count(&d) == 1 && ap_mask_test(&d, 1));
                CHECK(bool_field(reply_params(reply), "changed"));
        }
        free(before);
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("Guest.Attach/Detach changing nothing succeed with changed false; empty sets are refused");
}

int main(void) {
        test_service();
        test_host_list_and_reservation();
        test_guest_lifecycle();
        test_persistence_and_restart();
        test_autostart_waits_for_bindings();
        test_stopped_autostart_guest_stays_stopped();
        test_failed_stop_keeps_autostart();
        test_autostart_once_per_boot();
        test_redefined_autostart_guest_autostarts();
        test_bad_autostart_file_ignored();
        test_mdevctl_import_export();
        test_import_path_only_regular_files_for_root();
        test_import_path_checks_keys();
        test_import_path_error_stays_utf8();
        test_status_events_reconcile();
        test_start_stop_update_model_in_place();
        test_transaction_events();
        test_drift_never_silently_fixed();
        test_policy_hook();
        test_policy_library();
        test_policy_default_directory();
        test_invalid_value_names_parameter();
        test_plug_changing_nothing_succeeds_unchanged();
        return tap_finish();
}
