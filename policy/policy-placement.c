/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Placement decisions: may a guest have this configuration (adapters x
 * usage domains, control domains)? Host reservations first, then every
 * matching [guest] rule in load order, then [defaults], then control domain
 * sharing; the first violation is the answer and names what broke it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "policy-internal.h"

static const PolicyAdapterInfo *adapter_info_find(const PolicyPlacement *pl, unsigned adapter) {
        for (size_t i = 0; i < pl->n_adapter_info; i++)
                if (pl->adapter_info[i].adapter == adapter)
                        return &pl->adapter_info[i];
        return NULL;
}

static unsigned placement_apqn_count(const PolicyPlacement *pl) {
        return ap_mask_count(&pl->adapters) * ap_mask_count(&pl->usage_domains);
}

static bool check_reservations(const Policy *p, const PolicyPlacement *pl, PolicyDecision *d) {
        for (size_t i = 0; i < p->n_reservations; i++) {
                const PolicyReservation *res = &p->reservations[i];
                ApMask a, u;

                ap_mask_and(&a, &res->adapters, &pl->adapters);
                ap_mask_and(&u, &res->domains, &pl->usage_domains);
                if (ap_mask_is_empty(&a) || ap_mask_is_empty(&u))
                        continue;
                policy_decision_set(d, false, res->origin, "APQN %02x.%04x is reserved for the host",
                                    (unsigned) ap_mask_next(&a, 0), (unsigned) ap_mask_next(&u, 0));
                return false;
        }
        return true;
}

/* One of adapters, usage-domains, control-domains. */
typedef struct MaskRule {
        const char *what;               /* borrowed, static: "adapter", "usage domain", "control domain" */
        size_t setting_offset;          /* offsetof the PolicyMaskSetting in PolicyGuestRule */
        size_t request_offset;          /* offsetof the ApMask in PolicyPlacement */
} MaskRule;

static const MaskRule mask_rules[] = {
        { "adapter", offsetof(PolicyGuestRule, adapters), offsetof(PolicyPlacement, adapters) },
        { "usage domain", offsetof(PolicyGuestRule, usage_domains), offsetof(PolicyPlacement, usage_domains) },
        { "control domain", offsetof(PolicyGuestRule, control_domains),
          offsetof(PolicyPlacement, control_domains) },
};

static bool check_masks(const PolicyGuestRule *rule, const PolicyPlacement *pl, PolicyDecision *d) {
        for (size_t i = 0; i < ELEMENTSOF(mask_rules); i++) {
                const PolicyMaskSetting *s = (const void *) ((const char *) rule + mask_rules[i].setting_offset);
                const ApMask *want = (const void *) ((const char *) pl + mask_rules[i].request_offset);
                _cleanup_free_ char *allowed = NULL;
                ApMask extra;

                if (!s->set)
                        continue;
                ap_mask_andnot(&extra, want, &s->mask);
                if (ap_mask_is_empty(&extra))
                        continue;
                allowed = ap_list_format(&s->mask, AP_LIST_DECIMAL);
                policy_decision_set(d, false, s->origin, "%s %d is not allowed for guest '%s': [guest %s] allows %s",
                                    mask_rules[i].what, ap_mask_next(&extra, 0), pl->guest, rule->pattern,
                                    allowed ? (*allowed ? allowed : "none") : "a different set");
                return false;
        }
        return true;
}

static bool check_cards(const PolicyGuestRule *rule, const PolicyPlacement *pl, PolicyDecision *d) {
        char modes[64];

        policy_modes_format(rule->modes, modes, sizeof(modes));
        AP_MASK_FOREACH(a, &pl->adapters) {
                const PolicyAdapterInfo *info = adapter_info_find(pl, (unsigned) a);
                PolicyCardMode mode = info ? info->mode : POLICY_CARD_MODE_UNKNOWN;
                unsigned generation = info ? info->generation : POLICY_GENERATION_UNKNOWN;

                if (rule->modes_set && mode == POLICY_CARD_MODE_UNKNOWN) {
                        policy_decision_set(d, false, rule->modes_origin,
                                            "adapter %d: card mode unknown (adapter not present?), and [guest %s] "
                                            "allows only %s",
                                            a, rule->pattern, modes);
                        return false;
                }
                if (rule->modes_set && !rule->modes[mode]) {
                        policy_decision_set(d, false, rule->modes_origin,
                                            "adapter %d is in %s mode, and [guest %s] allows only %s", a,
                                            policy_card_mode_to_string(mode), rule->pattern, modes);
                        return false;
                }
                if (rule->min_generation.set && generation == POLICY_GENERATION_UNKNOWN) {
                        policy_decision_set(d, false, rule->min_generation.origin,
                                            "adapter %d: card generation unknown (adapter not present?), and "
                                            "[guest %s] requires CEX%u or newer",
                                            a, rule->pattern, rule->min_generation.value);
                        return false;
                }
                if (rule->min_generation.set && generation < rule->min_generation.value) {
                        policy_decision_set(d, false, rule->min_generation.origin,
                                            "adapter %d is a CEX%u, and [guest %s] requires CEX%u or newer", a,
                                            generation, rule->pattern, rule->min_generation.value);
                        return false;
                }
        }
        return true;
}

static bool check_guest_rule(const PolicyGuestRule *rule, const PolicyPlacement *pl, PolicyDecision *d) {
        unsigned count = placement_apqn_count(pl);

        if (!check_masks(rule, pl, d) || !check_cards(rule, pl, d))
                return false;
        if (rule->max_apqns.set && count > rule->max_apqns.value) {
                policy_decision_set(d, false, rule->max_apqns.origin,
                                    "guest '%s' would have %u APQNs, and [guest %s] allows at most %u", pl->guest,
                                    count, rule->pattern, rule->max_apqns.value);
                return false;
        }
        return true;
}

static bool check_defaults(const Policy *p, const PolicyPlacement *pl, bool listed, PolicyDecision *d) {
        unsigned count = placement_apqn_count(pl);

        if (!listed && p->defaults.unlisted_guests == POLICY_UNLISTED_DENY) {
                policy_decision_set(d, false, p->defaults.unlisted_guests_origin,
                                    "guest '%s' matches no [guest] rule, and unlisted-guests is deny", pl->guest);
                return false;
        }
        if (p->defaults.max_apqns.set && count > p->defaults.max_apqns.value) {
                policy_decision_set(d, false, p->defaults.max_apqns.origin,
                                    "guest '%s' would have %u APQNs, and [defaults] allows at most %u", pl->guest,
                                    count, p->defaults.max_apqns.value);
                return false;
        }
        return true;
}

/* Sharing needs both sides' consent: the guest asking, and the guest already holding the domain. */
static bool check_sharing(const Policy *p, const PolicyPlacement *pl, PolicyDecision *d) {
        for (size_t i = 0; i < pl->n_others; i++) {
                const PolicyGuestControlDomains *other = &pl->others[i];
                PolicyOrigin origin;
                ApMask shared;
                int cd;

                ap_mask_and(&shared, &pl->control_domains, &other->control_domains);
                if (ap_mask_is_empty(&shared))
                        continue;
                cd = ap_mask_next(&shared, 0);
                if (!policy_guest_may_share(p, pl->guest, &origin)) {
                        policy_decision_set(d, false, origin,
                                            "control domain %d is also held by guest '%s', and guest '%s' may not "
                                            "share control domains",
                                            cd, other->guest, pl->guest);
                        return false;
                }
                if (!policy_guest_may_share(p, other->guest, &origin)) {
                        policy_decision_set(d, false, origin,
                                            "control domain %d is held by guest '%s', which may not share control "
                                            "domains",
                                            cd, other->guest);
                        return false;
                }
        }
        return true;
}

static bool guest_name_is_valid(const char *name) {
        return name && name[0] != '\0' && strlen(name) <= POLICY_NAME_MAX;
}

_public_ int policy_check_placement(const Policy *p, const PolicyPlacement *pl, PolicyDecision *ret) {
        PolicyDecision d = {};
        bool listed = false;

        if (!p || !pl || !ret || !guest_name_is_valid(pl->guest) || (pl->n_adapter_info > 0 && !pl->adapter_info) ||
            (pl->n_others > 0 && !pl->others))
                return -EINVAL;
        for (size_t i = 0; i < pl->n_adapter_info; i++)
                if (pl->adapter_info[i].adapter > AP_ID_MAX ||
                    (unsigned) pl->adapter_info[i].mode >= _POLICY_CARD_MODE_MAX)
                        return -EINVAL;
        for (size_t i = 0; i < pl->n_others; i++)
                if (!guest_name_is_valid(pl->others[i].guest))
                        return -EINVAL;

        if (!check_reservations(p, pl, &d))
                goto done;
        for (size_t i = 0; i < p->n_guests; i++) {
                if (!policy_guest_rule_matches(&p->guests[i], pl->guest))
                        continue;
                listed = true;
                if (!check_guest_rule(&p->guests[i], pl, &d))
                        goto done;
        }
        if (!check_defaults(p, pl, listed, &d) || !check_sharing(p, pl, &d))
                goto done;

        policy_decision_set(&d, true, (PolicyOrigin) {}, "guest '%s' may have %u APQN%s and %u control domain%s",
                            pl->guest, placement_apqn_count(pl), placement_apqn_count(pl) == 1 ? "" : "s",
                            ap_mask_count(&pl->control_domains), ap_mask_count(&pl->control_domains) == 1 ? "" : "s");
done:
        *ret = d;
        return 0;
}
