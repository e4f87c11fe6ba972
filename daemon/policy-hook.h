/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one seam between apctld and a policy engine (policy/): the method
 * dispatcher asks may_call() before running a handler, transaction
 * validation asks may_assign() before any kernel write, and
 * io.apctl.Policy.Reload calls reload(), io.apctl.Policy.Show calls
 * show(). may_call() and may_assign() return 0 to allow, -EACCES to deny
 * (with a reason the client sees), or another negative errno on failure.
 * Without a hook, apctld allows reads to everyone and changes to root and
 * the configured admin uid (unit tests that drive the manager directly).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ap-mask.h"

/* Who is calling, from SO_PEERCRED. (Not policy.h's PolicyPeer: an adapter includes both.) */
typedef struct PeerCredentials {
        uid_t uid;
        gid_t gid;                      /* primary group */
        pid_t pid;
        const gid_t *gids;              /* borrowed: supplementary groups (SO_PEERGROUPS), owned by the connection */
        size_t n_gids;
} PeerCredentials;

typedef struct PolicyHook {
        /* guest: the call's "name" parameter when it has one (the guest it acts on), else NULL. */
        int (*may_call)(void *userdata, const PeerCredentials *peer, const char *method, bool mutating,
                        const char *guest, char *reason, size_t reason_size);
        int (*may_assign)(void *userdata, const PeerCredentials *peer, const char *guest, const ApConfig *config,
                          char *reason, size_t reason_size);
        /* Load the policy again; on failure the old one stays and reason says why. */
        int (*reload)(void *userdata, char *reason, size_t reason_size);
        /*
         * The policy in force, in the policy file format (malloc'd, *ret_text)
         * and where it came from (*ret_source: a directory or "built-in",
         * valid until the next reload).
         */
        int (*show)(void *userdata, char **ret_text, const char **ret_source);
        void *userdata;         /* borrowed: the policy engine's state */
} PolicyHook;
