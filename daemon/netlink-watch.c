/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The vfio_ap_sim generic netlink multicast group, through libnl. */
#include <errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdlib.h>
#include <string.h>

#include "json-ap.h"
#include "json-util.h"
#include "log.h"
#include "netlink-watch.h"
#include "vfio_ap_sim.h"

struct NetlinkWatch {
        Manager *manager;               /* borrowed */
        struct nl_sock *sock;           /* owned */
        sd_event_source *source;        /* ref held */
};

static struct nla_policy vap_policy[VAP_ATTR_MAX + 1] = {
        [VAP_ATTR_UUID] = { .type = NLA_NUL_STRING, .maxlen = 37 },
        [VAP_ATTR_APM] = { .type = NLA_NUL_STRING, .maxlen = 67 },
        [VAP_ATTR_AQM] = { .type = NLA_NUL_STRING, .maxlen = 67 },
        [VAP_ATTR_ADM] = { .type = NLA_NUL_STRING, .maxlen = 67 },
        [VAP_ATTR_SHADOW_APM] = { .type = NLA_NUL_STRING, .maxlen = 67 },
        [VAP_ATTR_SHADOW_AQM] = { .type = NLA_NUL_STRING, .maxlen = 67 },
        [VAP_ATTR_SHADOW_ADM] = { .type = NLA_NUL_STRING, .maxlen = 67 },
        [VAP_ATTR_GUEST] = { .type = NLA_NUL_STRING, .maxlen = 33 },
        [VAP_ATTR_GUEST_APM] = { .type = NLA_NUL_STRING, .maxlen = 67 },
        [VAP_ATTR_GUEST_AQM] = { .type = NLA_NUL_STRING, .maxlen = 67 },
        [VAP_ATTR_GUEST_ADM] = { .type = NLA_NUL_STRING, .maxlen = 67 },
        [VAP_ATTR_APQN] = { .type = NLA_U16 },
        [VAP_ATTR_RESET_RC] = { .type = NLA_U32 },
};

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

int netlink_event_parse(struct nl_msg *msg, json_object **ret, bool *ret_resync) {
        struct nlattr *tb[VAP_ATTR_MAX + 1];
        struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(msg));
        _cleanup_json_ json_object *e = NULL;
        char buf[APQN_BUFSZ];
        unsigned cmd = g->cmd;

        if (cmd > VAP_CMD_MAX || !command_table[cmd].type)
                return -EOPNOTSUPP;
        if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VAP_ATTR_MAX, vap_policy) < 0)
                return -EBADMSG;
        e = manager_event_new(command_table[cmd].type);
        if (!e)
                return -ENOMEM;
        if (command_table[cmd].uuid) {
                if (!tb[VAP_ATTR_UUID] || !uuid_is_valid(nla_get_string(tb[VAP_ATTR_UUID])))
                        return -EBADMSG;
                if (json_add_string(e, "uuid", nla_get_string(tb[VAP_ATTR_UUID])) < 0)
                        return -ENOMEM;
        }
        /* The kernel's guest is the VM (its name there), not an apctl guest definition. */
        if (command_table[cmd].guest && tb[VAP_ATTR_GUEST] &&
            json_add_string(e, "vm", nla_get_string(tb[VAP_ATTR_GUEST])) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < 3; i++) {
                int attr = command_table[cmd].masks[i];
                ApMask mask;

                if (!attr)
                        continue;
                if (!tb[attr] || ap_mask_parse_hex(nla_get_string(tb[attr]), &mask, NULL) < 0)
                        return -EBADMSG;
                if (json_add(e, mask_keys[i], json_from_mask(&mask)) < 0)
                        return -ENOMEM;
        }
        if (command_table[cmd].apqn) {
                uint16_t q;
                if (!tb[VAP_ATTR_APQN])
                        return -EBADMSG;
                q = nla_get_u16(tb[VAP_ATTR_APQN]);
                if (json_add_string(e, "apqn", apqn_format((Apqn) { q >> 8, q & 0xff }, buf)) < 0)
                        return -ENOMEM;
        }
        if (command_table[cmd].rc && tb[VAP_ATTR_RESET_RC] &&
            json_add_int(e, "rc", (int32_t) nla_get_u32(tb[VAP_ATTR_RESET_RC])) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(e);
        *ret_resync = command_table[cmd].resync;
        return 0;
}

static int netlink_valid(struct nl_msg *msg, void *userdata) {
        NetlinkWatch *w = userdata;
        json_object *e = NULL, *uuid;
        bool resync = false;
        int r;

        r = netlink_event_parse(msg, &e, &resync);
        if (r < 0) {
                log_debug("Ignoring a vfio_ap_sim netlink message: %s", strerror(-r));
                return NL_SKIP;
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
        return NL_OK;
}

static int netlink_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        NetlinkWatch *w = userdata;
        int r = nl_recvmsgs_default(w->sock);

        /* Lost messages (ENOBUFS): whatever they said, a full re-read covers it. */
        if (r == -NLE_NOMEM || r == -NLE_MSG_OVERFLOW) {
                log_warning("netlink event queue overflowed; doing a full resync");
                manager_schedule_resync(w->manager);
        }
        return 0;
}

int netlink_watch_new(Manager *m, NetlinkWatch **ret) {
        NetlinkWatch *w = calloc(1, sizeof(*w));
        int family, grp, r;

        if (!w)
                return -ENOMEM;
        w->manager = m;
        w->sock = nl_socket_alloc();
        if (!w->sock) {
                r = -ENOMEM;
                goto fail;
        }
        if (genl_connect(w->sock) < 0) {
                r = -EPROTONOSUPPORT;
                goto fail;
        }
        family = genl_ctrl_resolve(w->sock, VAP_GENL_NAME);
        grp = family >= 0 ? genl_ctrl_resolve_grp(w->sock, VAP_GENL_NAME, VAP_GENL_MCGRP_EVENTS) : -1;
        if (family < 0 || grp < 0) {
                /* Not apctl's simulator (or too old): uevents alone it is. */
                netlink_watch_free(w);
                *ret = NULL;
                return 0;
        }
        nl_socket_disable_seq_check(w->sock);
        nl_socket_modify_cb(w->sock, NL_CB_VALID, NL_CB_CUSTOM, netlink_valid, w);
        if (nl_socket_add_membership(w->sock, grp) < 0 || nl_socket_set_nonblocking(w->sock) < 0) {
                r = -EIO;
                goto fail;
        }
        (void) nl_socket_set_buffer_size(w->sock, 1024 * 1024, 0);
        r = sd_event_add_io(m->event, &w->source, nl_socket_get_fd(w->sock), EPOLLIN, netlink_readable, w);
        if (r < 0)
                goto fail;
        *ret = w;
        return 0;
fail:
        netlink_watch_free(w);
        return r;
}

NetlinkWatch *netlink_watch_free(NetlinkWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        nl_socket_free(w->sock);
        free(w);
        return NULL;
}
