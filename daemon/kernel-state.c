/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel snapshot: storage, lookups and string tables. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-state.h"
#include "macro.h"

static const char *const driver_names[_AP_DRIVER_MAX] = {
        [AP_DRIVER_NONE] = "none",
        [AP_DRIVER_DEFAULT] = "default",
        [AP_DRIVER_VFIO_AP] = "vfio_ap",
        [AP_DRIVER_OTHER] = "other",
};

static const char *const mode_names[_AP_MODE_MAX] = {
        [AP_MODE_UNKNOWN] = "unknown",
        [AP_MODE_ACCEL] = "accel",
        [AP_MODE_CCA] = "cca",
        [AP_MODE_EP11] = "ep11",
};

const char *ap_driver_to_string(ApDriver d) {
        return (unsigned) d < _AP_DRIVER_MAX ? driver_names[d] : "other";
}

const char *ap_mode_to_string(ApMode m) {
        return (unsigned) m < _AP_MODE_MAX ? mode_names[m] : "unknown";
}

ApMode ap_mode_from_string(const char *s) {
        for (unsigned i = 0; i < _AP_MODE_MAX; i++)
                if (streq(mode_names[i], s))
                        return i;
        return AP_MODE_UNKNOWN;
}

void kernel_state_done(KernelState *s) {
        free(s->cards);
        free(s->queues);
        free(s->mdevs);
        *s = (KernelState) {};
}

static int dup_array(const void *src, size_t n, size_t size, void **ret) {
        void *p = NULL;

        if (n > 0) {
                p = malloc(n * size);
                if (!p)
                        return -ENOMEM;
                memcpy(p, src, n * size);
        }
        *ret = p;
        return 0;
}

/* The same with the capacity append() would have grown to, so that it can grow the copy further. */
static int dup_array_growable(const void *src, size_t n, size_t size, void **ret) {
        size_t capacity = 8;
        void *p = NULL;

        if (n > 0) {
                while (capacity < n)
                        capacity *= 2;
                p = malloc(capacity * size);
                if (!p)
                        return -ENOMEM;
                memcpy(p, src, n * size);
        }
        *ret = p;
        return 0;
}

int kernel_state_copy(const KernelState *s, KernelState *ret) {
        KernelState c = *s;
        void *cards, *queues, *mdevs;

        if (dup_array(s->cards, s->n_cards, sizeof(ApCard), &cards) < 0)
                return -ENOMEM;
        if (dup_array(s->queues, s->n_queues, sizeof(ApQueue), &queues) < 0) {
                free(cards);
                return -ENOMEM;
        }
        if (dup_array(s->mdevs, s->n_mdevs, sizeof(MdevState), &mdevs) < 0) {
                free(cards);
                free(queues);
                return -ENOMEM;
        }
        c.cards = cards;
        c.queues = queues;
        c.mdevs = mdevs;
        *ret = c;
        return 0;
}

static int card_cmp(const void *a, const void *b) {
        return (int) ((const ApCard *) a)->id - (int) ((const ApCard *) b)->id;
}

static int queue_key(const ApQueue *q) {
        return q->adapter << 8 | q->domain;
}

static int queue_cmp(const void *a, const void *b) {
        return queue_key(a) - queue_key(b);
}

static int mdev_cmp(const void *a, const void *b) {
        return strcmp(((const MdevState *) a)->uuid, ((const MdevState *) b)->uuid);
}

void kernel_state_sort(KernelState *s) {
        if (s->n_cards)
                qsort(s->cards, s->n_cards, sizeof(ApCard), card_cmp);
        if (s->n_queues)
                qsort(s->queues, s->n_queues, sizeof(ApQueue), queue_cmp);
        if (s->n_mdevs)
                qsort(s->mdevs, s->n_mdevs, sizeof(MdevState), mdev_cmp);
}

const ApCard *kernel_state_find_card(const KernelState *s, unsigned id) {
        ApCard key = { .id = id };

        if (id > AP_ID_MAX || s->n_cards == 0)
                return NULL;
        return bsearch(&key, s->cards, s->n_cards, sizeof(ApCard), card_cmp);
}

const ApQueue *kernel_state_find_queue(const KernelState *s, unsigned adapter, unsigned domain) {
        ApQueue key = { .adapter = adapter, .domain = domain };

        if (adapter > AP_ID_MAX || domain > AP_ID_MAX || s->n_queues == 0)
                return NULL;
        return bsearch(&key, s->queues, s->n_queues, sizeof(ApQueue), queue_cmp);
}

const MdevState *kernel_state_find_mdev(const KernelState *s, const char *uuid) {
        MdevState key = {};

        if (strlen(uuid) > UUID_STRING_LEN || s->n_mdevs == 0)
                return NULL;
        strcpy(key.uuid, uuid);
        return bsearch(&key, s->mdevs, s->n_mdevs, sizeof(MdevState), mdev_cmp);
}

/* Grow an array by one element; capacity is max(8, next power of two). */
static int append(void **array, size_t *n, size_t size, const void *elem) {
        if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
                size_t new_cap = *n == 0 ? 8 : *n * 2;
                void *p = realloc(*array, new_cap * size);
                if (!p)
                        return -ENOMEM;
                *array = p;
        }
        memcpy((uint8_t *) *array + *n * size, elem, size);
        (*n)++;
        return 0;
}

int kernel_state_add_card(KernelState *s, const ApCard *c) {
        return append((void **) &s->cards, &s->n_cards, sizeof(ApCard), c);
}

int kernel_state_add_queue(KernelState *s, const ApQueue *q) {
        return append((void **) &s->queues, &s->n_queues, sizeof(ApQueue), q);
}

int kernel_state_add_mdev(KernelState *s, const MdevState *m) {
        return append((void **) &s->mdevs, &s->n_mdevs, sizeof(MdevState), m);
}

static bool uuid_listed(const char (*uuids)[UUID_STRING_LEN + 1], size_t n, const char *uuid) {
        for (size_t i = 0; i < n; i++)
                if (streq(uuids[i], uuid))
                        return true;
        return false;
}

bool kernel_state_merge_keeps_queues(const ApMask *apm, const ApMask *aqm, const KernelState *part) {
        return part->n_queues == 0 && (ap_mask_is_empty(apm) || ap_mask_is_empty(aqm));
}

int kernel_state_merge(const KernelState *base, const char (*uuids)[UUID_STRING_LEN + 1], size_t n_uuids,
                       const ApMask *apm, const ApMask *aqm, const KernelState *part, KernelState *ret) {
        /* Built by appending, not from a copy: append() assumes the capacity it grew itself. */
        KernelState s = *base;
        bool queues_sorted = false;
        int r = 0;

        s.cards = NULL;
        s.queues = NULL;
        s.mdevs = NULL;
        s.n_cards = s.n_queues = s.n_mdevs = 0;
        if (dup_array(base->cards, base->n_cards, sizeof(ApCard), (void **) &s.cards) < 0)
                return -ENOMEM;
        s.n_cards = base->n_cards;
        if (kernel_state_merge_keeps_queues(apm, aqm, part)) {
                /* No queue re-read (an mdev job whose writes succeeded): the queues stay as they are, sorted. */
                if (dup_array_growable(base->queues, base->n_queues, sizeof(ApQueue), (void **) &s.queues) < 0) {
                        kernel_state_done(&s);
                        return -ENOMEM;
                }
                s.n_queues = base->n_queues;
                queues_sorted = true;
        }
        for (size_t i = 0; !queues_sorted && i < base->n_queues && r >= 0; i++) {
                const ApQueue *q = &base->queues[i];
                if (!(ap_mask_test(apm, q->adapter) && ap_mask_test(aqm, q->domain)))
                        r = kernel_state_add_queue(&s, q);
        }
        for (size_t i = 0; i < part->n_queues && r >= 0; i++)
                r = kernel_state_add_queue(&s, &part->queues[i]);
        for (size_t i = 0; i < base->n_mdevs && r >= 0; i++)
                if (!uuid_listed(uuids, n_uuids, base->mdevs[i].uuid))
                        r = kernel_state_add_mdev(&s, &base->mdevs[i]);
        for (size_t i = 0; i < part->n_mdevs && r >= 0; i++)
                r = kernel_state_add_mdev(&s, &part->mdevs[i]);
        if (r < 0) {
                kernel_state_done(&s);
                return r;
        }
        if (queues_sorted) {
                if (s.n_mdevs)
                        qsort(s.mdevs, s.n_mdevs, sizeof(MdevState), mdev_cmp);
        } else
                kernel_state_sort(&s);
        *ret = s;
        return 0;
}

int kernel_state_put_mdev(KernelState *s, const char *uuid, const MdevState *m) {
        size_t lo = 0, hi = s->n_mdevs;

        /* The first mdev not sorted before uuid. */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(s->mdevs[mid].uuid, uuid) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < s->n_mdevs && streq(s->mdevs[lo].uuid, uuid)) {
                if (m)
                        s->mdevs[lo] = *m;
                else
                        memmove(&s->mdevs[lo], &s->mdevs[lo + 1], (--s->n_mdevs - lo) * sizeof(MdevState));
                return 0;
        }
        if (!m)
                return 0;
        /* Not append(): a copied snapshot's array is exactly as long as its contents. */
        MdevState *p = realloc(s->mdevs, (s->n_mdevs + 1) * sizeof(MdevState));
        if (!p)
                return -ENOMEM;
        s->mdevs = p;
        memmove(&s->mdevs[lo + 1], &s->mdevs[lo], (s->n_mdevs - lo) * sizeof(MdevState));
        s->mdevs[lo] = *m;
        s->n_mdevs++;
        return 0;
}

const MdevState *kernel_state_mdev_with_apqn(const KernelState *s, unsigned adapter, unsigned domain) {
        for (size_t i = 0; i < s->n_mdevs; i++)
                if (ap_mask_test(&s->mdevs[i].assigned.apm, adapter) &&
                    ap_mask_test(&s->mdevs[i].assigned.aqm, domain))
                        return &s->mdevs[i];
        return NULL;
}

bool uuid_is_valid(const char *s) {
        static const int dash[] = { 8, 13, 18, 23 };

        if (strlen(s) != UUID_STRING_LEN)
                return false;
        for (int i = 0, d = 0; i < UUID_STRING_LEN; i++) {
                if (d < 4 && i == dash[d]) {
                        if (s[i] != '-')
                                return false;
                        d++;
                } else if (!isxdigit((unsigned char) s[i]) || isupper((unsigned char) s[i]))
                        return false;
        }
        return true;
}
