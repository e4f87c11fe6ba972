#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A synthetic sysfs tree for apctld's sysfs backend (--sysfs-root), with the
layout and attribute formats of shared/docs/kernel-abi.md: ADAPTERS CEX8
cards (hwtype 14, CCA) x DOMAINS usage domains, every queue bound. Adapters
0..FREE-1 are out of apmask and bound to vfio_ap (free for guests), the rest
stay with the host's default driver. The vfio_ap matrix device has no
ap_config feature, so apctld plans the ordered assign_* writes. Plain files
cannot make an mdev directory appear on a write to `create`: daemon-guest-start
--synthetic plays that part of the kernel (see bench/README.md).

usage: daemon-sysfs-tree.py ROOT ADAPTERS DOMAINS FREE
"""
import os
import sys


def mask(ids):
    bits = 0
    for i in ids:
        bits |= 1 << (255 - i)
    return "0x%064x" % bits


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.split("\n\n")[-1].strip())
    root = sys.argv[1]
    adapters, domains, free = (int(x) for x in sys.argv[2:5])
    if not (1 <= adapters <= 256 and 1 <= domains <= 256 and 0 <= free <= adapters):
        sys.exit("daemon-sysfs-tree: need 1 <= ADAPTERS, DOMAINS <= 256 and FREE <= ADAPTERS")
    bus = os.path.join(root, "bus/ap")
    devices = os.path.join(bus, "devices")
    for d in ("drivers/cex4card", "drivers/cex4queue", "drivers/vfio_ap"):
        os.makedirs(os.path.join(bus, d))
    os.makedirs(devices)
    queues = adapters * domains
    attrs = {
        "apmask": mask(range(free, 256)),
        "aqmask": mask(range(256)),
        "ap_adapter_mask": mask(range(adapters)),
        "ap_usage_domain_mask": mask(range(domains)),
        "ap_control_domain_mask": mask(range(domains)),
        "ap_max_adapter_id": "255",
        "ap_max_domain_id": "255",
        "bindings": "%d/%d (complete)" % (queues, queues),
        "features": "APSC APXA QACT RC8A",
        "scans": "1",
    }
    for name, value in attrs.items():
        write(os.path.join(bus, name), value + "\n")
    for a in range(adapters):
        card = os.path.join(devices, "card%02x" % a)
        os.mkdir(card)
        for name, value in (("hwtype", "14"), ("config", "1"), ("chkstop", "0"), ("online", "1"),
                            ("type", "CEX8C"), ("uevent", "DEV_TYPE=000E\nMODALIAS=ap:t0E\nMODE=cca\n")):
            write(os.path.join(card, name), value + "\n")
        os.symlink("../../drivers/cex4card", os.path.join(card, "driver"))
        for d in range(domains):
            q = os.path.join(devices, "%02x.%04x" % (a, d))
            os.mkdir(q)
            for name, value in (("config", "1"), ("chkstop", "0"), ("online", "1"), ("uevent", "MODE=cca\n")):
                write(os.path.join(q, name), value + "\n")
            drv = "vfio_ap" if a < free else "cex4queue"
            os.symlink("../../drivers/" + drv, os.path.join(q, "driver"))
    matrix = os.path.join(root, "devices/vfio_ap/matrix")
    mtype = os.path.join(matrix, "mdev_supported_types/vfio_ap-passthrough")
    os.makedirs(mtype)
    write(os.path.join(matrix, "features"), "guest_matrix hotplug\n")
    write(os.path.join(mtype, "create"), "")
    write(os.path.join(mtype, "available_instances"), "65535\n")


if __name__ == "__main__":
    main()
