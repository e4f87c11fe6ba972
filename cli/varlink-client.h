/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client side of apctld's socket: connect, send one call, read replies
 * (one, or a stream while "continues" is set), all with a deadline. Errors
 * are returned, never printed: the verb decides how to tell the user.
 */
#pragma once

#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>

#include "varlink-protocol.h"

/* Replies larger than this are refused: a z16-sized Host.List is ~1 MiB. */
#define VARLINK_CLIENT_REPLY_MAX (16u * 1024u * 1024u)

typedef struct VarlinkClient {
        int fd;
        VarlinkReader reader;
        /*
         * borrowed: signal mask while waiting (ppoll), or NULL. A caller that
         * blocks SIGINT and passes a mask without it gets -EINTR for a signal
         * that arrives at any moment, never a wait that misses it.
         */
        const sigset_t *wait_sigmask;
} VarlinkClient;

/*
 * Connect to path. -ENOENT/-ECONNREFUSED/-EACCES come from connect(2);
 * -ENAMETOOLONG when path does not fit a sockaddr_un.
 */
int varlink_client_connect(const char *path, VarlinkClient **ret);
VarlinkClient *varlink_client_free(VarlinkClient *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(VarlinkClient *, varlink_client_free);

/* Send a call (parameters consumed, may be NULL). */
int varlink_client_send(VarlinkClient *c, const char *method, json_object *parameters, bool more,
                        int timeout_msec);

/*
 * Receive the next message. timeout_msec < 0 waits forever. -ETIMEDOUT on
 * timeout, -ECONNRESET when the daemon closed the connection, -EINTR when
 * a signal arrived (for `apctl events`), -EBADMSG for a message that is
 * not a JSON object. On success *ret_message is the whole message object.
 */
int varlink_client_receive(VarlinkClient *c, int timeout_msec, json_object **ret_message);
