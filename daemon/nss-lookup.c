/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NSS lookups in a forked child; why: nss-lookup.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "nss-lookup.h"

/* glibc's suggested size for getpwnam_r()/getgrnam_r(); a group with more members than fit counts as unknown. */
#define NSS_BUFSZ 16384

typedef struct NssAnswer {
        uint32_t found;
        uint32_t id;
} NssAnswer;

/* In the child: resolve and write one answer. Only async-signal-safe calls after this, then _exit(). */
_noreturn_ static void child_lookup(int fd, bool user, const char *name) {
        char buf[NSS_BUFSZ];
        NssAnswer a = {};

        if (user) {
                struct passwd pw, *res = NULL;
                if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res)
                        a = (NssAnswer) { 1, res->pw_uid };
        } else {
                struct group gr, *res = NULL;
                if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) == 0 && res)
                        a = (NssAnswer) { 1, res->gr_gid };
        }
        _exit(write(fd, &a, sizeof(a)) == sizeof(a) ? 0 : 1);
}

/* Wait up to NSS_LOOKUP_TIMEOUT_MS for the child's answer; -ETIMEDOUT, or -EIO if it ended without one. */
static int answer_read(int fd, NssAnswer *ret) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;
        int r;

        do
                r = poll(&p, 1, NSS_LOOKUP_TIMEOUT_MS);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return negative_errno();
        if (r == 0)
                return -ETIMEDOUT;
        do
                n = read(fd, ret, sizeof(*ret));
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        return n == sizeof(*ret) ? 0 : -EIO;
}

static int lookup(bool user, const char *name, uint32_t *ret) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        NssAnswer a = {};
        int fds[2], r;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return log_error_errno(errno, "Cannot look up %s '%s': no pipe", user ? "user" : "group", name);
        rfd = fds[0];
        wfd = fds[1];
        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Cannot look up %s '%s': fork failed", user ? "user" : "group", name);
        if (pid == 0)
                child_lookup(wfd, user, name);
        wfd = safe_close(wfd);
        r = answer_read(rfd, &a);
        if (r == -ETIMEDOUT)
                (void) kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return log_error_errno(r, "Looking up %s '%s' failed%s", user ? "user" : "group", name,
                                       r == -ETIMEDOUT ? " (NSS did not answer in time)" : "");
        if (!a.found)
                return -ENOENT;
        *ret = a.id;
        return 0;
}

int nss_lookup_user(const char *name, uid_t *ret, void *userdata) {
        uint32_t id;
        int r = lookup(true, name, &id);

        if (r < 0)
                return -ENOENT;
        *ret = id;
        return 0;
}

int nss_lookup_group(const char *name, gid_t *ret, void *userdata) {
        uint32_t id;
        int r = lookup(false, name, &id);

        if (r < 0)
                return -ENOENT;
        *ret = id;
        return 0;
}
