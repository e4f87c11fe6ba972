/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy library behind apctld's policy hook. The directory apctld uses
 * by default may be missing: then the library's built-in policy (group apctl
 * reads, root changes) is in force, and a reload picks the directory up once
 * it exists. A directory named on the command line must exist.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nss-lookup.h"
#include "policy-adapter.h"
#include "policy.h"
#include "utf8.h"

struct PolicyAdapter {
        Policy *policy;         /* owned */
        Manager *manager;       /* borrowed: owns the hook that points here */
        char *dir;              /* owned: where to reload from */
        uid_t owner_uid;
        bool dir_optional;      /* a missing dir means the built-in policy */
        bool builtin;           /* policy is the built-in one (dir was missing) */
};

static PolicyOperation operation_of(const char *method, bool mutating) {
        /* Policy.Show is a read: the policy is no secret to whom may see the state it governs. */
        if (streq(method, "io.apctl.Policy.Reload"))
                return POLICY_OPERATION_POLICY_RELOAD;
        if (!mutating)
                return POLICY_OPERATION_READ;
        return strneq(method, "io.apctl.Host.", 14) ? POLICY_OPERATION_HOST_CHANGE : POLICY_OPERATION_GUEST_CHANGE;
}

static int adapter_may_call(void *userdata, const PeerCredentials *peer, const char *method, bool mutating,
                            const char *guest, char *reason, size_t size) {
        PolicyAdapter *a = userdata;
        PolicyDecision d = {};
        PolicyPeer pp = { .uid = peer->uid, .gid = peer->gid, .gids = peer->gids, .n_gids = peer->n_gids };
        PolicyOperation op = operation_of(method, mutating);
        int r;

        r = policy_check_access(a->policy, &pp, op, op == POLICY_OPERATION_GUEST_CHANGE ? guest : NULL, &d);
        if (r < 0)
                return r;
        if (!d.allowed) {
                /* The rule first: a caller's buffer that cuts the text still names it. */
                utf8_snprintf(reason, size, "%s: %s", d.where, d.reason);
                return -EACCES;
        }
        return 0;
}

static PolicyCardMode card_mode(ApMode m) {
        static const PolicyCardMode map[_AP_MODE_MAX] = {
                [AP_MODE_UNKNOWN] = POLICY_CARD_MODE_UNKNOWN,
                [AP_MODE_ACCEL] = POLICY_CARD_MODE_ACCEL,
                [AP_MODE_CCA] = POLICY_CARD_MODE_CCA,
                [AP_MODE_EP11] = POLICY_CARD_MODE_EP11,
        };
        return (unsigned) m < _AP_MODE_MAX ? map[m] : POLICY_CARD_MODE_UNKNOWN;
}

static int adapter_may_assign(void *userdata, const PeerCredentials *peer, const char *guest, const ApConfig *config,
                              char *reason, size_t size) {
        PolicyAdapter *a = userdata;
        const Manager *m = a->manager;
        PolicyAdapterInfo info[AP_MASK_BITS];
        _cleanup_free_ PolicyGuestControlDomains *others = NULL;
        PolicyPlacement pl = {
                .guest = guest,
                .adapters = config->apm,
                .usage_domains = config->aqm,
                .control_domains = config->adm,
                .adapter_info = info,
        };
        PolicyDecision d = {};
        int r;

        AP_MASK_FOREACH(id, &config->apm) {
                const ApCard *c = kernel_state_find_card(&m->kernel, id);
                info[pl.n_adapter_info++] = (PolicyAdapterInfo) {
                        .adapter = id,
                        .mode = c ? card_mode(c->mode) : POLICY_CARD_MODE_UNKNOWN,
                        .generation = c ? policy_generation_from_hwtype(c->hwtype) : POLICY_GENERATION_UNKNOWN,
                };
        }
        if (m->desired.n_guests > 0) {
                others = calloc(m->desired.n_guests, sizeof(*others));
                if (!others)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < m->desired.n_guests; i++)
                if (!streq(m->desired.guests[i].name, guest))
                        others[pl.n_others++] = (PolicyGuestControlDomains) {
                                .guest = m->desired.guests[i].name,
                                .control_domains = m->desired.guests[i].config.adm,
                        };
        pl.others = others;
        r = policy_check_placement(a->policy, &pl, &d);
        if (r < 0)
                return r;
        if (!d.allowed) {
                utf8_snprintf(reason, size, "%s: %s", d.where, d.reason);
                return -EACCES;
        }
        return 0;
}

/* Load a's directory (or, when it is optional and missing, the built-in policy); a is not changed. */
static int adapter_load(const PolicyAdapter *a, Policy **ret, bool *ret_builtin, PolicyError *error) {
        PolicyLoadOptions opts = { .owner_uid = a->owner_uid, .lookup_user = nss_lookup_user,
                                   .lookup_group = nss_lookup_group };
        int r;

        r = policy_load_directory(a->dir, &opts, ret, error);
        if (r == -ENOENT && a->dir_optional) {
                r = policy_new_default(&opts, ret);
                if (r < 0)
                        return r;
                *ret_builtin = true;
                return 0;
        }
        if (r < 0)
                return r;
        *ret_builtin = false;
        return 0;
}

static int adapter_reload(void *userdata, char *reason, size_t size) {
        PolicyAdapter *a = userdata;
        PolicyError error = {};
        Policy *fresh = NULL;
        bool builtin = false;
        int r;

        r = adapter_load(a, &fresh, &builtin, &error);
        if (r < 0) {
                utf8_snprintf(reason, size, "%s", error.text[0] ? error.text : strerror(-r));
                return r;
        }
        policy_free(a->policy);
        a->policy = fresh;
        a->builtin = builtin;
        return 0;
}

static int adapter_show(void *userdata, char **ret_text, const char **ret_source) {
        PolicyAdapter *a = userdata;
        int r;

        r = policy_format(a->policy, ret_text);
        if (r < 0)
                return r;
        *ret_source = a->builtin ? "built-in" : a->dir;
        return 0;
}

static int adapter_new(Manager *m, const char *dir, uid_t owner_uid, bool dir_optional, PolicyAdapter **ret,
                       char **ret_error) {
        _cleanup_(policy_adapter_freep) PolicyAdapter *a = NULL;
        PolicyError error = {};
        int r;

        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->dir = strdup(dir);
        if (!a->dir)
                return -ENOMEM;
        a->owner_uid = owner_uid;
        a->dir_optional = dir_optional;
        r = adapter_load(a, &a->policy, &a->builtin, &error);
        if (r < 0) {
                if (ret_error)
                        *ret_error = strdup(error.text[0] ? error.text : strerror(-r));
                return r;
        }
        a->manager = m;
        m->policy = (PolicyHook) {
                .may_call = adapter_may_call,
                .may_assign = adapter_may_assign,
                .reload = adapter_reload,
                .show = adapter_show,
                .userdata = a,
        };
        *ret = TAKE_PTR(a);
        return 0;
}

int policy_adapter_new(Manager *m, const char *dir, uid_t owner_uid, PolicyAdapter **ret, char **ret_error) {
        return adapter_new(m, dir, owner_uid, false, ret, ret_error);
}

int policy_adapter_new_optional(Manager *m, const char *dir, uid_t owner_uid, PolicyAdapter **ret,
                                char **ret_error) {
        return adapter_new(m, dir, owner_uid, true, ret, ret_error);
}

PolicyAdapter *policy_adapter_free(PolicyAdapter *a) {
        if (!a)
                return NULL;
        if (a->manager && a->manager->policy.userdata == a)
                a->manager->policy = (PolicyHook) {};
        policy_free(a->policy);
        free(a->dir);
        free(a);
        return NULL;
}
