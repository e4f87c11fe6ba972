/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plugs the policy library (policy/) into apctld's policy hook: a loaded
 * policy.d decides who may call what (on which guest) and which
 * configurations a guest may get. apctld always runs with one: when its
 * default directory is missing, with the library's built-in policy.
 */
#pragma once

#include <sys/types.h>

#include "manager.h"

typedef struct PolicyAdapter PolicyAdapter;

/*
 * Load dir (owned by owner_uid; POLICY_OWNER_ANY skips the check, for tests)
 * and install the hooks into m->policy. On a refused file *ret_error says
 * "file:line: what is wrong" (malloc'd).
 */
int policy_adapter_new(Manager *m, const char *dir, uid_t owner_uid, PolicyAdapter **ret, char **ret_error);
/*
 * The same, but a missing dir (apctld's default) means the built-in policy
 * (policy_new_default()), and a reload loads dir once it exists (and goes
 * back to the built-in policy when it is removed).
 */
int policy_adapter_new_optional(Manager *m, const char *dir, uid_t owner_uid, PolicyAdapter **ret,
                                char **ret_error);
PolicyAdapter *policy_adapter_free(PolicyAdapter *a);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicyAdapter *, policy_adapter_free);
