/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.apctl.Guest.Check (the mdevctl callout's question): the refusals a real
 * define/modify/start would get, for a proposed mdevctl definition, with
 * nothing changed in the kernel or in the state.
 */
#include <stdio.h>
#include <string.h>

#include "daemon-test.h"

#define ADMIN 4242
#define WEB_UUID "aaaaaaaa-0000-4000-8000-00000000000a"
#define OTHER_UUID "bbbbbbbb-0000-4000-8000-00000000000b"
#define HAND_UUID "dddddddd-0000-4000-8000-00000000000d"

#define CALL(method, params) (json_object_put(reply), reply = test_call(&env, &c, (method), (params)))

/* Check params for uuid/action with an mdevctl definition of adapter a, usage domain d. */
static const char *check_params(const char *uuid, const char *action, const char *start, const char *a,
                                const char *d) {
        static char buf[512];

        snprintf(buf, sizeof(buf),
                 "{\"uuid\":\"%s\",\"action\":\"%s\",\"mdevctl\":{\"mdev_type\":\"vfio_ap-passthrough\","
                 "\"start\":\"%s\",\"attrs\":[{\"assign_adapter\":\"%s\"},{\"assign_domain\":\"%s\"}]}}",
                 uuid, action, start, a, d);
        return buf;
}

static void test_check(void) {
        TestEnv env;
        TestClient c;
        json_object *reply = NULL, *v;
        MdevState md;
        char *before, *after;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        CHECK(test_client_connect(&env, ADMIN, &c) >= 0);
        CALL("io.apctl.Host.Release", "{\"adapters\":[5,6,7,9]}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Define", "{\"name\":\"web01\",\"uuid\":\"" WEB_UUID "\",\"adapters\":[5],\"domains\":[1,2]}");
        CHECK_OK(reply);

        /* Another UUID on web01's APQN: refused like Guest.Define, naming the guest and the APQN. */
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "define", "manual", "5", "2"));
        if (CHECK_ERROR(reply, "io.apctl.Conflict"))
                CHECK(strstr(reply_message(reply), "web01") && strstr(reply_message(reply), "05.0002"));
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "start", "manual", "5", "2"));
        CHECK_ERROR(reply, "io.apctl.Conflict");
        /* A free APQN passes; the reply names no guest. */
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "start", "auto", "6", "3"));
        if (CHECK_OK(reply))
                CHECK(!json_object_object_get_ex(reply_params(reply), "guest", &v));
        /* web01's own UUID: its current definition is no conflict, and the reply names it. */
        CALL("io.apctl.Guest.Check", check_params(WEB_UUID, "modify", "manual", "5", "3"));
        if (CHECK_OK(reply)) {
                CHECK(json_object_object_get_ex(reply_params(reply), "guest", &v) &&
                      strcmp(json_object_get_string(v), "web01") == 0);
                CHECK(json_object_object_get_ex(reply_params(reply), "config", &v) &&
                      strcmp(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
                             "{\"adapters\":[5],\"domains\":[3],\"control_domains\":[]}") == 0);
        }
        /* Values read as the kernel reads them: "05" is 5, "0x1" is 1 (web01's APQN 05.0001). */
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "define", "manual", "05", "0x1"));
        CHECK_ERROR(reply, "io.apctl.Conflict");

        /* Hardware: a definition may name an absent adapter, a start may not; CEX3 never. */
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "define", "manual", "9", "0"));
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "start", "manual", "9", "0"));
        CHECK_ERROR(reply, "io.apctl.NoSuchDevice");
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "define", "manual", "7", "0"));
        CHECK_ERROR(reply, "io.apctl.UnsupportedCard");

        /* The host reservation. */
        CALL("io.apctl.Host.Reserve", "{\"adapters\":[6]}");
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "define", "manual", "6", "3"));
        CHECK_ERROR(reply, "io.apctl.ReservedByHost");
        CALL("io.apctl.Host.Release", "{\"adapters\":[6]}");
        CHECK_OK(reply);
        test_env_settle(&env);
        before = state_file(&env);

        /* An mdev nobody told apctl about holds 06.0004: start and live are refused, define is not. */
        CHECK(env.fake->ops->mdev_create(env.fake, NULL, HAND_UUID) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, HAND_UUID, KERNEL_ASSIGN_ADAPTER, 6, true) >= 0);
        CHECK(env.fake->ops->mdev_assign(env.fake, NULL, HAND_UUID, KERNEL_ASSIGN_DOMAIN, 4, true) >= 0);
        CALL("io.apctl.Reconcile", NULL);
        CHECK_OK(reply);
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "start", "manual", "6", "4"));
        if (CHECK_ERROR(reply, "io.apctl.Conflict"))
                CHECK(strstr(reply_message(reply), HAND_UUID) && strstr(reply_message(reply), "not managed"));
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "live", "manual", "6", "4"));
        CHECK_ERROR(reply, "io.apctl.Conflict");
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "define", "manual", "6", "4"));
        CHECK_OK(reply);
        /* The mdev's own UUID is not a conflict with itself. */
        CALL("io.apctl.Guest.Check", check_params(HAND_UUID, "live", "manual", "6", "4"));
        CHECK_OK(reply);

        /* Without vfio_ap a start cannot work. */
        kernel_fake_set_matrix_present(env.fake, false);
        CALL("io.apctl.Reconcile", NULL);
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "start", "manual", "6", "3"));
        if (CHECK_ERROR(reply, "io.apctl.NoSuchDevice"))
                CHECK(strstr(reply_message(reply), "vfio_ap") != NULL);
        kernel_fake_set_matrix_present(env.fake, true);

        /* Bad input, each named. */
        CALL("io.apctl.Guest.Check", check_params(OTHER_UUID, "undefine", "manual", "6", "3"));
        if (CHECK_ERROR(reply, "org.varlink.service.InvalidParameter"))
                CHECK(strstr(reply_message(reply), "undefine") != NULL);
        CALL("io.apctl.Guest.Check", check_params("NOT-A-UUID", "define", "manual", "6", "3"));
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");
        CALL("io.apctl.Guest.Check", "{\"uuid\":\"" OTHER_UUID "\",\"action\":\"define\",\"mdevctl\":"
             "{\"mdev_type\":\"nvidia-35\",\"start\":\"manual\",\"attrs\":[]}}");
        if (CHECK_ERROR(reply, "org.varlink.service.InvalidParameter"))
                CHECK(strstr(reply_message(reply), "nvidia-35") != NULL);
        CALL("io.apctl.Guest.Check", "{\"uuid\":\"" OTHER_UUID "\",\"action\":\"define\"}");
        CHECK_ERROR(reply, "org.varlink.service.InvalidParameter");

        /* Nothing was changed by any of it: state, and no mdev for the checked UUID. */
        test_env_settle(&env);
        after = state_file(&env);
        CHECK(before && after && strcmp(before, after) == 0);
        CHECK(!fake_mdev(&env, OTHER_UUID, &md));
        free(before);
        free(after);
        json_object_put(reply);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("Guest.Check: conflicts, hardware, reservation, unmanaged mdevs, vfio_ap, bad input; no change");
}

int main(void) {
        test_check();
        return tap_finish();
}
