/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The in-memory policy the parser builds and the evaluators read; shared by
 * the policy library's files only. Every rule and setting remembers the
 * file:line it came from, so decisions and `policy show` can name it.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

#include "ap-mask.h"
#include "policy.h"

/* Where a rule or setting came from; file NULL means built in. */
typedef struct PolicyOrigin {
        const char *file;               /* borrowed from Policy.files */
        unsigned line;
} PolicyOrigin;

typedef struct PolicyMaskSetting {
        bool set;
        ApMask mask;
        PolicyOrigin origin;
} PolicyMaskSetting;

typedef struct PolicyNumberSetting {
        bool set;
        unsigned value;
        PolicyOrigin origin;
} PolicyNumberSetting;

typedef struct PolicyBoolSetting {
        bool set;
        bool value;
        PolicyOrigin origin;
} PolicyBoolSetting;

/* A user or group as written (name or number) and what it resolved to. */
typedef struct PolicyPrincipal {
        char *text;                     /* owned */
        unsigned id;                    /* uid_t or gid_t */
} PolicyPrincipal;

/* [access NAME] */
typedef struct PolicyAccessRule {
        char *name;                     /* owned */
        PolicyOrigin origin;
        PolicyPrincipal *users;         /* owned, n_users entries */
        size_t n_users;
        PolicyPrincipal *groups;        /* owned, n_groups entries */
        size_t n_groups;
        bool allow[_POLICY_OPERATION_MAX];
        PolicyOrigin allow_origin;
        char **guests;                  /* owned, n_guests glob patterns */
        size_t n_guests;
        PolicyOrigin guests_origin;
} PolicyAccessRule;

/* [guest PATTERN] */
typedef struct PolicyGuestRule {
        char *pattern;                  /* owned */
        PolicyOrigin origin;
        PolicyMaskSetting adapters;
        PolicyMaskSetting usage_domains;
        PolicyMaskSetting control_domains;
        bool modes_set;
        bool modes[_POLICY_CARD_MODE_MAX];
        PolicyOrigin modes_origin;
        PolicyNumberSetting min_generation;
        PolicyNumberSetting max_apqns;
        PolicyBoolSetting share_control_domains;
} PolicyGuestRule;

/* Which key of [host] a reservation came from; decides how it prints. */
typedef enum PolicyReservationKind {
        POLICY_RESERVE_APQN,            /* reserve = 05.0003: one APQN */
        POLICY_RESERVE_ADAPTERS,        /* reserve-adapters: whole adapters, every domain */
        POLICY_RESERVE_DOMAINS,         /* reserve-domains: these domains on every adapter */
} PolicyReservationKind;

/* APQNs in adapters x domains never go to a guest. */
typedef struct PolicyReservation {
        PolicyReservationKind kind;
        ApMask adapters;
        ApMask domains;
        PolicyOrigin origin;
} PolicyReservation;

typedef enum PolicyUnlistedGuests {
        POLICY_UNLISTED_ALLOW,
        POLICY_UNLISTED_DENY,
} PolicyUnlistedGuests;

/* [defaults] */
typedef struct PolicyDefaults {
        char *read_group;               /* owned; NULL for "none" */
        bool read_group_resolved;       /* false: the built-in apctl group does not exist */
        gid_t read_group_gid;
        PolicyOrigin read_group_origin; /* file NULL: built in */
        PolicyNumberSetting max_apqns;
        PolicyBoolSetting share_control_domains; /* unset means yes, like the kernel */
        PolicyUnlistedGuests unlisted_guests;
        PolicyOrigin unlisted_guests_origin;
        PolicyOrigin origin;            /* the [defaults] header, file NULL if none */
} PolicyDefaults;

struct Policy {
        char **files;                   /* owned, n_files paths in load order */
        size_t n_files;
        char *source;                   /* owned; the directory or file loaded, NULL for built-in */
        PolicyDefaults defaults;
        PolicyReservation *reservations; /* owned, n_reservations */
        size_t n_reservations;
        PolicyAccessRule *access;       /* owned, n_access in load order */
        size_t n_access;
        PolicyGuestRule *guests;        /* owned, n_guests in load order */
        size_t n_guests;
};

#define POLICY_DEFAULT_READ_GROUP "apctl"

/* policy-error.c: fill error (if not NULL) and return err. */
int policy_error_set(PolicyError *error, int err, const char *file, unsigned line, PolicyErrorCode code,
                     const char *format, ...) _printf_(6, 7);

/* policy-parse.c: parse one file's text into p, which already holds the earlier files. */
int policy_parse_text(Policy *p, const char *file, const char *text, size_t size, const PolicyLoadOptions *opts,
                      PolicyError *error);
/* After the last file: checks that need every file (conflicts between sections). */
int policy_validate(Policy *p, PolicyError *error);

/* policy-rules.c: a group name through opts->lookup_group or the system; 0 or -ENOENT. */
int policy_group_lookup(const PolicyLoadOptions *opts, const char *name, gid_t *ret);

/* policy-load.c */
int policy_new_empty(const PolicyLoadOptions *opts, Policy **ret);
const char *policy_origin_format(PolicyOrigin origin, char *buf, size_t size);

/* policy-match.c: helpers both evaluators and the printer use. */
bool policy_guest_rule_matches(const PolicyGuestRule *rule, const char *guest);
bool policy_pattern_matches(const char *pattern, const char *guest);
/* Whether a guest may share control domains, and the setting that says so. */
bool policy_guest_may_share(const Policy *p, const char *guest, PolicyOrigin *ret_origin);
/* "cca, ep11" */
void policy_modes_format(const bool modes[static _POLICY_CARD_MODE_MAX], char *buf, size_t size);
void policy_decision_set(PolicyDecision *d, bool allowed, PolicyOrigin origin, const char *format, ...)
        _printf_(4, 5);
