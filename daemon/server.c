/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Unix socket server, its clients, and calls with their replies. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fileio.h"
#include "json-util.h"
#include "utf8.h"
#include "log.h"
#include "methods.h"
#include "server.h"
#include "varlink-protocol.h"

/*
 * A reply produced a piece at a time: the next piece is written only once
 * the socket took all of the last one, so the client's output holds at
 * most one piece however big the reply is.
 */
#define REPLY_PIECE_SIZE (32u * 1024u)
/* After EMFILE/ENFILE, accept again this much later at the latest. */
#define SERVER_ACCEPT_RETRY_USEC (1000u * 1000u)

typedef struct ReplyStream {
        Call *call;                     /* owned: the call answered (its client's current); NULL: no stream */
        ReplySource source;             /* source.userdata owned */
        JsonWriter json;                /* the reply's place in its nesting; a buffer only while a piece is written */
        bool started;                   /* the message's head is written */
} ReplyStream;

struct Client {
        unsigned n_ref;
        Server *server;                 /* borrowed; NULL once the server is gone */
        Client *next, *prev;            /* borrowed: links of the server's client list */
        int fd;                         /* in the server's client_epoll while connected */
        uint32_t epoll_events;          /* what client_epoll watches on fd */
        sd_event_source *idle;          /* ref held */
        uint64_t last_active;           /* CLOCK_MONOTONIC usec of the last complete message received, reply
                                         * finished, or output read; bytes of an unfinished message do not count */
        bool idle_armed;                /* idle is enabled (it fires at most last_active + timeout late) */
        sd_event_source *process;       /* ref held: deferred processing of buffered input */
        bool unread;                    /* the socket may hold bytes no edge will announce again */
        VarlinkReader reader;
        VarlinkWriter writer;
        PeerCredentials peer;           /* peer.gids points into gids */
        gid_t *gids;                    /* owned: supplementary groups */
        Call *current;                  /* borrowed: the call in flight (owned by whoever runs it) */
        ReplyStream stream;             /* the reply being sent as the socket drains */
        bool dead;
};

struct Server {
        Manager *manager;               /* borrowed: owns the server */
        int listen_fd;
        bool bound_path;                /* we created the socket file and remove it on exit */
        char *path;                     /* owned */
        sd_event_source *listen_source; /* ref held */
        sd_event_source *accept_retry;  /* ref held: re-enables listen_source after EMFILE/ENFILE, or NULL */
        bool accept_paused;             /* listen_source is off: out of file descriptors */
        bool accept_pause_logged;       /* said so since the last connection accepted */
        int client_epoll;               /* every connected client's fd, edge-triggered */
        sd_event_source *clients_source; /* ref held: client_epoll in the event loop */
        Client *clients;                /* owned list (one reference each) */
        unsigned n_clients;
        Call **subscriptions;           /* borrowed: streaming calls (owned by their clients' current) */
        size_t n_subscriptions;
};

static void client_disconnect(Client *c, const char *why);
static void server_accept_resume(Server *s);
static void client_arm_idle(Client *c);

static void client_watch(Client *c, uint32_t events) {
        struct epoll_event ev = { .events = events, .data.ptr = c };

        if (events == c->epoll_events || !c->server)
                return;
        if (epoll_ctl(c->server->client_epoll, EPOLL_CTL_MOD, c->fd, &ev) < 0)
                client_disconnect(c, "cannot watch the socket");
        else
                c->epoll_events = events;
}

static Client *client_ref(Client *c) {
        c->n_ref++;
        return c;
}

static Client *client_unref(Client *c) {
        if (!c || --c->n_ref > 0)
                return NULL;
        sd_event_source_disable_unref(c->idle);
        sd_event_source_disable_unref(c->process);
        safe_close(c->fd);
        varlink_reader_done(&c->reader);
        varlink_writer_done(&c->writer);
        free(c->gids);
        free(c);
        return NULL;
}

Call *call_free(Call *c) {
        if (!c)
                return NULL;
        if (c->client) {
                Client *cl = c->client;
                Server *s = cl->server;

                if (c->subscribed && s) {
                        for (size_t i = 0; i < s->n_subscriptions; i++)
                                if (s->subscriptions[i] == c) {
                                        s->subscriptions[i] = s->subscriptions[--s->n_subscriptions];
                                        break;
                                }
                }
                if (cl->current == c) {
                        cl->current = NULL;
                        /* The client's idle time counts from its reply, not from its call: it waited for us. */
                        if (!cl->dead && cl->server)
                                client_arm_idle(cl);
                        /*
                         * The next pipelined call may run now. Only if bytes wait (here or
                         * unread in the socket): a deferred wake-up per answered call costs a
                         * loop iteration (an epoll_wait) for clients that send one call at a time.
                         */
                        if (!cl->dead && cl->process && (cl->reader.consumed < cl->reader.size || cl->unread))
                                sd_event_source_set_enabled(cl->process, SD_EVENT_ONESHOT);
                }
                client_unref(cl);
        }
        free(c->method);
        json_object_put(c->parameters);
        free(c);
        return NULL;
}

bool call_is_orphaned(const Call *c) {
        return !c->client || c->client->dead;
}

int call_new_internal(const char *method, json_object *parameters, Call **ret) {
        Call *c = calloc(1, sizeof(*c));

        if (!c) {
                json_object_put(parameters);
                return -ENOMEM;
        }
        c->method = strdup(method);
        c->parameters = parameters ?: json_object_new_object();
        c->peer = (PeerCredentials) { .uid = 0, .gid = 0, .pid = getpid() };
        c->oneway = true;
        if (!c->method || !c->parameters) {
                call_free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

/* Frees the stream's reply state and its call; the next pipelined call may run. */
static void client_stream_end(Client *c) {
        ReplyStream st = c->stream;

        if (!st.call)
                return;
        c->stream = (ReplyStream) {};
        json_writer_done(&st.json);
        st.source.free(st.source.userdata);
        call_free(st.call);
}

/* Queue the stream's next piece; the writer holds nothing. The last one ends the stream. */
static int client_stream_next(Client *c) {
        ReplyStream *st = &c->stream;
        size_t item_max = st->source.item_max + 16;     /* + the message's closing "}}" and NUL */
        size_t budget = REPLY_PIECE_SIZE;
        char *buf;
        size_t size, allocated;
        int r, done;

        /* A piece must fit the output limit (a test's can be small): budget plus an item. */
        if (budget + item_max > c->writer.max)
                budget = c->writer.max > item_max ? c->writer.max - item_max : 1;
        varlink_writer_take_buffer(&c->writer, &buf, &allocated);
        r = json_writer_resume(&st->json, buf, allocated, budget + item_max);
        if (r < 0)
                return r;
        if (!st->started) {
                json_writer_object_begin(&st->json);
                json_writer_key(&st->json, "parameters");
                json_writer_object_begin(&st->json);
                st->started = true;
        }
        done = st->source.write(st->source.userdata, &st->json, budget);
        if (done < 0)
                return done;
        if (done) {
                json_writer_object_end(&st->json);
                json_writer_object_end(&st->json);
                r = json_writer_finish(&st->json, &buf, &size, &allocated);
        } else
                r = json_writer_take(&st->json, &buf, &size, &allocated);
        if (r < 0)
                return r;
        r = varlink_writer_adopt(&c->writer, buf, size, allocated);
        if (r < 0)
                return r;
        if (done)
                client_stream_end(c);
        return 0;
}

/*
 * Send what is queued, and each time the socket took all of it, the next
 * piece of a streamed reply. What the socket cannot take now waits for
 * EPOLLOUT. <0 after disconnecting.
 */
static int client_flush(Client *c) {
        for (;;) {
                int r = varlink_writer_flush(&c->writer, c->fd);

                if (r < 0) {
                        client_disconnect(c, "write failed");
                        return r;
                }
                if (r == 0) {
                        client_watch(c, EPOLLIN | EPOLLOUT | EPOLLET);
                        return 0;
                }
                if (!c->stream.call) {
                        client_watch(c, EPOLLIN | EPOLLET);
                        return 0;
                }
                r = client_stream_next(c);
                if (r < 0) {
                        /* Part of the reply may be out: no error reply can follow it. */
                        client_disconnect(c, "cannot produce the rest of a reply (out of memory)");
                        return r;
                }
        }
}

/* After a message was queued (r: the writer's result): send what the socket takes now. */
static int client_send_queued(Client *c, int r) {
        if (r == -ENOBUFS) {
                client_disconnect(c, "client does not read its replies (output limit reached)");
                return r;
        }
        if (r < 0)
                return r;
        return client_flush(c);
}

static int client_send_text(Client *c, const char *text, size_t len) {
        if (c->dead)
                return 0;
        return client_send_queued(c, varlink_writer_queue_text(&c->writer, text, len));
}

static int client_send(Client *c, json_object *msg) {
        const char *text;
        size_t len;

        if (!msg)
                return -ENOMEM;
        if (c->dead)
                return 0;
        text = varlink_message_text(msg, &len);
        if (!text)
                return -ENOMEM;
        return client_send_text(c, text, len);
}

int call_reply(Call *c, json_object *parameters) {
        _cleanup_json_ json_object *msg = NULL;
        int r = 0;

        if (!c->oneway && !call_is_orphaned(c)) {
                msg = varlink_reply_new(parameters, false);
                parameters = NULL;
                r = client_send(c->client, msg);
        }
        json_object_put(parameters);
        call_free(c);
        return r;
}

int call_reply_text(Call *c, const char *text, size_t len) {
        int r = 0;

        if (!c->oneway && !call_is_orphaned(c))
                r = client_send_text(c->client, text, len);
        call_free(c);
        return r;
}

void reply_text_begin(JsonWriter *w) {
        /* The message varlink_reply_new() builds: "parameters" only ("continues" is for call_notify()). */
        json_writer_object_begin(w);
        json_writer_key(w, "parameters");
        json_writer_object_begin(w);
}

int reply_text_end(JsonWriter *w, char **ret_text, size_t *ret_len) {
        char *text;
        size_t size, allocated;
        int r;

        json_writer_object_end(w);
        json_writer_object_end(w);
        r = json_writer_finish(w, &text, &size, &allocated);
        if (r < 0)
                return r;
        *ret_text = text;
        *ret_len = size - 1;
        return 0;
}

int call_reply_stream(Call *c, const ReplySource *source) {
        Client *cl = c->client;
        int r;

        if (c->oneway || call_is_orphaned(c)) {
                source->free(source->userdata);
                call_free(c);
                return 0;
        }
        assert(cl->current == c && !cl->stream.call);
        cl->stream = (ReplyStream) { .call = c, .source = *source };
        /* Flushing may drop the client (a write error): only our reference keeps it until we return. */
        client_ref(cl);
        r = client_flush(cl);
        client_unref(cl);
        return r;
}

int call_notify(Call *c, json_object *parameters) {
        _cleanup_json_ json_object *msg = NULL;

        if (call_is_orphaned(c)) {
                json_object_put(parameters);
                return 0;
        }
        msg = varlink_reply_new(parameters, true);
        return client_send(c->client, msg);
}

static int call_verror(Call *c, const char *name, int err, json_object *parameters, const char *fmt, va_list ap) {
        _cleanup_json_ json_object *msg = NULL;
        char text[512];
        int r = 0;

        utf8_vsnprintf(text, sizeof(text), fmt, ap);       /* may quote the caller's text */
        if (!call_is_orphaned(c) && !c->oneway) {
                msg = varlink_error_new(name, err, text, parameters);
                parameters = NULL;
                r = client_send(c->client, msg);
        }
        json_object_put(parameters);
        call_free(c);
        return r;
}

int call_error(Call *c, const char *name, int err, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = call_verror(c, name, err, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int call_error_with(Call *c, const char *name, int err, json_object *parameters, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = call_verror(c, name, err, parameters, fmt, ap);
        va_end(ap);
        return r;
}

int call_subscribe(Call *c) {
        Server *s = c->client && c->client->server ? c->client->server : NULL;
        unsigned same_uid = 0;
        Call **p;

        if (!s)
                return -ENOTCONN;
        for (size_t i = 0; i < s->n_subscriptions; i++)
                if (s->subscriptions[i]->peer.uid == c->peer.uid)
                        same_uid++;
        if (same_uid >= s->manager->config.max_subscriptions)
                return -ENOBUFS;
        p = realloc(s->subscriptions, (s->n_subscriptions + 1) * sizeof(Call *));
        if (!p)
                return -ENOMEM;
        s->subscriptions = p;
        s->subscriptions[s->n_subscriptions++] = c;
        c->subscribed = true;
        return 0;
}

void server_broadcast(Server *s, json_object *event) {
        /* Copy first: a failed send disconnects and edits the list. */
        size_t n = s->n_subscriptions;
        _cleanup_free_ Client **targets = n ? calloc(n, sizeof(Client *)) : NULL;

        if (n && !targets)
                return;
        for (size_t i = 0; i < n; i++)
                targets[i] = client_ref(s->subscriptions[i]->client);
        for (size_t i = 0; i < n; i++) {
                Client *c = targets[i];
                if (!c->dead && c->current && c->current->subscribed)
                        (void) call_notify(c->current, json_object_get(event));
                client_unref(c);
        }
}

static void client_disconnect(Client *c, const char *why) {
        Server *s = c->server;

        if (c->dead)
                return;
        c->dead = true;
        if (why)
                log_info("Disconnecting client (uid %u, pid %d): %s", c->peer.uid, (int) c->peer.pid, why);
        if (s)
                (void) epoll_ctl(s->client_epoll, EPOLL_CTL_DEL, c->fd, NULL);
        sd_event_source_set_enabled(c->idle, SD_EVENT_OFF);
        sd_event_source_set_enabled(c->process, SD_EVENT_OFF);
        (void) shutdown(c->fd, SHUT_RDWR);
        /*
         * A subscription and a streamed reply end with their connection; a call queued or in a
         * transaction finishes orphaned.
         */
        if (c->current && c->current->subscribed)
                call_free(c->current);
        client_stream_end(c);
        if (s) {
                if (c->prev)
                        c->prev->next = c->next;
                else
                        s->clients = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                s->n_clients--;
                c->server = NULL;
                server_accept_resume(s);
                c->next = c->prev = NULL;
        }
        client_unref(c);
}

static void client_idle_set(Client *c, uint64_t when) {
        (void) sd_event_source_set_time(c->idle, when);
        (void) sd_event_source_set_enabled(c->idle, SD_EVENT_ONESHOT);
        c->idle_armed = true;
}

/*
 * Activity only records the time: moving the timer on every message made
 * sd-event reprogram its timerfd per request. The timer, when it fires,
 * moves itself to the real deadline.
 */
static void client_arm_idle(Client *c) {
        Manager *m = c->server->manager;
        uint64_t usec = m->config.idle_timeout_usec;

        if (usec == 0 || !c->idle)
                return;
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &c->last_active);
        if (!c->idle_armed)
                client_idle_set(c, c->last_active + usec);
}

static int client_idle_expired(sd_event_source *s, uint64_t usec, void *userdata) {
        Client *c = userdata;
        uint64_t timeout = c->server ? c->server->manager->config.idle_timeout_usec : 0;

        c->idle_armed = false;
        if (!c->server)
                return 0;
        /*
         * A client waiting for its own call or holding a subscription is not idle. One that is sent
         * a streamed reply is, if it stopped reading it (apctld waits for it then, not it for apctld).
         */
        if (c->current && !c->stream.call) {
                client_idle_set(c, usec + timeout);
                return 0;
        }
        if (c->last_active + timeout > usec) {
                client_idle_set(c, c->last_active + timeout);
                return 0;
        }
        client_disconnect(c, "idle timeout");
        return 0;
}

/* Parse and dispatch one message; <0 means the connection must close. */
static int client_handle_message(Client *c, const char *text, size_t len) {
        _cleanup_json_ json_object *msg = NULL, *err_reply = NULL;
        JsonError e = {};
        json_object *method, *params = NULL;
        Call *call;
        int r;

        r = json_parse_limited(text, len, VARLINK_DEPTH_MAX, &msg, &e);
        if (r < 0) {
                err_reply = varlink_error_new(VARLINK_ERROR_INVALID_PARAMETER, EBADMSG, e.message, NULL);
                (void) client_send(c, err_reply);
                return -EBADMSG;        /* framing can no longer be trusted */
        }
        r = json_check_keys(text, len, msg, &e);
        if (r < 0) {
                json_object *p = json_object_new_object();

                if (p && e.field[0])
                        (void) json_add_string(p, "parameter", e.field);
                err_reply = varlink_error_new(VARLINK_ERROR_INVALID_PARAMETER, EINVAL, e.message, p);
                (void) client_send(c, err_reply);
                /*
                 * Whether the call was oneway cannot be trusted either (a "oneway" twice, or
                 * under a key cut at a NUL): a client that expects no reply would take this
                 * error for its next call's, so the connection closes after it, as above.
                 */
                return -EBADMSG;
        }
        if (!json_object_is_type(msg, json_type_object) || !json_object_object_get_ex(msg, "method", &method) ||
            !json_object_is_type(method, json_type_string)) {
                err_reply = varlink_error_new(VARLINK_ERROR_INVALID_PARAMETER, EINVAL,
                                              "a call must be an object with a string 'method'", NULL);
                return client_send(c, err_reply);
        }
        if (json_string_has_nul(method)) {
                err_reply = varlink_error_new(VARLINK_ERROR_INVALID_PARAMETER, EINVAL,
                                              "'method' must not contain a NUL character", NULL);
                return client_send(c, err_reply);
        }
        call = calloc(1, sizeof(*call));
        if (!call)
                return -ENOMEM;
        call->client = client_ref(c);
        call->peer = c->peer;
        call->method = strdup(json_object_get_string(method));
        json_object_object_foreach(msg, key, val) {
                if (streq(key, "method"))
                        continue;
                if (streq(key, "parameters"))
                        params = val;
                else if (streq(key, "more") && json_object_is_type(val, json_type_boolean))
                        call->more = json_object_get_boolean(val);
                else if (streq(key, "oneway") && json_object_is_type(val, json_type_boolean))
                        call->oneway = json_object_get_boolean(val);
                else {
                        c->current = call;
                        return call_error(call, VARLINK_ERROR_INVALID_PARAMETER, EINVAL,
                                          "unknown or mistyped call field '%s'", key);
                }
        }
        if (call->oneway && call->more) {
                /*
                 * No reply and many replies at once: a protocol error (sd-varlink closes the
                 * connection on it). Its error reply cannot be told from a later call's by a
                 * client that expects none for this one, so the connection closes after it.
                 */
                _cleanup_json_ json_object *p = json_object_new_object();

                call_free(call);
                if (!p || json_add_string(p, "parameter", "oneway") < 0)
                        return -ENOMEM;
                err_reply = varlink_error_new(VARLINK_ERROR_INVALID_PARAMETER, EINVAL,
                                              "'oneway' and 'more' cannot both be true", TAKE_PTR(p));
                (void) client_send(c, err_reply);
                return -EBADMSG;
        }
        if (params && !json_object_is_type(params, json_type_object)) {
                c->current = call;
                return call_error(call, VARLINK_ERROR_INVALID_PARAMETER, EINVAL, "'parameters' must be an object");
        }
        call->parameters = params ? json_object_get(params) : json_object_new_object();
        if (!call->method || !call->parameters) {
                call_free(call);
                return -ENOMEM;
        }
        c->current = call;
        method_dispatch(c->server->manager, call);
        return 0;
}

/*
 * Handle the complete messages in the reader, one call at a time. Returns 1
 * when it stopped at the per-wake-up bound with messages left (the deferred
 * source is enabled to go on), else 0.
 */
static int client_process(Client *c) {
        const char *text;
        size_t len;
        int r;

        /* Bounded per wake-up so one client cannot starve the others. */
        for (int n = 0; !c->dead && !c->current; n++) {
                if (n == 32) {
                        sd_event_source_set_enabled(c->process, SD_EVENT_ONESHOT);
                        return 1;
                }
                r = varlink_reader_next(&c->reader, &text, &len);
                if (r == -EMSGSIZE) {
                        _cleanup_json_ json_object *e = varlink_error_new(APCTL_ERROR_LIMIT, EMSGSIZE,
                                                                          "message exceeds the size limit", NULL);
                        (void) client_send(c, e);
                        client_disconnect(c, "message too large");
                        break;
                }
                if (r <= 0)
                        break;
                /*
                 * Only a whole message is activity: a peer trickling a byte now and then
                 * would otherwise hold its connection for ever without ever calling.
                 */
                client_arm_idle(c);
                r = client_handle_message(c, text, len);
                if (r < 0) {
                        client_disconnect(c, "malformed message");
                        break;
                }
        }
        return 0;
}

/*
 * The socket is edge-triggered (a level-triggered one is polled again by
 * every epoll_wait for as long as it stays readable, that is for every
 * message of every other client until apctld gets to it): read until a
 * short read says it is drained, since only bytes arriving later raise a
 * new edge. Reading pauses while complete messages wait for the
 * per-wake-up bound; c->unread then sends the deferred source back here.
 * While a call is in flight reading goes on, up to the limit.
 */
static void client_read(Client *c) {
        while (!c->dead) {
                char *buf;
                size_t avail;
                ssize_t n;

                if (varlink_reader_reserve(&c->reader, 4096, &buf, &avail) < 0) {
                        client_disconnect(c, "out of memory");
                        return;
                }
                /* Never hold more than one maximum message while a call is in flight. */
                if (c->reader.size >= c->reader.max + 4096) {
                        client_disconnect(c, "sent too much data while a call was in flight");
                        return;
                }
                n = recv(c->fd, buf, avail, MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        c->unread = false;
                        return;
                }
                if (n <= 0) {
                        client_disconnect(c, NULL);
                        return;
                }
                varlink_reader_commit(&c->reader, n);
                c->unread = (size_t) n == avail;
                if (client_process(c) > 0 || !c->unread)
                        return;
        }
}

static int client_process_deferred(sd_event_source *s, void *userdata) {
        Client *c = client_ref(userdata);

        if (client_process(c) == 0 && c->unread && !c->current)
                client_read(c);
        client_unref(c);
        return 0;
}

static void client_handle_events(Client *c, uint32_t revents) {
        if (c->dead)
                return;
        if (revents & EPOLLOUT) {
                /*
                 * The client read some of its replies (apctld watches EPOLLOUT only while output
                 * waits): that is activity, as sending is, or a slow reader of a big reply would be
                 * taken for an idle one.
                 */
                client_arm_idle(c);
                (void) client_flush(c);
        }
        if (!c->dead && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                client_read(c);
}

/*
 * All clients share one epoll instance, itself one source of the event
 * loop: a wake-up serves every client that became ready, where sd-event
 * would run a loop iteration (an epoll_wait and more) per client.
 */
static int server_clients_ready(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct epoll_event evs[64];
        int n;

        n = epoll_wait(fd, evs, ELEMENTSOF(evs), 0);
        /* Clients leave client_epoll before they are freed: all are alive now; the references keep them so. */
        for (int i = 0; i < n; i++)
                client_ref(evs[i].data.ptr);
        for (int i = 0; i < n; i++)
                client_handle_events(evs[i].data.ptr, evs[i].events);
        for (int i = 0; i < n; i++)
                client_unref(evs[i].data.ptr);
        return 0;
}

unsigned server_max_clients_per_uid(const Server *s) {
        const ManagerConfig *config = &s->manager->config;

        if (config->max_clients_per_uid > 0)
                return config->max_clients_per_uid;
        return config->max_clients >= 4 ? config->max_clients / 4 : 1;
}

/*
 * Whether a connection of uid may be added: -EUSERS when uid holds its
 * share already, -EMFILE when every slot is taken (ret_why: the reason for
 * the peer). Root's connections are a pool of their own, so other users
 * filling theirs cannot lock root out of the daemon that root administers.
 */
static int server_admit(const Server *s, uid_t uid, const char **ret_why) {
        unsigned same_uid = 0, pool = 0;

        for (const Client *c = s->clients; c; c = c->next) {
                if (c->peer.uid == uid)
                        same_uid++;
                if ((c->peer.uid == 0) == (uid == 0))
                        pool++;
        }
        if (pool >= s->manager->config.max_clients) {
                *ret_why = "too many clients connected";
                return -EMFILE;
        }
        if (uid != 0 && same_uid >= server_max_clients_per_uid(s)) {
                *ret_why = "too many connections from this uid";
                return -EUSERS;
        }
        return 0;
}

int server_add_client(Server *s, int fd, const PeerCredentials *peer) {
        Manager *m = s->manager;
        const char *why;
        Client *c;
        int r;

        r = server_admit(s, peer->uid, &why);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->n_ref = 1;
        c->fd = fd;
        c->server = s;
        c->peer = *peer;
        if (peer->n_gids > 0) {
                c->gids = malloc(peer->n_gids * sizeof(gid_t));
                if (!c->gids) {
                        client_unref(c);
                        return -ENOMEM;
                }
                memcpy(c->gids, peer->gids, peer->n_gids * sizeof(gid_t));
                c->peer.gids = c->gids;
        } else
                c->peer.gids = NULL;
        varlink_reader_init(&c->reader, VARLINK_MESSAGE_MAX);
        varlink_writer_init(&c->writer, m->config.max_output_bytes);
        r = sd_event_add_defer(m->event, &c->process, client_process_deferred, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->process, SD_EVENT_OFF);
        if (r >= 0 && m->config.idle_timeout_usec > 0) {
                r = sd_event_add_time_relative(m->event, &c->idle, CLOCK_MONOTONIC, m->config.idle_timeout_usec, 0,
                                               client_idle_expired, c);
                c->idle_armed = r >= 0;
                (void) sd_event_now(m->event, CLOCK_MONOTONIC, &c->last_active);
        }
        if (r >= 0) {
                struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = c };
                r = epoll_ctl(s->client_epoll, EPOLL_CTL_ADD, fd, &ev) < 0 ? negative_errno() : 0;
                c->epoll_events = ev.events;
        }
        if (r < 0) {
                client_unref(c);
                return r;
        }
        c->next = s->clients;
        if (s->clients)
                s->clients->prev = c;
        s->clients = c;
        s->n_clients++;
        return 0;
}

/* Listen again: a client left, or the retry timer fired, so a descriptor may be free. */
static void server_accept_resume(Server *s) {
        if (!s->accept_paused)
                return;
        s->accept_paused = false;
        s->accept_retry = sd_event_source_disable_unref(s->accept_retry);
        (void) sd_event_source_set_enabled(s->listen_source, SD_EVENT_ON);
}

static int server_accept_retry(sd_event_source *src, uint64_t usec, void *userdata) {
        server_accept_resume(userdata);
        return 0;
}

/*
 * Out of file descriptors: the pending connection stays in the backlog and
 * the listening socket readable, so accepting again at once would spin the
 * loop at full CPU. Stop listening until a client leaves, or a second has
 * passed (the descriptors may be held by something else).
 */
static void server_accept_pause(Server *s, int error) {
        if (!s->accept_pause_logged)
                log_full(LOG_WARNING, -error, NULL, NULL, NULL, NULL,
                         "Cannot accept connections, out of file descriptors (%u clients): waiting for one to "
                         "close", s->n_clients);
        s->accept_pause_logged = true;
        s->accept_paused = true;
        (void) sd_event_source_set_enabled(s->listen_source, SD_EVENT_OFF);
        s->accept_retry = sd_event_source_disable_unref(s->accept_retry);
        /* Without the timer (itself short of a descriptor), a client leaving still resumes. */
        (void) sd_event_add_time_relative(s->manager->event, &s->accept_retry, CLOCK_MONOTONIC,
                                          SERVER_ACCEPT_RETRY_USEC, 0, server_accept_retry, s);
}

static int server_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Server *s = userdata;
        struct ucred cred;
        socklen_t len = sizeof(cred);
        /* NGROUPS_MAX is 65536; a peer with more than this many groups gets ERANGE and is seen without them. */
        static gid_t groups[4096];
        socklen_t glen = sizeof(groups);
        PeerCredentials peer;
        const char *why;
        int cfd, r;

        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
                if (errno == EMFILE || errno == ENFILE)
                        server_accept_pause(s, errno);
                return 0;
        }
        s->accept_pause_logged = false;
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                safe_close(cfd);
                return 0;
        }
        peer = (PeerCredentials) { .uid = cred.uid, .gid = cred.gid, .pid = cred.pid };
        /* Group rules in the policy usually name supplementary groups. */
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) >= 0) {
                peer.gids = groups;
                peer.n_gids = glen / sizeof(gid_t);
        }
        r = server_admit(s, peer.uid, &why);
        if (r < 0) {
                /* Tell the client why before closing, so it can report it. */
                _cleanup_json_ json_object *e = varlink_error_new(APCTL_ERROR_LIMIT, -r, why, NULL);
                const char *t = e ? json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN) : NULL;
                if (t)
                        (void) send(cfd, t, strlen(t) + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
                safe_close(cfd);
                return 0;
        }
        (void) server_add_client(s, cfd, &peer);
        return 0;
}

int server_new(Manager *m, Server **ret) {
        Server *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return -ENOMEM;
        s->manager = m;
        s->listen_fd = -EBADF;
        s->client_epoll = epoll_create1(EPOLL_CLOEXEC);
        if (s->client_epoll < 0) {
                free(s);
                return negative_errno();
        }
        r = sd_event_add_io(m->event, &s->clients_source, s->client_epoll, EPOLLIN, server_clients_ready, s);
        if (r < 0) {
                safe_close(s->client_epoll);
                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

Server *server_free(Server *s) {
        if (!s)
                return NULL;
        while (s->clients)
                client_disconnect(s->clients, NULL);
        free(s->subscriptions);
        sd_event_source_disable_unref(s->clients_source);
        safe_close(s->client_epoll);
        sd_event_source_disable_unref(s->accept_retry);
        sd_event_source_disable_unref(s->listen_source);
        safe_close(s->listen_fd);
        if (s->bound_path && s->path)
                (void) unlink(s->path);
        free(s->path);
        free(s);
        return NULL;
}

int server_listen(Server *s, const char *path, int fd) {
        int r;

        if (fd < 0) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                _cleanup_free_ char *dir = NULL;
                char *slash;

                if (strlen(path) >= sizeof(sa.sun_path))
                        return -ENAMETOOLONG;
                strcpy(sa.sun_path, path);
                dir = strdup(path);
                if (!dir)
                        return -ENOMEM;
                slash = strrchr(dir, '/');
                if (slash && slash != dir) {
                        *slash = 0;
                        r = mkdir_p(dir, 0755);
                        if (r < 0)
                                return r;
                }
                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return negative_errno();
                (void) unlink(path);
                /* Everyone may connect; the method table decides what each peer may do. */
                if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
                    listen(fd, SOMAXCONN) < 0) {
                        r = negative_errno();
                        safe_close(fd);
                        return r;
                }
                s->bound_path = true;
        } else
                (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        s->listen_fd = fd;
        s->path = path ? strdup(path) : NULL;
        return sd_event_add_io(s->manager->event, &s->listen_source, fd, EPOLLIN, server_accept, s);
}

unsigned server_n_clients(const Server *s) {
        return s->n_clients;
}

unsigned server_n_subscriptions(const Server *s) {
        return s->n_subscriptions;
}

size_t server_output_allocated(const Server *s) {
        size_t n = 0;

        for (const Client *c = s->clients; c; c = c->next)
                n += c->writer.allocated + c->stream.json.allocated;
        return n;
}

size_t server_output_unsent(const Server *s) {
        size_t n = 0;

        for (const Client *c = s->clients; c; c = c->next)
                n += c->writer.size - c->writer.sent;
        return n;
}

uint64_t server_idle_deadline(const Server *s) {
        uint64_t timeout = s->manager->config.idle_timeout_usec, least = UINT64_MAX;

        for (const Client *c = s->clients; c && timeout > 0; c = c->next)
                if (c->last_active + timeout < least)
                        least = c->last_active + timeout;
        return least;
}
