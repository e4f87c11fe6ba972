/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Diffing kernel snapshots into events. */
#include <stdio.h>
#include <string.h>

#include "json-ap.h"
#include "json-util.h"
#include "kernel-diff.h"
#include "manager.h"

typedef struct DiffCtx {
        KernelDiffEmit emit;
        void *userdata;                 /* borrowed */
        size_t n;
} DiffCtx;

static void diff_emit(DiffCtx *d, json_object *e) {
        if (!e)
                return;
        d->emit(d->userdata, e);
        d->n++;
}

/* The event is built only for an emit callback; without one the change is only counted. */
#define DIFF_EMIT(d, build)                     \
        do {                                    \
                if ((d)->emit)                  \
                        diff_emit((d), (build)); \
                else                            \
                        (d)->n++;               \
        } while (0)

static json_object *card_event(const char *type, const ApCard *c) {
        json_object *e = manager_event_new(type);

        if (e && (json_add_int(e, "adapter", c->id) < 0 || json_add_int(e, "hwtype", c->hwtype) < 0 ||
                  json_add_string(e, "mode", ap_mode_to_string(c->mode)) < 0 ||
                  json_add_bool(e, "config", c->config) < 0 || json_add_bool(e, "online", c->online) < 0 ||
                  json_add_bool(e, "chkstop", c->chkstop) < 0)) {
                json_object_put(e);
                return NULL;
        }
        return e;
}

static json_object *queue_event(const char *type, const ApQueue *q) {
        json_object *e = manager_event_new(type);
        char buf[APQN_BUFSZ];

        if (e && (json_add_string(e, "apqn", apqn_format((Apqn) { q->adapter, q->domain }, buf)) < 0 ||
                  json_add_string(e, "driver", ap_driver_to_string(q->driver)) < 0 ||
                  json_add_bool(e, "config", q->config) < 0 || json_add_bool(e, "online", q->online) < 0 ||
                  json_add_bool(e, "chkstop", q->chkstop) < 0)) {
                json_object_put(e);
                return NULL;
        }
        return e;
}

static json_object *mdev_event(const char *type, const MdevState *m) {
        json_object *e = manager_event_new(type);

        if (e && (json_add_string(e, "uuid", m->uuid) < 0 ||
                  json_add(e, "assigned", json_from_ap_config(&m->assigned)) < 0 ||
                  json_add(e, "guest_adapters", json_from_mask(&m->guest_apm)) < 0 ||
                  json_add(e, "guest_domains", json_from_mask(&m->guest_aqm)) < 0)) {
                json_object_put(e);
                return NULL;
        }
        return e;
}

static bool card_equal(const ApCard *a, const ApCard *b) {
        return a->hwtype == b->hwtype && a->mode == b->mode && a->driver == b->driver && a->config == b->config &&
               a->chkstop == b->chkstop && a->online == b->online;
}

static bool queue_equal(const ApQueue *a, const ApQueue *b) {
        return a->driver == b->driver && a->config == b->config && a->chkstop == b->chkstop && a->online == b->online;
}

static bool mdev_equal(const MdevState *a, const MdevState *b) {
        return ap_mask_equal(&a->assigned.apm, &b->assigned.apm) && ap_mask_equal(&a->assigned.aqm, &b->assigned.aqm) &&
               ap_mask_equal(&a->assigned.adm, &b->assigned.adm) && ap_mask_equal(&a->guest_apm, &b->guest_apm) &&
               ap_mask_equal(&a->guest_aqm, &b->guest_aqm);
}

/* One merge over two sorted arrays; cmp/eq/ev are per element type. */
#define MERGE(arr_a, n_a, arr_b, n_b, key, eq, ev, prefix)                                         \
        for (size_t i = 0, j = 0; i < (n_a) || j < (n_b);) {                                      \
                int c = i >= (n_a) ? 1 : j >= (n_b) ? -1 : key(&(arr_a)[i], &(arr_b)[j]);         \
                if (c < 0) {                                                                        \
                        DIFF_EMIT(&d, ev(prefix "-removed", &(arr_a)[i]));                          \
                        i++;                                                                        \
                } else if (c > 0) {                                                                 \
                        DIFF_EMIT(&d, ev(prefix "-added", &(arr_b)[j]));                            \
                        j++;                                                                        \
                } else {                                                                            \
                        if (!eq(&(arr_a)[i], &(arr_b)[j]))                                          \
                                DIFF_EMIT(&d, ev(prefix "-changed", &(arr_b)[j]));                  \
                        i++, j++;                                                                   \
                }                                                                                   \
        }

static int card_key(const ApCard *a, const ApCard *b) {
        return (int) a->id - (int) b->id;
}

static int queue_key(const ApQueue *a, const ApQueue *b) {
        return ((int) a->adapter << 8 | a->domain) - ((int) b->adapter << 8 | b->domain);
}

static int mdev_key(const MdevState *a, const MdevState *b) {
        return strcmp(a->uuid, b->uuid);
}

static json_object *masks_event(const KernelState *new) {
        json_object *e = manager_event_new("masks-changed");

        if (e && (json_add(e, "apmask", json_from_mask(&new->apmask)) < 0 ||
                  json_add(e, "aqmask", json_from_mask(&new->aqmask)) < 0))
                e = (json_object_put(e), NULL);
        return e;
}

static json_object *bindings_event(const KernelState *new) {
        json_object *e = manager_event_new("bindings-complete");

        if (e && (json_add_int(e, "bound", new->bindings_bound) < 0 ||
                  json_add_int(e, "total", new->bindings_total) < 0))
                e = (json_object_put(e), NULL);
        return e;
}

size_t kernel_state_diff(const KernelState *old, const KernelState *new, KernelDiffEmit emit, void *userdata) {
        DiffCtx d = { .emit = emit, .userdata = userdata };

        if (!ap_mask_equal(&old->apmask, &new->apmask) || !ap_mask_equal(&old->aqmask, &new->aqmask))
                DIFF_EMIT(&d, masks_event(new));
        MERGE(old->cards, old->n_cards, new->cards, new->n_cards, card_key, card_equal, card_event, "card");
        MERGE(old->queues, old->n_queues, new->queues, new->n_queues, queue_key, queue_equal, queue_event, "queue");
        MERGE(old->mdevs, old->n_mdevs, new->mdevs, new->n_mdevs, mdev_key, mdev_equal, mdev_event, "mdev");
        if (!old->bindings_complete && new->bindings_complete)
                DIFF_EMIT(&d, bindings_event(new));
        if (old->matrix_present != new->matrix_present)
                DIFF_EMIT(&d, manager_event_new(new->matrix_present ? "vfio-ap-loaded" : "vfio-ap-unloaded"));
        return d.n;
}

size_t kernel_state_diff_mdev(const MdevState *old, const MdevState *new, KernelDiffEmit emit, void *userdata) {
        DiffCtx d = { .emit = emit, .userdata = userdata };
        const char *type;

        if (!old && new)
                type = "mdev-added";
        else if (old && !new)
                type = "mdev-removed";
        else if (old && new && !mdev_equal(old, new))
                type = "mdev-changed";
        else
                return 0;
        DIFF_EMIT(&d, mdev_event(type, new ?: old));
        return d.n;
}
