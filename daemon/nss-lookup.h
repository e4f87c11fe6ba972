/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * User and group names resolved through NSS in a short-lived child process,
 * for the policy library's lookup hooks (PolicyLoadOptions). glibc loads the
 * NSS modules nsswitch.conf names (nss_systemd, nss_sss, nss_ldap, ...) into
 * the process that asks and never unloads them: in apctld, which asks only
 * while it loads its policy, they would stay resident for the daemon's
 * lifetime. In a child they come and go with the lookup, and a backend that
 * hangs (an unreachable directory server) times out instead of hanging the
 * event loop.
 */
#pragma once

#include <sys/types.h>

/* How long one lookup may take before the child is killed and the name counts as unknown. */
#define NSS_LOOKUP_TIMEOUT_MS 10000

/* PolicyLoadOptions' contract: 0 and the id, or -ENOENT (also when the lookup failed or timed out). */
int nss_lookup_user(const char *name, uid_t *ret, void *userdata);
int nss_lookup_group(const char *name, gid_t *ret, void *userdata);
