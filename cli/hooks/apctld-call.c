/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One deadline-bound call to apctld, and bounded stdin, for the hook and the callout. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apctld-call.h"
#include "json-util.h"
#include "macro.h"
#include "varlink-client.h"

uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* Milliseconds left before the deadline, at least 1 so that an expired deadline still fails by timing out. */
static int remaining_msec(uint64_t deadline_usec) {
        uint64_t now = now_usec();

        return now >= deadline_usec ? 1 : (int) ((deadline_usec - now + 999) / 1000);
}

int apctld_call_init(ApctldCall *ret, ApctldError *e) {
        const char *sock = getenv("APCTL_SOCKET"), *t = getenv("APCTL_HOOK_TIMEOUT_MSEC");
        unsigned long msec = APCTLD_DEADLINE_MSEC_DEFAULT;

        if (t && *t) {
                char *end;
                errno = 0;
                msec = strtoul(t, &end, 10);
                if (errno || *end || msec == 0 || msec > APCTLD_DEADLINE_MSEC_MAX || t[0] == '-') {
                        e->name[0] = '\0';
                        snprintf(e->message, sizeof(e->message),
                                 "APCTL_HOOK_TIMEOUT_MSEC='%s' is not a number of milliseconds in 1..%u", t,
                                 APCTLD_DEADLINE_MSEC_MAX);
                        return -EINVAL;
                }
        }
        *ret = (ApctldCall) {
                .socket_path = sock && *sock ? sock : APCTLD_SOCKET_DEFAULT,
                .deadline_usec = now_usec() + (uint64_t) msec * 1000u,
        };
        return 0;
}

static int transport_error(const ApctldCall *a, int r, ApctldError *e) {
        e->name[0] = '\0';
        if (r == -ETIMEDOUT)
                snprintf(e->message, sizeof(e->message), "apctld at %s did not answer in time", a->socket_path);
        else
                snprintf(e->message, sizeof(e->message), "cannot talk to apctld at %s: %s", a->socket_path,
                         strerror(-r));
        return r;
}

int apctld_call(const ApctldCall *a, const char *method, json_object *parameters, json_object **ret_parameters,
                ApctldError *e) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        _cleanup_json_ json_object *params = parameters, *msg = NULL;
        json_object *error, *p, *message;
        int r;

        r = varlink_client_connect(a->socket_path, &c);
        if (r < 0)
                return transport_error(a, r, e);
        r = varlink_client_send(c, method, TAKE_PTR(params), false, remaining_msec(a->deadline_usec));
        if (r >= 0)
                r = varlink_client_receive(c, remaining_msec(a->deadline_usec), &msg);
        if (r < 0)
                return transport_error(a, r, e);
        p = json_object_object_get(msg, "parameters");
        if (json_object_object_get_ex(msg, "error", &error)) {
                message = p ? json_object_object_get(p, "message") : NULL;
                snprintf(e->name, sizeof(e->name), "%s", json_object_get_string(error) ?: "?");
                snprintf(e->message, sizeof(e->message), "%s",
                         json_object_is_type(message, json_type_string) ? json_object_get_string(message) : e->name);
                return -EREMOTEIO;
        }
        if (ret_parameters)
                *ret_parameters = p ? json_object_get(p) : json_object_new_object();
        return 0;
}

int apctld_probe(const ApctldCall *a) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;

        return varlink_client_connect(a->socket_path, &c);
}

int read_all_fd(int fd, size_t max, uint64_t deadline_usec, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;

        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t n;
                int r;

                if (size - len < 4096) {
                        size_t want = size ? size * 2 : 16384;
                        char *p;
                        if (want > max + 2)
                                want = max + 2;
                        if (want <= len + 1)
                                return -E2BIG;
                        p = realloc(buf, want);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        size = want;
                }
                r = poll(&pfd, 1, remaining_msec(deadline_usec));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                n = read(fd, buf + len, size - len - 1);
                if (n < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > max)
                        return -E2BIG;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}
