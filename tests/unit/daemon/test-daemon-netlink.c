/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio_ap_sim netlink events as apctld reads them: messages built the
 * way kernel/matrix/netlink.c sends them (kernel/README.md) become the
 * documented events; malformed ones are refused, not half-read. libnl
 * encodes the messages, so apctld's own parser is checked against an
 * independent encoder; the family lookup runs against this kernel's
 * generic netlink controller.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) >= 0);
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
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) >= 0);
        CHECK_STREQ(field(e, "type"), "queue-reset-failed");
        CHECK_STREQ(field(e, "apqn"), "05.001a");
        CHECK(e && json_object_get_int(json_object_object_get(e, "rc")) == -ETIMEDOUT);
        json_object_put(e);
        nlmsg_free(msg);

        msg = message(VAP_CMD_EVT_IN_USE);
        nla_put_string(msg, VAP_ATTR_UUID, UUID);
        nla_put_u16(msg, VAP_ATTR_APQN, 0x0603);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) >= 0);
        CHECK_STREQ(field(e, "type"), "in-use-refused");
        CHECK_STREQ(field(e, "apqn"), "06.0003");
        CHECK(!resync);
        json_object_put(e);
        nlmsg_free(msg);

        msg = message(VAP_CMD_EVT_HOST_CONFIG);
        nla_put_string(msg, VAP_ATTR_APM, M_5_6);
        nla_put_string(msg, VAP_ATTR_AQM, M_1);
        nla_put_string(msg, VAP_ATTR_ADM, M_1);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) >= 0);
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
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        /* A required attribute missing. */
        msg = message(VAP_CMD_EVT_IN_USE);
        nla_put_string(msg, VAP_ATTR_UUID, UUID);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        /* A UUID that is not one. */
        msg = message(VAP_CMD_EVT_IN_USE);
        nla_put_string(msg, VAP_ATTR_UUID, "../../etc");
        nla_put_u16(msg, VAP_ATTR_APQN, 1);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        /* A dump reply or an unknown command is not an event. */
        msg = message(VAP_CMD_GET_MDEV);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EOPNOTSUPP);
        nlmsg_free(msg);
        msg = message(99);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EOPNOTSUPP);
        nlmsg_free(msg);
        CHECK(e == NULL);
        tap_case_end("malformed or unknown netlink messages are refused whole");
}

/* One in_use message whose UUID attribute carries len bytes of data. */
static struct nl_msg *in_use_with_uuid(const void *data, int len) {
        struct nl_msg *msg = message(VAP_CMD_EVT_IN_USE);

        nla_put(msg, VAP_ATTR_UUID, len, data);
        nla_put_u16(msg, VAP_ATTR_APQN, 0x0603);
        return msg;
}

static void test_attribute_shapes(void) {
        struct nl_msg *msg;
        json_object *e = NULL;
        bool resync = false;
        uint8_t one = 6;

        /* A string without its NUL, and one longer than its limit, are not read at all. */
        msg = in_use_with_uuid(UUID, strlen(UUID));
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        msg = in_use_with_uuid(UUID "0", strlen(UUID) + 2);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        /* The same message with a good UUID parses: the cases above fail for their UUID alone. */
        msg = in_use_with_uuid(UUID, strlen(UUID) + 1);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) >= 0);
        CHECK_STREQ(field(e, "apqn"), "06.0003");
        json_object_put(e);
        e = NULL;
        nlmsg_free(msg);
        /* An APQN of one byte is not a u16. */
        msg = message(VAP_CMD_EVT_RESET_DONE);
        nla_put(msg, VAP_ATTR_APQN, 1, &one);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        /* An attribute that runs past the end of its message. */
        msg = message(VAP_CMD_EVT_RESET_DONE);
        nla_put_u16(msg, VAP_ATTR_APQN, 0x0603);
        nla_put_u32(msg, VAP_ATTR_RESET_RC, 0);
        nlmsg_hdr(msg)->nlmsg_len -= 4;
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        /* A message too short for its generic netlink header. */
        msg = message(VAP_CMD_EVT_RESET_DONE);
        nlmsg_hdr(msg)->nlmsg_len = NLMSG_HDRLEN + 1;
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) == -EBADMSG);
        nlmsg_free(msg);
        CHECK(e == NULL);
        /* Attributes of types newer than ours are skipped, not refused. */
        msg = message(VAP_CMD_EVT_RESET_DONE);
        nla_put_u32(msg, VAP_ATTR_MAX + 7, 1);
        nla_put_u16(msg, VAP_ATTR_APQN, 0x0001);
        nla_put_u32(msg, VAP_ATTR_RESET_RC, 0);
        CHECK(netlink_event_parse(nlmsg_hdr(msg), &e, &resync) >= 0);
        CHECK_STREQ(field(e, "type"), "queue-reset-done");
        CHECK_STREQ(field(e, "apqn"), "00.0001");
        CHECK(e && json_object_get_int(json_object_object_get(e, "rc")) == 0);
        CHECK(!resync);
        json_object_put(e);
        nlmsg_free(msg);
        tap_case_end("attributes of the wrong shape or length are refused, unknown ones skipped");
}

/*
 * The lookup apctld does at start-up, against the one family every kernel
 * with generic netlink has: its controller, "nlctrl", with the multicast
 * group "notify".
 */
static void test_resolve(void) {
        struct sockaddr_nl local = { .nl_family = AF_NETLINK };
        uint16_t family = 0;
        uint32_t group = 0;
        int fd;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_GENERIC);
        if (fd < 0 || bind(fd, (struct sockaddr *) &local, sizeof(local)) < 0) {
                /* A sandbox without netlink: nothing to ask. */
                printf("ok %u - generic netlink family lookup # SKIP no NETLINK_GENERIC socket: %m\n", ++tap.cases);
                if (fd >= 0)
                        close(fd);
                return;
        }
        CHECK(netlink_genl_resolve(fd, "nlctrl", "notify", &family, &group) == 0);
        CHECK(family == GENL_ID_CTRL);
        CHECK(group > 0);
        family = 7;
        group = 7;
        CHECK(netlink_genl_resolve(fd, "apctl-nofamily", "events", &family, &group) == -ENOENT);
        CHECK(netlink_genl_resolve(fd, "nlctrl", "no-such-group", &family, &group) == -ENOENT);
        CHECK(family == 7 && group == 7);
        close(fd);
        tap_case_end("generic netlink family and group lookup: found, no such family, no such group");
}

int main(void) {
        test_events();
        test_malformed();
        test_attribute_shapes();
        test_resolve();
        return tap_finish();
}
