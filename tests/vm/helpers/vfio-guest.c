/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfio-guest: VM helper that plays QEMU for one vfio_ap mdev: it creates a
 * simulated guest of vfio_ap_sim (the guest "runs" in this process, as a
 * KVM does in QEMU's), then opens the mdev through VFIO exactly as QEMU
 * would (container, group, VFIO_SET_IOMMU, VFIO_GROUP_GET_DEVICE_FD), which
 * attaches the guest. It registers the request and config-change eventfds
 * and reports on stdout, one line each:
 *   "attached", "cfg-change" (per config-change signal), "request" (then it
 *   lets go of the device, as QEMU unplugs it), "reset OK|<ERRNO>",
 *   "second OK|<ERRNO>" (opening a second mdev with the same guest),
 *   "open <ERRNO>" (the open failed; exit 1).
 * Commands on stdin, one per line: "reset" (VFIO_DEVICE_RESET), "quit".
 * EOF on stdin also quits.
 *
 * usage: vfio-guest NAME|- UUID [UUID2]
 *   NAME "-" opens without creating a guest first (the open must fail).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "macro.h"

#define CONTROL "/sys/kernel/debug/vfio_ap_sim/guest_create"

static const char *errname(int err)
{
        const char *s = strerrorname_np(err);

        return s ? s : "E?";
}

static int write_string(const char *path, const char *s)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (write(fd, s, strlen(s)) < 0)
                return -errno;
        return 0;
}

/* The iommu group number of the mdev, from its sysfs link. */
static int mdev_group(const char *uuid, int *ret_group)
{
        char path[PATH_MAX], target[PATH_MAX];
        const char *slash;
        ssize_t n;

        snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
        n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        slash = strrchr(target, '/');
        *ret_group = atoi(slash ? slash + 1 : target);
        return 0;
}

struct vfio_open {
        int container;
        int group;
        int device;
};

static void vfio_close(struct vfio_open *v)
{
        if (v->device >= 0)
                close(v->device);
        if (v->group >= 0)
                close(v->group);
        if (v->container >= 0)
                close(v->container);
        v->device = v->group = v->container = -1;
}

/* Container, group, IOMMU, device: QEMU's sequence for an mdev. */
static int vfio_open_mdev(const char *uuid, struct vfio_open *ret)
{
        struct vfio_group_status status = { .argsz = sizeof(status) };
        struct vfio_open v = { -1, -1, -1 };
        char path[64];
        int group, r;

        r = mdev_group(uuid, &group);
        if (r < 0)
                return r;
        v.container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
        if (v.container < 0)
                return -errno;
        snprintf(path, sizeof(path), "/dev/vfio/%d", group);
        v.group = open(path, O_RDWR | O_CLOEXEC);
        if (v.group < 0 ||
            ioctl(v.group, VFIO_GROUP_GET_STATUS, &status) < 0 ||
            ioctl(v.group, VFIO_GROUP_SET_CONTAINER, &v.container) < 0 ||
            ioctl(v.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
                goto fail;
        v.device = ioctl(v.group, VFIO_GROUP_GET_DEVICE_FD, uuid);
        if (v.device < 0)
                goto fail;
        *ret = v;
        return 0;
fail:
        r = -errno;
        vfio_close(&v);
        return r;
}

static int set_irq_eventfd(int device, unsigned int index, int efd)
{
        char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
        struct vfio_irq_set *set = (struct vfio_irq_set *) buf;
        int32_t fd = efd;

        set->argsz = sizeof(buf);
        set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
        set->index = index;
        set->start = 0;
        set->count = 1;
        memcpy(set->data, &fd, sizeof(fd));
        return ioctl(device, VFIO_DEVICE_SET_IRQS, set) < 0 ? -errno : 0;
}

/* One report line: WORD, or WORD ARG. */
static void say(const char *word, const char *arg)
{
        if (arg)
                printf("%s %s\n", word, arg);
        else
                printf("%s\n", word);
        fflush(stdout);
}

/* Serve until a request, "quit" or EOF; 0 on a normal end. */
static int serve(struct vfio_open *v, int req_fd, int cfg_fd)
{
        struct pollfd p[3] = {
                { .fd = req_fd, .events = POLLIN },
                { .fd = cfg_fd, .events = POLLIN },
                { .fd = STDIN_FILENO, .events = POLLIN },
        };
        char line[64];

        for (;;) {
                uint64_t n;

                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (p[1].revents & POLLIN && read(cfg_fd, &n, sizeof(n)) == sizeof(n))
                        for (; n > 0; n--)
                                say("cfg-change", NULL);
                if (p[0].revents & POLLIN && read(req_fd, &n, sizeof(n)) == sizeof(n)) {
                        say("request", NULL);
                        return 0;
                }
                if (p[2].revents & (POLLIN | POLLHUP)) {
                        if (!fgets(line, sizeof(line), stdin) || strneq(line, "quit", 4))
                                return 0;
                        if (strneq(line, "reset", 5))
                                say("reset", ioctl(v->device, VFIO_DEVICE_RESET) < 0 ?
                                    errname(errno) : "OK");
                }
        }
}

int main(int argc, char **argv)
{
        struct vfio_device_info info = { .argsz = sizeof(info) };
        struct vfio_open v = { -1, -1, -1 }, second = { -1, -1, -1 };
        _cleanup_close_ int req_fd = -1, cfg_fd = -1;
        int r;

        if (argc < 3 || argc > 4) {
                fprintf(stderr, "usage: vfio-guest NAME|- UUID [UUID2]\n");
                return 2;
        }
        if (!streq(argv[1], "-")) {
                r = write_string(CONTROL, argv[1]);
                if (r < 0) {
                        say("guest-create", errname(-r));
                        return 1;
                }
        }
        r = vfio_open_mdev(argv[2], &v);
        if (r < 0) {
                say("open", errname(-r));
                return 1;
        }
        if (ioctl(v.device, VFIO_DEVICE_GET_INFO, &info) < 0 ||
            !(info.flags & VFIO_DEVICE_FLAGS_AP) || info.num_irqs < 2) {
                say("info", "not a vfio-ap device with 2 irqs");
                vfio_close(&v);
                return 1;
        }
        req_fd = eventfd(0, EFD_CLOEXEC);
        cfg_fd = eventfd(0, EFD_CLOEXEC);
        if (req_fd < 0 || cfg_fd < 0 ||
            set_irq_eventfd(v.device, 0, req_fd) < 0 ||
            set_irq_eventfd(v.device, 1, cfg_fd) < 0) {
                say("irqs", errname(errno));
                vfio_close(&v);
                return 1;
        }
        say("attached", NULL);
        if (argc == 4) {
                r = vfio_open_mdev(argv[3], &second);
                say("second", r < 0 ? errname(-r) : "OK");
                vfio_close(&second);
        }
        r = serve(&v, req_fd, cfg_fd);
        vfio_close(&v);
        return r < 0 ? 1 : 0;
}
