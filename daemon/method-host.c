/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.apctl.Host.*: the host's cards and queues with their owners, and the host reservation. */
#include <errno.h>
#include <string.h>

#include "json-ap.h"
#include "json-writer.h"
#include "methods.h"
#include "transaction-spec.h"
#include "validate.h"
#include "varlink-protocol.h"

/*
 * Host.List is serialized straight into the reply buffer: as a json-c tree a
 * z16's listing (5,100 queues) was ~9 MiB of short-lived objects, more than
 * twice apctld's whole resident size, for ~0.5 MiB of text. Members and
 * their order are the ones that tree had (tests/unit/daemon/
 * test-daemon-host-list.c keeps it as the oracle).
 */
static void queue_write(JsonWriter *w, const Manager *m, const ApQueue *q) {
        char buf[APQN_BUFSZ];
        const char *guest;
        ApqnOwnerKind owner = manager_apqn_owner(m, q->adapter, q->domain, &guest);

        json_writer_object_begin(w);
        json_writer_key(w, "apqn");
        json_writer_string(w, apqn_format((Apqn) { q->adapter, q->domain }, buf));
        json_writer_key(w, "domain");
        json_writer_int(w, q->domain);
        json_writer_key(w, "driver");
        json_writer_string(w, ap_driver_to_string(q->driver));
        json_writer_key(w, "config");
        json_writer_bool(w, q->config);
        json_writer_key(w, "online");
        json_writer_bool(w, q->online);
        json_writer_key(w, "chkstop");
        json_writer_bool(w, q->chkstop);
        json_writer_key(w, "owner");
        json_writer_string(w, apqn_owner_to_string(owner));
        if (guest) {
                json_writer_key(w, "guest");
                json_writer_string(w, guest);
        }
        json_writer_object_end(w);
}

static void card_write(JsonWriter *w, const Manager *m, const ApCard *c, size_t *qi) {
        json_writer_object_begin(w);
        json_writer_key(w, "adapter");
        json_writer_int(w, c->id);
        json_writer_key(w, "hwtype");
        json_writer_int(w, c->hwtype);
        json_writer_key(w, "mode");
        json_writer_string(w, ap_mode_to_string(c->mode));
        json_writer_key(w, "config");
        json_writer_bool(w, c->config);
        json_writer_key(w, "online");
        json_writer_bool(w, c->online);
        json_writer_key(w, "chkstop");
        json_writer_bool(w, c->chkstop);
        json_writer_key(w, "driver");
        json_writer_string(w, ap_driver_to_string(c->driver));
        json_writer_key(w, "vfio_capable");
        json_writer_bool(w, c->hwtype >= AP_HWTYPE_CEX4);
        json_writer_key(w, "queues");
        json_writer_array_begin(w);
        /* Queues are sorted by adapter, so they are consumed in step with the cards. */
        while (*qi < m->kernel.n_queues && m->kernel.queues[*qi].adapter < c->id)
                (*qi)++;
        for (; *qi < m->kernel.n_queues && m->kernel.queues[*qi].adapter == c->id; (*qi)++)
                queue_write(w, m, &m->kernel.queues[*qi]);
        json_writer_array_end(w);
        json_writer_object_end(w);
}

/* Bytes of a listing: a queue's object is ~110 (more with a long guest name), a card's head ~150. */
static size_t host_list_size_hint(const Manager *m) {
        return 1024 + m->kernel.n_cards * 160 + m->kernel.n_queues * 120;
}

int method_host_list(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };
        _cleanup_(json_writer_done) JsonWriter w = {};
        size_t qi = 0;

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        if (call_reply_stream_begin(c, &w, host_list_size_hint(m)) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        json_writer_key(&w, "cards");
        json_writer_array_begin(&w);
        for (size_t i = 0; i < m->kernel.n_cards; i++)
                card_write(&w, m, &m->kernel.cards[i], &qi);
        json_writer_array_end(&w);
        json_writer_key(&w, "apmask");
        json_writer_mask(&w, &m->kernel.apmask);
        json_writer_key(&w, "aqmask");
        json_writer_mask(&w, &m->kernel.aqmask);
        json_writer_key(&w, "reservation");
        json_writer_object_begin(&w);
        json_writer_key(&w, "adapters");
        json_writer_mask(&w, &m->desired.host_apm);
        json_writer_key(&w, "domains");
        json_writer_mask(&w, &m->desired.host_aqm);
        json_writer_object_end(&w);
        json_writer_key(&w, "bindings");
        json_writer_object_begin(&w);
        json_writer_key(&w, "bound");
        json_writer_int(&w, m->kernel.bindings_bound);
        json_writer_key(&w, "total");
        json_writer_int(&w, m->kernel.bindings_total);
        json_writer_key(&w, "complete");
        json_writer_bool(&w, m->kernel.bindings_complete);
        json_writer_object_end(&w);
        json_writer_key(&w, "max_adapter");
        json_writer_int(&w, m->kernel.max_adapter);
        json_writer_key(&w, "max_domain");
        json_writer_int(&w, m->kernel.max_domain);
        json_writer_key(&w, "ap_bus");
        json_writer_bool(&w, m->kernel.bus_present);
        json_writer_key(&w, "vfio_ap");
        json_writer_bool(&w, m->kernel.matrix_present);
        json_writer_key(&w, "ap_config");
        json_writer_bool(&w, m->kernel.ap_config_supported);
        return call_reply_stream_end(c, &w);
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
