/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The four sections of the policy format ([defaults], [host], [access NAME],
 * [guest PATTERN]) as tables of keys, each key with its value parser, and the
 * checks that run when a section ends and after the last file.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy-parser.h"

#define NAME_LOOKUP_BUFSZ 16384

static int lookup_user_system(const char *name, uid_t *ret, void *userdata) {
        _cleanup_free_ char *buf = malloc(NAME_LOOKUP_BUFSZ);
        struct passwd pw, *result = NULL;

        if (!buf)
                return -ENOMEM;
        if (getpwnam_r(name, &pw, buf, NAME_LOOKUP_BUFSZ, &result) != 0 || !result)
                return -ENOENT;
        *ret = result->pw_uid;
        return 0;
}

static int lookup_group_system(const char *name, gid_t *ret, void *userdata) {
        _cleanup_free_ char *buf = malloc(NAME_LOOKUP_BUFSZ);
        struct group gr, *result = NULL;

        if (!buf)
                return -ENOMEM;
        if (getgrnam_r(name, &gr, buf, NAME_LOOKUP_BUFSZ, &result) != 0 || !result)
                return -ENOENT;
        *ret = result->gr_gid;
        return 0;
}

/* Resolve a group name through the caller's lookup or the system's. */
int policy_group_lookup(const PolicyLoadOptions *opts, const char *name, gid_t *ret) {
        if (opts->lookup_group)
                return opts->lookup_group(name, ret, opts->userdata);
        return lookup_group_system(name, ret, NULL);
}

static int user_lookup(const PolicyLoadOptions *opts, const char *name, uid_t *ret) {
        if (opts->lookup_user)
                return opts->lookup_user(name, ret, opts->userdata);
        return lookup_user_system(name, ret, NULL);
}

/* Shadow-utils' rule for portable names, so typos like "ali ce" fail here. */
static bool principal_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 32 || s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* A numeric uid or gid: decimal, below the "invalid" (uid_t) -1. */
static bool principal_number(const char *s, unsigned *ret) {
        size_t n = strlen(s);
        unsigned long long v;

        if (n == 0 || n > 10 || strspn(s, "0123456789") != n || (s[0] == '0' && n > 1))
                return false;
        v = strtoull(s, NULL, 10);
        if (v >= 0xffffffffull)
                return false;
        *ret = (unsigned) v;
        return true;
}

typedef enum PrincipalKind {
        PRINCIPAL_USER,
        PRINCIPAL_GROUP,
} PrincipalKind;

static int principal_resolve(Parser *ps, PrincipalKind kind, const char *text, unsigned *ret) {
        unsigned id;
        int r;

        if (principal_number(text, &id)) {
                *ret = id;
                return 0;
        }
        if (!principal_name_is_valid(text))
                return kind == PRINCIPAL_USER ?
                        parser_error(ps, POLICY_ERROR_BAD_USER, "%s: '%s' is not a user name or uid", ps->key, text) :
                        parser_error(ps, POLICY_ERROR_BAD_GROUP, "%s: '%s' is not a group name or gid", ps->key,
                                     text);
        if (kind == PRINCIPAL_USER) {
                uid_t uid;

                r = user_lookup(ps->opts, text, &uid);
                if (r == -ENOENT)
                        return parser_error(ps, POLICY_ERROR_UNKNOWN_USER, "%s: no user named '%s'", ps->key, text);
                id = uid;
        } else {
                gid_t gid;

                r = policy_group_lookup(ps->opts, text, &gid);
                if (r == -ENOENT)
                        return parser_error(ps, POLICY_ERROR_UNKNOWN_GROUP, "%s: no group named '%s'", ps->key,
                                            text);
                id = gid;
        }
        if (r < 0)
                return r;
        *ret = id;
        return 0;
}

static int principals_parse(Parser *ps, PrincipalKind kind, const char *value, PolicyPrincipal **ret,
                            size_t *ret_n) {
        _cleanup_(strv_freep) char **entries = NULL;
        PolicyPrincipal *principals;
        size_t n;
        int r;

        r = parser_list(ps, value, &entries, &n);
        if (r < 0)
                return r;
        principals = calloc(n, sizeof(PolicyPrincipal));
        if (!principals)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = principal_resolve(ps, kind, entries[i], &principals[i].id);
                if (r < 0) {
                        free(principals);
                        return r;
                }
        }
        /* Only now hand the strings over: entries stays a NULL-terminated list until here. */
        for (size_t i = 0; i < n; i++)
                principals[i].text = TAKE_PTR(entries[i]);
        *ret = principals;
        *ret_n = n;
        return 0;
}

/* Guest names are free-form in libvirt, but a pattern must survive the list syntax and the printer. */
static bool guest_pattern_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > POLICY_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f || strchr(",#/\\\"'", s[i]))
                        return false;
        return true;
}

static int pattern_check(Parser *ps, const char *pattern) {
        if (!guest_pattern_is_valid(pattern))
                return parser_error(ps, POLICY_ERROR_BAD_PATTERN,
                                    "'%s' is not a guest name or pattern (1-%u printable characters, no blanks or "
                                    ",#/\\\"')",
                                    pattern, POLICY_NAME_MAX);
        return 0;
}

/* ---- [defaults] ---- */

static int defaults_begin(Parser *ps, const char *name) {
        PolicyDefaults *d = &ps->policy->defaults;

        if (d->origin.file)
                return parser_error(ps, POLICY_ERROR_DUPLICATE_SECTION, "duplicate section [defaults] (first at %s:%u)",
                                    d->origin.file, d->origin.line);
        d->origin = parser_origin(ps);
        return 0;
}

static int defaults_read_group(Parser *ps, const char *value) {
        PolicyDefaults *d = &ps->policy->defaults;
        char *copy = NULL;
        unsigned gid = 0;
        int r;

        if (!streq(value, "none")) {
                r = principal_resolve(ps, PRINCIPAL_GROUP, value, &gid);
                if (r < 0)
                        return r;
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
        }
        free(d->read_group);
        d->read_group = copy;
        d->read_group_gid = gid;
        d->read_group_resolved = copy != NULL;
        d->read_group_origin = parser_origin(ps);
        return 0;
}

static int defaults_max_apqns(Parser *ps, const char *value) {
        PolicyNumberSetting *s = &ps->policy->defaults.max_apqns;
        int r = parser_number(ps, value, 1, POLICY_MAX_APQNS_LIMIT, &s->value);

        if (r < 0)
                return r;
        s->set = true;
        s->origin = parser_origin(ps);
        return 0;
}

static int defaults_share(Parser *ps, const char *value) {
        PolicyBoolSetting *s = &ps->policy->defaults.share_control_domains;
        int r = parser_bool(ps, value, &s->value);

        if (r < 0)
                return r;
        s->set = true;
        s->origin = parser_origin(ps);
        return 0;
}

static int defaults_unlisted(Parser *ps, const char *value) {
        PolicyDefaults *d = &ps->policy->defaults;

        if (streq(value, "allow"))
                d->unlisted_guests = POLICY_UNLISTED_ALLOW;
        else if (streq(value, "deny"))
                d->unlisted_guests = POLICY_UNLISTED_DENY;
        else
                return parser_error(ps, POLICY_ERROR_BAD_UNLISTED, "unlisted-guests: '%s' is neither allow nor deny",
                                    value);
        d->unlisted_guests_origin = parser_origin(ps);
        return 0;
}

static const KeyType defaults_keys[] = {
        { "read-group", defaults_read_group },
        { "max-apqns", defaults_max_apqns },
        { "share-control-domains", defaults_share },
        { "unlisted-guests", defaults_unlisted },
};

/* ---- [host] ---- */

static int host_begin(Parser *ps, const char *name) {
        return 0;
}

static int host_end(Parser *ps) {
        for (size_t i = 0; i < PARSER_KEYS_MAX; i++)
                if (ps->key_lines[i] > 0)
                        return 0;
        return parser_error(ps, POLICY_ERROR_HOST_EMPTY,
                            "section [host] reserves nothing (keys: reserve, reserve-adapters, reserve-domains)");
}

/* The same APQN reserved twice by the same kind of key is a typo or a merge accident. */
static int reservation_add(Parser *ps, PolicyReservationKind kind, const ApMask *adapters, const ApMask *domains) {
        Policy *p = ps->policy;
        PolicyReservation *n;

        for (size_t i = 0; i < p->n_reservations; i++) {
                const PolicyReservation *old = &p->reservations[i];
                ApMask a, d;

                if (old->kind != kind)
                        continue;
                ap_mask_and(&a, &old->adapters, adapters);
                ap_mask_and(&d, &old->domains, domains);
                if (ap_mask_is_empty(&a) || ap_mask_is_empty(&d))
                        continue;
                if (kind == POLICY_RESERVE_ADAPTERS)
                        return parser_error(ps, POLICY_ERROR_DUPLICATE_RESERVATION,
                                            "%s: adapter %d is already reserved at %s:%u", ps->key,
                                            ap_mask_next(&a, 0), old->origin.file, old->origin.line);
                if (kind == POLICY_RESERVE_DOMAINS)
                        return parser_error(ps, POLICY_ERROR_DUPLICATE_RESERVATION,
                                            "%s: domain %d is already reserved at %s:%u", ps->key,
                                            ap_mask_next(&d, 0), old->origin.file, old->origin.line);
                return parser_error(ps, POLICY_ERROR_DUPLICATE_RESERVATION,
                                    "%s: APQN %02x.%04x is already reserved at %s:%u", ps->key,
                                    (unsigned) ap_mask_next(&a, 0), (unsigned) ap_mask_next(&d, 0), old->origin.file,
                                    old->origin.line);
        }

        n = reallocarray(p->reservations, p->n_reservations + 1, sizeof(PolicyReservation));
        if (!n)
                return -ENOMEM;
        p->reservations = n;
        p->reservations[p->n_reservations++] = (PolicyReservation) {
                .kind = kind,
                .adapters = *adapters,
                .domains = *domains,
                .origin = parser_origin(ps),
        };
        return 0;
}

static int host_reserve(Parser *ps, const char *value) {
        _cleanup_(strv_freep) char **entries = NULL;
        size_t n;
        int r;

        r = parser_list(ps, value, &entries, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                ApParseError perr = {};
                ApMask a, d;
                Apqn q;

                r = apqn_parse(entries[i], &q, &perr);
                if (r < 0)
                        return parser_error(ps, POLICY_ERROR_BAD_APQN,
                                            "reserve: '%s' is not an APQN: %s", entries[i],
                                            perr.message);
                ap_mask_clear_all(&a);
                ap_mask_clear_all(&d);
                ap_mask_set(&a, q.adapter);
                ap_mask_set(&d, q.domain);
                r = reservation_add(ps, POLICY_RESERVE_APQN, &a, &d);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int host_reserve_ids(Parser *ps, const char *value, PolicyReservationKind kind) {
        ApMask ids, all;
        int r;

        r = parser_id_list(ps, value, &ids);
        if (r < 0)
                return r;
        ap_mask_clear_all(&all);
        ap_mask_set_range(&all, 0, AP_ID_MAX);
        if (kind == POLICY_RESERVE_ADAPTERS)
                return reservation_add(ps, kind, &ids, &all);
        return reservation_add(ps, kind, &all, &ids);
}

static int host_reserve_adapters(Parser *ps, const char *value) {
        return host_reserve_ids(ps, value, POLICY_RESERVE_ADAPTERS);
}

static int host_reserve_domains(Parser *ps, const char *value) {
        return host_reserve_ids(ps, value, POLICY_RESERVE_DOMAINS);
}

static const KeyType host_keys[] = {
        { "reserve", host_reserve },
        { "reserve-adapters", host_reserve_adapters },
        { "reserve-domains", host_reserve_domains },
};

/* ---- [access NAME] ---- */

static bool rule_name_is_valid(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n <= 64 &&
                strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static PolicyAccessRule *access_current(Parser *ps) {
        return &ps->policy->access[ps->index];
}

static int access_begin(Parser *ps, const char *name) {
        Policy *p = ps->policy;
        PolicyAccessRule *n;

        if (!rule_name_is_valid(name))
                return parser_error(ps, POLICY_ERROR_BAD_RULE_NAME,
                                    "'%s' is not a rule name (1-64 letters, digits, '_', '.', '-')", name);
        for (size_t i = 0; i < p->n_access; i++)
                if (streq(p->access[i].name, name))
                        return parser_error(ps, POLICY_ERROR_DUPLICATE_SECTION,
                                            "duplicate section [access %s] (first at %s:%u)", name,
                                            p->access[i].origin.file, p->access[i].origin.line);

        n = reallocarray(p->access, p->n_access + 1, sizeof(PolicyAccessRule));
        if (!n)
                return -ENOMEM;
        p->access = n;
        p->access[p->n_access] = (PolicyAccessRule) { .origin = parser_origin(ps) };
        p->access[p->n_access].name = strdup(name);
        if (!p->access[p->n_access].name)
                return -ENOMEM;
        ps->index = p->n_access++;
        return 0;
}

static int access_users(Parser *ps, const char *value) {
        PolicyAccessRule *rule = access_current(ps);

        return principals_parse(ps, PRINCIPAL_USER, value, &rule->users, &rule->n_users);
}

static int access_groups(Parser *ps, const char *value) {
        PolicyAccessRule *rule = access_current(ps);

        return principals_parse(ps, PRINCIPAL_GROUP, value, &rule->groups, &rule->n_groups);
}

static int access_allow(Parser *ps, const char *value) {
        PolicyAccessRule *rule = access_current(ps);
        _cleanup_(strv_freep) char **entries = NULL;
        size_t n;
        int r;

        r = parser_list(ps, value, &entries, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                PolicyOperation op;

                if (policy_operation_from_string(entries[i], &op) < 0)
                        return parser_error(ps, POLICY_ERROR_BAD_OPERATION,
                                            "allow: unknown operation '%s' (expected read, guest-change, "
                                            "host-change or policy-reload)",
                                            entries[i]);
                rule->allow[op] = true;
        }
        rule->allow_origin = parser_origin(ps);
        return 0;
}

static int access_guests(Parser *ps, const char *value) {
        PolicyAccessRule *rule = access_current(ps);
        _cleanup_(strv_freep) char **entries = NULL;
        size_t n;
        int r;

        r = parser_list(ps, value, &entries, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = pattern_check(ps, entries[i]);
                if (r < 0)
                        return r;
        }
        rule->guests = TAKE_PTR(entries);
        rule->n_guests = n;
        rule->guests_origin = parser_origin(ps);
        return 0;
}

static int access_end(Parser *ps) {
        PolicyAccessRule *rule = access_current(ps);
        bool any = false;

        for (size_t op = 0; op < _POLICY_OPERATION_MAX; op++)
                any = any || rule->allow[op];
        if (!any)
                return parser_error(ps, POLICY_ERROR_ACCESS_NEEDS_ALLOW,
                                    "[access %s] allows nothing: add 'allow = ' with read, guest-change, "
                                    "host-change or policy-reload",
                                    rule->name);
        if (rule->n_users == 0 && rule->n_groups == 0)
                return parser_error(ps, POLICY_ERROR_ACCESS_NEEDS_PEERS,
                                    "[access %s] applies to nobody: add 'users = ' or 'groups = '", rule->name);
        if (rule->allow[POLICY_OPERATION_GUEST_CHANGE] && rule->n_guests == 0)
                return parser_error(ps, POLICY_ERROR_ACCESS_NEEDS_GUESTS,
                                    "[access %s] allows guest-change but names no guests: add 'guests = ' "
                                    "(use * for every guest)",
                                    rule->name);
        if (!rule->allow[POLICY_OPERATION_GUEST_CHANGE] && rule->n_guests > 0) {
                ps->line = rule->guests_origin.line;
                return parser_error(ps, POLICY_ERROR_ACCESS_GUESTS_UNUSED,
                                    "guests: [access %s] does not allow guest-change, so 'guests' has no effect",
                                    rule->name);
        }
        return 0;
}

static const KeyType access_keys[] = {
        { "users", access_users },
        { "groups", access_groups },
        { "allow", access_allow },
        { "guests", access_guests },
};

/* ---- [guest PATTERN] ---- */

static PolicyGuestRule *guest_current(Parser *ps) {
        return &ps->policy->guests[ps->index];
}

static int guest_begin(Parser *ps, const char *pattern) {
        Policy *p = ps->policy;
        PolicyGuestRule *n;
        int r;

        r = pattern_check(ps, pattern);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_guests; i++)
                if (streq(p->guests[i].pattern, pattern))
                        return parser_error(ps, POLICY_ERROR_DUPLICATE_SECTION,
                                            "duplicate section [guest %s] (first at %s:%u)", pattern,
                                            p->guests[i].origin.file, p->guests[i].origin.line);

        n = reallocarray(p->guests, p->n_guests + 1, sizeof(PolicyGuestRule));
        if (!n)
                return -ENOMEM;
        p->guests = n;
        p->guests[p->n_guests] = (PolicyGuestRule) { .origin = parser_origin(ps) };
        p->guests[p->n_guests].pattern = strdup(pattern);
        if (!p->guests[p->n_guests].pattern)
                return -ENOMEM;
        ps->index = p->n_guests++;
        return 0;
}

static int guest_mask(Parser *ps, const char *value, PolicyMaskSetting *s) {
        int r = parser_id_list(ps, value, &s->mask);

        if (r < 0)
                return r;
        s->set = true;
        s->origin = parser_origin(ps);
        return 0;
}

static int guest_adapters(Parser *ps, const char *value) {
        return guest_mask(ps, value, &guest_current(ps)->adapters);
}

static int guest_usage_domains(Parser *ps, const char *value) {
        return guest_mask(ps, value, &guest_current(ps)->usage_domains);
}

static int guest_control_domains(Parser *ps, const char *value) {
        return guest_mask(ps, value, &guest_current(ps)->control_domains);
}

static int guest_modes(Parser *ps, const char *value) {
        PolicyGuestRule *rule = guest_current(ps);
        _cleanup_(strv_freep) char **entries = NULL;
        size_t n;
        int r;

        r = parser_list(ps, value, &entries, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                PolicyCardMode mode;

                if (policy_card_mode_from_string(entries[i], &mode) < 0)
                        return parser_error(ps, POLICY_ERROR_BAD_MODE,
                                            "modes: unknown card mode '%s' (expected accel, cca or ep11)",
                                            entries[i]);
                rule->modes[mode] = true;
        }
        rule->modes_set = true;
        rule->modes_origin = parser_origin(ps);
        return 0;
}

static int guest_min_generation(Parser *ps, const char *value) {
        PolicyNumberSetting *s = &guest_current(ps)->min_generation;

        /* "CEX6" as lszcrypt and the card labels spell it. */
        if (strlen(value) != 4 || strncasecmp(value, "CEX", 3) != 0 ||
            (unsigned) (value[3] - '0') < POLICY_GENERATION_MIN || (unsigned) (value[3] - '0') > POLICY_GENERATION_MAX)
                return parser_error(ps, POLICY_ERROR_BAD_GENERATION,
                                    "min-generation: '%s' is not a card generation (CEX%u to CEX%u)", value,
                                    POLICY_GENERATION_MIN, POLICY_GENERATION_MAX);
        s->value = (unsigned) (value[3] - '0');
        s->set = true;
        s->origin = parser_origin(ps);
        return 0;
}

static int guest_max_apqns(Parser *ps, const char *value) {
        PolicyNumberSetting *s = &guest_current(ps)->max_apqns;
        int r = parser_number(ps, value, 1, POLICY_MAX_APQNS_LIMIT, &s->value);

        if (r < 0)
                return r;
        s->set = true;
        s->origin = parser_origin(ps);
        return 0;
}

static int guest_share(Parser *ps, const char *value) {
        PolicyBoolSetting *s = &guest_current(ps)->share_control_domains;
        int r = parser_bool(ps, value, &s->value);

        if (r < 0)
                return r;
        s->set = true;
        s->origin = parser_origin(ps);
        return 0;
}

static int guest_end(Parser *ps) {
        for (size_t i = 0; i < PARSER_KEYS_MAX; i++)
                if (ps->key_lines[i] > 0)
                        return 0;
        return parser_error(ps, POLICY_ERROR_GUEST_RULE_EMPTY, "[guest %s] sets nothing",
                            guest_current(ps)->pattern);
}

static const KeyType guest_keys[] = {
        { "adapters", guest_adapters },
        { "usage-domains", guest_usage_domains },
        { "control-domains", guest_control_domains },
        { "modes", guest_modes },
        { "min-generation", guest_min_generation },
        { "max-apqns", guest_max_apqns },
        { "share-control-domains", guest_share },
};

const SectionType policy_section_types[] = {
        { "defaults", false, defaults_begin, NULL, defaults_keys, ELEMENTSOF(defaults_keys) },
        { "host", false, host_begin, host_end, host_keys, ELEMENTSOF(host_keys) },
        { "access", true, access_begin, access_end, access_keys, ELEMENTSOF(access_keys) },
        { "guest", true, guest_begin, guest_end, guest_keys, ELEMENTSOF(guest_keys) },
};
const size_t policy_n_section_types = ELEMENTSOF(policy_section_types);

/*
 * A guest rule that grants an adapter whose every allowed domain is
 * reserved for the host contradicts [host]: one of the two is a mistake.
 */
static int guest_rule_check_reserved(const Policy *p, const PolicyGuestRule *rule, PolicyError *error) {
        ApMask domains;

        if (!rule->adapters.set)
                return 0;
        if (rule->usage_domains.set)
                domains = rule->usage_domains.mask;
        else {
                ap_mask_clear_all(&domains);
                ap_mask_set_range(&domains, 0, AP_ID_MAX);
        }

        AP_MASK_FOREACH(a, &rule->adapters.mask) {
                const PolicyReservation *first = NULL;
                ApMask reserved;

                ap_mask_clear_all(&reserved);
                for (size_t i = 0; i < p->n_reservations; i++) {
                        const PolicyReservation *res = &p->reservations[i];

                        if (!ap_mask_test(&res->adapters, (unsigned) a) ||
                            !ap_mask_intersects(&res->domains, &domains))
                                continue;
                        first = first ?: res;
                        ap_mask_or(&reserved, &reserved, &res->domains);
                }
                if (first && ap_mask_is_subset(&domains, &reserved))
                        return policy_error_set(error, -EINVAL, rule->adapters.origin.file,
                                                rule->adapters.origin.line, POLICY_ERROR_RESERVED_CONFLICT,
                                                "adapters: adapter %d is reserved for the host (%s:%u) on every "
                                                "domain [guest %s] allows",
                                                a, first->origin.file, first->origin.line, rule->pattern);
        }
        return 0;
}

int policy_validate(Policy *p, PolicyError *error) {
        for (size_t i = 0; i < p->n_guests; i++) {
                int r = guest_rule_check_reserved(p, &p->guests[i], error);

                if (r < 0)
                        return r;
        }
        return 0;
}
