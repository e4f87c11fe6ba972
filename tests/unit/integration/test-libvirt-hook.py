#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
The libvirt qemu hook run the way libvirt runs it (GUEST OP SUBOP EXTRA,
domain XML on stdin) against apctld-test: prepare/migrate start the apctl
guests of a domain's vfio-ap hostdevs, release stops the non-autostart ones,
every other operation does nothing without even asking apctld, and failures
fail the start with a clear message and leave nothing started.

Usage: test-libvirt-hook.py HOOK APCTLD_TEST DOMAINS_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from integration_fixtures import TIMEOUT, Daemon, FakeDaemon, Tap  # noqa: E402

HOOK, DAEMON, DOMAINS = sys.argv[1], sys.argv[2], sys.argv[3]
WEB = "62177883-f1bb-47f0-914d-32a22e3a8804"
A = "aaaaaaaa-0000-4000-8000-00000000000a"
B = "bbbbbbbb-0000-4000-8000-00000000000b"
OTHER = "dddddddd-0000-4000-8000-00000000000d"
t = Tap()


def domain(name):
    with open(os.path.join(DOMAINS, name)) as f:
        return f.read()


def hook(sock, xml, *args, timeout_msec=None):
    env = dict(os.environ, APCTL_SOCKET=sock, LC_ALL="C")
    if timeout_msec:
        env["APCTL_HOOK_TIMEOUT_MSEC"] = str(timeout_msec)
    p = subprocess.run([HOOK, *args], input=xml, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def running(d, name):
    return d.guest(name)["running"]


def test_real_daemon(tmp):
    d = Daemon(DAEMON, tmp)
    try:
        d.ok("io.apctl.Host.Release", {"adapters": [5, 6]})
        d.ok("io.apctl.Guest.Define", {"name": "web", "uuid": WEB, "adapters": [5], "domains": [1, 2]})
        d.ok("io.apctl.Guest.Define", {"name": "a", "uuid": A, "adapters": [6], "domains": [1]})
        d.ok("io.apctl.Guest.Define", {"name": "b", "uuid": B, "adapters": [6], "domains": [2], "autostart": True})

        rc, out, err = hook(d.sock, domain("one-ap.xml"), "web", "prepare", "begin", "-")
        t.check(rc == 0 and out == "" and running(d, "web"), "prepare starts the apctl guest of the hostdev", err)
        rc, out, err = hook(d.sock, domain("one-ap.xml"), "web", "prepare", "begin", "-")
        t.check(rc == 0 and running(d, "web"), "prepare of a running guest passes and keeps it", err)
        rc, out, err = hook(d.sock, domain("one-ap.xml"), "web", "release", "end", "shutdown")
        t.check(rc == 0 and not running(d, "web"), "release (reason shutdown) stops a non-autostart guest", err)
        rc, out, err = hook(d.sock, domain("one-ap.xml"), "web", "release", "end", "-")
        t.check(rc == 0 and not running(d, "web"), "release of a stopped guest (libvirt < 10.5 passes '-') passes",
                err)

        rc, out, err = hook(d.sock, domain("two-ap-mixed.xml"), "db", "prepare", "begin", "-")
        t.check(rc == 0 and running(d, "a") and running(d, "b") and not running(d, "web"),
                "two vfio-ap hostdevs among pci/ccw/pci-mdev ones, comments, CDATA: both guests started", err)
        rc, out, err = hook(d.sock, domain("two-ap-mixed.xml"), "db", "release", "end", "destroyed")
        t.check(rc == 0 and not running(d, "a") and running(d, "b"),
                "release stops 'a' and keeps autostart 'b' running", err)
        d.ok("io.apctl.Guest.Stop", {"name": "b"})

        rc, out, err = hook(d.sock, domain("one-ap.xml"), "web", "migrate", "begin", "-")
        t.check(rc == 0 and out == "" and running(d, "web"),
                "migrate on the destination prepares the guest and prints nothing (XML unchanged)", err)
        d.ok("io.apctl.Guest.Stop", {"name": "web"})

        for op, sub, extra in [("start", "begin", "-"), ("started", "begin", "-"), ("stopped", "end", "-"),
                               ("reconnect", "begin", "-"), ("attach", "begin", "-"), ("restore", "begin", "-")]:
            rc, out, err = hook(d.sock, domain("one-ap.xml"), "web", op, sub, extra)
            t.check(rc == 0 and out == "" and not running(d, "web"), f"'{op} {sub} {extra}' changes nothing", err)

        rc, out, err = hook(d.sock, domain("unmanaged-ap.xml"), "other", "prepare", "begin", "-")
        t.check(rc == 0 and not any(g["running"] for g in d.ok("io.apctl.Guest.List")["guests"]),
                "a vfio-ap hostdev that is no apctl guest's is left alone", err)
        rc, out, err = hook(d.sock, domain("none.xml"), "plain", "prepare", "begin", "-")
        t.check(rc == 0 and out == "", "a domain without vfio-ap hostdevs passes", err)

        rc, out, err = hook(d.sock, "<domain><devices><hostdev mode='subsystem' type='mdev' model='vfio-ap'>"
                            "<source><address uuid='nope'/></source></hostdev></devices></domain>",
                            "bad", "prepare", "begin", "-")
        t.check(rc == 1 and "domain 'bad'" in err and "'nope' is not a UUID" in err and "line 1" in err,
                "bad hostdev XML fails prepare, naming the domain, the line and the problem", err)
        rc, out, err = hook(d.sock, domain("one-ap.xml")[:120], "web", "prepare", "begin", "-")
        t.check(rc == 1 and "bad domain XML" in err and not running(d, "web"), "cut-short XML fails prepare", err)
    finally:
        log = d.stop()
    t.check(d.proc.returncode == 0, "apctld-test exits cleanly", log)


def test_without_daemon(tmp):
    sock = os.path.join(tmp, "nothing-here.sock")
    for op, sub in [("start", "begin"), ("started", "begin"), ("stopped", "end")]:
        rc, out, err = hook(sock, domain("one-ap.xml"), "web", op, sub, "-")
        t.check(rc == 0 and out == "" and err == "", f"'{op}' exits 0 without apctld (apctld not asked)", err)
    rc, out, err = hook(sock, domain("none.xml"), "plain", "prepare", "begin", "-")
    t.check(rc == 0 and err == "", "prepare of a domain without vfio-ap hostdevs does not need apctld", err)
    rc, out, err = hook(sock, domain("one-ap.xml"), "web", "prepare", "begin", "-")
    t.check(rc == 1 and "cannot talk to apctld" in err and sock in err and "domain 'web'" in err,
            "prepare with vfio-ap hostdevs fails when apctld cannot be reached", err)
    rc, out, err = hook(sock, domain("one-ap.xml"), "web")
    t.check(rc == 1 and "usage" in err, "too few arguments: usage", err)


def guest_json(name, uuid, running, autostart=False):
    return {"name": name, "uuid": uuid, "adapters": [6], "domains": [1], "control_domains": [],
            "autostart": autostart, "overprovision": False, "running": running}


def test_failure_undoes(tmp):
    sock = os.path.join(tmp, "fake.sock")
    fake = FakeDaemon(sock, {
        "io.apctl.Guest.List": {"parameters": {"guests": [guest_json("a", A, False), guest_json("b", B, False)]}},
        "io.apctl.Guest.Start": [{"parameters": guest_json("a", A, True)},
                                 {"error": "io.apctl.Conflict",
                                  "parameters": {"errno": 98, "message": "APQN 06.0002 is assigned to mdev "
                                                 "eeeeeeee-0000-4000-8000-00000000000e, which apctl does not manage"}}],
        "io.apctl.Guest.Stop": {"parameters": guest_json("a", A, False)},
    })
    try:
        rc, out, err = hook(sock, domain("two-ap-mixed.xml"), "db", "prepare", "begin", "-")
        t.check(rc == 1 and "cannot start apctl guest 'b'" in err and "06.0002" in err and "domain 'db'" in err,
                "a guest that cannot start fails prepare with apctld's message", err)
        t.check(fake.methods() == [("io.apctl.Guest.List", None), ("io.apctl.Guest.Start", "a"),
                                   ("io.apctl.Guest.Start", "b"), ("io.apctl.Guest.Stop", "a")],
                "the guest started before the failure is stopped again", fake.methods())
    finally:
        fake.close()

    sock = os.path.join(tmp, "silent.sock")
    fake = FakeDaemon(sock, {}, silent=True)
    try:
        rc, out, err = hook(sock, domain("one-ap.xml"), "web", "prepare", "begin", "-", timeout_msec=300)
        t.check(rc == 1 and "did not answer in time" in err, "an apctld that never answers fails prepare (bounded)",
                err)
    finally:
        fake.close()


def main():
    tmp = tempfile.mkdtemp(prefix="apctl-hook-test.")
    try:
        test_real_daemon(tmp)
        test_without_daemon(tmp)
        test_failure_undoes(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    t.finish()


main()
