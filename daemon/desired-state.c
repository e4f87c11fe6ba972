/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Desired state: guest definitions and host reservation, and their state file. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "desired-state.h"
#include "fileio.h"
#include "json-ap.h"
#include "macro.h"

#define STATE_FILE_MAX (4u << 20)

void desired_state_done(DesiredState *s) {
        for (size_t i = 0; i < s->n_guests; i++)
                guest_def_done(&s->guests[i]);
        free(s->guests);
        *s = (DesiredState) {};
}

int desired_state_copy(const DesiredState *s, DesiredState *ret) {
        DesiredState c = *s;

        c.guests = NULL;
        c.n_guests = 0;
        if (s->n_guests) {
                c.guests = calloc(s->n_guests, sizeof(GuestDef));
                if (!c.guests)
                        return -ENOMEM;
                for (; c.n_guests < s->n_guests; c.n_guests++)
                        if (guest_def_copy(&s->guests[c.n_guests], &c.guests[c.n_guests]) < 0) {
                                desired_state_done(&c);
                                return -ENOMEM;
                        }
        }
        *ret = c;
        return 0;
}

GuestDef *desired_state_find_guest(const DesiredState *s, const char *name) {
        for (size_t i = 0; i < s->n_guests; i++)
                if (streq(s->guests[i].name, name))
                        return &s->guests[i];
        return NULL;
}

GuestDef *desired_state_find_guest_by_uuid(const DesiredState *s, const char *uuid) {
        for (size_t i = 0; i < s->n_guests; i++)
                if (streq(s->guests[i].uuid, uuid))
                        return &s->guests[i];
        return NULL;
}

int desired_state_put_guest(DesiredState *s, const GuestDef *g) {
        GuestDef copy, *old = desired_state_find_guest(s, g->name);
        size_t i;

        if (guest_def_copy(g, &copy) < 0)
                return -ENOMEM;
        if (old) {
                guest_def_done(old);
                *old = copy;
                return 0;
        }
        if (s->n_guests >= DESIRED_STATE_GUESTS_MAX) {
                guest_def_done(&copy);
                return -ENOSPC;
        }
        GuestDef *p = realloc(s->guests, (s->n_guests + 1) * sizeof(GuestDef));
        if (!p) {
                guest_def_done(&copy);
                return -ENOMEM;
        }
        s->guests = p;
        for (i = s->n_guests; i > 0 && strcmp(s->guests[i - 1].name, g->name) > 0; i--)
                s->guests[i] = s->guests[i - 1];
        s->guests[i] = copy;
        s->n_guests++;
        return 0;
}

int desired_state_remove_guest(DesiredState *s, const char *name) {
        GuestDef *g = desired_state_find_guest(s, name);

        if (!g)
                return -ENOENT;
        guest_def_done(g);
        memmove(g, g + 1, (s->guests + s->n_guests - (g + 1)) * sizeof(GuestDef));
        s->n_guests--;
        return 0;
}

bool desired_state_is_committed(const DesiredState *s, uint64_t id) {
        for (size_t i = 0; i < s->n_committed; i++)
                if (s->committed[i] == id)
                        return true;
        return false;
}

int desired_state_add_committed(DesiredState *s, uint64_t id) {
        if (desired_state_is_committed(s, id))
                return 0;
        if (s->n_committed >= DESIRED_STATE_COMMITTED_MAX)
                return -ENOSPC;
        s->committed[s->n_committed++] = id;
        return 0;
}

void desired_state_drop_committed(DesiredState *s, uint64_t id) {
        for (size_t i = 0; i < s->n_committed; i++)
                if (s->committed[i] == id) {
                        s->committed[i] = s->committed[--s->n_committed];
                        return;
                }
}

static json_object *desired_state_to_json(const DesiredState *s) {
        _cleanup_json_ json_object *o = json_object_new_object();
        _cleanup_json_ json_object *guests = json_object_new_array();
        _cleanup_json_ json_object *host = json_object_new_object();

        if (!o || !guests || !host)
                return NULL;
        if (json_add_string(o, "format", "apctl-state") < 0 ||
            json_add_int(o, "version", DESIRED_STATE_FORMAT_VERSION) < 0 ||
            json_add_int(o, "generation", (int64_t) s->generation) < 0)
                return NULL;
        if (s->host_known) {
                if (json_add(host, "adapters", json_from_mask(&s->host_apm)) < 0 ||
                    json_add(host, "domains", json_from_mask(&s->host_aqm)) < 0 ||
                    json_add(o, "host", TAKE_PTR(host)) < 0)
                        return NULL;
        }
        for (size_t i = 0; i < s->n_guests; i++)
                if (json_append(guests, guest_def_to_json(&s->guests[i])) < 0)
                        return NULL;
        if (json_add(o, "guests", TAKE_PTR(guests)) < 0)
                return NULL;
        if (s->n_committed > 0) {
                _cleanup_json_ json_object *c = json_object_new_array();
                char hex[17];

                if (!c)
                        return NULL;
                for (size_t i = 0; i < s->n_committed; i++) {
                        snprintf(hex, sizeof(hex), "%016" PRIx64, s->committed[i]);
                        if (json_append(c, json_object_new_string(hex)) < 0)
                                return NULL;
                }
                if (json_add(o, "committed", TAKE_PTR(c)) < 0)
                        return NULL;
        }
        return TAKE_PTR(o);
}

int desired_state_save(const char *dir, const DesiredState *s) {
        _cleanup_json_ json_object *o = desired_state_to_json(s);
        const char *text;
        size_t len;

        if (!o)
                return -ENOMEM;
        text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED, &len);
        if (!text)
                return -ENOMEM;
        return write_file_atomic(dir, DESIRED_STATE_FILE, text, len, 0600);
}

typedef struct HostJson {
        ApMask apm;
        ApMask aqm;
} HostJson;

static const JsonField host_fields[] = {
        { "adapters", json_type_null, json_parse_ap_mask, offsetof(HostJson, apm), JSON_FIELD_REQUIRED },
        { "domains", json_type_null, json_parse_ap_mask, offsetof(HostJson, aqm), JSON_FIELD_REQUIRED },
        {}
};

typedef struct StateJson {
        char *format;           /* owned */
        int64_t version;
        int64_t generation;
        json_object *host;      /* ref held */
        json_object *guests;    /* ref held */
        json_object *committed; /* ref held */
} StateJson;

static const JsonField state_fields[] = {
        { "format", json_type_string, json_dispatch_string, offsetof(StateJson, format), JSON_FIELD_REQUIRED },
        { "version", json_type_int, json_dispatch_int64, offsetof(StateJson, version), JSON_FIELD_REQUIRED },
        { "generation", json_type_int, json_dispatch_int64, offsetof(StateJson, generation), JSON_FIELD_REQUIRED },
        { "host", json_type_object, json_dispatch_object_ref, offsetof(StateJson, host), 0 },
        { "guests", json_type_array, json_dispatch_object_ref, offsetof(StateJson, guests), JSON_FIELD_REQUIRED },
        { "committed", json_type_array, json_dispatch_object_ref, offsetof(StateJson, committed), 0 },
        {}
};

static int state_from_json(json_object *o, DesiredState *ret, JsonError *e) {
        _cleanup_(desired_state_done) DesiredState s = {};
        StateJson j = {};
        int r;

        r = json_dispatch(o, state_fields, &j, e);
        if (r < 0)
                goto out;
        r = -EBADMSG;
        if (!streq(j.format, "apctl-state")) {
                json_error_set(e, "format", "not an apctl state file (format '%s')", j.format);
                goto out;
        }
        if (j.version != DESIRED_STATE_FORMAT_VERSION) {
                json_error_set(e, "version", "state file version %" PRId64 " is not supported (want %d)",
                               j.version, DESIRED_STATE_FORMAT_VERSION);
                goto out;
        }
        if (j.generation < 0) {
                json_error_set(e, "generation", "negative generation");
                goto out;
        }
        s.generation = j.generation;
        if (j.host) {
                HostJson h = {};
                if (json_dispatch(j.host, host_fields, &h, e) < 0)
                        goto out;
                s.host_known = true;
                s.host_apm = h.apm;
                s.host_aqm = h.aqm;
        }
        for (size_t i = 0; i < json_object_array_length(j.guests); i++) {
                _cleanup_(guest_def_done) GuestDef g = {};
                if (guest_def_from_json(json_object_array_get_idx(j.guests, i), &g, e) < 0)
                        goto out;
                if (desired_state_find_guest(&s, g.name) || desired_state_find_guest_by_uuid(&s, g.uuid)) {
                        json_error_set(e, "guests", "guest '%s' or its UUID appears twice", g.name);
                        goto out;
                }
                if (desired_state_put_guest(&s, &g) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
        }
        for (size_t i = 0; j.committed && i < json_object_array_length(j.committed); i++) {
                json_object *x = json_object_array_get_idx(j.committed, i);
                const char *hex = json_object_get_string(x);
                char *end;
                uint64_t id;

                errno = 0;
                id = json_object_is_type(x, json_type_string) ? strtoull(hex, &end, 16) : 0;
                if (!json_object_is_type(x, json_type_string) || errno || *end || strlen(hex) != 16 || id == 0 ||
                    desired_state_add_committed(&s, id) < 0) {
                        json_error_set(e, "committed", "entry %zu is not a journal id, or there are too many", i);
                        goto out;
                }
        }
        *ret = s;
        s = (DesiredState) {};
        r = 0;
out:
        free(j.format);
        json_object_put(j.host);
        json_object_put(j.guests);
        json_object_put(j.committed);
        return r;
}

int desired_state_load(const char *dir, DesiredState *ret, JsonError *e) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *o = NULL;
        char path[4096];
        size_t len;
        int r;

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, DESIRED_STATE_FILE) >= sizeof(path))
                return -ENAMETOOLONG;
        r = read_file(path, STATE_FILE_MAX, &text, &len);
        if (r < 0)
                return r;
        r = json_parse_limited(text, len, 16, &o, e);
        if (r < 0)
                return r;
        return state_from_json(o, ret, e);
}
