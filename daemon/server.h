/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Unix socket server: accepting (or inheriting) the listening socket,
 * per-client state (framing buffers, peer credentials, idle timer, the one
 * call in flight), calls and their replies, and streaming event replies to
 * subscribers. Varlink rules: one call at a time per connection, replies
 * in order; a call with "more" keeps the connection until it ends.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "json-writer.h"
#include "macro.h"
#include "manager.h"
#include "policy-hook.h"

typedef struct Client Client;
typedef struct MethodDef MethodDef;

struct Call {
        Client *client;                 /* ref held; NULL for calls apctld makes itself */
        char *method;                   /* owned */
        json_object *parameters;        /* ref held; never NULL (empty object) */
        const MethodDef *def;           /* borrowed: static method table entry */
        PeerCredentials peer;
        bool more;
        bool oneway;
        bool subscribed;                /* an Events.Subscribe stream, counted per uid */
};

int server_new(Manager *m, Server **ret);
Server *server_free(Server *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Server *, server_free);
/* fd >= 0: an inherited (socket-activated) listening socket; otherwise bind path. */
int server_listen(Server *s, const char *path, int fd);
unsigned server_n_clients(const Server *s);
unsigned server_n_subscriptions(const Server *s);
/* Send event (borrowed) to every subscription. */
void server_broadcast(Server *s, json_object *event);
/* Test helper: adopt one end of a socketpair as a client with the given credentials. */
int server_add_client(Server *s, int fd, const PeerCredentials *peer);

/* A call apctld makes on its own behalf (reconcile); replies go nowhere. */
int call_new_internal(const char *method, json_object *parameters, Call **ret);
/* End the call with a reply (parameters consumed, may be NULL); frees the call. */
int call_reply(Call *c, json_object *parameters);
/*
 * The same with the whole reply message already in wire form (what
 * varlink_message_text() gives for varlink_reply_new()'s message), without
 * its NUL; text is copied. For replies kept serialized between calls.
 */
int call_reply_text(Call *c, const char *text, size_t len);
/*
 * A reply the handler serializes itself instead of building a json-c tree
 * (a z16's Host.List: ~0.5 MiB of text, ~9 MiB of json-c objects):
 * call_reply_stream_begin() starts the reply message in w (room for
 * size_hint bytes) and opens its parameters object, which the handler
 * fills with keys and values; call_reply_stream_end() closes it, queues it
 * without a copy and frees c as call_reply() does (an out-of-memory error
 * reply if w failed). A failed begin leaves c to the caller.
 */
int call_reply_stream_begin(Call *c, JsonWriter *w, size_t size_hint);
int call_reply_stream_end(Call *c, JsonWriter *w);
/* One streamed reply ("continues": true) on a "more" call; the call stays open. */
int call_notify(Call *c, json_object *parameters);
/* End the call with an error; frees the call. */
int call_error(Call *c, const char *name, int err, const char *fmt, ...) _printf_(4, 5);
/* The same with extra error parameters (consumed), e.g. {"parameter": "adapters"}. */
int call_error_with(Call *c, const char *name, int err, json_object *parameters, const char *fmt, ...) _printf_(5, 6);
/* Mark a call as a subscription stream; -ENOBUFS over the per-uid limit. */
int call_subscribe(Call *c);
Call *call_free(Call *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Call *, call_free);
/* Whether anyone is still listening for the reply. */
bool call_is_orphaned(const Call *c);
