/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The in-memory fake kernel backend with step-numbered fault injection. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel-fake.h"
#include "macro.h"

typedef struct KernelFake {
        unsigned n_ref;                 /* backends sharing this fake kernel (atomic) */
        pthread_mutex_t lock;
        pthread_cond_t released_cond;   /* signalled by kernel_fake_release() */
        /* Everything below is protected by lock. */
        KernelState st;                 /* cards, queues, mdevs (owned arrays) */
        ApMask card_domains[AP_MASK_BITS]; /* domains of each card, for queue rebuilds */
        bool bindings_complete;
        unsigned steps;
        unsigned fail_steps[4];         /* steps that fail (0: unused slot) */
        int fail_err;
        unsigned block_step;
        bool released;
        bool load_hold;                 /* the next load waits, after its copy, for kernel_fake_release_load() */
        bool load_held;                 /* a load has its copy and waits */
        void (*change_cb)(void *userdata);
        void *change_userdata;          /* borrowed */
} KernelFake;

static KernelFake *fake_of(KernelBackend *b) {
        return b->data;
}

static bool apqn_bound_to_vfio(const KernelState *s, unsigned a, unsigned d) {
        const ApQueue *q = kernel_state_find_queue(s, a, d);
        return q && q->driver == AP_DRIVER_VFIO_AP;
}

/* Bindings, QCI and guest matrices follow from cards, masks and mdevs. */
static void fake_recompute(KernelFake *f) {
        KernelState *s = &f->st;

        ap_mask_clear_all(&s->qci.apm);
        ap_mask_clear_all(&s->qci.aqm);
        for (size_t i = 0; i < s->n_cards; i++)
                if (s->cards[i].config) {
                        ap_mask_set(&s->qci.apm, s->cards[i].id);
                        ap_mask_or(&s->qci.aqm, &s->qci.aqm, &f->card_domains[s->cards[i].id]);
                }
        s->qci.adm = s->qci.aqm;

        s->bindings_bound = 0;
        for (size_t i = 0; i < s->n_queues; i++) {
                ApQueue *q = &s->queues[i];
                const ApCard *c = kernel_state_find_card(s, q->adapter);
                bool host = ap_mask_test(&s->apmask, q->adapter) && ap_mask_test(&s->aqmask, q->domain);

                if (host)
                        q->driver = AP_DRIVER_DEFAULT;
                else if (s->matrix_present && c && c->hwtype >= AP_HWTYPE_CEX4)
                        q->driver = AP_DRIVER_VFIO_AP;
                else
                        q->driver = AP_DRIVER_NONE;
                q->config = c && c->config;
                q->online = q->config && q->driver == AP_DRIVER_DEFAULT;
                if (q->driver != AP_DRIVER_NONE)
                        s->bindings_bound++;
        }
        s->bindings_total = s->n_queues;
        s->bindings_complete = f->bindings_complete && s->bindings_bound == s->bindings_total;

        for (size_t i = 0; i < s->n_mdevs; i++) {
                MdevState *m = &s->mdevs[i];
                ApMask apm, aqm;

                ap_mask_and(&apm, &m->assigned.apm, &s->qci.apm);
                ap_mask_and(&aqm, &m->assigned.aqm, &s->qci.aqm);
                AP_MASK_FOREACH(a, &apm)
                        AP_MASK_FOREACH(d, &aqm)
                                if (!apqn_bound_to_vfio(s, a, d)) {
                                        ap_mask_clear(&apm, a);
                                        break;
                                }
                m->guest_apm = apm;
                m->guest_aqm = aqm;
        }
}

static void fake_rebuild_queues(KernelFake *f) {
        KernelState *s = &f->st;

        s->n_queues = 0;
        for (size_t i = 0; i < s->n_cards; i++)
                AP_MASK_FOREACH(d, &f->card_domains[s->cards[i].id]) {
                        ApQueue q = { .adapter = s->cards[i].id, .domain = d };
                        /* Allocation failure here leaves a short list; only tests use the fake. */
                        (void) kernel_state_add_queue(s, &q);
                }
        kernel_state_sort(s);
        fake_recompute(f);
}

/*
 * Count a write step; returns <0 when the armed failure hits it. Blocks
 * (dropping the lock) while an armed block step waits for release.
 */
static int fake_step(KernelFake *f) {
        unsigned n = ++f->steps;

        if (f->block_step && n == f->block_step) {
                while (!f->released)
                        pthread_cond_wait(&f->released_cond, &f->lock);
                f->block_step = 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(f->fail_steps); i++)
                if (f->fail_steps[i] == n) {
                        f->fail_steps[i] = 0;
                        return -f->fail_err;
                }
        return 0;
}

static void fake_changed(KernelFake *f) {
        fake_recompute(f);
        if (f->change_cb)
                f->change_cb(f->change_userdata);
}

static MdevState *fake_find_mdev(KernelFake *f, const char *uuid) {
        return (MdevState *) kernel_state_find_mdev(&f->st, uuid);
}

static int fake_load(KernelBackend *b, KernelState *ret) {
        KernelFake *f = fake_of(b);
        int r;

        pthread_mutex_lock(&f->lock);
        r = kernel_state_copy(&f->st, ret);
        if (f->load_hold) {
                /* A slow read: the kernel may change between the copy and its return. */
                f->load_hold = false;
                f->load_held = true;
                pthread_cond_broadcast(&f->released_cond);
                while (f->load_held)
                        pthread_cond_wait(&f->released_cond, &f->lock);
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int fake_mdev_read(KernelBackend *b, KernelMdevFiles *files, const char *uuid, KernelMdevRead what,
                          MdevState *ret) {
        KernelFake *f = fake_of(b);
        const MdevState *m;
        MdevState out = {};
        int r = -ENOENT;

        pthread_mutex_lock(&f->lock);
        m = fake_find_mdev(f, uuid);
        if (m) {
                /* Only what was asked for, as sysfs reads it: a caller relying on more gets nothing. */
                strcpy(out.uuid, m->uuid);
                if (what & KERNEL_MDEV_READ_ASSIGNED) {
                        out.assigned = m->assigned;
                        out.assigned_partial = m->assigned_partial;
                }
                if (what & KERNEL_MDEV_READ_GUEST) {
                        out.guest_apm = m->guest_apm;
                        out.guest_aqm = m->guest_aqm;
                        out.guest_matrix_partial = m->guest_matrix_partial;
                }
                *ret = out;
                r = 0;
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int fake_masks_read(KernelBackend *b, ApMask *ret_apmask, ApMask *ret_aqmask) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        *ret_apmask = f->st.apmask;
        *ret_aqmask = f->st.aqmask;
        pthread_mutex_unlock(&f->lock);
        return 0;
}

/* in_use: would the new host set (apm x aqm) take an APQN some mdev has assigned? */
static bool fake_in_use(KernelFake *f, const ApMask *apm, const ApMask *aqm) {
        for (size_t i = 0; i < f->st.n_mdevs; i++)
                if (ap_mask_intersects(apm, &f->st.mdevs[i].assigned.apm) &&
                    ap_mask_intersects(aqm, &f->st.mdevs[i].assigned.aqm))
                        return true;
        return false;
}

static int fake_queue_read(KernelBackend *b, unsigned adapter, unsigned domain, ApQueue *ret) {
        KernelFake *f = fake_of(b);
        const ApQueue *q;
        int r = -ENOENT;

        pthread_mutex_lock(&f->lock);
        q = kernel_state_find_queue(&f->st, adapter, domain);
        if (q) {
                *ret = *q;
                r = 0;
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int fake_mask_write(KernelBackend *b, KernelMaskKind which, const ApMask *m) {
        KernelFake *f = fake_of(b);
        ApMask *cur = which == KERNEL_APMASK ? &f->st.apmask : &f->st.aqmask;
        ApMask added;
        int r;

        pthread_mutex_lock(&f->lock);
        r = fake_step(f);
        if (r < 0)
                goto out;
        /* Only newly set bits consult in_use, with the other mask unchanged. */
        ap_mask_andnot(&added, m, cur);
        if (!ap_mask_is_empty(&added)) {
                bool busy = which == KERNEL_APMASK ? fake_in_use(f, &added, &f->st.aqmask)
                                                   : fake_in_use(f, &f->st.apmask, &added);
                if (busy) {
                        r = -EBUSY;
                        goto out;
                }
        }
        *cur = *m;
        fake_changed(f);
out:
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int fake_mdev_create(KernelBackend *b, KernelMdevFiles *files, const char *uuid) {
        KernelFake *f = fake_of(b);
        MdevState m = {};
        int r;

        pthread_mutex_lock(&f->lock);
        r = fake_step(f);
        if (r < 0)
                goto out;
        if (!f->st.matrix_present || !uuid_is_valid(uuid)) {
                r = !f->st.matrix_present ? -ENOENT : -EINVAL;
                goto out;
        }
        if (fake_find_mdev(f, uuid)) {
                r = -EEXIST;
                goto out;
        }
        strcpy(m.uuid, uuid);
        r = kernel_state_add_mdev(&f->st, &m);
        if (r < 0)
                goto out;
        kernel_state_sort(&f->st);
        fake_changed(f);
out:
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int fake_mdev_remove(KernelBackend *b, KernelMdevFiles *files, const char *uuid) {
        KernelFake *f = fake_of(b);
        MdevState *m;
        int r;

        pthread_mutex_lock(&f->lock);
        r = fake_step(f);
        if (r < 0)
                goto out;
        m = fake_find_mdev(f, uuid);
        if (!m) {
                r = -ENOENT;
                goto out;
        }
        *m = f->st.mdevs[--f->st.n_mdevs];
        kernel_state_sort(&f->st);
        fake_changed(f);
out:
        pthread_mutex_unlock(&f->lock);
        return r;
}

/* The checks vfio_ap makes before taking a new usage matrix, in the kernel's order. */
static int fake_validate_matrix(KernelFake *f, const MdevState *self, const ApMask *apm, const ApMask *aqm) {
        if (ap_mask_intersects(apm, &f->st.apmask) && ap_mask_intersects(aqm, &f->st.aqmask))
                return -EADDRNOTAVAIL;
        for (size_t i = 0; i < f->st.n_mdevs; i++) {
                const MdevState *o = &f->st.mdevs[i];
                if (o != self && ap_mask_intersects(apm, &o->assigned.apm) &&
                    ap_mask_intersects(aqm, &o->assigned.aqm))
                        return -EADDRINUSE;
        }
        return 0;
}

static int fake_mdev_assign(KernelBackend *b, KernelMdevFiles *files, const char *uuid, KernelAssignKind kind,
                            unsigned id, bool assign) {
        KernelFake *f = fake_of(b);
        unsigned max = kind == KERNEL_ASSIGN_ADAPTER ? f->st.max_adapter : f->st.max_domain;
        MdevState *m;
        ApConfig next;
        ApMask *field;
        int r;

        pthread_mutex_lock(&f->lock);
        r = fake_step(f);
        if (r < 0)
                goto out;
        m = fake_find_mdev(f, uuid);
        if (!m) {
                r = -ENOENT;
                goto out;
        }
        if (id > max) {
                r = -ENODEV;
                goto out;
        }
        next = m->assigned;
        field = kind == KERNEL_ASSIGN_ADAPTER ? &next.apm : kind == KERNEL_ASSIGN_DOMAIN ? &next.aqm : &next.adm;
        if (assign)
                ap_mask_set(field, id);
        else
                ap_mask_clear(field, id);
        if (assign && kind != KERNEL_ASSIGN_CONTROL_DOMAIN) {
                r = fake_validate_matrix(f, m, &next.apm, &next.aqm);
                if (r < 0)
                        goto out;
        }
        m->assigned = next;
        fake_changed(f);
out:
        pthread_mutex_unlock(&f->lock);
        return r;
}

static bool mask_exceeds(const ApMask *m, unsigned max) {
        return max < AP_ID_MAX && ap_mask_next(m, max + 1) >= 0;
}

static int fake_mdev_set_config(KernelBackend *b, KernelMdevFiles *files, const char *uuid, const ApConfig *c) {
        KernelFake *f = fake_of(b);
        MdevState *m;
        int r;

        pthread_mutex_lock(&f->lock);
        if (!f->st.ap_config_supported) {
                /* The attribute does not exist: no step is taken. */
                r = -EOPNOTSUPP;
                goto out;
        }
        r = fake_step(f);
        if (r < 0)
                goto out;
        m = fake_find_mdev(f, uuid);
        if (!m) {
                r = -ENOENT;
                goto out;
        }
        r = fake_validate_matrix(f, m, &c->apm, &c->aqm);
        if (r < 0)
                goto out;
        if (mask_exceeds(&c->apm, f->st.max_adapter) || mask_exceeds(&c->aqm, f->st.max_domain) ||
            mask_exceeds(&c->adm, f->st.max_domain)) {
                r = -ENODEV;
                goto out;
        }
        m->assigned = *c;
        fake_changed(f);
out:
        pthread_mutex_unlock(&f->lock);
        return r;
}

static int fake_rescan(KernelBackend *b) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        f->bindings_complete = true;
        fake_changed(f);
        pthread_mutex_unlock(&f->lock);
        return 0;
}

static void fake_free(KernelBackend *b) {
        KernelFake *f = fake_of(b);

        if (__atomic_sub_fetch(&f->n_ref, 1, __ATOMIC_SEQ_CST) > 0)
                return;
        kernel_state_done(&f->st);
        pthread_mutex_destroy(&f->lock);
        pthread_cond_destroy(&f->released_cond);
        free(f);
}

static const KernelBackendOps fake_ops = {
        .name = "fake",
        .load = fake_load,
        .mdev_read = fake_mdev_read,
        .masks_read = fake_masks_read,
        .queue_read = fake_queue_read,
        .mask_write = fake_mask_write,
        .mdev_create = fake_mdev_create,
        .mdev_remove = fake_mdev_remove,
        .mdev_assign = fake_mdev_assign,
        .mdev_set_config = fake_mdev_set_config,
        .rescan = fake_rescan,
        .free = fake_free,
};

int kernel_fake_new(KernelBackend **ret) {
        KernelBackend *b = calloc(1, sizeof(*b));
        KernelFake *f = calloc(1, sizeof(*f));

        if (!b || !f) {
                free(b);
                free(f);
                return -ENOMEM;
        }
        f->n_ref = 1;
        pthread_mutex_init(&f->lock, NULL);
        pthread_cond_init(&f->released_cond, NULL);
        /* A z15-like host with APXA: all ids usable, everything with the host at boot. */
        f->st.bus_present = true;
        f->st.max_adapter = AP_ID_MAX;
        f->st.max_domain = AP_ID_MAX;
        f->st.qci_supported = true;
        f->st.matrix_present = true;
        f->st.ap_config_supported = true;
        f->bindings_complete = true;
        ap_mask_set_range(&f->st.apmask, 0, AP_ID_MAX);
        ap_mask_set_range(&f->st.aqmask, 0, AP_ID_MAX);
        b->n_ref = 1;
        b->ops = &fake_ops;
        b->data = f;
        *ret = b;
        return 0;
}

int kernel_fake_share(KernelBackend *b, KernelBackend **ret) {
        KernelBackend *copy = calloc(1, sizeof(*copy));
        KernelFake *f = fake_of(b);

        if (!copy)
                return -ENOMEM;
        __atomic_add_fetch(&f->n_ref, 1, __ATOMIC_SEQ_CST);
        *copy = *b;
        copy->n_ref = 1;
        *ret = copy;
        return 0;
}

int kernel_fake_add_card(KernelBackend *b, unsigned id, unsigned hwtype, ApMode mode, const ApMask *domains) {
        KernelFake *f = fake_of(b);
        ApCard c = { .id = id, .hwtype = hwtype, .mode = mode, .driver = AP_DRIVER_DEFAULT,
                     .config = true, .online = true };
        int r;

        pthread_mutex_lock(&f->lock);
        if (kernel_state_find_card(&f->st, id)) {
                r = -EEXIST;
                goto out;
        }
        r = kernel_state_add_card(&f->st, &c);
        if (r < 0)
                goto out;
        f->card_domains[id] = *domains;
        fake_rebuild_queues(f);
        if (f->change_cb)
                f->change_cb(f->change_userdata);
out:
        pthread_mutex_unlock(&f->lock);
        return r;
}

int kernel_fake_remove_card(KernelBackend *b, unsigned id) {
        KernelFake *f = fake_of(b);
        ApCard *c;
        int r = 0;

        pthread_mutex_lock(&f->lock);
        c = (ApCard *) kernel_state_find_card(&f->st, id);
        if (!c) {
                r = -ENOENT;
                goto out;
        }
        *c = f->st.cards[--f->st.n_cards];
        ap_mask_clear_all(&f->card_domains[id]);
        fake_rebuild_queues(f);
        if (f->change_cb)
                f->change_cb(f->change_userdata);
out:
        pthread_mutex_unlock(&f->lock);
        return r;
}

int kernel_fake_set_card_config(KernelBackend *b, unsigned id, bool config) {
        KernelFake *f = fake_of(b);
        ApCard *c;
        int r = 0;

        pthread_mutex_lock(&f->lock);
        c = (ApCard *) kernel_state_find_card(&f->st, id);
        if (!c)
                r = -ENOENT;
        else {
                c->config = config;
                c->online = config;
                fake_changed(f);
        }
        pthread_mutex_unlock(&f->lock);
        return r;
}

#define FAKE_SETTER(fn, field_expr)                             \
        void fn(KernelBackend *b, bool v) {                     \
                KernelFake *f = fake_of(b);                     \
                pthread_mutex_lock(&f->lock);                   \
                field_expr = v;                                 \
                fake_recompute(f);                              \
                pthread_mutex_unlock(&f->lock);                 \
        }

FAKE_SETTER(kernel_fake_set_ap_config_supported, f->st.ap_config_supported)
FAKE_SETTER(kernel_fake_set_matrix_present, f->st.matrix_present)
FAKE_SETTER(kernel_fake_set_bindings_complete, f->bindings_complete)

void kernel_fake_fail_step(KernelBackend *b, unsigned n, int err) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        f->steps = 0;
        memset(f->fail_steps, 0, sizeof(f->fail_steps));
        f->fail_steps[0] = n;
        f->fail_err = err;
        pthread_mutex_unlock(&f->lock);
}

void kernel_fake_fail_steps(KernelBackend *b, unsigned first, unsigned second, int err) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        f->steps = 0;
        memset(f->fail_steps, 0, sizeof(f->fail_steps));
        f->fail_steps[0] = first;
        f->fail_steps[1] = second;
        f->fail_err = err;
        pthread_mutex_unlock(&f->lock);
}

void kernel_fake_block_step(KernelBackend *b, unsigned n) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        f->steps = 0;
        f->block_step = n;
        f->released = false;
        pthread_mutex_unlock(&f->lock);
}

void kernel_fake_release(KernelBackend *b) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        f->released = true;
        pthread_cond_broadcast(&f->released_cond);
        pthread_mutex_unlock(&f->lock);
}

void kernel_fake_hold_load(KernelBackend *b) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        f->load_hold = true;
        pthread_mutex_unlock(&f->lock);
}

bool kernel_fake_wait_load_held(KernelBackend *b, uint64_t timeout_usec) {
        KernelFake *f = fake_of(b);
        struct timespec deadline;
        bool held;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += (time_t) (timeout_usec / 1000000);
        deadline.tv_nsec += (long) (timeout_usec % 1000000) * 1000;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&f->lock);
        while (!f->load_held && pthread_cond_timedwait(&f->released_cond, &f->lock, &deadline) == 0)
                ;
        held = f->load_held;
        pthread_mutex_unlock(&f->lock);
        return held;
}

void kernel_fake_release_load(KernelBackend *b) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        f->load_held = false;
        pthread_cond_broadcast(&f->released_cond);
        pthread_mutex_unlock(&f->lock);
}

unsigned kernel_fake_steps(KernelBackend *b) {
        KernelFake *f = fake_of(b);
        unsigned n;

        pthread_mutex_lock(&f->lock);
        n = f->steps;
        pthread_mutex_unlock(&f->lock);
        return n;
}

void kernel_fake_reset_steps(KernelBackend *b) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        f->steps = 0;
        pthread_mutex_unlock(&f->lock);
}

unsigned kernel_fake_users(KernelBackend *b) {
        return __atomic_load_n(&fake_of(b)->n_ref, __ATOMIC_SEQ_CST);
}

void kernel_fake_set_change_callback(KernelBackend *b, void (*cb)(void *userdata), void *userdata) {
        KernelFake *f = fake_of(b);

        pthread_mutex_lock(&f->lock);
        f->change_cb = cb;
        f->change_userdata = userdata;
        pthread_mutex_unlock(&f->lock);
}
