/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Import from and export to mdevctl definitions. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json-util.h"
#include "mdevctl.h"

typedef enum AttrAction {
        ATTR_ASSIGN,
        ATTR_UNASSIGN,
} AttrAction;

static const struct {
        const char *name;       /* borrowed: static string */
        AttrAction action;
        size_t offset;          /* which mask of ApConfig */
        bool domain;            /* id limit and label */
} attr_table[] = {
        { "assign_adapter",          ATTR_ASSIGN,   offsetof(ApConfig, apm), false },
        { "assign_domain",           ATTR_ASSIGN,   offsetof(ApConfig, aqm), true },
        { "assign_control_domain",   ATTR_ASSIGN,   offsetof(ApConfig, adm), true },
        { "unassign_adapter",        ATTR_UNASSIGN, offsetof(ApConfig, apm), false },
        { "unassign_domain",         ATTR_UNASSIGN, offsetof(ApConfig, aqm), true },
        { "unassign_control_domain", ATTR_UNASSIGN, offsetof(ApConfig, adm), true },
};

static int apply_attr(ApConfig *c, size_t index, const char *name, const char *value, JsonError *e) {
        ApParseError pe = {};
        unsigned id;

        if (streq(name, "ap_config")) {
                /* The whole config at once, replacing what earlier attrs built. */
                if (ap_config_parse(value, c, &pe) < 0) {
                        json_error_set(e, "attrs", "attrs[%zu] ap_config '%s': %s", index, value, pe.message);
                        return -EINVAL;
                }
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(attr_table); i++) {
                if (!streq(attr_table[i].name, name))
                        continue;
                /* Read the value as the kernel would (kstrtoul base 0), octal trap included. */
                if (ap_id_parse_kernel(value, AP_ID_MAX, &id, &pe) < 0) {
                        json_error_set(e, "attrs", "attrs[%zu] %s value '%s': %s", index, name, value, pe.message);
                        return -EINVAL;
                }
                ApMask *m = (ApMask *) ((uint8_t *) c + attr_table[i].offset);
                if (attr_table[i].action == ATTR_ASSIGN)
                        ap_mask_set(m, id);
                else
                        ap_mask_clear(m, id);
                return 0;
        }
        json_error_set(e, "attrs", "attrs[%zu]: attribute '%s' is not a vfio_ap attribute apctl knows", index, name);
        return -EINVAL;
}

typedef struct MdevctlJson {
        char *mdev_type;        /* owned */
        char *start;            /* owned */
        json_object *attrs;     /* ref held */
} MdevctlJson;

static const JsonField mdevctl_fields[] = {
        { "mdev_type", json_type_string, json_dispatch_string, offsetof(MdevctlJson, mdev_type), JSON_FIELD_REQUIRED },
        { "start", json_type_string, json_dispatch_string, offsetof(MdevctlJson, start), JSON_FIELD_REQUIRED },
        { "attrs", json_type_array, json_dispatch_object_ref, offsetof(MdevctlJson, attrs), 0 },
        {}
};

int mdevctl_parse(json_object *o, GuestDef *ret, JsonError *e) {
        MdevctlJson j = {};
        ApConfig c = {};
        bool autostart;
        size_t n;
        int r;

        r = json_dispatch(o, mdevctl_fields, &j, e);
        if (r < 0)
                goto out;
        r = -EINVAL;
        if (!streq(j.mdev_type, MDEVCTL_TYPE)) {
                json_error_set(e, "mdev_type", "mdev_type is '%s', apctl manages only '%s'", j.mdev_type, MDEVCTL_TYPE);
                goto out;
        }
        if (!streq(j.start, "auto") && !streq(j.start, "manual")) {
                json_error_set(e, "start", "start must be 'auto' or 'manual', not '%s'", j.start);
                goto out;
        }
        autostart = streq(j.start, "auto");
        n = j.attrs ? json_object_array_length(j.attrs) : 0;
        if (n > MDEVCTL_ATTRS_MAX) {
                json_error_set(e, "attrs", "%zu attrs is more than the %u apctl accepts", n, MDEVCTL_ATTRS_MAX);
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                json_object *a = json_object_array_get_idx(j.attrs, i);
                struct json_object_iterator it, end;

                /* mdevctl: each attr is an object with exactly one key and a string value. */
                if (!json_object_is_type(a, json_type_object) || json_object_object_length(a) != 1) {
                        json_error_set(e, "attrs", "attrs[%zu] must be an object with exactly one key", i);
                        goto out;
                }
                it = json_object_iter_begin(a);
                end = json_object_iter_end(a);
                if (json_object_iter_equal(&it, &end))
                        goto out;
                json_object *v = json_object_iter_peek_value(&it);
                if (!json_object_is_type(v, json_type_string) || json_string_has_nul(v)) {
                        json_error_set(e, "attrs", "attrs[%zu] value must be a string without NUL characters", i);
                        goto out;
                }
                r = apply_attr(&c, i, json_object_iter_peek_name(&it), json_object_get_string(v), e);
                if (r < 0)
                        goto out;
        }
        ret->config = c;
        ret->autostart = autostart;
        r = 0;
out:
        free(j.mdev_type);
        free(j.start);
        json_object_put(j.attrs);
        return r;
}

static int add_attrs(json_object *attrs, const char *name, const ApMask *m, bool domain) {
        char value[16];

        AP_MASK_FOREACH(id, m) {
                json_object *a = json_object_new_object();
                if (domain)
                        snprintf(value, sizeof(value), "0x%04x", id);
                else
                        snprintf(value, sizeof(value), "0x%02x", id);
                if (!a || json_add_string(a, name, value) < 0 || json_append(attrs, a) < 0)
                        return -ENOMEM;
        }
        return 0;
}

json_object *mdevctl_format(const GuestDef *g) {
        _cleanup_json_ json_object *o = json_object_new_object(), *attrs = json_object_new_array();

        /* Hex with 0x: never read as octal by kstrtoul base 0. */
        if (!o || !attrs || json_add_string(o, "mdev_type", MDEVCTL_TYPE) < 0 ||
            json_add_string(o, "start", g->autostart ? "auto" : "manual") < 0 ||
            add_attrs(attrs, "assign_adapter", &g->config.apm, false) < 0 ||
            add_attrs(attrs, "assign_domain", &g->config.aqm, true) < 0 ||
            add_attrs(attrs, "assign_control_domain", &g->config.adm, true) < 0 ||
            json_add(o, "attrs", TAKE_PTR(attrs)) < 0)
                return NULL;
        return TAKE_PTR(o);
}
