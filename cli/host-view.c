/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Host.List reply as C structs, and the names list and matrix print. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-view.h"
#include "json-util.h"

static const char *const owner_names[_HOST_OWNER_MAX] = {
        [HOST_OWNER_FREE] = "free",
        [HOST_OWNER_HOST] = "host",
        [HOST_OWNER_GUEST_DEFINED] = "guest-defined",
        [HOST_OWNER_GUEST_RUNNING] = "guest-running",
};

const char *host_owner_to_string(HostOwner o) {
        return (unsigned) o < _HOST_OWNER_MAX ? owner_names[o] : "free";
}

static int owner_from_string(const char *s, HostOwner *ret) {
        for (size_t i = 0; i < _HOST_OWNER_MAX; i++)
                if (streq(owner_names[i], s)) {
                        *ret = (HostOwner) i;
                        return 0;
                }
        return -EBADMSG;
}

/* lszcrypt's suffix letter per mode. */
static const struct {
        const char *mode;       /* borrowed: static string */
        char suffix;
} mode_suffix[] = {
        { "accel", 'A' },
        { "cca",   'C' },
        { "ep11",  'P' },
};

const char *card_type_name(unsigned hwtype, const char *mode, char buf[static 16]) {
        char suffix = 0;

        /* hwtype 10 is CEX4 ... 14 is CEX8: the AP bus's compatible type. */
        if (hwtype < 10 || hwtype > 99) {
                snprintf(buf, 16, "type %u", hwtype);
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(mode_suffix); i++)
                if (streq(mode_suffix[i].mode, mode))
                        suffix = mode_suffix[i].suffix;
        if (suffix)
                snprintf(buf, 16, "CEX%u%c", hwtype - 6, suffix);
        else
                snprintf(buf, 16, "CEX%u", hwtype - 6);
        return buf;
}

const char *device_state_name(bool config, bool online, bool chkstop) {
        if (!config)
                return "deconfig";
        if (chkstop)
                return "checkstop";
        return online ? "online" : "offline";
}

/* Field readers: the value, or -EBADMSG when it is missing or of the wrong type. */
static int get_uint(json_object *o, const char *key, unsigned max, unsigned *ret) {
        json_object *v;
        int64_t n;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        n = json_object_get_int64(v);
        if (n < 0 || n > max)
                return -EBADMSG;
        *ret = (unsigned) n;
        return 0;
}

static int get_string(json_object *o, const char *key, const char **ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = json_object_get_string(v);
        return 0;
}

static int get_bool(json_object *o, const char *key, bool *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
                return -EBADMSG;
        *ret = json_object_get_boolean(v);
        return 0;
}

static int queue_from_json(json_object *o, unsigned adapter, HostQueue *ret) {
        const char *owner;
        json_object *g;
        HostQueue q = { .adapter = adapter };

        if (!json_object_is_type(o, json_type_object) || get_uint(o, "domain", AP_ID_MAX, &q.domain) < 0 ||
            get_string(o, "driver", &q.driver) < 0 || get_bool(o, "config", &q.config) < 0 ||
            get_bool(o, "online", &q.online) < 0 || get_bool(o, "chkstop", &q.chkstop) < 0 ||
            get_string(o, "owner", &owner) < 0 || owner_from_string(owner, &q.owner) < 0)
                return -EBADMSG;
        if (json_object_object_get_ex(o, "guest", &g) && json_object_is_type(g, json_type_string))
                q.guest = json_object_get_string(g);
        if ((q.owner == HOST_OWNER_GUEST_DEFINED || q.owner == HOST_OWNER_GUEST_RUNNING) && !q.guest)
                return -EBADMSG;
        *ret = q;
        return 0;
}

static int card_from_json(json_object *o, HostCard *ret, json_object **ret_queues) {
        HostCard c = {};
        json_object *queues;

        if (!json_object_is_type(o, json_type_object) || get_uint(o, "adapter", AP_ID_MAX, &c.adapter) < 0 ||
            get_uint(o, "hwtype", 255, &c.hwtype) < 0 || get_string(o, "mode", &c.mode) < 0 ||
            get_string(o, "driver", &c.driver) < 0 || get_bool(o, "config", &c.config) < 0 ||
            get_bool(o, "online", &c.online) < 0 || get_bool(o, "chkstop", &c.chkstop) < 0 ||
            !json_object_object_get_ex(o, "queues", &queues) || !json_object_is_type(queues, json_type_array))
                return -EBADMSG;
        *ret = c;
        *ret_queues = queues;
        return 0;
}

int host_view_from_json(json_object *reply, HostView *ret) {
        _cleanup_free_ HostCard *cards = NULL;
        _cleanup_free_ HostQueue *queues = NULL;
        json_object *arr, *bus;
        size_t n_cards, n_queues = 0, qi = 0;
        int r;

        if (!json_object_object_get_ex(reply, "cards", &arr) || !json_object_is_type(arr, json_type_array))
                return -EBADMSG;
        n_cards = json_object_array_length(arr);
        if (n_cards > AP_ID_MAX + 1)
                return -EBADMSG;
        for (size_t i = 0; i < n_cards; i++) {
                json_object *q = json_object_object_get(json_object_array_get_idx(arr, i), "queues");
                if (!json_object_is_type(q, json_type_array) || json_object_array_length(q) > AP_ID_MAX + 1)
                        return -EBADMSG;
                n_queues += json_object_array_length(q);
        }
        cards = calloc(n_cards ?: 1, sizeof(*cards));
        queues = calloc(n_queues ?: 1, sizeof(*queues));
        if (!cards || !queues)
                return -ENOMEM;
        for (size_t i = 0; i < n_cards; i++) {
                json_object *qarr;

                r = card_from_json(json_object_array_get_idx(arr, i), &cards[i], &qarr);
                if (r < 0)
                        return r;
                cards[i].queues = queues + qi;
                cards[i].n_queues = json_object_array_length(qarr);
                for (size_t j = 0; j < cards[i].n_queues; j++) {
                        r = queue_from_json(json_object_array_get_idx(qarr, j), cards[i].adapter, &queues[qi++]);
                        if (r < 0)
                                return r;
                }
        }
        /* Older apctld does not send ap_bus; it needed the bus to start. */
        *ret = (HostView) {
                .ap_bus = !json_object_object_get_ex(reply, "ap_bus", &bus) ||
                          !json_object_is_type(bus, json_type_boolean) || json_object_get_boolean(bus),
                .reply = json_object_get(reply),
                .cards = TAKE_PTR(cards),
                .n_cards = n_cards,
                .queues = TAKE_PTR(queues),
                .n_queues = n_queues,
        };
        return 0;
}

const char *host_view_empty_text(const HostView *v) {
        return v->ap_bus ? "No AP cards on this host.\n" :
                           "No AP bus on this host: the ap module (or apsim for tests) is not loaded.\n";
}

void host_view_done(HostView *v) {
        free(v->cards);
        free(v->queues);
        json_object_put(v->reply);
        *v = (HostView) {};
}
