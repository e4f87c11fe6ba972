/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.apctl.Host.*: the host's cards and queues with their owners, and the host reservation. */
#include <errno.h>
#include <string.h>

#include "host-listing.h"
#include "json-ap.h"
#include "methods.h"
#include "transaction-spec.h"
#include "validate.h"
#include "varlink-protocol.h"

static int listing_write(void *userdata, JsonWriter *w, size_t budget) {
        return host_listing_write(userdata, w, budget);
}

static void listing_free(void *userdata) {
        host_listing_free(userdata);
}

/*
 * A z16's listing is ~570 KiB of text: it is streamed from a snapshot of
 * the model (~60 KiB) as the client reads it, never held whole.
 */
int method_host_list(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };
        HostListing *l;
        int r;

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        r = host_listing_new(m, &l);
        if (r < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "cannot take a snapshot of the host: %s",
                                  strerror(-r));
        return call_reply_stream(c, &(ReplySource) {
                .userdata = l,
                .write = listing_write,
                .free = listing_free,
                .item_max = HOST_LISTING_ITEM_MAX,
        });
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
        _cleanup_(json_writer_done) JsonWriter reply = {};
        HostParams p = {};
        ApMask apm, aqm;
        TransactionSpec spec;
        ValidationError ve = {};
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
        r = json_writer_init(&reply, 256);
        if (r >= 0) {
                reply_text_begin(&reply);
                json_writer_member_mask(&reply, "adapters", &apm);
                json_writer_member_mask(&reply, "domains", &aqm);
                r = reply_text_end(&reply, &spec.reply, &spec.reply_len);
        }
        if (r < 0) {
                transaction_spec_done(&spec);
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "out of memory");
        }
        spec_set_host_event(&spec, &apm, &aqm);
        return transaction_commit(m, c, &spec);
}

int method_host_reserve(Manager *m, Call *c) {
        return host_change(m, c, true);
}

int method_host_release(Manager *m, Call *c) {
        return host_change(m, c, false);
}
