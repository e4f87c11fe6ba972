/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio_ap_sim netlink events as apctld reads them: messages built the
 * way kernel/matrix/netlink.c sends them (kernel/README.md) become the
 * documented events; malformed ones are refused, not half-read.
 */
#include <errno.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <string.h>

#include "daemon-test.h"
#include "netlink-watch.h"
#include "vfio_ap_sim.h"

#define UUID "62177883-f1bb-47f0-914d-32a22e3a8804"
#define M_5_6 "0x0600000000000000000000000000000000000000000000000000000000000000"
#define M_1 "0x4000000000000000000000000000000000000000000000000000000000000000"

static struct nl_msg *message(int cmd) {
        struct nl_msg *msg = nlmsg_alloc();

        if (msg)
                genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 42, 0, 0, cmd, VAP_GENL_VERSION);
        return msg;
}

static const char *field(json_object *e, const char *key) {
        json_object *v;

        return e && json_object_object_get_ex(e, key, &v) ? json_object_get_string(v) : NULL;
}

static void test_events(void) {
        struct nl_msg *msg;
        json_object *e = NULL;
        bool resync = false;

        msg = message(VAP_CMD_EVT_GUEST_CONFIG);
        nla_put_string(msg, VAP_ATTR_UUID, UUID);
        nla_put_string(msg, VAP_ATTR_GUEST, "vm1");
        nla_put_string(msg, VAP_ATTR_GUEST_APM, M_5_6);
        nla_put_string(msg, VAP_ATTR_GUEST_AQM, M_1);
        nla_put_string(msg, VAP_ATTR_GUEST_ADM, M_1);
        CHECK(netlink_event_parse(msg, &e, &resync) >= 0);
        CHECK_STREQ(field(e, "type"), "guest-config-changed");
        CHECK_STREQ(field(e, "uuid"), UUID);
        CHECK_STREQ(field(e, "vm"), "vm1");
        CHECK_STREQ(field(e, "adapters"), "[ 5, 6 ]");
        CHECK_STREQ(field(e, "domains"), "[ 1 ]");
        CHECK(resync);
        json_object_put(e);
        nlmsg_free(msg);

        msg = message(VAP_CMD_EVT_RESET_FAILED);
        nla_put_u16(msg, VAP_ATTR_APQN, 0x051a);
        nla_put_u32(msg, VAP_ATTR_RESET_RC, (uint32_t) -ETIMEDOUT);
        CHECK(netlink_event_parse(msg, &e, &resync) >= 0);
        CHECK_STREQ(field(e, "type"), "queue-reset-failed");
        CHECK_STREQ(field(e, "apqn"), "05.001a");
        CHECK(e && json_object_get_int(json_object_object_get(e, "rc")) == -ETIMEDOUT);
        json_object_put(e);
        nlmsg_free(msg);

        msg = message(VAP_CMD_EVT_IN_USE);
        nla_put_string(msg, VAP_ATTR_UUID, UUID);
        nla_put_u16(msg, VAP_ATTR_APQN, 0x0603);
        CHECK(netlink_event_parse(msg, &e, &resync) >= 0);
        CHECK_STREQ(field(e, "type"), "in-use-refused");
        CHECK_STREQ(field(e, "apqn"), "06.0003");
        CHECK(!resync);
        json_object_put(e);
        nlmsg_free(msg);

        msg = message(VAP_CMD_EVT_HOST_CONFIG);
        nla_put_string(msg, VAP_ATTR_APM, M_5_6);
        nla_put_string(msg, VAP_ATTR_AQM, M_1);
        nla_put_string(msg, VAP_ATTR_ADM, M_1);
        CHECK(netlink_event_parse(msg, &e, &resync) >= 0);
        CHECK_STREQ(field(e, "type"), "host-config-changed");
        CHECK(resync);
        json_object_put(e);
        nlmsg_free(msg);
        tap_case_end("guest config, reset, in_use and host config messages become events");
}

static void test_malformed(void) {
        struct nl_msg *msg;
        json_object *e = NULL;
        bool resync = false;

        /* A mask that is not a mask. */
        msg = message(VAP_CMD_EVT_HOST_CONFIG);
        nla_put_string(msg, VAP_ATTR_APM, "0xzz");
        nla_put_string(msg, VAP_ATTR_AQM, M_1);
        nla_put_string(msg, VAP_ATTR_ADM, M_1);
        CHECK(netlink_event_parse(msg, &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        /* A required attribute missing. */
        msg = message(VAP_CMD_EVT_IN_USE);
        nla_put_string(msg, VAP_ATTR_UUID, UUID);
        CHECK(netlink_event_parse(msg, &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        /* A UUID that is not one. */
        msg = message(VAP_CMD_EVT_IN_USE);
        nla_put_string(msg, VAP_ATTR_UUID, "../../etc");
        nla_put_u16(msg, VAP_ATTR_APQN, 1);
        CHECK(netlink_event_parse(msg, &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        /* A dump reply or an unknown command is not an event. */
        msg = message(VAP_CMD_GET_MDEV);
        CHECK(netlink_event_parse(msg, &e, &resync) == -EOPNOTSUPP);
        nlmsg_free(msg);
        msg = message(99);
        CHECK(netlink_event_parse(msg, &e, &resync) == -EOPNOTSUPP);
        nlmsg_free(msg);
        CHECK(e == NULL);
        tap_case_end("malformed or unknown netlink messages are refused whole");
}

int main(void) {
        test_events();
        test_malformed();
        return tap_finish();
}
