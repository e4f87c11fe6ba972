/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON encoders and field parsers for AP id sets. */
#include <errno.h>

#include "json-ap.h"

json_object *json_from_mask(const ApMask *m) {
        _cleanup_json_ json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        AP_MASK_FOREACH(id, m)
                if (json_append(a, json_object_new_int(id)) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

json_object *json_from_ap_config(const ApConfig *c) {
        _cleanup_json_ json_object *o = json_object_new_object();

        if (!o || json_add(o, "adapters", json_from_mask(&c->apm)) < 0 ||
            json_add(o, "domains", json_from_mask(&c->aqm)) < 0 ||
            json_add(o, "control_domains", json_from_mask(&c->adm)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

int json_parse_ap_mask(const char *name, json_object *v, void *dest, JsonError *e) {
        ApMask m = {};

        if (json_object_is_type(v, json_type_string)) {
                ApParseError pe = {};
                int r;

                if (json_string_has_nul(v)) {
                        json_error_set(e, name, "field '%s' must not contain a NUL character", name);
                        return -EINVAL;
                }
                r = ap_list_parse(json_object_get_string(v), AP_ID_MAX, &m, &pe);
                if (r < 0) {
                        json_error_set(e, name, "field '%s': %s", name, pe.message[0] ? pe.message : "invalid id list");
                        return -EINVAL;
                }
        } else if (json_object_is_type(v, json_type_array)) {
                size_t n = json_object_array_length(v);

                if (n > AP_MASK_BITS) {
                        json_error_set(e, name, "field '%s' lists %zu ids, more than %u", name, n, AP_MASK_BITS);
                        return -EINVAL;
                }
                for (size_t i = 0; i < n; i++) {
                        json_object *x = json_object_array_get_idx(v, i);
                        int64_t id;

                        if (!json_object_is_type(x, json_type_int)) {
                                json_error_set(e, name, "field '%s' element %zu is not an integer", name, i);
                                return -EINVAL;
                        }
                        id = json_object_get_int64(x);
                        if (id < 0 || id > AP_ID_MAX) {
                                json_error_set(e, name, "field '%s': id %lld is outside 0..%u", name,
                                               (long long) id, AP_ID_MAX);
                                return -ERANGE;
                        }
                        if (ap_mask_test(&m, id)) {
                                json_error_set(e, name, "field '%s' lists id %lld twice", name, (long long) id);
                                return -EINVAL;
                        }
                        ap_mask_set(&m, id);
                }
        } else {
                json_error_set(e, name, "field '%s' must be an array of ids or an id list string", name);
                return -EINVAL;
        }
        *(ApMask *) dest = m;
        return 0;
}
