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
/* The connections one non-root uid may hold (the configured number, or a quarter of max_clients). */
unsigned server_max_clients_per_uid(const Server *s);
unsigned server_n_subscriptions(const Server *s);
/* Memory held for the clients' output (queued replies, streamed pieces): tests check the streaming bound. */
size_t server_output_allocated(const Server *s);
/* Bytes queued for the clients and not yet taken by their sockets (tests: whether a read lets apctld write). */
size_t server_output_unsent(const Server *s);
/*
 * The least of the clients' last activity (a complete message received, a
 * reply finished, or output they read; not the bytes of an unfinished
 * message) plus the idle timeout, CLOCK_MONOTONIC usec: the earliest the idle
 * timeout can close one; UINT64_MAX without clients or timeout. Tests
 * check what counts as activity on it, not on elapsed time.
 */
uint64_t server_idle_deadline(const Server *s);
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
 * A reply message written as text for call_reply_text(), without a json-c
 * tree (a transaction's reply: the tree and its serialization cost more
 * than the rest of a guest start on apctld's loop). reply_text_begin()
 * writes the message up to its parameters' members, the caller the
 * members, reply_text_end() closes it and hands the text over (ret_len
 * without the NUL). Byte for byte what call_reply() sends for the same
 * parameters, as long as no string holds a '/' (json-c escapes it).
 */
void reply_text_begin(JsonWriter *w);
int reply_text_end(JsonWriter *w, char **ret_text, size_t *ret_len);
/*
 * A reply too big to hold whole (a z16's Host.List: ~570 KiB of text, more
 * than a tenth of apctld's memory target), sent as the client reads it:
 * write() appends the next members of the reply's parameters object to w,
 * stopping once w holds budget bytes (between members of at most item_max
 * bytes each); it returns 1 after the last member, 0 when more is to come,
 * or a negative errno. userdata must be a snapshot: the model changes while
 * a slow reader's reply is out, and the reply must show one state of it.
 */
typedef struct ReplySource {
        void *userdata;                 /* owned by the source: freed with free() */
        int (*write)(void *userdata, JsonWriter *w, size_t budget);
        void (*free)(void *userdata);
        size_t item_max;
} ReplySource;

/*
 * End the call with a reply written by source (taken over; freed with the
 * call in any case): a piece is written whenever the socket took all of
 * the last one, so a client's output holds at most one piece (32 KiB plus
 * an item). The call stays its client's call in flight until the last
 * piece is queued (later pipelined calls wait and are answered after it),
 * and the loop serves other clients meanwhile. A client that stops reading
 * is closed by the idle timeout; one that goes away frees it all. The
 * message is framed as call_reply()'s: {"parameters":{...}} and its NUL.
 */
int call_reply_stream(Call *c, const ReplySource *source);
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
