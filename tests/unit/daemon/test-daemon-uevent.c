/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's uevent messages as apctld reads them off its
 * NETLINK_KOBJECT_UEVENT socket: "ACTION@DEVPATH\0" and "KEY=value\0"
 * strings as lib/kobject_uevent.c sends them. What the AP bus and vfio_ap
 * send is read; udevd's re-broadcasts, truncated or incomplete messages are
 * refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon-test.h"
#include "udev-watch.h"

#define MDEV "62177883-f1bb-47f0-914d-32a22e3a8804"

/* A message's length: a literal's size counts its final NUL, which ends the last string as the kernel's does. */
#define MESSAGE(text) (sizeof(text))

static void test_kernel_messages(void) {
        static const char queue[] = "add@/devices/ap/card05/05.001a\0ACTION=add\0DEVPATH=/devices/ap/card05/05.001a\0"
                                    "SUBSYSTEM=ap\0DEVTYPE=ap_queue\0DRIVER=cex4queue\0MODALIAS=ap:t0D\0SEQNUM=4711";
        static const char mdev[] = "bind@/devices/vfio_ap/matrix/" MDEV "\0ACTION=bind\0"
                                   "DEVPATH=/devices/vfio_ap/matrix/" MDEV "\0SUBSYSTEM=mdev\0DRIVER=vfio_mdev\0SEQNUM=9";
        static const char bus[] = "change@/bus/ap\0ACTION=change\0DEVPATH=/bus/ap\0SUBSYSTEM=ap\0BINDINGS=complete\0"
                                  "COMPLETECOUNT=1\0SEQNUM=10";
        static const char block[] = "add@/devices/virtual/block/loop0\0ACTION=add\0DEVPATH=/devices/virtual/block/loop0\0"
                                    "SUBSYSTEM=block\0SEQNUM=11";
        Uevent u = {};

        CHECK(uevent_parse(queue, MESSAGE(queue), &u) == 0);
        CHECK_STREQ(u.action, "add");
        CHECK_STREQ(u.subsystem, "ap");
        CHECK_STREQ(u.devpath, "/devices/ap/card05/05.001a");
        CHECK_STREQ(u.sysname, "05.001a");
        CHECK(uevent_is_watched(&u));

        CHECK(uevent_parse(mdev, MESSAGE(mdev), &u) == 0);
        CHECK_STREQ(u.action, "bind");
        CHECK_STREQ(u.subsystem, "mdev");
        CHECK_STREQ(u.sysname, MDEV);
        CHECK(uevent_is_watched(&u));

        CHECK(uevent_parse(bus, MESSAGE(bus), &u) == 0);
        CHECK_STREQ(u.action, "change");
        CHECK_STREQ(u.sysname, "ap");
        CHECK(uevent_is_watched(&u));

        CHECK(uevent_parse(block, MESSAGE(block), &u) == 0);
        CHECK_STREQ(u.subsystem, "block");
        CHECK(!uevent_is_watched(&u));
        tap_case_end("the AP bus's and vfio_ap's uevents are read, other subsystems' are not watched");
}

static void test_refused(void) {
        static const char udevd[] = "libudev\0\xfe\xed\xca\xfe";
        static const char no_subsystem[] = "add@/devices/ap/card05\0ACTION=add\0DEVPATH=/devices/ap/card05\0SEQNUM=1";
        static const char good[] = "add@/devices/ap/card05\0ACTION=add\0DEVPATH=/devices/ap/card05\0SUBSYSTEM=ap";
        char many[64 * 8 + 200];
        size_t n;
        Uevent u = { .action = "untouched" };

        CHECK(uevent_parse(udevd, MESSAGE(udevd), &u) == -EBADMSG);
        CHECK(uevent_parse(no_subsystem, MESSAGE(no_subsystem), &u) == -EBADMSG);
        /* Cut short: the last string has no NUL. */
        CHECK(uevent_parse(good, MESSAGE(good) - 1, &u) == -EBADMSG);
        CHECK(uevent_parse(good, 0, &u) == -EBADMSG);
        CHECK_STREQ(u.action, "untouched");
        /* More strings than the kernel ever sends. */
        n = (size_t) snprintf(many, sizeof(many), "add@/x") + 1;
        for (int i = 0; i <= UEVENT_VARS_MAX; i++)
                n += (size_t) snprintf(many + n, sizeof(many) - n, "K%d=v", i) + 1;
        CHECK(uevent_parse(many, n, &u) == -EBADMSG);
        CHECK_STREQ(u.action, "untouched");
        /* The control: the complete message is read. */
        CHECK(uevent_parse(good, MESSAGE(good), &u) == 0);
        CHECK_STREQ(u.sysname, "card05");
        tap_case_end("udevd's messages, incomplete, cut or oversized ones are refused and leave *ret alone");
}

int main(void) {
        test_kernel_messages();
        test_refused();
        return tap_finish();
}
