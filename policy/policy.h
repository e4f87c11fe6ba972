/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy library's public API: load the .conf files of
 * /etc/apctl/policy.d into an immutable Policy, then ask it "may this peer do this?" (access) and "may
 * these APQNs go to this guest?" (placement). The format is documented in
 * apctl-policy(5).
 *
 * Reload is the caller's swap: load into a new Policy, and only when that
 * succeeded free the old one and keep the new one. A Policy is never
 * modified after loading, so decisions never see a half-loaded policy, and
 * any number of threads may ask the same Policy at once.
 *
 * Wiring in apctld, in full:
 *
 *     _cleanup_(policy_freep) Policy *p = NULL;
 *     PolicyError error;
 *     r = policy_load_directory(APCTL_SYSCONFDIR "/policy.d", NULL, &p, &error);
 *     if (r == -ENOENT)
 *             r = policy_new_default(NULL, &p);
 *     if (r < 0)
 *             -> report error.text, keep the old policy
 *     policy_free(manager->policy);
 *     manager->policy = TAKE_PTR(p);
 *
 *     PolicyDecision d;
 *     r = policy_check_access(manager->policy,
 *                             &(PolicyPeer) { .uid = ucred.uid, .gids = gids, .n_gids = n },
 *                             method->operation, guest_name_or_NULL, &d);
 *     if (r < 0 || !d.allowed)
 *             -> refuse with d.reason and d.where
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ap-mask.h"
#include "macro.h"

typedef struct Policy Policy;

/* Limits on what a policy file (or a caller's request) may contain. */
#define POLICY_FILE_SIZE_MAX (1024u * 1024u)
#define POLICY_LINE_MAX 4096u
#define POLICY_FILES_MAX 256u
#define POLICY_SECTIONS_MAX 4096u
#define POLICY_LIST_ENTRIES_MAX 256u    /* users, groups, guests, reserve entries per key */
#define POLICY_NAME_MAX 128u            /* guest names and guest patterns */
#define POLICY_GIDS_MAX 65536u          /* NGROUPS_MAX on Linux */
#define POLICY_MAX_APQNS_LIMIT 65536u   /* 256 adapters x 256 domains */

/* Pass as PolicyLoadOptions.owner_uid to skip the owner and mode checks. */
#define POLICY_OWNER_ANY ((uid_t) -1)

/* What a peer asks to do. Every operation implies read. */
typedef enum PolicyOperation {
        POLICY_OPERATION_READ,          /* list and show state, subscribe to events */
        POLICY_OPERATION_GUEST_CHANGE,  /* define, modify, attach, detach, delete one guest */
        POLICY_OPERATION_HOST_CHANGE,   /* host reservations (apmask/aqmask) */
        POLICY_OPERATION_POLICY_RELOAD, /* reload the policy */
        _POLICY_OPERATION_MAX,
} PolicyOperation;

const char *policy_operation_to_string(PolicyOperation op);
int policy_operation_from_string(const char *s, PolicyOperation *ret);

/* The crypto mode a card is configured for (sysfs MODE=accel|cca|ep11). */
typedef enum PolicyCardMode {
        POLICY_CARD_MODE_UNKNOWN,       /* adapter not present, or mode not known */
        POLICY_CARD_MODE_ACCEL,
        POLICY_CARD_MODE_CCA,
        POLICY_CARD_MODE_EP11,
        _POLICY_CARD_MODE_MAX,
} PolicyCardMode;

const char *policy_card_mode_to_string(PolicyCardMode mode);
int policy_card_mode_from_string(const char *s, PolicyCardMode *ret);

/* Card generations are 4..8 (CEX4..CEX8); 0 means unknown. */
#define POLICY_GENERATION_UNKNOWN 0u
#define POLICY_GENERATION_MIN 4u
#define POLICY_GENERATION_MAX 8u
/* The AP bus's compatible hwtype (10 = CEX4 .. 14 = CEX8) -> 4..8, else 0. */
unsigned policy_generation_from_hwtype(int hwtype);

typedef struct PolicyLoadOptions {
        /* Files and directory must be owned by this uid (0 in production). */
        uid_t owner_uid;
        /*
         * Resolve user and group names; return 0 or -ENOENT. NULL uses
         * getpwnam_r()/getgrnam_r(). Tests pass a table so they need no
         * real accounts.
         */
        int (*lookup_user)(const char *name, uid_t *ret, void *userdata);
        int (*lookup_group)(const char *name, gid_t *ret, void *userdata);
        void *userdata;                 /* borrowed */
} PolicyLoadOptions;

/* Why loading failed. */
typedef enum PolicyErrorCode {
        POLICY_ERROR_NONE = 0,
        /* files and directories */
        POLICY_ERROR_IO,
        POLICY_ERROR_NOT_REGULAR,
        POLICY_ERROR_NOT_OWNER,
        POLICY_ERROR_WRITABLE,
        POLICY_ERROR_FILE_TOO_BIG,
        POLICY_ERROR_TOO_MANY_FILES,
        /* syntax */
        POLICY_ERROR_LINE_TOO_LONG,
        POLICY_ERROR_CONTROL_CHAR,
        POLICY_ERROR_SECTION_SYNTAX,
        POLICY_ERROR_UNKNOWN_SECTION,
        POLICY_ERROR_SECTION_NEEDS_NAME,
        POLICY_ERROR_SECTION_TAKES_NO_NAME,
        POLICY_ERROR_BAD_RULE_NAME,
        POLICY_ERROR_KEY_OUTSIDE_SECTION,
        POLICY_ERROR_ASSIGNMENT_SYNTAX,
        POLICY_ERROR_UNKNOWN_KEY,
        POLICY_ERROR_EMPTY_VALUE,
        POLICY_ERROR_DUPLICATE_KEY,
        POLICY_ERROR_TOO_MANY_SECTIONS,
        POLICY_ERROR_TOO_MANY_ENTRIES,
        POLICY_ERROR_EMPTY_ENTRY,
        POLICY_ERROR_DUPLICATE_ENTRY,
        /* values */
        POLICY_ERROR_BAD_BOOLEAN,
        POLICY_ERROR_BAD_NUMBER,
        POLICY_ERROR_BAD_ID_LIST,
        POLICY_ERROR_BAD_APQN,
        POLICY_ERROR_BAD_MODE,
        POLICY_ERROR_BAD_GENERATION,
        POLICY_ERROR_BAD_OPERATION,
        POLICY_ERROR_BAD_USER,
        POLICY_ERROR_UNKNOWN_USER,
        POLICY_ERROR_BAD_GROUP,
        POLICY_ERROR_UNKNOWN_GROUP,
        POLICY_ERROR_BAD_PATTERN,
        POLICY_ERROR_BAD_UNLISTED,
        /* rules */
        POLICY_ERROR_DUPLICATE_SECTION,
        POLICY_ERROR_ACCESS_NEEDS_ALLOW,
        POLICY_ERROR_ACCESS_NEEDS_PEERS,
        POLICY_ERROR_ACCESS_NEEDS_GUESTS,
        POLICY_ERROR_ACCESS_GUESTS_UNUSED,
        POLICY_ERROR_GUEST_RULE_EMPTY,
        POLICY_ERROR_HOST_EMPTY,
        POLICY_ERROR_RESERVED_CONFLICT,
        POLICY_ERROR_DUPLICATE_RESERVATION,
        _POLICY_ERROR_MAX,
} PolicyErrorCode;

/* Stable name of a code, e.g. "unknown-key". */
const char *policy_error_code_to_string(PolicyErrorCode code);

typedef struct PolicyError {
        PolicyErrorCode code;
        char file[PATH_MAX];            /* "" when the problem is not in one file */
        unsigned line;                  /* 0 when the problem is not on one line */
        char message[512];              /* what is wrong, without the location */
        char text[PATH_MAX + 540];      /* "file:line: message", ready to print */
} PolicyError;

/*
 * Load every NAME.conf in dir, in lexical (strcmp) order; other names and
 * names starting with '.' are ignored. -ENOENT (with error filled) when the
 * directory does not exist: callers that accept that use
 * policy_new_default(). opts NULL means owner 0 and the system's name
 * lookups. On failure *ret is untouched and error (if not NULL) says
 * what and where.
 */
int policy_load_directory(const char *dir, const PolicyLoadOptions *opts, Policy **ret, PolicyError *error);

/* One file, as if it were the only file in the directory (`apctl policy check FILE`). */
int policy_load_file(const char *path, const PolicyLoadOptions *opts, Policy **ret, PolicyError *error);

/* The built-in policy: read for group apctl (if it exists), all for root. */
int policy_new_default(const PolicyLoadOptions *opts, Policy **ret);

Policy *policy_free(Policy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

/* The answer to either question; the caller owns it, it outlives the Policy. */
typedef struct PolicyDecision {
        bool allowed;
        char where[PATH_MAX + 16];      /* "file:line" of the deciding rule, or "built-in" */
        char reason[768];               /* one sentence naming the rule, peer, APQN, ... */
} PolicyDecision;

typedef struct PolicyPeer {
        uid_t uid;
        gid_t gid;                      /* primary group */
        const gid_t *gids;              /* borrowed; supplementary groups */
        size_t n_gids;
} PolicyPeer;

/*
 * May peer perform op (on guest, for guest-change; NULL elsewhere)?
 * Returns 0 and fills *ret with the decision, or -EINVAL for arguments no
 * caller should pass (guest name longer than POLICY_NAME_MAX, too many
 * gids, unknown op). guest-change with guest NULL (an operation on no
 * particular guest) needs a rule whose guests include "*".
 */
int policy_check_access(const Policy *p, const PolicyPeer *peer, PolicyOperation op, const char *guest,
                        PolicyDecision *ret);

/* What the caller knows about one adapter of a proposed configuration. */
typedef struct PolicyAdapterInfo {
        unsigned adapter;               /* 0..255 */
        PolicyCardMode mode;
        unsigned generation;            /* 4..8, or POLICY_GENERATION_UNKNOWN */
} PolicyAdapterInfo;

/* The control domains another guest holds now. */
typedef struct PolicyGuestControlDomains {
        const char *guest;              /* borrowed */
        ApMask control_domains;
} PolicyGuestControlDomains;

/* A guest's proposed complete configuration, as it would be after the change. */
typedef struct PolicyPlacement {
        const char *guest;              /* borrowed */
        ApMask adapters;
        ApMask usage_domains;
        ApMask control_domains;
        const PolicyAdapterInfo *adapter_info;  /* borrowed; adapters missing here count as unknown */
        size_t n_adapter_info;
        const PolicyGuestControlDomains *others; /* borrowed; the other guests, not this one */
        size_t n_others;
} PolicyPlacement;

/*
 * May the guest have this configuration? Returns 0 and fills *ret with
 * "allowed" or the first violated rule (host reservations first, then
 * guest rules in load order, then defaults), naming the offending APQN,
 * adapter or domain. -EINVAL for malformed requests (no or too long guest
 * name, adapter_info naming an id > 255).
 */
int policy_check_placement(const Policy *p, const PolicyPlacement *placement, PolicyDecision *ret);

/*
 * The effective merged policy in the file format, each rule preceded by a
 * comment naming where it came from; feeding it back to the parser gives
 * the same policy. Returns a malloc'd string in *ret, or -ENOMEM.
 */
int policy_format(const Policy *p, char **ret);
