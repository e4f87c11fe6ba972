/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's uevents (NETLINK_KOBJECT_UEVENT, the multicast group udevd
 * itself reads) feeding resyncs. A plain socket and the kernel's
 * "KEY=value\0" format instead of libudev: apctld only needs to know that
 * something of the AP bus or vfio_ap changed, it re-reads sysfs itself, and
 * libudev's pages would stay resident for that (issue 5's memory target).
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "udev-watch.h"

/* The kernel's uevent buffer is 2048 bytes (UEVENT_BUFFER_SIZE); anything longer is cut and counts as lost. */
#define UEVENT_RECV_BUFSZ 4096
/* Bound the work of one wake-up; the rest waits for the next one. */
#define UEVENT_DRAIN_MAX 1024
/* Room for a burst (a z16 bus scan sends thousands) while apctld re-reads sysfs. */
#define UEVENT_RCVBUF (4 * 1024 * 1024)
/* The kernel's own multicast group of NETLINK_KOBJECT_UEVENT (udevd re-broadcasts on group 2). */
#define UEVENT_GROUP_KERNEL 1

struct UdevWatch {
        Manager *manager;               /* borrowed */
        int fd;                         /* owned */
        sd_event_source *source;        /* ref held */
};

static const char *const watched_subsystems[] = { "ap", "mdev", "vfio_ap", "matrix" };

/* The value of key in a message's "KEY=value" strings, or NULL. */
static const char *uevent_value(const char *const *vars, size_t n, const char *key) {
        size_t k = strlen(key);

        for (size_t i = 0; i < n; i++)
                if (strneq(vars[i], key, k) && vars[i][k] == '=')
                        return vars[i] + k + 1;
        return NULL;
}

int uevent_parse(const char *buf, size_t len, Uevent *ret) {
        const char *vars[UEVENT_VARS_MAX], *header, *subsystem, *devpath, *action, *name;
        size_t n = 0, at;

        /* "ACTION@DEVPATH\0" then "KEY=value\0" strings; udevd's own messages start "libudev\0". */
        if (len == 0 || buf[len - 1] != 0)
                return -EBADMSG;
        header = buf;
        if (!strchr(header, '@'))
                return -EBADMSG;
        for (at = strlen(header) + 1; at < len; at += strlen(buf + at) + 1) {
                if (n == UEVENT_VARS_MAX)
                        return -EBADMSG;
                if (buf[at])
                        vars[n++] = buf + at;
        }
        action = uevent_value(vars, n, "ACTION");
        devpath = uevent_value(vars, n, "DEVPATH");
        subsystem = uevent_value(vars, n, "SUBSYSTEM");
        if (!action || !devpath || !subsystem)
                return -EBADMSG;
        name = strrchr(devpath, '/');
        *ret = (Uevent) {
                .action = action,
                .subsystem = subsystem,
                .devpath = devpath,
                .sysname = name ? name + 1 : devpath,
        };
        return 0;
}

bool uevent_is_watched(const Uevent *u) {
        for (size_t i = 0; i < ELEMENTSOF(watched_subsystems); i++)
                if (streq(u->subsystem, watched_subsystems[i]))
                        return true;
        return false;
}

/*
 * An mdev's own uevents (add, bind, unbind, remove) can only have changed
 * that mdev: re-read it alone. A guest start or stop sends them, and a full
 * re-read of a z16 bus after each would cost more than the start itself.
 * Anything else (cards, queues, the bus, the matrix device) means a full
 * resync.
 */
static void uevent_schedule(Manager *m, const Uevent *u) {
        if (streq(u->subsystem, "mdev") && uuid_is_valid(u->sysname))
                manager_schedule_mdev_reread(m, u->sysname);
        else
                manager_schedule_resync(m);
}

static int udev_watch_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        UdevWatch *w = userdata;
        char buf[UEVENT_RECV_BUFSZ];

        /* Drain everything queued; any AP event (or a lost one) means: re-read. */
        for (int i = 0; i < UEVENT_DRAIN_MAX; i++) {
                struct sockaddr_nl sender = {};
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
                struct msghdr mh = { .msg_name = &sender, .msg_namelen = sizeof(sender), .msg_iov = &iov,
                                     .msg_iovlen = 1 };
                ssize_t n = recvmsg(w->fd, &mh, MSG_DONTWAIT);
                Uevent u;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOBUFS) {
                                log_warning("uevent queue overflowed; doing a full resync");
                                manager_schedule_resync(w->manager);
                                continue;
                        }
                        if (errno != EAGAIN)
                                log_warning("Reading uevents failed: %m");
                        break;
                }
                /* Only the kernel sends on its group; anyone else's message is not an event. */
                if (sender.nl_pid != 0)
                        continue;
                if (mh.msg_flags & MSG_TRUNC) {
                        log_warning("A uevent did not fit %d bytes; doing a full resync", UEVENT_RECV_BUFSZ);
                        manager_schedule_resync(w->manager);
                        continue;
                }
                if (uevent_parse(buf, n, &u) < 0 || !uevent_is_watched(&u))
                        continue;
                log_debug("uevent %s %s", u.action, u.devpath);
                uevent_schedule(w->manager, &u);
        }
        return 0;
}

int udev_watch_new(Manager *m, UdevWatch **ret) {
        struct sockaddr_nl local = { .nl_family = AF_NETLINK, .nl_groups = UEVENT_GROUP_KERNEL };
        _cleanup_close_ int fd = -EBADF;
        const int rcvbuf = UEVENT_RCVBUF;
        UdevWatch *w;
        int r;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
        if (fd < 0)
                return negative_errno();
        /* Past net.core.rmem_max if we may (root); the plain limit otherwise. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        if (bind(fd, (struct sockaddr *) &local, sizeof(local)) < 0)
                return negative_errno();
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->manager = m;
        w->fd = TAKE_FD(fd);
        r = sd_event_add_io(m->event, &w->source, w->fd, EPOLLIN, udev_watch_event, w);
        if (r < 0) {
                udev_watch_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

UdevWatch *udev_watch_free(UdevWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        safe_close(w->fd);
        free(w);
        return NULL;
}
