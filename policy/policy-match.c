/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers the evaluators and the printer share: which guest rules match a
 * guest name, whether a guest may share control domains, and filling a
 * decision.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>

#include "policy-internal.h"
#include "utf8.h"

bool policy_pattern_matches(const char *pattern, const char *guest) {
        return fnmatch(pattern, guest, 0) == 0;
}

bool policy_guest_rule_matches(const PolicyGuestRule *rule, const char *guest) {
        return policy_pattern_matches(rule->pattern, guest);
}

/*
 * Every matching rule applies, so one "no" is enough; without any setting
 * the kernel's behaviour (sharing allowed) is the default.
 */
bool policy_guest_may_share(const Policy *p, const char *guest, PolicyOrigin *ret_origin) {
        const PolicyBoolSetting *yes = NULL;

        for (size_t i = 0; i < p->n_guests; i++) {
                const PolicyBoolSetting *s = &p->guests[i].share_control_domains;

                if (!s->set || !policy_guest_rule_matches(&p->guests[i], guest))
                        continue;
                if (!s->value) {
                        *ret_origin = s->origin;
                        return false;
                }
                yes = yes ?: s;
        }
        if (yes) {
                *ret_origin = yes->origin;
                return true;
        }
        *ret_origin = p->defaults.share_control_domains.origin;
        return !p->defaults.share_control_domains.set || p->defaults.share_control_domains.value;
}

void policy_modes_format(const bool modes[static _POLICY_CARD_MODE_MAX], char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (unsigned m = POLICY_CARD_MODE_UNKNOWN + 1; m < _POLICY_CARD_MODE_MAX && len < size; m++)
                if (modes[m])
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", len > 0 ? ", " : "",
                                                 policy_card_mode_to_string((PolicyCardMode) m));
}

void policy_decision_set(PolicyDecision *d, bool allowed, PolicyOrigin origin, const char *format, ...) {
        va_list ap;

        d->allowed = allowed;
        policy_origin_format(origin, d->where, sizeof(d->where));
        va_start(ap, format);
        utf8_vsnprintf(d->reason, sizeof(d->reason), format, ap);
        va_end(ap);
}
