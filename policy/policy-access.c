/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Access decisions: may this peer (uid and groups, from SO_PEERCRED and
 * SO_PEERGROUPS) perform this operation, on this guest? Root may do
 * everything; [access] rules only ever allow; the read group reads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy-internal.h"

static bool peer_in_group(const PolicyPeer *peer, gid_t gid) {
        if (peer->gid == gid)
                return true;
        for (size_t i = 0; i < peer->n_gids; i++)
                if (peer->gids[i] == gid)
                        return true;
        return false;
}

/* The user or group entry through which the rule names the peer, for the reason text. */
static const PolicyPrincipal *access_rule_names_peer(const PolicyAccessRule *rule, const PolicyPeer *peer,
                                                     bool *ret_is_group) {
        for (size_t i = 0; i < rule->n_users; i++)
                if (rule->users[i].id == peer->uid) {
                        *ret_is_group = false;
                        return &rule->users[i];
                }
        for (size_t i = 0; i < rule->n_groups; i++)
                if (peer_in_group(peer, rule->groups[i].id)) {
                        *ret_is_group = true;
                        return &rule->groups[i];
                }
        return NULL;
}

/* The first guest pattern of the rule that matches; guest NULL means "any guest", which only "*" covers. */
static const char *access_rule_guest_match(const PolicyAccessRule *rule, const char *guest) {
        for (size_t i = 0; i < rule->n_guests; i++) {
                if (!guest ? streq(rule->guests[i], "*") : policy_pattern_matches(rule->guests[i], guest))
                        return rule->guests[i];
        }
        return NULL;
}

static bool access_rule_allows(const PolicyAccessRule *rule, PolicyOperation op, const char *guest) {
        if (op == POLICY_OPERATION_READ) {
                /* Every operation implies read: whoever may change a guest must be able to see it. */
                for (size_t i = 0; i < _POLICY_OPERATION_MAX; i++)
                        if (rule->allow[i])
                                return true;
                return false;
        }
        if (!rule->allow[op])
                return false;
        return op != POLICY_OPERATION_GUEST_CHANGE || access_rule_guest_match(rule, guest);
}

static void allowed_operations_format(const PolicyAccessRule *rule, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < _POLICY_OPERATION_MAX && len < size; i++)
                if (rule->allow[i])
                        len += (size_t) snprintf(buf + len, size - len, "%s%s", len > 0 ? ", " : "",
                                                 policy_operation_to_string((PolicyOperation) i));
}

static void guests_format(const PolicyAccessRule *rule, char *buf, size_t size) {
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < rule->n_guests && len < size; i++)
                len += (size_t) snprintf(buf + len, size - len, "%s%s", i > 0 ? ", " : "", rule->guests[i]);
}

static void describe_target(PolicyOperation op, const char *guest, char *buf, size_t size) {
        if (op == POLICY_OPERATION_GUEST_CHANGE && guest)
                snprintf(buf, size, "guest-change on guest '%s'", guest);
        else if (op == POLICY_OPERATION_GUEST_CHANGE)
                snprintf(buf, size, "guest-change on every guest");
        else
                snprintf(buf, size, "%s", policy_operation_to_string(op));
}

/*
 * Deny, naming the closest rule: the first that names the peer and allows
 * the operation on other guests (the one an admin would extend), else the
 * first that names the peer, else the read group.
 */
static void access_deny(const Policy *p, const PolicyPeer *peer, PolicyOperation op, const char *guest,
                        const PolicyAccessRule *closest, PolicyDecision *d) {
        char target[POLICY_NAME_MAX + 64], ops[128], guests[512];

        describe_target(op, guest, target, sizeof(target));
        if (closest) {
                allowed_operations_format(closest, ops, sizeof(ops));
                if (op == POLICY_OPERATION_GUEST_CHANGE && closest->allow[op]) {
                        guests_format(closest, guests, sizeof(guests));
                        policy_decision_set(d, false, closest->origin,
                                            "uid %u may not do %s: [access %s] allows guest-change only on "
                                            "guests %s",
                                            (unsigned) peer->uid, target, closest->name, guests);
                } else
                        policy_decision_set(d, false, closest->origin,
                                            "uid %u may not do %s: [access %s] allows only %s",
                                            (unsigned) peer->uid, target, closest->name, ops);
                return;
        }
        if (op == POLICY_OPERATION_READ && p->defaults.read_group)
                policy_decision_set(d, false, p->defaults.read_group_origin,
                                    "uid %u may not read: not in group %s%s and named by no [access] rule",
                                    (unsigned) peer->uid, p->defaults.read_group,
                                    p->defaults.read_group_resolved ? "" : " (which does not exist)");
        else
                policy_decision_set(d, false, (PolicyOrigin) {}, "uid %u may not do %s: named by no [access] rule",
                                    (unsigned) peer->uid, target);
}

_public_ int policy_check_access(const Policy *p, const PolicyPeer *peer, PolicyOperation op, const char *guest,
                                 PolicyDecision *ret) {
        const PolicyAccessRule *closest = NULL;
        bool closest_allows_op = false;
        PolicyDecision d = {};

        if (!p || !peer || !ret || (unsigned) op >= _POLICY_OPERATION_MAX || peer->n_gids > POLICY_GIDS_MAX ||
            (peer->n_gids > 0 && !peer->gids) || (guest && (strlen(guest) == 0 || strlen(guest) > POLICY_NAME_MAX)))
                return -EINVAL;

        if (peer->uid == 0) {
                policy_decision_set(&d, true, (PolicyOrigin) {}, "root may do everything");
                *ret = d;
                return 0;
        }

        for (size_t i = 0; i < p->n_access; i++) {
                const PolicyAccessRule *rule = &p->access[i];
                const PolicyPrincipal *who;
                char target[POLICY_NAME_MAX + 64];
                bool is_group;

                who = access_rule_names_peer(rule, peer, &is_group);
                if (!who)
                        continue;
                if (!closest || (!closest_allows_op && op != POLICY_OPERATION_READ && rule->allow[op])) {
                        closest = rule;
                        closest_allows_op = op != POLICY_OPERATION_READ && rule->allow[op];
                }
                if (!access_rule_allows(rule, op, guest))
                        continue;

                describe_target(op, guest, target, sizeof(target));
                policy_decision_set(&d, true, rule->origin, "[access %s] allows %s to %s %s", rule->name, target,
                                    is_group ? "group" : "user", who->text);
                *ret = d;
                return 0;
        }

        if (op == POLICY_OPERATION_READ && p->defaults.read_group && p->defaults.read_group_resolved &&
            peer_in_group(peer, p->defaults.read_group_gid)) {
                policy_decision_set(&d, true, p->defaults.read_group_origin, "group %s may read",
                                    p->defaults.read_group);
                *ret = d;
                return 0;
        }

        access_deny(p, peer, op, guest, closest, &d);
        *ret = d;
        return 0;
}
