/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel change notification through libudev: uevents of subsystems ap,
 * mdev and vfio_ap (and the matrix parent) trigger a coalesced resync of
 * the model; a receive overflow (ENOBUFS) triggers one too, since events
 * were lost. The generic netlink family of apctl's kernel modules will
 * plug in next to this as a second source calling manager_schedule_resync().
 */
#pragma once

#include "manager.h"

int udev_watch_new(Manager *m, UdevWatch **ret);
UdevWatch *udev_watch_free(UdevWatch *w);
