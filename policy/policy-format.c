/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `apctl policy show`: the effective merged policy, printed in the policy
 * file format so that it can be read back, with a comment before each rule
 * naming the file:line it came from and marking built-in values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy-internal.h"

static void origin_comment(FILE *f, PolicyOrigin origin) {
        char where[PATH_MAX + 16];

        fprintf(f, "# %s\n", policy_origin_format(origin, where, sizeof(where)));
}

static int mask_print(FILE *f, const char *key, const ApMask *m) {
        _cleanup_free_ char *list = ap_list_format(m, AP_LIST_DECIMAL);

        if (!list)
                return -ENOMEM;
        fprintf(f, "%s = %s\n", key, list);
        return 0;
}

static void defaults_print(FILE *f, const PolicyDefaults *d) {
        char where[PATH_MAX + 16];

        fprintf(f, "\n# [defaults] from %s\n", policy_origin_format(d->origin, where, sizeof(where)));
        fprintf(f, "[defaults]\n");

        if (d->read_group && !d->read_group_resolved)
                fprintf(f, "# built-in read-group %s does not exist, so no group may read\nread-group = none\n",
                        d->read_group);
        else {
                if (!d->read_group_origin.file)
                        fprintf(f, "# built-in\n");
                fprintf(f, "read-group = %s\n", d->read_group ?: "none");
        }

        if (d->max_apqns.set)
                fprintf(f, "max-apqns = %u\n", d->max_apqns.value);
        else
                fprintf(f, "# max-apqns: no limit (built-in)\n");

        if (!d->share_control_domains.set)
                fprintf(f, "# built-in\n");
        fprintf(f, "share-control-domains = %s\n",
                !d->share_control_domains.set || d->share_control_domains.value ? "yes" : "no");

        if (!d->unlisted_guests_origin.file)
                fprintf(f, "# built-in\n");
        fprintf(f, "unlisted-guests = %s\n", d->unlisted_guests == POLICY_UNLISTED_DENY ? "deny" : "allow");
}

static int reservations_print(FILE *f, const Policy *p) {
        int r;

        /* One [host] section per key line: merged files may set the same key more than once. */
        for (size_t i = 0; i < p->n_reservations;) {
                const PolicyReservation *res = &p->reservations[i];

                fprintf(f, "\n");
                origin_comment(f, res->origin);
                fprintf(f, "[host]\n");
                if (res->kind == POLICY_RESERVE_ADAPTERS) {
                        r = mask_print(f, "reserve-adapters", &res->adapters);
                        if (r < 0)
                                return r;
                        i++;
                } else if (res->kind == POLICY_RESERVE_DOMAINS) {
                        r = mask_print(f, "reserve-domains", &res->domains);
                        if (r < 0)
                                return r;
                        i++;
                } else {
                        const char *sep = "reserve = ";

                        for (; i < p->n_reservations && p->reservations[i].kind == POLICY_RESERVE_APQN &&
                               p->reservations[i].origin.file == res->origin.file &&
                               p->reservations[i].origin.line == res->origin.line;
                             i++) {
                                char apqn[APQN_BUFSZ];
                                Apqn q = {
                                        .adapter = (unsigned) ap_mask_next(&p->reservations[i].adapters, 0),
                                        .domain = (unsigned) ap_mask_next(&p->reservations[i].domains, 0),
                                };

                                fprintf(f, "%s%s", sep, apqn_format(q, apqn));
                                sep = ", ";
                        }
                        fprintf(f, "\n");
                }
        }
        return 0;
}

static void access_print(FILE *f, const PolicyAccessRule *rule) {
        const char *sep;

        fprintf(f, "\n");
        origin_comment(f, rule->origin);
        fprintf(f, "[access %s]\n", rule->name);
        if (rule->n_users > 0) {
                fprintf(f, "users = ");
                for (size_t i = 0; i < rule->n_users; i++)
                        fprintf(f, "%s%s", i > 0 ? ", " : "", rule->users[i].text);
                fprintf(f, "\n");
        }
        if (rule->n_groups > 0) {
                fprintf(f, "groups = ");
                for (size_t i = 0; i < rule->n_groups; i++)
                        fprintf(f, "%s%s", i > 0 ? ", " : "", rule->groups[i].text);
                fprintf(f, "\n");
        }
        sep = "allow = ";
        for (size_t op = 0; op < _POLICY_OPERATION_MAX; op++)
                if (rule->allow[op]) {
                        fprintf(f, "%s%s", sep, policy_operation_to_string((PolicyOperation) op));
                        sep = ", ";
                }
        fprintf(f, "\n");
        if (rule->n_guests > 0) {
                fprintf(f, "guests = ");
                for (size_t i = 0; i < rule->n_guests; i++)
                        fprintf(f, "%s%s", i > 0 ? ", " : "", rule->guests[i]);
                fprintf(f, "\n");
        }
}

static int guest_print(FILE *f, const PolicyGuestRule *rule) {
        int r;

        fprintf(f, "\n");
        origin_comment(f, rule->origin);
        fprintf(f, "[guest %s]\n", rule->pattern);
        if (rule->adapters.set && (r = mask_print(f, "adapters", &rule->adapters.mask)) < 0)
                return r;
        if (rule->usage_domains.set && (r = mask_print(f, "usage-domains", &rule->usage_domains.mask)) < 0)
                return r;
        if (rule->control_domains.set && (r = mask_print(f, "control-domains", &rule->control_domains.mask)) < 0)
                return r;
        if (rule->modes_set) {
                char modes[64];

                policy_modes_format(rule->modes, modes, sizeof(modes));
                fprintf(f, "modes = %s\n", modes);
        }
        if (rule->min_generation.set)
                fprintf(f, "min-generation = CEX%u\n", rule->min_generation.value);
        if (rule->max_apqns.set)
                fprintf(f, "max-apqns = %u\n", rule->max_apqns.value);
        if (rule->share_control_domains.set)
                fprintf(f, "share-control-domains = %s\n", rule->share_control_domains.value ? "yes" : "no");
        return 0;
}

_public_ int policy_format(const Policy *p, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        if (!p || !ret)
                return -EINVAL;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;

        fprintf(f, "# Effective apctl policy from %s (%zu file%s); root may always do everything.\n",
                p->source ?: "built-in defaults", p->n_files, p->n_files == 1 ? "" : "s");
        defaults_print(f, &p->defaults);
        r = reservations_print(f, p);
        for (size_t i = 0; r >= 0 && i < p->n_access; i++)
                access_print(f, &p->access[i]);
        for (size_t i = 0; r >= 0 && i < p->n_guests; i++)
                r = guest_print(f, &p->guests[i]);

        if (fclose(f) != 0)
                r = r < 0 ? r : -ENOMEM;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}
