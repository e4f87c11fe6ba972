/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Push events from apctl's kernel modules: the generic netlink family
 * vfio_ap_sim (kernel/README.md) multicasts guest configuration changes,
 * queue reset results, in_use refusals and host configuration changes.
 * Each becomes an apctld event, and those that change state trigger a
 * resync. The real s390 kernel has no such family: then nothing is watched
 * and uevents alone keep the model current.
 */
#pragma once

#include <json-c/json.h>

#include "manager.h"

struct nl_msg;

/* *ret is NULL (and 0 returned) when the kernel does not offer the family. */
int netlink_watch_new(Manager *m, NetlinkWatch **ret);
NetlinkWatch *netlink_watch_free(NetlinkWatch *w);

/*
 * One multicast message as an event (without the apctl guest name, which the
 * caller adds from the UUID). *ret_resync says whether the model is stale.
 * -EBADMSG for a malformed message, -EOPNOTSUPP for a command we do not know.
 */
int netlink_event_parse(struct nl_msg *msg, json_object **ret, bool *ret_resync);
