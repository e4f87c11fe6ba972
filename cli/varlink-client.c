/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Blocking varlink client with deadlines: connect, send, receive. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "json-util.h"
#include "varlink-client.h"

static uint64_t now_msec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline for poll(); -1 for "no deadline". */
static int remaining(uint64_t deadline) {
        uint64_t n;

        if (deadline == UINT64_MAX)
                return -1;
        n = now_msec();
        return n >= deadline ? 0 : (int) (deadline - n);
}

static uint64_t deadline_from(int timeout_msec) {
        return timeout_msec < 0 ? UINT64_MAX : now_msec() + (uint64_t) timeout_msec;
}

int varlink_client_connect(const char *path, VarlinkClient **ret) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        VarlinkClient *c;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return negative_errno();
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->fd = TAKE_FD(fd);
        varlink_reader_init(&c->reader, VARLINK_CLIENT_REPLY_MAX);
        *ret = c;
        return 0;
}

VarlinkClient *varlink_client_free(VarlinkClient *c) {
        if (!c)
                return NULL;
        safe_close(c->fd);
        varlink_reader_done(&c->reader);
        free(c);
        return NULL;
}

int varlink_client_send(VarlinkClient *c, const char *method, json_object *parameters, bool more,
                        int timeout_msec) {
        _cleanup_json_ json_object *msg = varlink_call_new(method, parameters, more);
        uint64_t deadline = deadline_from(timeout_msec);
        const char *s;
        size_t len, sent = 0;

        if (!msg)
                return -ENOMEM;
        s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
        if (!s)
                return -ENOMEM;
        /* The NUL terminator is part of the frame. */
        len++;
        while (sent < len) {
                struct pollfd p = { .fd = c->fd, .events = POLLOUT };
                int r = poll(&p, 1, remaining(deadline));
                if (r < 0)
                        return negative_errno();
                if (r == 0)
                        return -ETIMEDOUT;
                ssize_t n = send(c->fd, s + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                continue;
                        return errno == EPIPE ? -ECONNRESET : negative_errno();
                }
                sent += (size_t) n;
        }
        return 0;
}

int varlink_client_receive(VarlinkClient *c, int timeout_msec, json_object **ret_message) {
        uint64_t deadline = deadline_from(timeout_msec);

        for (;;) {
                const char *text;
                size_t len;
                int r = varlink_reader_next(&c->reader, &text, &len);

                if (r < 0)
                        return r;
                if (r > 0) {
                        json_object *o = NULL;
                        JsonError e = {};

                        r = json_parse_limited(text, len, VARLINK_DEPTH_MAX, &o, &e);
                        if (r < 0)
                                return -EBADMSG;
                        if (!json_object_is_type(o, json_type_object)) {
                                json_object_put(o);
                                return -EBADMSG;
                        }
                        *ret_message = o;
                        return 0;
                }

                struct pollfd p = { .fd = c->fd, .events = POLLIN };
                int left = remaining(deadline);
                struct timespec ts = { .tv_sec = left / 1000, .tv_nsec = (long) (left % 1000) * 1000000 };

                r = ppoll(&p, 1, left < 0 ? NULL : &ts, c->wait_sigmask);
                if (r < 0)
                        return negative_errno();
                if (r == 0)
                        return -ETIMEDOUT;

                char *buf;
                size_t room;
                r = varlink_reader_reserve(&c->reader, 64 * 1024, &buf, &room);
                if (r < 0)
                        return r;
                ssize_t n = recv(c->fd, buf, room, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        return -ECONNRESET;
                varlink_reader_commit(&c->reader, (size_t) n);
        }
}
