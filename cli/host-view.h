/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apctld's io.apctl.Host.List reply, checked once and turned into C
 * structs for `apctl list` and `apctl matrix`, plus the names both print:
 * card type (CEX7C, as lszcrypt), state, and owner.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "ap-mask.h"
#include "macro.h"

typedef enum HostOwner {
        HOST_OWNER_FREE,
        HOST_OWNER_HOST,
        HOST_OWNER_GUEST_DEFINED,
        HOST_OWNER_GUEST_RUNNING,
        _HOST_OWNER_MAX,
} HostOwner;

typedef struct HostQueue {
        unsigned adapter;
        unsigned domain;
        const char *driver;     /* borrowed from the reply */
        HostOwner owner;
        const char *guest;      /* borrowed from the reply; NULL unless a guest owns it */
        bool config, online, chkstop;
} HostQueue;

typedef struct HostCard {
        unsigned adapter;
        unsigned hwtype;
        const char *mode;       /* borrowed from the reply */
        const char *driver;     /* borrowed from the reply */
        bool config, online, chkstop;
        HostQueue *queues;      /* borrowed: points into HostView.queues */
        size_t n_queues;
} HostCard;

typedef struct HostView {
        json_object *reply;     /* ref held: owns every borrowed string */
        HostCard *cards;        /* owned */
        size_t n_cards;
        HostQueue *queues;      /* owned: all queues, card by card */
        size_t n_queues;
        bool ap_bus;            /* the AP bus is loaded (true when apctld does not say) */
} HostView;

/* What list and matrix print when there is nothing to show. */
const char *host_view_empty_text(const HostView *v);

/* -EBADMSG when the reply is not shaped like Host.List's. Takes a reference on reply. */
int host_view_from_json(json_object *reply, HostView *ret);
void host_view_done(HostView *v);

const char *host_owner_to_string(HostOwner o);
/* "CEX7C" for hwtype 13 in CCA mode, as lszcrypt; "type 7" for what vfio_ap cannot use. */
const char *card_type_name(unsigned hwtype, const char *mode, char buf[static 16]);
/* "online", "offline", "checkstop" or "deconfig". */
const char *device_state_name(bool config, bool online, bool chkstop);
