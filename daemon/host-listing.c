/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host.List's snapshot of the model and its piecewise JSON; see host-listing.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host-listing.h"

#define NO_NAME UINT32_MAX

typedef struct ListedQueue {
        ApQueue queue;
        uint8_t owner;          /* ApqnOwnerKind */
        uint32_t name;          /* the owning guest's (or mdev's) name: offset into names, or NO_NAME */
} ListedQueue;

/* Where host_listing_write() goes on. */
typedef enum ListingStep {
        STEP_CARDS,             /* the "cards" key and array */
        STEP_CARD,              /* card (or the cards array's end) */
        STEP_QUEUE,             /* card's next queue (or its queues array's end) */
        STEP_TAIL,              /* everything after the cards */
        STEP_DONE,
} ListingStep;

struct HostListing {
        ApCard *cards;          /* owned, sorted by id */
        size_t n_cards;
        ListedQueue *queues;    /* owned, sorted by (adapter, domain) */
        size_t n_queues;
        char *names;            /* owned: each distinct owner name once, NUL-terminated */
        size_t names_size;
        ApMask apmask, aqmask;
        ApMask host_apm, host_aqm;
        unsigned bindings_bound, bindings_total;
        bool bindings_complete;
        unsigned max_adapter, max_domain;
        bool bus_present, matrix_present, ap_config_supported;

        ListingStep step;
        size_t card;            /* the card being written */
        size_t queue;           /* the next queue to write */
};

/*
 * Owner names, each copied once: a guest's name is returned for every one
 * of its queues, by the same pointer. Distinct pointers are at most the
 * guests and mdevs, so the lookup costs no more than the owner lookup did.
 */
typedef struct NameTable {
        const char **seen;      /* borrowed from the model: names already copied */
        uint32_t *offset;       /* owned with seen: where each was copied to */
        size_t n_seen, max_seen;
        size_t last;            /* the entry hit last: consecutive queues mostly share an owner */
} NameTable;

static int name_intern(HostListing *l, NameTable *t, const char *name, uint32_t *ret_offset) {
        size_t len = strlen(name) + 1;
        char *p;

        if (t->last < t->n_seen && t->seen[t->last] == name) {
                *ret_offset = t->offset[t->last];
                return 0;
        }
        for (size_t i = 0; i < t->n_seen; i++)
                if (t->seen[i] == name) {
                        t->last = i;
                        *ret_offset = t->offset[i];
                        return 0;
                }
        if (t->n_seen == t->max_seen)
                return -EINVAL;         /* more owners than guests and mdevs: a broken model */
        p = realloc(l->names, l->names_size + len);
        if (!p)
                return -ENOMEM;
        l->names = p;
        memcpy(l->names + l->names_size, name, len);
        t->seen[t->n_seen] = name;
        t->offset[t->n_seen] = l->names_size;
        t->last = t->n_seen++;
        *ret_offset = l->names_size;
        l->names_size += len;
        return 0;
}

static int queues_copy(HostListing *l, const Manager *m) {
        size_t max = m->desired.n_guests + m->kernel.n_mdevs;
        _cleanup_free_ const char **seen = calloc(max ?: 1, sizeof(char *));
        _cleanup_free_ uint32_t *offset = calloc(max ?: 1, sizeof(uint32_t));
        NameTable t = { .seen = seen, .offset = offset, .max_seen = max };

        if (!seen || !offset)
                return -ENOMEM;
        l->queues = calloc(m->kernel.n_queues ?: 1, sizeof(ListedQueue));
        if (!l->queues)
                return -ENOMEM;
        for (size_t i = 0; i < m->kernel.n_queues; i++) {
                const ApQueue *q = &m->kernel.queues[i];
                ListedQueue *lq = &l->queues[i];
                const char *guest;
                int r;

                lq->queue = *q;
                lq->owner = manager_apqn_owner(m, q->adapter, q->domain, &guest);
                lq->name = NO_NAME;
                if (guest) {
                        r = name_intern(l, &t, guest, &lq->name);
                        if (r < 0)
                                return r;
                }
        }
        l->n_queues = m->kernel.n_queues;
        return 0;
}

int host_listing_new(const Manager *m, HostListing **ret) {
        _cleanup_(host_listing_freep) HostListing *l = calloc(1, sizeof(*l));
        const KernelState *k = &m->kernel;
        int r;

        if (!l)
                return -ENOMEM;
        l->cards = malloc((k->n_cards ?: 1) * sizeof(ApCard));
        if (!l->cards)
                return -ENOMEM;
        memcpy(l->cards, k->cards, k->n_cards * sizeof(ApCard));
        l->n_cards = k->n_cards;
        r = queues_copy(l, m);
        if (r < 0)
                return r;
        l->apmask = k->apmask;
        l->aqmask = k->aqmask;
        l->host_apm = m->desired.host_apm;
        l->host_aqm = m->desired.host_aqm;
        l->bindings_bound = k->bindings_bound;
        l->bindings_total = k->bindings_total;
        l->bindings_complete = k->bindings_complete;
        l->max_adapter = k->max_adapter;
        l->max_domain = k->max_domain;
        l->bus_present = k->bus_present;
        l->matrix_present = k->matrix_present;
        l->ap_config_supported = k->ap_config_supported;
        *ret = TAKE_PTR(l);
        return 0;
}

HostListing *host_listing_free(HostListing *l) {
        if (!l)
                return NULL;
        free(l->cards);
        free(l->queues);
        free(l->names);
        free(l);
        return NULL;
}

/*
 * Members and their order are the ones the json-c tree Host.List once
 * built (tests/unit/daemon/test-daemon-host-list.c keeps it as the oracle).
 */
static void queue_write(JsonWriter *w, const HostListing *l, const ListedQueue *lq) {
        const ApQueue *q = &lq->queue;
        char buf[APQN_BUFSZ];

        json_writer_object_begin(w);
        json_writer_member_string(w, "apqn", apqn_format((Apqn) { q->adapter, q->domain }, buf));
        json_writer_member_int(w, "domain", q->domain);
        json_writer_member_string(w, "driver", ap_driver_to_string(q->driver));
        json_writer_member_bool(w, "config", q->config);
        json_writer_member_bool(w, "online", q->online);
        json_writer_member_bool(w, "chkstop", q->chkstop);
        json_writer_member_string(w, "owner", apqn_owner_to_string(lq->owner));
        if (lq->name != NO_NAME)
                json_writer_member_string(w, "guest", l->names + lq->name);
        json_writer_object_end(w);
}

/* A card's members up to its open queues array. */
static void card_begin(JsonWriter *w, const ApCard *c) {
        json_writer_object_begin(w);
        json_writer_member_int(w, "adapter", c->id);
        json_writer_member_int(w, "hwtype", c->hwtype);
        json_writer_member_string(w, "mode", ap_mode_to_string(c->mode));
        json_writer_member_bool(w, "config", c->config);
        json_writer_member_bool(w, "online", c->online);
        json_writer_member_bool(w, "chkstop", c->chkstop);
        json_writer_member_string(w, "driver", ap_driver_to_string(c->driver));
        json_writer_member_bool(w, "vfio_capable", c->hwtype >= AP_HWTYPE_CEX4);
        json_writer_key(w, "queues");
        json_writer_array_begin(w);
}

static void tail_write(JsonWriter *w, const HostListing *l) {
        json_writer_member_mask(w, "apmask", &l->apmask);
        json_writer_member_mask(w, "aqmask", &l->aqmask);
        json_writer_key(w, "reservation");
        json_writer_object_begin(w);
        json_writer_member_mask(w, "adapters", &l->host_apm);
        json_writer_member_mask(w, "domains", &l->host_aqm);
        json_writer_object_end(w);
        json_writer_key(w, "bindings");
        json_writer_object_begin(w);
        json_writer_member_int(w, "bound", l->bindings_bound);
        json_writer_member_int(w, "total", l->bindings_total);
        json_writer_member_bool(w, "complete", l->bindings_complete);
        json_writer_object_end(w);
        json_writer_member_int(w, "max_adapter", l->max_adapter);
        json_writer_member_int(w, "max_domain", l->max_domain);
        json_writer_member_bool(w, "ap_bus", l->bus_present);
        json_writer_member_bool(w, "vfio_ap", l->matrix_present);
        json_writer_member_bool(w, "ap_config", l->ap_config_supported);
}

/* One member-sized step of the listing. */
static void step_write(HostListing *l, JsonWriter *w) {
        switch (l->step) {
        case STEP_CARDS:
                json_writer_key(w, "cards");
                json_writer_array_begin(w);
                l->step = STEP_CARD;
                break;
        case STEP_CARD:
                if (l->card == l->n_cards) {
                        json_writer_array_end(w);
                        l->step = STEP_TAIL;
                        break;
                }
                card_begin(w, &l->cards[l->card]);
                /* Queues are sorted by adapter, so they are consumed in step with the cards. */
                while (l->queue < l->n_queues && l->queues[l->queue].queue.adapter < l->cards[l->card].id)
                        l->queue++;
                l->step = STEP_QUEUE;
                break;
        case STEP_QUEUE:
                if (l->queue < l->n_queues && l->queues[l->queue].queue.adapter == l->cards[l->card].id) {
                        queue_write(w, l, &l->queues[l->queue++]);
                        break;
                }
                json_writer_array_end(w);
                json_writer_object_end(w);
                l->card++;
                l->step = STEP_CARD;
                break;
        case STEP_TAIL:
                tail_write(w, l);
                l->step = STEP_DONE;
                break;
        case STEP_DONE:
                break;
        }
}

int host_listing_write(HostListing *l, JsonWriter *w, size_t budget) {
        while (l->step != STEP_DONE && w->size < budget && !w->err)
                step_write(l, w);
        if (w->err)
                return w->err;
        return l->step == STEP_DONE;
}
