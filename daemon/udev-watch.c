/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libudev monitor feeding resyncs. */
#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "udev-watch.h"

struct UdevWatch {
        Manager *manager;               /* borrowed */
        struct udev *udev;              /* ref held */
        struct udev_monitor *monitor;   /* ref held */
        sd_event_source *source;        /* ref held */
};

/*
 * An mdev's own uevents (add, bind, unbind, remove) can only have changed
 * that mdev: re-read it alone. A guest start or stop sends them, and a full
 * re-read of a z16 bus after each would cost more than the start itself.
 * Anything else (cards, queues, the bus, the matrix device) means a full
 * resync.
 */
static void uevent_schedule(Manager *m, struct udev_device *d) {
        const char *subsystem = udev_device_get_subsystem(d), *name = udev_device_get_sysname(d);

        if (subsystem && name && streq(subsystem, "mdev") && uuid_is_valid(name))
                manager_schedule_mdev_reread(m, name);
        else
                manager_schedule_resync(m);
}

static int udev_watch_event(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        UdevWatch *w = userdata;

        /* Drain everything queued; any AP event (or a lost one) means: re-read. */
        for (int i = 0; i < 1024; i++) {
                struct udev_device *d;

                errno = 0;
                d = udev_monitor_receive_device(w->monitor);
                if (!d) {
                        if (errno == ENOBUFS) {
                                log_warning("uevent queue overflowed; doing a full resync");
                                manager_schedule_resync(w->manager);
                        }
                        break;
                }
                log_debug("uevent %s %s", udev_device_get_action(d) ?: "?", udev_device_get_syspath(d) ?: "?");
                uevent_schedule(w->manager, d);
                udev_device_unref(d);
        }
        return 0;
}

int udev_watch_new(Manager *m, UdevWatch **ret) {
        UdevWatch *w = calloc(1, sizeof(*w));
        static const char *const subsystems[] = { "ap", "mdev", "vfio_ap", "matrix" };
        int r;

        if (!w)
                return -ENOMEM;
        w->manager = m;
        w->udev = udev_new();
        if (!w->udev) {
                r = -ENOMEM;
                goto fail;
        }
        /*
         * The kernel's own uevents, never udevd's re-broadcast: a uevent is
         * only a trigger to re-read sysfs, which the kernel updated before
         * sending it, so udev's rule processing adds nothing apctld needs.
         * And the kernel sends its uevents to every network namespace of
         * the initial user namespace, so they reach apctld in the private
         * one its unit gives it (PrivateNetwork=yes), while udevd's stay in
         * the host's. It also works without udevd (containers, early boot).
         */
        w->monitor = udev_monitor_new_from_netlink(w->udev, "kernel");
        if (!w->monitor) {
                r = -EPERM;
                goto fail;
        }
        for (size_t i = 0; i < sizeof(subsystems) / sizeof(subsystems[0]); i++) {
                r = udev_monitor_filter_add_match_subsystem_devtype(w->monitor, subsystems[i], NULL);
                if (r < 0)
                        goto fail;
        }
        (void) udev_monitor_set_receive_buffer_size(w->monitor, 4 * 1024 * 1024);
        r = udev_monitor_enable_receiving(w->monitor);
        if (r < 0)
                goto fail;
        r = sd_event_add_io(m->event, &w->source, udev_monitor_get_fd(w->monitor), EPOLLIN, udev_watch_event, w);
        if (r < 0)
                goto fail;
        *ret = w;
        return 0;
fail:
        udev_watch_free(w);
        return r;
}

UdevWatch *udev_watch_free(UdevWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        udev_monitor_unref(w->monitor);
        udev_unref(w->udev);
        free(w);
        return NULL;
}
