/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * matrix-nl: VM helper that speaks vfio_ap_sim's generic netlink family
 * (kernel/README.md) over a plain netlink socket, one line per message:
 *   matrix-nl dump [UUID]      one line per mdev:
 *       "mdev UUID APM,AQM,ADM SHADOW_APM,.. [GUEST GUEST_APM,..]"
 *   matrix-nl listen N SECS    "ready", then the next N events:
 *       "guest-config UUID GUEST APM,AQM,ADM", "reset-done XX.YYYY RC",
 *       "reset-failed XX.YYYY RC", "in-use UUID XX.YYYY",
 *       "host-config APM,AQM,ADM", "bindings-complete COUNT"; exit 1 if they do not come within SECS
 *   matrix-nl bad-attr | bad-uuid | no-dump
 *       send a malformed request; print the errno name the kernel answers
 * Errors print "error ERRNO" and exit 1.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "macro.h"
#include "../../../kernel/matrix/uapi/vfio_ap_sim.h"

#define BUF_SIZE 65536

struct request {
        struct nlmsghdr nlh;
        struct genlmsghdr genl;
        char attrs[256];
};

static const char *errname(int err)
{
        const char *s = strerrorname_np(err);

        return s ? s : "E?";
}

static void put_attr(struct request *r, uint16_t type, const void *data, uint16_t len)
{
        struct nlattr *a = (struct nlattr *) ((char *) r + NLMSG_ALIGN(r->nlh.nlmsg_len));

        a->nla_type = type;
        a->nla_len = NLA_HDRLEN + len;
        memcpy((char *) a + NLA_HDRLEN, data, len);
        r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void request_init(struct request *r, uint16_t family, uint8_t cmd, uint16_t flags)
{
        memset(r, 0, sizeof(*r));
        r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
        r->nlh.nlmsg_type = family;
        r->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        r->nlh.nlmsg_seq = 1;
        r->genl.cmd = cmd;
        r->genl.version = 1;
}

/* Attributes of a genl message, indexed by type (up to max). */
static void parse_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb, int max)
{
        const struct nlattr *a = (const struct nlattr *) ((const char *) NLMSG_DATA(nlh) + GENL_HDRLEN);
        int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

        memset(tb, 0, sizeof(*tb) * (max + 1));
        while (len >= (int) NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
                if ((a->nla_type & NLA_TYPE_MASK) <= max)
                        tb[a->nla_type & NLA_TYPE_MASK] = a;
                len -= NLA_ALIGN(a->nla_len);
                a = (const struct nlattr *) ((const char *) a + NLA_ALIGN(a->nla_len));
        }
}

static const char *str_attr(const struct nlattr *a)
{
        return a ? (const char *) a + NLA_HDRLEN : "-";
}

static unsigned int u16_attr(const struct nlattr *a)
{
        uint16_t v = 0;

        if (a)
                memcpy(&v, (const char *) a + NLA_HDRLEN, sizeof(v));
        return v;
}

static unsigned long long u64_attr(const struct nlattr *a)
{
        uint64_t v = 0;

        if (a)
                memcpy(&v, (const char *) a + NLA_HDRLEN, sizeof(v));
        return v;
}

static int s32_attr(const struct nlattr *a)
{
        int32_t v = 0;

        if (a)
                memcpy(&v, (const char *) a + NLA_HDRLEN, sizeof(v));
        return v;
}

/* Send @r and collect replies; each data message goes to @fn. 0 or -errno. */
static int transact(int fd, struct request *r, void (*fn)(const struct nlmsghdr *, void *), void *data)
{
        static char buf[BUF_SIZE];

        if (send(fd, r, r->nlh.nlmsg_len, 0) < 0)
                return -errno;
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                struct nlmsghdr *nlh;

                if (n < 0)
                        return -errno;
                for (nlh = (struct nlmsghdr *) buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
                        if (nlh->nlmsg_type == NLMSG_DONE) {
                                /* a dump's error comes in its DONE message */
                                int err = 0;

                                if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
                                        memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
                                return err;
                        }
                        if (nlh->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(nlh);

                                return e->error;
                        }
                        if (fn)
                                fn(nlh, data);
                }
        }
}

struct family {
        uint16_t id;
        uint32_t events_group;
};

static void family_parse(const struct nlmsghdr *nlh, void *data)
{
        const struct nlattr *tb[CTRL_ATTR_MAX + 1], *g;
        struct family *f = data;
        int len;

        parse_attrs(nlh, tb, CTRL_ATTR_MAX);
        if (tb[CTRL_ATTR_FAMILY_ID])
                f->id = u16_attr(tb[CTRL_ATTR_FAMILY_ID]);
        if (!tb[CTRL_ATTR_MCAST_GROUPS])
                return;
        /* nested: one nest per group with NAME and ID */
        g = (const struct nlattr *) ((const char *) tb[CTRL_ATTR_MCAST_GROUPS] + NLA_HDRLEN);
        len = tb[CTRL_ATTR_MCAST_GROUPS]->nla_len - NLA_HDRLEN;
        while (len >= (int) NLA_HDRLEN && g->nla_len >= NLA_HDRLEN && g->nla_len <= len) {
                const struct nlattr *ga = (const struct nlattr *) ((const char *) g + NLA_HDRLEN);
                int glen = g->nla_len - NLA_HDRLEN;
                const char *name = NULL;
                uint32_t id = 0;

                while (glen >= (int) NLA_HDRLEN && ga->nla_len >= NLA_HDRLEN && ga->nla_len <= glen) {
                        if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
                                name = (const char *) ga + NLA_HDRLEN;
                        else if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
                                memcpy(&id, (const char *) ga + NLA_HDRLEN, sizeof(id));
                        glen -= NLA_ALIGN(ga->nla_len);
                        ga = (const struct nlattr *) ((const char *) ga + NLA_ALIGN(ga->nla_len));
                }
                if (name && streq(name, VAP_GENL_MCGRP_EVENTS))
                        f->events_group = id;
                len -= NLA_ALIGN(g->nla_len);
                g = (const struct nlattr *) ((const char *) g + NLA_ALIGN(g->nla_len));
        }
}

static int family_resolve(int fd, struct family *ret)
{
        struct family f = {};
        struct request r;
        int e;

        request_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
        put_attr(&r, CTRL_ATTR_FAMILY_NAME, VAP_GENL_NAME, sizeof(VAP_GENL_NAME));
        e = transact(fd, &r, family_parse, &f);
        if (e < 0)
                return e;
        if (!f.id)
                return -ENOENT;
        *ret = f;
        return 0;
}

static void print_masks(const struct nlattr **tb, int first)
{
        printf(" %s,%s,%s", str_attr(tb[first]), str_attr(tb[first + 1]), str_attr(tb[first + 2]));
}

static void print_mdev(const struct nlmsghdr *nlh, void *data)
{
        const struct nlattr *tb[VAP_ATTR_MAX + 1];

        parse_attrs(nlh, tb, VAP_ATTR_MAX);
        printf("mdev %s", str_attr(tb[VAP_ATTR_UUID]));
        print_masks(tb, VAP_ATTR_APM);
        print_masks(tb, VAP_ATTR_SHADOW_APM);
        if (tb[VAP_ATTR_GUEST]) {
                printf(" %s", str_attr(tb[VAP_ATTR_GUEST]));
                print_masks(tb, VAP_ATTR_GUEST_APM);
        }
        printf("\n");
}

static void print_event(const struct nlmsghdr *nlh)
{
        const struct genlmsghdr *g = NLMSG_DATA(nlh);
        const struct nlattr *tb[VAP_ATTR_MAX + 1];
        unsigned int apqn;

        parse_attrs(nlh, tb, VAP_ATTR_MAX);
        apqn = u16_attr(tb[VAP_ATTR_APQN]);
        switch (g->cmd) {
        case VAP_CMD_EVT_GUEST_CONFIG:
                printf("guest-config %s %s", str_attr(tb[VAP_ATTR_UUID]), str_attr(tb[VAP_ATTR_GUEST]));
                print_masks(tb, VAP_ATTR_GUEST_APM);
                printf("\n");
                break;
        case VAP_CMD_EVT_RESET_DONE:
        case VAP_CMD_EVT_RESET_FAILED:
                printf("%s %02x.%04x %d\n", g->cmd == VAP_CMD_EVT_RESET_DONE ? "reset-done" : "reset-failed",
                       apqn >> 8, apqn & 0xff, s32_attr(tb[VAP_ATTR_RESET_RC]));
                break;
        case VAP_CMD_EVT_IN_USE:
                printf("in-use %s %02x.%04x\n", str_attr(tb[VAP_ATTR_UUID]), apqn >> 8, apqn & 0xff);
                break;
        case VAP_CMD_EVT_HOST_CONFIG:
                printf("host-config");
                print_masks(tb, VAP_ATTR_APM);
                printf("\n");
                break;
        case VAP_CMD_EVT_BINDINGS_COMPLETE:
                printf("bindings-complete %llu\n", u64_attr(tb[VAP_ATTR_COMPLETE_COUNT]));
                break;
        default:
                printf("unknown-event %u\n", g->cmd);
        }
        fflush(stdout);
}

static int listen_events(int fd, const struct family *f, int count, int secs)
{
        static char buf[BUF_SIZE];
        time_t deadline = time(NULL) + secs;
        int group = f->events_group;

        if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
                return -errno;
        printf("ready\n");
        fflush(stdout);
        while (count > 0) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                struct nlmsghdr *nlh;
                ssize_t n;
                int left = (int) (deadline - time(NULL));

                if (left <= 0 || poll(&p, 1, left * 1000) <= 0)
                        return -ETIMEDOUT;
                n = recv(fd, buf, sizeof(buf), 0);
                if (n < 0)
                        return -errno;
                for (nlh = (struct nlmsghdr *) buf; NLMSG_OK(nlh, n) && count > 0; nlh = NLMSG_NEXT(nlh, n))
                        if (nlh->nlmsg_type == f->id) {
                                print_event(nlh);
                                count--;
                        }
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        _cleanup_close_ int fd = -1;
        struct family f;
        struct request r;
        int e;

        if (argc < 2) {
                fprintf(stderr, "usage: matrix-nl dump [UUID] | listen N SECS | bad-attr | bad-uuid | no-dump\n");
                return 2;
        }
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                printf("error %s\n", errname(errno));
                return 1;
        }
        e = family_resolve(fd, &f);
        if (e < 0) {
                printf("error %s\n", errname(-e));
                return 1;
        }
        if (streq(argv[1], "listen") && argc == 4) {
                e = listen_events(fd, &f, atoi(argv[2]), atoi(argv[3]));
        } else if (streq(argv[1], "dump") && argc <= 3) {
                request_init(&r, f.id, VAP_CMD_GET_MDEV, NLM_F_DUMP);
                if (argc == 3)
                        put_attr(&r, VAP_ATTR_UUID, argv[2], strlen(argv[2]) + 1);
                e = transact(fd, &r, print_mdev, NULL);
        } else if (streq(argv[1], "bad-attr")) {
                request_init(&r, f.id, VAP_CMD_GET_MDEV, NLM_F_DUMP);
                put_attr(&r, VAP_ATTR_MAX + 1, "x", 2);
                e = transact(fd, &r, NULL, NULL);
        } else if (streq(argv[1], "bad-uuid")) {
                request_init(&r, f.id, VAP_CMD_GET_MDEV, NLM_F_DUMP);
                put_attr(&r, VAP_ATTR_UUID, "not-a-uuid", sizeof("not-a-uuid"));
                e = transact(fd, &r, NULL, NULL);
        } else if (streq(argv[1], "no-dump")) {
                request_init(&r, f.id, VAP_CMD_GET_MDEV, 0);
                e = transact(fd, &r, NULL, NULL);
        } else {
                fprintf(stderr, "matrix-nl: unknown command %s\n", argv[1]);
                return 2;
        }
        if (e < 0) {
                printf("error %s\n", errname(-e));
                return 1;
        }
        return 0;
}
