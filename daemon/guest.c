/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest definitions: validation, copies, JSON form. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "guest.h"
#include "json-ap.h"
#include "macro.h"

bool guest_name_is_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > GUEST_NAME_MAX || name[0] == '.' || name[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-", name[i]))
                        return false;
        return true;
}

void guest_def_done(GuestDef *g) {
        free(g->name);
        *g = (GuestDef) {};
}

int guest_def_copy(const GuestDef *g, GuestDef *ret) {
        GuestDef c = *g;

        c.name = strdup(g->name);
        if (!c.name)
                return -ENOMEM;
        *ret = c;
        return 0;
}

json_object *guest_def_to_json(const GuestDef *g) {
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o || json_add_string(o, "name", g->name) < 0 || json_add_string(o, "uuid", g->uuid) < 0 ||
            json_add(o, "adapters", json_from_mask(&g->config.apm)) < 0 ||
            json_add(o, "domains", json_from_mask(&g->config.aqm)) < 0 ||
            json_add(o, "control_domains", json_from_mask(&g->config.adm)) < 0 ||
            json_add_bool(o, "autostart", g->autostart) < 0 ||
            json_add_bool(o, "overprovision", g->overprovision) < 0)
                return NULL;
        return TAKE_PTR(o);
}

void guest_def_write_members(JsonWriter *w, const GuestDef *g) {
        json_writer_member_string(w, "name", g->name);
        json_writer_member_string(w, "uuid", g->uuid);
        json_writer_member_mask(w, "adapters", &g->config.apm);
        json_writer_member_mask(w, "domains", &g->config.aqm);
        json_writer_member_mask(w, "control_domains", &g->config.adm);
        json_writer_member_bool(w, "autostart", g->autostart);
        json_writer_member_bool(w, "overprovision", g->overprovision);
}

bool guest_def_equal(const GuestDef *a, const GuestDef *b) {
        /* Exactly what guest_def_to_json() persists. */
        return streq(a->name, b->name) && streq(a->uuid, b->uuid) && ap_mask_equal(&a->config.apm, &b->config.apm) &&
               ap_mask_equal(&a->config.aqm, &b->config.aqm) && ap_mask_equal(&a->config.adm, &b->config.adm) &&
               a->autostart == b->autostart && a->overprovision == b->overprovision;
}

typedef struct GuestJson {
        char *name;             /* owned */
        char *uuid;             /* owned */
        ApConfig config;
        bool autostart;
        bool overprovision;
} GuestJson;

static const JsonField guest_fields[] = {
        { "name", json_type_string, json_dispatch_string, offsetof(GuestJson, name), JSON_FIELD_REQUIRED },
        { "uuid", json_type_string, json_dispatch_string, offsetof(GuestJson, uuid), JSON_FIELD_REQUIRED },
        { "adapters", json_type_null, json_parse_ap_mask, offsetof(GuestJson, config.apm), 0 },
        { "domains", json_type_null, json_parse_ap_mask, offsetof(GuestJson, config.aqm), 0 },
        { "control_domains", json_type_null, json_parse_ap_mask, offsetof(GuestJson, config.adm), 0 },
        { "autostart", json_type_boolean, json_dispatch_bool, offsetof(GuestJson, autostart), 0 },
        { "overprovision", json_type_boolean, json_dispatch_bool, offsetof(GuestJson, overprovision), 0 },
        {}
};

int guest_def_from_json(json_object *o, GuestDef *ret, JsonError *e) {
        GuestJson j = {};
        int r;

        r = json_dispatch(o, guest_fields, &j, e);
        if (r < 0)
                goto out;
        if (!guest_name_is_valid(j.name)) {
                json_error_set(e, "name", "invalid guest name '%s'", j.name);
                r = -EINVAL;
                goto out;
        }
        if (!uuid_is_valid(j.uuid)) {
                json_error_set(e, "uuid", "invalid UUID '%s' (want lower-case 8-4-4-4-12 hex)", j.uuid);
                r = -EINVAL;
                goto out;
        }
        *ret = (GuestDef) {
                .name = TAKE_PTR(j.name),
                .config = j.config,
                .autostart = j.autostart,
                .overprovision = j.overprovision,
        };
        strcpy(ret->uuid, j.uuid);
out:
        free(j.name);
        free(j.uuid);
        return r;
}

int uuid_generate_random(char ret[static UUID_STRING_LEN + 1]) {
        uint8_t b[16];

        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                return -EIO;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        snprintf(ret, UUID_STRING_LEN + 1,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                 b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        return 0;
}
