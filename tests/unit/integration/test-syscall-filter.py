#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
apctld.service confines apctld to SystemCallFilter=@system-service minus
@privileged and @resources; a system call outside that set kills the
daemon in production. This runs apctld under strace through every method
(the fake kernel, with a policy that is reloaded), and apctld with the sysfs backend through its start-up
(udev monitor, generic netlink), and fails on any system call the unit's
filter does not allow. The set is read from this host's systemd-analyze.

Usage: test-syscall-filter.py APCTLD APCTLD_TEST UNIT_FILE
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from integration_fixtures import FAKE_KERNEL, TIMEOUT, Daemon, Tap  # noqa: E402

APCTLD, DAEMON, UNIT = sys.argv[1], sys.argv[2], sys.argv[3]
t = Tap()


def syscall_set(group, cache={}):
    if group not in cache:
        out = subprocess.run(["systemd-analyze", "syscall-filter", group], capture_output=True, text=True,
                             timeout=TIMEOUT).stdout
        names = set()
        for line in out.splitlines()[1:]:
            line = line.strip()
            if line and not line.startswith("#"):
                names |= syscall_set(line) if line.startswith("@") else {line}
        cache[group] = names
    return cache[group]


def unit_filter():
    """The allowed set from the unit's SystemCallFilter= lines (an allow list, then ~deny lists)."""
    allowed = None
    with open(UNIT) as f:
        for line in f:
            m = re.match(r"SystemCallFilter=(~?)(.*)", line.strip())
            if not m:
                continue
            names = set()
            for item in m.group(2).split():
                names |= syscall_set(item) if item.startswith("@") else {item}
            if m.group(1):
                allowed = (allowed if allowed is not None else set()) - names
            else:
                allowed = (allowed or set()) | names
    return allowed


def stop_traced(d):
    """SIGTERM to the traced apctld (strace's child), then wait for both."""
    with open(f"/proc/{d.proc.pid}/task/{d.proc.pid}/children") as f:
        children = f.read().split()
    for pid in children:
        os.kill(int(pid), signal.SIGTERM)
    return d.stop()


def traced_calls(path):
    names = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"\d+\s+([a-z0-9_]+)\(", line)
            if m:
                names.add(m.group(1))
    return names


def exercise(d):
    uuid = "62177883-f1bb-47f0-914d-32a22e3a8804"
    ev = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ev.settimeout(TIMEOUT)
    ev.connect(d.sock)
    ev.sendall(b'{"method":"io.apctl.Events.Subscribe","more":true}\0')
    buf = b""
    while b"\0" not in buf:
        buf += ev.recv(65536)
    d.ok("io.apctl.Host.Release", {"adapters": [5, 6]})
    d.ok("io.apctl.Guest.Define", {"name": "web", "uuid": uuid, "adapters": [5], "domains": [1, 2]})
    d.ok("io.apctl.Guest.Check", {"uuid": uuid, "action": "start", "mdevctl": {
        "mdev_type": "vfio_ap-passthrough", "start": "manual", "attrs": [{"assign_adapter": "5"}]}})
    d.ok("io.apctl.Guest.Start", {"name": "web"})
    d.ok("io.apctl.Guest.Attach", {"name": "web", "domains": [3]})
    d.ok("io.apctl.Guest.Detach", {"name": "web", "domains": [3]})
    d.ok("io.apctl.Guest.Modify", {"name": "web", "autostart": True})
    d.ok("io.apctl.Guest.Export", {"name": "web"})
    d.ok("io.apctl.Host.List")
    d.ok("io.apctl.Status")
    d.ok("io.apctl.Reconcile")
    d.ok("io.apctl.Guest.Stop", {"name": "web"})
    d.ok("io.apctl.Guest.Undefine", {"name": "web"})
    d.ok("io.apctl.Host.Reserve", {"adapters": [5]})
    d.call("io.apctl.Guest.Start", {"name": "nobody"})
    # What ExecReload= (apctl policy reload) calls, and SIGHUP does.
    d.ok("io.apctl.Policy.Reload")
    d.ok("io.apctl.Policy.Show")
    ev.close()


def main():
    if not shutil.which("strace") or not shutil.which("systemd-analyze"):
        print("1..0 # SKIP needs strace and systemd-analyze")
        return
    if subprocess.run(["strace", "-qq", "-o", os.devnull, "true"], capture_output=True).returncode != 0:
        print("1..0 # SKIP strace cannot trace here (ptrace not permitted)")
        return
    allowed = unit_filter()
    t.check(allowed and "write" in allowed and "init_module" not in allowed,
            "the unit's SystemCallFilter= lines read as an allow list", sorted(allowed or []))
    tmp = tempfile.mkdtemp(prefix="apctl-syscalls.")
    try:
        trace = os.path.join(tmp, "fake.trace")
        policy = os.path.join(tmp, "fake", "policy.d")
        os.makedirs(policy, mode=0o755)
        os.chmod(tmp, 0o755)
        with open(os.path.join(policy, "50-test.conf"), "w") as f:
            f.write("[defaults]\nmax-apqns = 64\n")
        d = Daemon(DAEMON, os.path.join(tmp, "fake"), wrapper=["strace", "-f", "-qq", "-o", trace],
                   args=[f"--fake-kernel={FAKE_KERNEL}", f"--policy-dir={policy}"])
        try:
            exercise(d)
        finally:
            log = stop_traced(d)
        used = traced_calls(trace)
        t.check(len(used) > 20 and not (used - allowed),
                f"every method (fake kernel): all {len(used)} system calls allowed", sorted(used - allowed) or log)

        trace = os.path.join(tmp, "sysfs.trace")
        os.makedirs(os.path.join(tmp, "sysfs", "root"))
        d = Daemon(APCTLD, os.path.join(tmp, "sysfs"), wrapper=["strace", "-f", "-qq", "-o", trace],
                   args=["--sysfs-root", os.path.join(tmp, "sysfs", "root")])
        try:
            d.ok("io.apctl.Status")
        finally:
            log = stop_traced(d)
        used = traced_calls(trace)
        t.check("socket" in used and not (used - allowed),
                f"sysfs backend start-up (udev monitor, netlink): all {len(used)} system calls allowed",
                sorted(used - allowed) or log)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.finish()


main()
