/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.apctl.Host.*: the host's cards and queues with their owners, and the host reservation. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "host-listing.h"
#include "json-ap.h"
#include "methods.h"
#include "transaction-spec.h"
#include "validate.h"
#include "varlink-protocol.h"

/* Bytes of a listing: a queue's object is ~110 (more with a long guest name), a card's head ~150. */
static size_t host_list_size_hint(const Manager *m) {
        return 1024 + m->kernel.n_cards * 160 + m->kernel.n_queues * 120;
}

/*
 * Host.List is serialized straight into the reply buffer: as a json-c tree a
 * z16's listing (5,100 queues) was ~9 MiB of short-lived objects, more than
 * twice apctld's whole resident size, for ~0.5 MiB of text.
 */
int method_host_list(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };
        _cleanup_(host_listing_freep) HostListing *l = NULL;
        _cleanup_(json_writer_done) JsonWriter w = {};
        int r;

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        r = host_listing_new(m, &l);
        if (r < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "cannot take a snapshot of the host: %s",
                                  strerror(-r));
        if (call_reply_stream_begin(c, &w, host_list_size_hint(m)) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        /* A failed write sticks in w: the end replies with the error. */
        (void) host_listing_write(l, &w, SIZE_MAX);
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
