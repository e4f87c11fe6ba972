/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel change notification through the kernel's uevents: those of
 * subsystems ap, mdev and vfio_ap (and the matrix parent) trigger a
 * coalesced resync of the model (an mdev's own, a re-read of that mdev); a
 * receive overflow (ENOBUFS) triggers one too, since events were lost. The
 * generic netlink family of apctl's kernel modules is a second source
 * (netlink-watch.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "manager.h"

/* The kernel sends at most 64 "KEY=value" strings per uevent (UEVENT_NUM_ENVP). */
#define UEVENT_VARS_MAX 64

/* One uevent; every pointer points into the message it was parsed from. */
typedef struct Uevent {
        const char *action;             /* borrowed */
        const char *subsystem;          /* borrowed */
        const char *devpath;            /* borrowed */
        const char *sysname;            /* borrowed: the last component of devpath */
} Uevent;

/*
 * One message of the kernel's uevent group ("ACTION@DEVPATH\0" and
 * "KEY=value\0" strings, len bytes with the last NUL). -EBADMSG for anything
 * else (udevd's own messages included) or one without ACTION, DEVPATH and
 * SUBSYSTEM; *ret is untouched then.
 */
int uevent_parse(const char *buf, size_t len, Uevent *ret);
/* The uevent is of a subsystem apctld's model covers. */
bool uevent_is_watched(const Uevent *u);

int udev_watch_new(Manager *m, UdevWatch **ret);
UdevWatch *udev_watch_free(UdevWatch *w);
