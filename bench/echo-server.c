/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The baseline of bench/daemon-speed.sh's request rate: a bare Unix-socket
 * server with apctld's framing (one NUL-terminated message per call) that
 * sends every message straight back. Single-threaded on epoll like apctld's
 * sd-event loop, so the ratio shows what apctld adds per call (parsing,
 * dispatch, building the Status reply), not a difference in architecture.
 * Says READY=1 on $NOTIFY_SOCKET once it listens, as apctld does.
 *
 * usage: echo-server SOCKET
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "macro.h"

/* Peers control these: one message and the number of connections. */
#define ECHO_MESSAGE_MAX (64U * 1024)
#define ECHO_CLIENTS_MAX 1024

typedef struct EchoClient {
        int fd;
        size_t used;                            /* bytes of buf holding an unfinished message */
        char buf[ECHO_MESSAGE_MAX];
} EchoClient;

static EchoClient *echo_client_free(EchoClient *c) {
        if (c) {
                safe_close(c->fd);
                free(c);
        }
        return NULL;
}

static int send_all(int fd, const char *p, size_t len) {
        while (len > 0) {
                ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                p += n;
                len -= n;
        }
        return 0;
}

/*
 * Read what is there and echo every whole message. Returns 0 to keep the
 * client, negative to drop it (peer closed, error, or a message over the limit).
 */
static int echo_client_serve(EchoClient *c) {
        ssize_t n;
        char *start, *nul;
        int r;

        do
                n = recv(c->fd, c->buf + c->used, sizeof(c->buf) - c->used, 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return n < 0 ? negative_errno() : -ECONNRESET;
        c->used += n;
        start = c->buf;
        while ((nul = memchr(start, 0, c->used - (start - c->buf)))) {
                /* A blocking send is fine: each client has one call in flight. */
                r = send_all(c->fd, start, nul - start + 1);
                if (r < 0)
                        return r;
                start = nul + 1;
        }
        c->used -= start - c->buf;
        if (c->used == sizeof(c->buf))
                return -EMSGSIZE;
        memmove(c->buf, start, c->used);
        return 0;
}

static int listen_on(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, SOMAXCONN) < 0)
                return negative_errno();
        return TAKE_FD(fd);
}

/* epoll data: NULL for the listener, &stop_marker for the signalfd, else the client. */
static char stop_marker;

static int accept_client(int ep, int listener, unsigned *n_clients) {
        struct epoll_event ev = { .events = EPOLLIN };
        EchoClient *c;
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : negative_errno();
        if (*n_clients >= ECHO_CLIENTS_MAX) {
                safe_close(fd);
                return 0;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->fd = fd;
        ev.data.ptr = c;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = negative_errno();
                echo_client_free(c);
                return r;
        }
        (*n_clients)++;
        return 0;
}

static int run(const char *path) {
        _cleanup_close_ int ep = -EBADF, listener = -EBADF, sfd = -EBADF;
        struct epoll_event ev = { .events = EPOLLIN };
        unsigned n_clients = 0;
        sigset_t stop;

        sigemptyset(&stop);
        sigaddset(&stop, SIGTERM);
        sigaddset(&stop, SIGINT);
        sigprocmask(SIG_BLOCK, &stop, NULL);
        sfd = signalfd(-1, &stop, SFD_CLOEXEC);
        listener = listen_on(path);
        ep = epoll_create1(EPOLL_CLOEXEC);
        if (sfd < 0 || ep < 0)
                return negative_errno();
        if (listener < 0)
                return listener;
        ev.data.ptr = NULL;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) < 0)
                return negative_errno();
        ev.data.ptr = &stop_marker;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
                return negative_errno();
        (void) sd_notify(0, "READY=1");

        for (;;) {
                struct epoll_event evs[64];
                int n = epoll_wait(ep, evs, ELEMENTSOF(evs), -1);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                for (int i = 0; i < n; i++) {
                        EchoClient *c = evs[i].data.ptr;
                        int r;

                        if (evs[i].data.ptr == &stop_marker)
                                return 0;       /* clients are freed at exit */
                        if (!c) {
                                r = accept_client(ep, listener, &n_clients);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (echo_client_serve(c) < 0) {
                                echo_client_free(c);    /* closing the fd removes it from epoll */
                                n_clients--;
                        }
                }
        }
}

int main(int argc, char *argv[]) {
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: echo-server SOCKET\n");
                return 2;
        }
        r = run(argv[1]);
        (void) unlink(argv[1]);
        if (r < 0) {
                fprintf(stderr, "echo-server: %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        return 0;
}
