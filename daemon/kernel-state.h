/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apctld's picture of the kernel: AP cards and queues (type, mode, config,
 * online, checkstop, owning driver), the bus masks and QCI masks, and the
 * vfio_ap mdevs with their assigned matrix and guest matrix. One snapshot is
 * produced by a kernel backend's load(); the manager replaces it on every
 * resync and diffs old against new to produce events.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ap-mask.h"

#define UUID_STRING_LEN 36

typedef enum ApDriver {
        AP_DRIVER_NONE,         /* no driver bound */
        AP_DRIVER_DEFAULT,      /* a zcrypt card/queue driver (host) */
        AP_DRIVER_VFIO_AP,
        AP_DRIVER_OTHER,
        _AP_DRIVER_MAX,
} ApDriver;

typedef enum ApMode {
        AP_MODE_UNKNOWN,
        AP_MODE_ACCEL,
        AP_MODE_CCA,
        AP_MODE_EP11,
        _AP_MODE_MAX,
} ApMode;

const char *ap_driver_to_string(ApDriver d);
const char *ap_mode_to_string(ApMode m);
ApMode ap_mode_from_string(const char *s);

#define AP_HWTYPE_CEX4 10       /* oldest type vfio_ap accepts */

typedef struct ApCard {
        uint8_t id;
        uint8_t hwtype;
        uint8_t mode;           /* ApMode */
        uint8_t driver;         /* ApDriver */
        bool config;
        bool chkstop;
        bool online;
} ApCard;

typedef struct ApQueue {
        uint8_t adapter;
        uint8_t domain;
        uint8_t driver;         /* ApDriver */
        bool config;
        bool chkstop;
        bool online;
} ApQueue;

typedef struct MdevState {
        char uuid[UUID_STRING_LEN + 1];
        ApConfig assigned;      /* matrix + control_domains (or ap_config) */
        ApMask guest_apm;       /* guest_matrix: what the guest gets after filtering */
        ApMask guest_aqm;
        /*
         * guest_matrix filled its one sysfs page (~500 APQNs) and may be cut
         * short (kernel/README.md): guest_apm/aqm are then a lower bound.
         */
        bool guest_matrix_partial;
        /* The same for `matrix` on kernels without ap_config: assigned is then a lower bound. */
        bool assigned_partial;
} MdevState;

typedef struct KernelState {
        bool bus_present;       /* /sys/bus/ap exists (the AP bus is loaded) */
        ApMask apmask;
        ApMask aqmask;
        ApConfig qci;           /* host configuration (ap_*_mask) */
        bool qci_supported;
        unsigned max_adapter;
        unsigned max_domain;
        unsigned bindings_bound;
        unsigned bindings_total;
        bool bindings_complete;
        bool matrix_present;            /* vfio_ap loaded: /sys/devices/vfio_ap/matrix exists */
        bool ap_config_supported;       /* matrix `features` lists ap_config */
        ApCard *cards;          /* owned, sorted by id */
        size_t n_cards;
        ApQueue *queues;        /* owned, sorted by (adapter, domain) */
        size_t n_queues;
        MdevState *mdevs;       /* owned, sorted by uuid */
        size_t n_mdevs;
} KernelState;

void kernel_state_done(KernelState *s);
/* Deep copy; -ENOMEM leaves *ret untouched. */
int kernel_state_copy(const KernelState *s, KernelState *ret);
/* Sort the arrays into the order the lookups below rely on. */
void kernel_state_sort(KernelState *s);

const ApCard *kernel_state_find_card(const KernelState *s, unsigned id);
const ApQueue *kernel_state_find_queue(const KernelState *s, unsigned adapter, unsigned domain);
const MdevState *kernel_state_find_mdev(const KernelState *s, const char *uuid);

/* Append helpers used by backends while building a snapshot. */
int kernel_state_add_card(KernelState *s, const ApCard *c);
int kernel_state_add_queue(KernelState *s, const ApQueue *q);
int kernel_state_add_mdev(KernelState *s, const MdevState *m);

/*
 * base with some mdevs and a rectangle of queues replaced by what part
 * holds (a partial re-read: part has those of the mdevs and queues that
 * exist; whatever part lacks is gone). The rest of base is kept as it is.
 * -ENOMEM leaves *ret untouched.
 */
int kernel_state_merge(const KernelState *base, const char (*uuids)[UUID_STRING_LEN + 1], size_t n_uuids,
                       const ApMask *apm, const ApMask *aqm, const KernelState *part, KernelState *ret);
/*
 * Whether that merge keeps base's queues as they are: part re-read none and
 * the rectangle is empty (an mdev job whose writes all succeeded). Only
 * mdevs change then, which a caller holding base can do in place.
 */
bool kernel_state_merge_keeps_queues(const ApMask *apm, const ApMask *aqm, const KernelState *part);

/*
 * In place: the mdev uuid becomes m (added if missing), or goes (m NULL);
 * the array stays sorted. -ENOMEM leaves s untouched.
 */
int kernel_state_put_mdev(KernelState *s, const char *uuid, const MdevState *m);

/* An mdev owning an APQN in its assigned matrix, or NULL. */
const MdevState *kernel_state_mdev_with_apqn(const KernelState *s, unsigned adapter, unsigned domain);

bool uuid_is_valid(const char *s);
