/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.apctl.Events.Subscribe, io.apctl.Status, io.apctl.Reconcile, io.apctl.Policy.Reload and .Show. */
#include <errno.h>
#include <string.h>

#include "config.h"

#include "json-ap.h"
#include "log.h"
#include "methods.h"
#include "reconcile.h"
#include "transaction.h"
#include "varlink-protocol.h"

int method_events_subscribe(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };
        _cleanup_json_ json_object *p = NULL;
        int r;

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        r = call_subscribe(c);
        if (r == -ENOBUFS)
                return call_error(c, APCTL_ERROR_LIMIT, ENOBUFS, "uid %u already has %u subscriptions", c->peer.uid,
                                  m->config.max_subscriptions);
        if (r < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "cannot subscribe");
        /* The first reply says the stream is live, so a client knows no event before it is lost. */
        p = json_object_new_object();
        if (!p || json_add_bool(p, "subscribed", true) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        return call_notify(c, TAKE_PTR(p));
}

json_object *method_status_build(Manager *m) {
        _cleanup_json_ json_object *p = json_object_new_object(), *txn = NULL, *bindings = json_object_new_object();
        size_t running = 0;

        if (!p || !bindings)
                return NULL;
        for (size_t i = 0; i < m->desired.n_guests; i++)
                running += manager_guest_running(m, &m->desired.guests[i]);
        if (json_add_string(p, "version", PACKAGE_VERSION) < 0 ||
            json_add_string(p, "backend", m->backend->ops->name) < 0 ||
            json_add_string(p, "status", m->status_text) < 0 ||
            json_add_int(p, "generation", (int64_t) m->desired.generation) < 0 ||
            json_add_int(p, "guests", m->desired.n_guests) < 0 || json_add_int(p, "running", running) < 0 ||
            json_add_int(p, "cards", m->kernel.n_cards) < 0 || json_add_int(p, "queues", m->kernel.n_queues) < 0 ||
            json_add_int(p, "mdevs", m->kernel.n_mdevs) < 0 ||
            json_add_int(p, "clients", server_n_clients(m->server)) < 0 ||
            json_add_int(p, "subscriptions", server_n_subscriptions(m->server)) < 0 ||
            json_add_int(p, "queued_calls", m->n_queued + m->n_load_waiters) < 0 ||
            json_add_int(p, "resyncs", (int64_t) m->resyncs) < 0 ||
            json_add_int(p, "events_sent", (int64_t) m->events_sent) < 0 ||
            json_add_bool(p, "recovery_needed", m->recovery_failed || m->abandoned) < 0 ||
            json_add_bool(bindings, "complete", m->kernel.bindings_complete) < 0 ||
            json_add_int(bindings, "bound", m->kernel.bindings_bound) < 0 ||
            json_add_int(bindings, "total", m->kernel.bindings_total) < 0 ||
            json_add(p, "bindings", TAKE_PTR(bindings)) < 0 ||
            json_add(p, "drift", json_object_get(m->drift)) < 0)
                return NULL;
        if (m->txn) {
                txn = transaction_describe(m);
                if (!txn || json_add(p, "transaction", TAKE_PTR(txn)) < 0)
                        return NULL;
        }
        if (json_add(p, "stuck", transaction_describe_stuck(m)) < 0)
                return NULL;
        return TAKE_PTR(p);
}

/*
 * Everything a Status reply is built from but drift, the transaction in
 * flight and stuck transactions; the cache below serves only while those
 * three are empty, when they add a constant text. The key determines the
 * whole reply, so one cache serves any Manager.
 */
typedef struct StatusKey {
        char backend[32];
        char status[sizeof(((Manager *) NULL)->status_text)];
        uint64_t generation, resyncs, events_sent;
        size_t guests, running, cards, queues, mdevs, queued;
        unsigned clients, subscriptions, bound, total;
        bool recovery_needed, complete;
} StatusKey;

/*
 * Monitors poll Status. While nothing it reports has changed the reply is
 * sent again from its wire form instead of being rebuilt and serialized
 * (building and serializing were a quarter of apctld's CPU time per call).
 */
static struct {
        StatusKey key;
        size_t len;                     /* 0: nothing cached */
        unsigned long hits;
        char text[1024];                /* the whole reply message, without its NUL */
} status_cache;

/* false when the reply must be built (drift, a transaction, stuck ones, an unusual backend name) */
static bool status_key(Manager *m, StatusKey *k) {
        /* memcmp() compares the padding too */
        memset(k, 0, sizeof(*k));
        if (m->txn || m->n_stuck > 0 || !json_object_is_type(m->drift, json_type_array) ||
            json_object_array_length(m->drift) > 0)
                return false;
        if (strlen(m->backend->ops->name) >= sizeof(k->backend) || strlen(m->status_text) >= sizeof(k->status))
                return false;
        /* Lengths checked above; memset() left the terminating NULs and zeroed the rest for memcmp(). */
        memcpy(k->backend, m->backend->ops->name, strlen(m->backend->ops->name));
        memcpy(k->status, m->status_text, strlen(m->status_text));
        for (size_t i = 0; i < m->desired.n_guests; i++)
                k->running += manager_guest_running(m, &m->desired.guests[i]);
        k->generation = m->desired.generation;
        k->resyncs = m->resyncs;
        k->events_sent = m->events_sent;
        k->guests = m->desired.n_guests;
        k->cards = m->kernel.n_cards;
        k->queues = m->kernel.n_queues;
        k->mdevs = m->kernel.n_mdevs;
        k->queued = m->n_queued + m->n_load_waiters;
        k->clients = server_n_clients(m->server);
        k->subscriptions = server_n_subscriptions(m->server);
        k->bound = m->kernel.bindings_bound;
        k->total = m->kernel.bindings_total;
        k->recovery_needed = m->recovery_failed || m->abandoned;
        k->complete = m->kernel.bindings_complete;
        return true;
}

unsigned long method_status_cache_hits(void) {
        return status_cache.hits;
}

int method_status(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };
        _cleanup_json_ json_object *msg = NULL, *p = NULL;
        const char *text = NULL;
        StatusKey key;
        size_t len;
        bool cacheable;

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        cacheable = status_key(m, &key);
        if (cacheable && status_cache.len > 0 && memcmp(&key, &status_cache.key, sizeof(key)) == 0) {
                status_cache.hits++;
                return call_reply_text(c, status_cache.text, status_cache.len);
        }
        p = method_status_build(m);
        if (p)
                msg = varlink_reply_new(TAKE_PTR(p), false);
        if (msg)
                text = varlink_message_text(msg, &len);
        if (!text)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        status_cache.len = 0;
        if (cacheable && len < sizeof(status_cache.text)) {
                memcpy(status_cache.text, text, len);
                status_cache.key = key;
                status_cache.len = len;
        }
        return call_reply_text(c, text, len);
}

int method_reconcile(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        /* The kernel is re-read off the loop; the reply comes with the fresh model. */
        manager_resync_then_reconcile(m, c);
        return 0;
}

int method_policy_reload(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };
        char reason[600] = "";
        int r;

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        if (!m->policy.reload)
                return call_error(c, APCTL_ERROR_INVALID_POLICY, ENOENT, "apctld runs without a policy engine");
        r = m->policy.reload(m->policy.userdata, reason, sizeof(reason));
        if (r < 0) {
                /* The admin who asked sees it; the journal keeps it for whoever looks later. */
                log_full(LOG_ERR, 0, NULL, NULL, NULL, NULL,
                         "io.apctl.Policy.Reload (uid %u): policy not reloaded, the old one stays: %s",
                         (unsigned) c->peer.uid, reason);
                return call_error(c, APCTL_ERROR_INVALID_POLICY, -r, "the policy was not reloaded, the old one stays: %s",
                                  reason);
        }
        log_info("Policy reloaded (uid %u)", (unsigned) c->peer.uid);
        return call_reply(c, NULL);
}

/* The policy apctld enforces now, which after a failed reload is not what the files say. */
int method_policy_show(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };
        _cleanup_json_ json_object *p = NULL;
        _cleanup_free_ char *text = NULL;
        const char *source = NULL;
        int r;

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        if (!m->policy.show)
                return call_error(c, APCTL_ERROR_INVALID_POLICY, ENOENT, "apctld runs without a policy engine");
        r = m->policy.show(m->policy.userdata, &text, &source);
        if (r < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "cannot format the policy");
        p = json_object_new_object();
        if (!p || json_add_string(p, "source", source) < 0 || json_add_string(p, "policy", text) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        return call_reply(c, TAKE_PTR(p));
}
