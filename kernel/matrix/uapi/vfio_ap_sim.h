/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vfio_ap_sim generic netlink family: the commands, attributes and the
 * multicast group shared by the module and its user-space readers (apctld,
 * tests). Documented in kernel/README.md.
 */
#ifndef _UAPI_VFIO_AP_SIM_H
#define _UAPI_VFIO_AP_SIM_H

#define VAP_GENL_NAME "vfio_ap_sim"
#define VAP_GENL_VERSION 1
#define VAP_GENL_MCGRP_EVENTS "events"

enum vap_genl_cmd {
	VAP_CMD_UNSPEC,
	VAP_CMD_GET_MDEV,               /* dump: one message per mdev */
	VAP_CMD_EVT_GUEST_CONFIG,       /* a guest's APCB changed */
	VAP_CMD_EVT_RESET_DONE,         /* a queue reset ended normally */
	VAP_CMD_EVT_RESET_FAILED,       /* a queue reset failed or timed out */
	VAP_CMD_EVT_IN_USE,             /* in_use refused a mask write */
	VAP_CMD_EVT_HOST_CONFIG,        /* the host's AP config changed */
	VAP_CMD_EVT_BINDINGS_COMPLETE,  /* the bus sent BINDINGS=complete */
	__VAP_CMD_MAX,
};
#define VAP_CMD_MAX (__VAP_CMD_MAX - 1)

/*
 * Masks are strings in the sysfs format: "0x" and 64 hex digits, the
 * leftmost bit is id 0.
 */
enum vap_genl_attr {
	VAP_ATTR_UNSPEC,
	VAP_ATTR_UUID,          /* string: mdev uuid */
	VAP_ATTR_APM,           /* string: assigned adapters (host's in HOST_CONFIG) */
	VAP_ATTR_AQM,           /* string: assigned usage domains */
	VAP_ATTR_ADM,           /* string: assigned control domains */
	VAP_ATTR_SHADOW_APM,    /* string: guest_matrix adapters */
	VAP_ATTR_SHADOW_AQM,    /* string: guest_matrix domains */
	VAP_ATTR_SHADOW_ADM,    /* string: guest_matrix control domains */
	VAP_ATTR_GUEST,         /* string: attached guest's name */
	VAP_ATTR_GUEST_APM,     /* string: the guest's APCB */
	VAP_ATTR_GUEST_AQM,
	VAP_ATTR_GUEST_ADM,
	VAP_ATTR_APQN,          /* u16: adapter << 8 | domain */
	VAP_ATTR_RESET_RC,      /* s32: AP response code, or -errno */
	VAP_ATTR_PAD,           /* padding for 64-bit attributes */
	VAP_ATTR_COMPLETE_COUNT, /* u64: the uevent's COMPLETECOUNT */
	__VAP_ATTR_MAX,
};
#define VAP_ATTR_MAX (__VAP_ATTR_MAX - 1)

#endif /* _UAPI_VFIO_AP_SIM_H */
