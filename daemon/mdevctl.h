/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mdevctl's persisted definition format for vfio_ap (/etc/mdevctl.d/matrix/<uuid>):
 * {"mdev_type": "vfio_ap-passthrough", "start": "auto"|"manual",
 *  "attrs": [{"assign_adapter": "5"}, {"assign_domain": "0x1a"}, ...]}
 * The attrs are applied in order, as mdevctl writes them to sysfs.
 */
#pragma once

#include <json-c/json.h>

#include "guest.h"
#include "json-util.h"

#define MDEVCTL_PARENT "matrix"
#define MDEVCTL_TYPE "vfio_ap-passthrough"
#define MDEVCTL_ATTRS_MAX 2048

/* Fills config and autostart of ret (name and uuid are left alone). */
int mdevctl_parse(json_object *o, GuestDef *ret, JsonError *e);
json_object *mdevctl_format(const GuestDef *g);
