/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.apctl.Host.List's reply as a snapshot of the model taken when the call
 * arrives, written out a piece at a time as the client reads it. The reply
 * must describe one state, while kernel events and transactions go on
 * changing the model during a slow reader's stream; a copy of what the
 * reply shows (cards, queues with their owners resolved, masks) is ~12
 * bytes a queue, where the text is ~110: a z16's 5,100 queues are ~60 KiB
 * here against ~570 KiB of JSON.
 */
#pragma once

#include <stddef.h>

#include "json-writer.h"
#include "manager.h"

typedef struct HostListing HostListing;

/* The listing of m's current model; -ENOMEM. */
int host_listing_new(const Manager *m, HostListing **ret);
HostListing *host_listing_free(HostListing *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(HostListing *, host_listing_free);

/*
 * Write the reply's parameters members, from where the last call stopped,
 * into w (inside the open parameters object) until w holds budget bytes or
 * the listing ends; it stops only between members of at most
 * HOST_LISTING_ITEM_MAX bytes, so w never holds more than budget plus that.
 * 1 when the last member is written, 0 when more is to come; w's sticky
 * error if a write failed.
 */
#define HOST_LISTING_ITEM_MAX 6144
int host_listing_write(HostListing *l, JsonWriter *w, size_t budget);
