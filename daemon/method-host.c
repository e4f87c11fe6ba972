/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.apctl.Host.*: the host's cards and queues with their owners, and the host reservation. */
#include <errno.h>
#include <malloc.h>
#include <string.h>

#include "json-ap.h"
#include "methods.h"
#include "transaction-spec.h"
#include "validate.h"
#include "varlink-protocol.h"

static json_object *queue_to_json(const Manager *m, const ApQueue *q) {
        _cleanup_json_ json_object *o = json_object_new_object();
        char buf[APQN_BUFSZ];
        const char *guest;
        ApqnOwnerKind owner = manager_apqn_owner(m, q->adapter, q->domain, &guest);

        if (!o || json_add_string(o, "apqn", apqn_format((Apqn) { q->adapter, q->domain }, buf)) < 0 ||
            json_add_int(o, "domain", q->domain) < 0 ||
            json_add_string(o, "driver", ap_driver_to_string(q->driver)) < 0 ||
            json_add_bool(o, "config", q->config) < 0 || json_add_bool(o, "online", q->online) < 0 ||
            json_add_bool(o, "chkstop", q->chkstop) < 0 ||
            json_add_string(o, "owner", apqn_owner_to_string(owner)) < 0 ||
            (guest && json_add_string(o, "guest", guest) < 0))
                return NULL;
        return TAKE_PTR(o);
}

static json_object *card_to_json(const Manager *m, const ApCard *c, size_t *qi) {
        _cleanup_json_ json_object *o = json_object_new_object(), *queues = json_object_new_array();

        if (!o || !queues || json_add_int(o, "adapter", c->id) < 0 || json_add_int(o, "hwtype", c->hwtype) < 0 ||
            json_add_string(o, "mode", ap_mode_to_string(c->mode)) < 0 ||
            json_add_bool(o, "config", c->config) < 0 || json_add_bool(o, "online", c->online) < 0 ||
            json_add_bool(o, "chkstop", c->chkstop) < 0 ||
            json_add_string(o, "driver", ap_driver_to_string(c->driver)) < 0 ||
            json_add_bool(o, "vfio_capable", c->hwtype >= AP_HWTYPE_CEX4) < 0)
                return NULL;
        /* Queues are sorted by adapter, so they are consumed in step with the cards. */
        while (*qi < m->kernel.n_queues && m->kernel.queues[*qi].adapter < c->id)
                (*qi)++;
        for (; *qi < m->kernel.n_queues && m->kernel.queues[*qi].adapter == c->id; (*qi)++)
                if (json_append(queues, queue_to_json(m, &m->kernel.queues[*qi])) < 0)
                        return NULL;
        if (json_add(o, "queues", TAKE_PTR(queues)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

int method_host_list(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };
        _cleanup_json_ json_object *p = json_object_new_object(), *cards = json_object_new_array();
        _cleanup_json_ json_object *reservation = json_object_new_object(), *bindings = json_object_new_object();
        size_t qi = 0;
        int r;

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        if (!p || !cards || !reservation || !bindings)
                goto oom;
        for (size_t i = 0; i < m->kernel.n_cards; i++)
                if (json_append(cards, card_to_json(m, &m->kernel.cards[i], &qi)) < 0)
                        goto oom;
        if (json_add(reservation, "adapters", json_from_mask(&m->desired.host_apm)) < 0 ||
            json_add(reservation, "domains", json_from_mask(&m->desired.host_aqm)) < 0 ||
            json_add_int(bindings, "bound", m->kernel.bindings_bound) < 0 ||
            json_add_int(bindings, "total", m->kernel.bindings_total) < 0 ||
            json_add_bool(bindings, "complete", m->kernel.bindings_complete) < 0 ||
            json_add(p, "cards", TAKE_PTR(cards)) < 0 ||
            json_add(p, "apmask", json_from_mask(&m->kernel.apmask)) < 0 ||
            json_add(p, "aqmask", json_from_mask(&m->kernel.aqmask)) < 0 ||
            json_add(p, "reservation", TAKE_PTR(reservation)) < 0 ||
            json_add(p, "bindings", TAKE_PTR(bindings)) < 0 ||
            json_add_int(p, "max_adapter", m->kernel.max_adapter) < 0 ||
            json_add_int(p, "max_domain", m->kernel.max_domain) < 0 ||
            json_add_bool(p, "ap_bus", m->kernel.bus_present) < 0 ||
            json_add_bool(p, "vfio_ap", m->kernel.matrix_present) < 0 ||
            json_add_bool(p, "ap_config", m->kernel.ap_config_supported) < 0)
                goto oom;
        r = call_reply(c, TAKE_PTR(p));
        /* The listing of a z16 is a few MiB of short-lived JSON objects: give the pages back. */
        if (m->kernel.n_queues > 1024)
                malloc_trim(0);
        return r;
oom:
        return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
}

typedef struct HostParams {
        ApMask adapters;
        ApMask domains;
} HostParams;

static const JsonField host_fields[] = {
        { "adapters", json_type_null, json_parse_ap_mask, offsetof(HostParams, adapters), 0 },
        { "domains", json_type_null, json_parse_ap_mask, offsetof(HostParams, domains), 0 },
        {}
};

static int host_change(Manager *m, Call *c, bool reserve) {
        HostParams p = {};
        ApMask apm, aqm;
        TransactionSpec spec;
        ValidationError ve = {};
        json_object *ev;
        int r;

        if (call_dispatch_parameters(c, host_fields, &p) < 0)
                return -EINVAL;
        if (!m->kernel.bus_present)
                return call_error(c, APCTL_ERROR_NO_SUCH_DEVICE, ENODEV, "the AP bus is not loaded (no /sys/bus/ap)");
        if (ap_mask_is_empty(&p.adapters) && ap_mask_is_empty(&p.domains))
                return call_error(c, VARLINK_ERROR_INVALID_PARAMETER, EINVAL,
                                  "give at least one of 'adapters' and 'domains'");
        if (reserve) {
                ap_mask_or(&apm, &m->desired.host_apm, &p.adapters);
                ap_mask_or(&aqm, &m->desired.host_aqm, &p.domains);
                r = validate_host(&m->kernel, &m->desired, &apm, &aqm, &ve);
                if (r < 0)
                        return call_error(c, ve.error, -ve.err, "cannot reserve for the host: %s", ve.message);
        } else {
                ap_mask_andnot(&apm, &m->desired.host_apm, &p.adapters);
                ap_mask_andnot(&aqm, &m->desired.host_aqm, &p.domains);
        }
        r = spec_init(m, c->def->name, &spec);
        if (r < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "out of memory");
        spec.next.host_apm = apm;
        spec.next.host_aqm = aqm;
        spec.next.host_known = true;
        spec_set_host(m, &spec, &apm, &aqm);
        spec.reply = json_object_new_object();
        if (spec.reply) {
                (void) json_add(spec.reply, "adapters", json_from_mask(&apm));
                (void) json_add(spec.reply, "domains", json_from_mask(&aqm));
        }
        ev = manager_event_new("host-reservation-changed");
        if (ev) {
                (void) json_add(ev, "adapters", json_from_mask(&apm));
                (void) json_add(ev, "domains", json_from_mask(&aqm));
        }
        spec.event = ev;
        return transaction_commit(m, c, &spec);
}

int method_host_reserve(Manager *m, Call *c) {
        return host_change(m, c, true);
}

int method_host_release(Manager *m, Call *c) {
        return host_change(m, c, false);
}
