/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfio_ap_sim generic netlink multicast group on a plain NETLINK_GENERIC
 * socket: one request to the generic netlink controller at start-up for the
 * family id and the group id, then multicast messages only. A few hundred
 * lines here instead of libnl-3 and libnl-genl-3, whose pages would stay
 * resident in apctld for the sake of one family (issue 5's memory target).
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "json-ap.h"
#include "json-util.h"
#include "log.h"
#include "netlink-watch.h"
#include "vfio_ap_sim.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* vfio_ap_sim's messages are a few hundred bytes; anything larger is not one of them. */
#define NETLINK_RECV_BUFSZ 8192
/* Bound the work of one wake-up; the rest waits for the next one. */
#define NETLINK_DRAIN_MAX 256
/* The controller answers while our send is still in the kernel; this only guards against a wedged kernel. */
#define NETLINK_CTRL_TIMEOUT_MS 5000

struct NetlinkWatch {
        Manager *manager;               /* borrowed */
        int fd;                         /* owned */
        uint16_t family;                /* vfio_ap_sim's message type */
        sd_event_source *source;        /* ref held */
};

typedef union NetlinkBuffer {
        struct nlmsghdr header;         /* for alignment */
        char bytes[NETLINK_RECV_BUFSZ];
} NetlinkBuffer;

/* The last attribute of each type 1..max in data[0..len) into tb (NULL where absent). -EBADMSG if one overruns. */
static int attrs_index(const void *data, size_t len, const struct nlattr **tb, unsigned max) {
        const char *p = data;

        memset(tb, 0, (max + 1) * sizeof(*tb));
        while (len >= NLA_HDRLEN) {
                const struct nlattr *a = (const struct nlattr *) p;
                unsigned type = a->nla_type & NLA_TYPE_MASK;
                size_t step;

                if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
                        return -EBADMSG;
                if (type > 0 && type <= max)
                        tb[type] = a;
                step = NLA_ALIGN(a->nla_len);
                if (step >= len)
                        return 0;
                p += step;
                len -= step;
        }
        return len == 0 ? 0 : -EBADMSG;
}

static const void *attr_data(const struct nlattr *a) {
        return (const char *) a + NLA_HDRLEN;
}

static size_t attr_len(const struct nlattr *a) {
        return a->nla_len - NLA_HDRLEN;
}

/* A NUL-terminated string attribute of at most max bytes with its NUL, or NULL. */
static const char *attr_string(const struct nlattr *a, size_t max) {
        size_t n = attr_len(a);

        if (n == 0 || n > max || ((const char *) attr_data(a))[n - 1] != 0)
                return NULL;
        return attr_data(a);
}

static int attr_u16(const struct nlattr *a, uint16_t *ret) {
        if (attr_len(a) < sizeof(*ret))
                return -EBADMSG;
        memcpy(ret, attr_data(a), sizeof(*ret));
        return 0;
}

static int attr_u32(const struct nlattr *a, uint32_t *ret) {
        if (attr_len(a) < sizeof(*ret))
                return -EBADMSG;
        memcpy(ret, attr_data(a), sizeof(*ret));
        return 0;
}

/* What each attribute must be: a string of at most maxlen bytes with its NUL, or a u16, or a u32. */
enum { ATTR_STRING = 1, ATTR_U16, ATTR_U32 };
static const struct {
        uint8_t kind;
        uint8_t maxlen;
} vap_policy[VAP_ATTR_MAX + 1] = {
        [VAP_ATTR_UUID] = { ATTR_STRING, 37 },
        [VAP_ATTR_APM] = { ATTR_STRING, 67 },
        [VAP_ATTR_AQM] = { ATTR_STRING, 67 },
        [VAP_ATTR_ADM] = { ATTR_STRING, 67 },
        [VAP_ATTR_SHADOW_APM] = { ATTR_STRING, 67 },
        [VAP_ATTR_SHADOW_AQM] = { ATTR_STRING, 67 },
        [VAP_ATTR_SHADOW_ADM] = { ATTR_STRING, 67 },
        [VAP_ATTR_GUEST] = { ATTR_STRING, 33 },
        [VAP_ATTR_GUEST_APM] = { ATTR_STRING, 67 },
        [VAP_ATTR_GUEST_AQM] = { ATTR_STRING, 67 },
        [VAP_ATTR_GUEST_ADM] = { ATTR_STRING, 67 },
        [VAP_ATTR_APQN] = { ATTR_U16 },
        [VAP_ATTR_RESET_RC] = { ATTR_U32 },
};

/* Every attribute present has the policy's shape: a message with one that has not is refused whole. */
static bool attrs_valid(const struct nlattr *const *tb) {
        for (unsigned i = 1; i <= VAP_ATTR_MAX; i++) {
                if (!tb[i])
                        continue;
                switch (vap_policy[i].kind) {
                case ATTR_STRING:
                        if (!attr_string(tb[i], vap_policy[i].maxlen))
                                return false;
                        break;
                case ATTR_U16:
                        if (attr_len(tb[i]) < sizeof(uint16_t))
                                return false;
                        break;
                case ATTR_U32:
                        if (attr_len(tb[i]) < sizeof(uint32_t))
                                return false;
                        break;
                }
        }
        return true;
}

/* Per command: the event type, whether the model is stale after it, and which attributes it carries. */
static const struct {
        const char *type;
        bool resync;
        int masks[3];           /* attributes with adapters, domains, control domains, or 0 */
        bool uuid, guest, apqn, rc;
} command_table[VAP_CMD_MAX + 1] = {
        [VAP_CMD_EVT_GUEST_CONFIG] = { "guest-config-changed", true,
                                       { VAP_ATTR_GUEST_APM, VAP_ATTR_GUEST_AQM, VAP_ATTR_GUEST_ADM },
                                       .uuid = true, .guest = true },
        [VAP_CMD_EVT_RESET_DONE] = { "queue-reset-done", false, {}, .apqn = true, .rc = true },
        [VAP_CMD_EVT_RESET_FAILED] = { "queue-reset-failed", true, {}, .apqn = true, .rc = true },
        [VAP_CMD_EVT_IN_USE] = { "in-use-refused", false, {}, .uuid = true, .apqn = true },
        [VAP_CMD_EVT_HOST_CONFIG] = { "host-config-changed", true,
                                      { VAP_ATTR_APM, VAP_ATTR_AQM, VAP_ATTR_ADM } },
};

static const char *const mask_keys[3] = { "adapters", "domains", "control_domains" };

int netlink_event_parse(const struct nlmsghdr *nlh, json_object **ret, bool *ret_resync) {
        const struct nlattr *tb[VAP_ATTR_MAX + 1];
        const struct genlmsghdr *g = NLMSG_DATA(nlh);
        _cleanup_json_ json_object *e = NULL;
        char buf[APQN_BUFSZ];
        unsigned cmd;

        if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
                return -EBADMSG;
        cmd = g->cmd;
        if (cmd > VAP_CMD_MAX || !command_table[cmd].type)
                return -EOPNOTSUPP;
        if (attrs_index((const char *) g + GENL_HDRLEN, nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, tb,
                        VAP_ATTR_MAX) < 0 || !attrs_valid(tb))
                return -EBADMSG;
        e = manager_event_new(command_table[cmd].type);
        if (!e)
                return -ENOMEM;
        if (command_table[cmd].uuid) {
                if (!tb[VAP_ATTR_UUID] || !uuid_is_valid(attr_data(tb[VAP_ATTR_UUID])))
                        return -EBADMSG;
                if (json_add_string(e, "uuid", attr_data(tb[VAP_ATTR_UUID])) < 0)
                        return -ENOMEM;
        }
        /* The kernel's guest is the VM (its name there), not an apctl guest definition. */
        if (command_table[cmd].guest && tb[VAP_ATTR_GUEST] &&
            json_add_string(e, "vm", attr_data(tb[VAP_ATTR_GUEST])) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < 3; i++) {
                int attr = command_table[cmd].masks[i];
                ApMask mask;

                if (!attr)
                        continue;
                if (!tb[attr] || ap_mask_parse_hex(attr_data(tb[attr]), &mask, NULL) < 0)
                        return -EBADMSG;
                if (json_add(e, mask_keys[i], json_from_mask(&mask)) < 0)
                        return -ENOMEM;
        }
        if (command_table[cmd].apqn) {
                uint16_t q;
                if (!tb[VAP_ATTR_APQN] || attr_u16(tb[VAP_ATTR_APQN], &q) < 0)
                        return -EBADMSG;
                if (json_add_string(e, "apqn", apqn_format((Apqn) { q >> 8, q & 0xff }, buf)) < 0)
                        return -ENOMEM;
        }
        if (command_table[cmd].rc && tb[VAP_ATTR_RESET_RC]) {
                uint32_t rc;
                if (attr_u32(tb[VAP_ATTR_RESET_RC], &rc) < 0)
                        return -EBADMSG;
                if (json_add_int(e, "rc", (int32_t) rc) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(e);
        *ret_resync = command_table[cmd].resync;
        return 0;
}

static void netlink_event_handle(NetlinkWatch *w, const struct nlmsghdr *nlh) {
        json_object *e = NULL, *uuid;
        bool resync = false;
        int r;

        r = netlink_event_parse(nlh, &e, &resync);
        if (r < 0) {
                log_debug("Ignoring a vfio_ap_sim netlink message: %s", strerror(-r));
                return;
        }
        const char *type = json_object_get_string(json_object_object_get(e, "type"));
        const char *apqn = json_object_get_string(json_object_object_get(e, "apqn"));
        const char *guest = NULL, *mdev = NULL;

        if (json_object_object_get_ex(e, "uuid", &uuid)) {
                const GuestDef *g = desired_state_find_guest_by_uuid(&w->manager->desired, json_object_get_string(uuid));
                mdev = json_object_get_string(uuid);
                if (g) {
                        guest = g->name;
                        (void) json_add_string(e, "guest", g->name);
                }
        }
        /* The two that mean trouble for a guest are worth a journal line of their own. */
        if (streq(type, "queue-reset-failed") || streq(type, "in-use-refused"))
                log_full(LOG_WARNING, 0, NULL, guest, apqn, mdev, "%s: APQN %s%s%s", type, apqn ?: "?",
                         mdev ? " held by mdev " : "", mdev ?: "");
        manager_emit(w->manager, e);
        if (resync)
                manager_schedule_resync(w->manager);
}

static int netlink_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        NetlinkWatch *w = userdata;
        NetlinkBuffer buf;

        for (int i = 0; i < NETLINK_DRAIN_MAX; i++) {
                struct sockaddr_nl sender = {};
                struct iovec iov = { .iov_base = buf.bytes, .iov_len = sizeof(buf.bytes) };
                struct msghdr mh = { .msg_name = &sender, .msg_namelen = sizeof(sender), .msg_iov = &iov,
                                     .msg_iovlen = 1 };
                ssize_t n = recvmsg(w->fd, &mh, MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        /* Lost messages: whatever they said, a full re-read covers it. */
                        if (errno == ENOBUFS) {
                                log_warning("netlink event queue overflowed; doing a full resync");
                                manager_schedule_resync(w->manager);
                                continue;
                        }
                        if (errno != EAGAIN)
                                log_warning("Reading the vfio_ap_sim netlink socket failed: %m");
                        break;
                }
                /* Only the kernel speaks for the family; a cut message is a lost one. */
                if (sender.nl_pid != 0)
                        continue;
                if (mh.msg_flags & MSG_TRUNC) {
                        log_warning("A netlink message did not fit %d bytes; doing a full resync",
                                    NETLINK_RECV_BUFSZ);
                        manager_schedule_resync(w->manager);
                        continue;
                }
                for (const struct nlmsghdr *h = &buf.header; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
                        if (h->nlmsg_type == w->family)
                                netlink_event_handle(w, h);
        }
        return 0;
}

/* Read one reply message to our request from the kernel into buf; its length, or <0. */
static ssize_t ctrl_receive(int fd, NetlinkBuffer *buf) {
        for (;;) {
                struct sockaddr_nl sender = {};
                struct iovec iov = { .iov_base = buf->bytes, .iov_len = sizeof(buf->bytes) };
                struct msghdr mh = { .msg_name = &sender, .msg_namelen = sizeof(sender), .msg_iov = &iov,
                                     .msg_iovlen = 1 };
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                n = poll(&p, 1, NETLINK_CTRL_TIMEOUT_MS);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -ETIMEDOUT;
                n = recvmsg(fd, &mh, MSG_DONTWAIT);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n < 0)
                        return negative_errno();
                if (mh.msg_flags & MSG_TRUNC)
                        return -EMSGSIZE;
                if (sender.nl_pid == 0)
                        return n;
        }
}

/* The id of the multicast group called name in a CTRL_ATTR_MCAST_GROUPS attribute, or -ENOENT. */
static int ctrl_group_id(const struct nlattr *groups, const char *name, uint32_t *ret) {
        const char *p = attr_data(groups);
        size_t len = attr_len(groups);

        while (len >= NLA_HDRLEN) {
                const struct nlattr *g = (const struct nlattr *) p, *tb[CTRL_ATTR_MCAST_GRP_MAX + 1];
                const char *n;
                size_t step;

                if (g->nla_len < NLA_HDRLEN || g->nla_len > len ||
                    attrs_index(attr_data(g), attr_len(g), tb, CTRL_ATTR_MCAST_GRP_MAX) < 0)
                        return -EBADMSG;
                n = tb[CTRL_ATTR_MCAST_GRP_NAME] ? attr_string(tb[CTRL_ATTR_MCAST_GRP_NAME], GENL_NAMSIZ) : NULL;
                if (n && streq(n, name) && tb[CTRL_ATTR_MCAST_GRP_ID])
                        return attr_u32(tb[CTRL_ATTR_MCAST_GRP_ID], ret);
                step = NLA_ALIGN(g->nla_len);
                if (step >= len)
                        break;
                p += step;
                len -= step;
        }
        return -ENOENT;
}

int netlink_genl_resolve(int fd, const char *family, const char *group, uint16_t *ret_family, uint32_t *ret_group) {
        struct {
                struct nlmsghdr n;
                struct genlmsghdr g;
                char attrs[NLA_HDRLEN + NLA_ALIGN(GENL_NAMSIZ)];
        } req = {};
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        struct nlattr *a = (struct nlattr *) req.attrs;
        size_t name_len = strlen(family) + 1;
        NetlinkBuffer buf;
        const uint32_t seq = 1;
        uint16_t family_id;
        uint32_t group_id;
        ssize_t n;
        int r;

        if (name_len > GENL_NAMSIZ)
                return -EINVAL;
        a->nla_type = CTRL_ATTR_FAMILY_NAME;
        a->nla_len = NLA_HDRLEN + name_len;
        memcpy(req.attrs + NLA_HDRLEN, family, name_len);
        req.n.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(a->nla_len);
        req.n.nlmsg_type = GENL_ID_CTRL;
        req.n.nlmsg_flags = NLM_F_REQUEST;
        req.n.nlmsg_seq = seq;
        req.g.cmd = CTRL_CMD_GETFAMILY;
        req.g.version = 1;
        if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return negative_errno();

        for (;;) {
                n = ctrl_receive(fd, &buf);
                if (n < 0)
                        return n;
                for (const struct nlmsghdr *h = &buf.header; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
                        const struct nlattr *tb[CTRL_ATTR_MAX + 1];
                        const struct genlmsghdr *g = NLMSG_DATA(h);

                        if (h->nlmsg_seq != seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *err = NLMSG_DATA(h);
                                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
                                        return -EBADMSG;
                                return err->error < 0 ? err->error : -EBADMSG;
                        }
                        if (h->nlmsg_type != GENL_ID_CTRL || h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
                            g->cmd != CTRL_CMD_NEWFAMILY)
                                continue;
                        if (attrs_index((const char *) g + GENL_HDRLEN, h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
                                        tb, CTRL_ATTR_MAX) < 0 ||
                            !tb[CTRL_ATTR_FAMILY_ID] || attr_u16(tb[CTRL_ATTR_FAMILY_ID], &family_id) < 0)
                                return -EBADMSG;
                        if (!tb[CTRL_ATTR_MCAST_GROUPS])
                                return -ENOENT;
                        r = ctrl_group_id(tb[CTRL_ATTR_MCAST_GROUPS], group, &group_id);
                        if (r < 0)
                                return r;
                        *ret_family = family_id;
                        *ret_group = group_id;
                        return 0;
                }
        }
}

int netlink_watch_new(Manager *m, NetlinkWatch **ret) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_nl local = { .nl_family = AF_NETLINK };
        const int rcvbuf = 1024 * 1024;
        NetlinkWatch *w;
        uint16_t family;
        uint32_t group;
        int r;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_GENERIC);
        if (fd < 0)
                return -EPROTONOSUPPORT;
        if (bind(fd, (struct sockaddr *) &local, sizeof(local)) < 0)
                return negative_errno();
        r = netlink_genl_resolve(fd, VAP_GENL_NAME, VAP_GENL_MCGRP_EVENTS, &family, &group);
        if (r == -ENOENT) {
                /* Not apctl's simulator (or too old): uevents alone it is. */
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
                return negative_errno();
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->manager = m;
        w->family = family;
        w->fd = TAKE_FD(fd);
        r = sd_event_add_io(m->event, &w->source, w->fd, EPOLLIN, netlink_readable, w);
        if (r < 0) {
                netlink_watch_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

NetlinkWatch *netlink_watch_free(NetlinkWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        safe_close(w->fd);
        free(w);
        return NULL;
}
