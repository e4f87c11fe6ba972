/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validation of guest definitions and host reservations before any kernel write. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "macro.h"
#include "utf8.h"
#include "validate.h"
#include "varlink-protocol.h"

static int fail(ValidationError *ret, const char *error, int err, const char *fmt, ...) _printf_(4, 5);
static int fail(ValidationError *ret, const char *error, int err, const char *fmt, ...) {
        va_list ap;

        ret->error = error;
        ret->err = err;
        va_start(ap, fmt);
        utf8_vsnprintf(ret->message, sizeof(ret->message), fmt, ap);
        va_end(ap);
        return err;
}

/* First APQN of (apm1 x aqm1) ∩ (apm2 x aqm2), if any. */
static bool cross_overlap(const ApMask *apm1, const ApMask *aqm1, const ApMask *apm2, const ApMask *aqm2,
                          Apqn *ret) {
        ApMask a, d;

        ap_mask_and(&a, apm1, apm2);
        ap_mask_and(&d, aqm1, aqm2);
        if (ap_mask_is_empty(&a) || ap_mask_is_empty(&d))
                return false;
        *ret = (Apqn) { .adapter = ap_mask_next(&a, 0), .domain = ap_mask_next(&d, 0) };
        return true;
}

bool validate_configs_collide(const ApConfig *a, const ApConfig *b, Apqn *ret) {
        return cross_overlap(&a->apm, &a->aqm, &b->apm, &b->aqm, ret) ||
               cross_overlap(&a->apm, &a->adm, &b->apm, &b->aqm, ret) ||
               cross_overlap(&a->apm, &a->aqm, &b->apm, &b->adm, ret);
}

static int check_limits(const KernelState *k, const GuestDef *g, ValidationError *ret) {
        int a = k->max_adapter < AP_ID_MAX ? ap_mask_next(&g->config.apm, k->max_adapter + 1) : -1;
        int d = k->max_domain < AP_ID_MAX ? ap_mask_next(&g->config.aqm, k->max_domain + 1) : -1;
        int c = k->max_domain < AP_ID_MAX ? ap_mask_next(&g->config.adm, k->max_domain + 1) : -1;

        if (a >= 0)
                return fail(ret, APCTL_ERROR_NO_SUCH_DEVICE, -ENODEV,
                            "adapter %d is above this host's maximum adapter id %u", a, k->max_adapter);
        if (d >= 0 || c >= 0)
                return fail(ret, APCTL_ERROR_NO_SUCH_DEVICE, -ENODEV,
                            "%s %d is above this host's maximum domain id %u", d >= 0 ? "domain" : "control domain",
                            d >= 0 ? d : c, k->max_domain);
        return 0;
}

static int check_hardware(const KernelState *k, const GuestDef *g, ValidationError *ret) {
        char buf[APQN_BUFSZ];

        AP_MASK_FOREACH(a, &g->config.apm) {
                const ApCard *card = kernel_state_find_card(k, a);

                if (!card) {
                        if (g->overprovision)
                                continue;
                        return fail(ret, APCTL_ERROR_NO_SUCH_DEVICE, -ENODEV,
                                    "adapter %d does not exist on this host (set overprovision to allow it)", a);
                }
                if (card->hwtype < AP_HWTYPE_CEX4)
                        return fail(ret, APCTL_ERROR_UNSUPPORTED_CARD, -EMEDIUMTYPE,
                                    "adapter %d has type %u; vfio_ap needs CEX4 (type 10) or newer", a,
                                    card->hwtype);
                if (g->overprovision)
                        continue;
                AP_MASK_FOREACH(d, &g->config.aqm)
                        if (!kernel_state_find_queue(k, a, d))
                                return fail(ret, APCTL_ERROR_NO_SUCH_DEVICE, -ENODEV,
                                            "APQN %s does not exist on this host (set overprovision to allow it)",
                                            apqn_format((Apqn) { a, d }, buf));
        }
        return 0;
}

static int check_other_guests(const DesiredState *d, const GuestDef *g, ValidationError *ret) {
        char buf[APQN_BUFSZ];
        Apqn q;

        for (size_t i = 0; i < d->n_guests; i++) {
                const GuestDef *o = &d->guests[i];

                if (streq(o->name, g->name))
                        continue;
                if (streq(o->uuid, g->uuid))
                        return fail(ret, APCTL_ERROR_CONFLICT, -EADDRINUSE, "mdev UUID %s is already used by guest '%s'",
                                    g->uuid, o->name);
                if (cross_overlap(&g->config.apm, &g->config.aqm, &o->config.apm, &o->config.aqm, &q))
                        return fail(ret, APCTL_ERROR_CONFLICT, -EADDRINUSE, "APQN %s is already assigned to guest '%s'",
                                    apqn_format(q, buf), o->name);
                /* A control domain controls that domain on every adapter of its guest. */
                if (cross_overlap(&g->config.apm, &g->config.adm, &o->config.apm, &o->config.aqm, &q))
                        return fail(ret, APCTL_ERROR_CONFLICT, -EADDRINUSE,
                                    "control domain %u would control APQN %s, a usage domain of guest '%s'",
                                    q.domain, apqn_format(q, buf), o->name);
                if (cross_overlap(&g->config.apm, &g->config.aqm, &o->config.apm, &o->config.adm, &q))
                        return fail(ret, APCTL_ERROR_CONFLICT, -EADDRINUSE,
                                    "APQN %s is controlled by guest '%s' (control domain %u)",
                                    apqn_format(q, buf), o->name, q.domain);
        }
        return 0;
}

int validate_guest(const KernelState *k, const DesiredState *d, const GuestDef *g, const PolicyHook *policy,
                   const PeerCredentials *peer, ValidationError *ret) {
        char buf[APQN_BUFSZ];
        Apqn q;
        int r;

        r = check_limits(k, g, ret);
        if (r < 0)
                return r;
        r = check_hardware(k, g, ret);
        if (r < 0)
                return r;
        r = check_other_guests(d, g, ret);
        if (r < 0)
                return r;
        if (d->host_known && cross_overlap(&g->config.apm, &g->config.aqm, &d->host_apm, &d->host_aqm, &q))
                return fail(ret, APCTL_ERROR_RESERVED_BY_HOST, -EADDRNOTAVAIL,
                            "APQN %s is reserved for the host (adapter %u in apmask, domain %u in aqmask)",
                            apqn_format(q, buf), q.adapter, q.domain);
        if (policy && policy->may_assign) {
                char reason[sizeof(ret->message)] = "";
                r = policy->may_assign(policy->userdata, peer, g->name, &g->config, reason, sizeof(reason));
                if (r == -EACCES)
                        return fail(ret, APCTL_ERROR_POLICY_DENIED, -EACCES, "policy denies this configuration: %s",
                                    reason[0] ? reason : "no reason given");
                if (r < 0)
                        return fail(ret, APCTL_ERROR_INTERNAL, r, "policy check failed");
        }
        return 0;
}

int validate_host(const KernelState *k, const DesiredState *d, const ApMask *apm, const ApMask *aqm,
                  ValidationError *ret) {
        char buf[APQN_BUFSZ];
        Apqn q;

        if (k->max_adapter < AP_ID_MAX && ap_mask_next(apm, k->max_adapter + 1) >= 0)
                return fail(ret, APCTL_ERROR_NO_SUCH_DEVICE, -ENODEV, "adapter %d is above the maximum id %u",
                            ap_mask_next(apm, k->max_adapter + 1), k->max_adapter);
        if (k->max_domain < AP_ID_MAX && ap_mask_next(aqm, k->max_domain + 1) >= 0)
                return fail(ret, APCTL_ERROR_NO_SUCH_DEVICE, -ENODEV, "domain %d is above the maximum id %u",
                            ap_mask_next(aqm, k->max_domain + 1), k->max_domain);
        for (size_t i = 0; i < d->n_guests; i++) {
                const GuestDef *g = &d->guests[i];
                const MdevState *m = kernel_state_find_mdev(k, g->uuid);

                if (cross_overlap(apm, aqm, &g->config.apm, &g->config.aqm, &q))
                        return fail(ret, APCTL_ERROR_CONFLICT, -EADDRINUSE, "APQN %s is %s guest '%s'",
                                    apqn_format(q, buf), m ? "in the running configuration of" : "defined for",
                                    g->name);
        }
        /* An mdev apctld does not manage still makes the kernel refuse with -EBUSY. */
        for (size_t i = 0; i < k->n_mdevs; i++) {
                const MdevState *m = &k->mdevs[i];
                if (!desired_state_find_guest_by_uuid(d, m->uuid) &&
                    cross_overlap(apm, aqm, &m->assigned.apm, &m->assigned.aqm, &q))
                        return fail(ret, APCTL_ERROR_CONFLICT, -EADDRINUSE,
                                    "APQN %s is assigned to mdev %s, which apctl does not manage",
                                    apqn_format(q, buf), m->uuid);
        }
        return 0;
}
