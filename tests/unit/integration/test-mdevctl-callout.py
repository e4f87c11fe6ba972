#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
The mdevctl callout run the way mdevctl runs it (-t TYPE -e EVENT -a ACTION
-s STATE -u UUID -p PARENT, the device's configuration JSON on stdin for
pre/post/live) against apctld-test: other types are not its business
(exit 2), nor is any device while apctld does not run (exit 2, so that the
next callout, s390-tools' ap-check, guards the host); pre
define/modify/start get apctl's refusals; live modify changes an apctl
guest's running mdev through apctld; get attributes (from a fake sysfs) and
get capabilities answer in mdevctl's formats.

Usage: test-mdevctl-callout.py CALLOUT APCTLD_TEST
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from integration_fixtures import TIMEOUT, Daemon, FakeDaemon, Tap  # noqa: E402

CALLOUT, DAEMON = sys.argv[1], sys.argv[2]
WEB = "62177883-f1bb-47f0-914d-32a22e3a8804"
NEW = "11111111-2222-4333-8444-555555555555"
t = Tap()


def config(adapters, domains, control=(), start="manual", mdev_type="vfio_ap-passthrough"):
    attrs = [{"assign_adapter": a} for a in adapters] + [{"assign_domain": d} for d in domains] + \
            [{"assign_control_domain": c} for c in control]
    # mdevctl writes its configuration as serde_json does: compact, keys in this order.
    return json.dumps({"mdev_type": mdev_type, "start": start, "attrs": attrs}, separators=(",", ":"))


def callout(sock, event, action, uuid, stdin="", type_="vfio_ap-passthrough", parent="matrix", state="none",
            sysfs=None, timeout_msec=None):
    env = dict(os.environ, APCTL_SOCKET=sock, LC_ALL="C")
    if sysfs:
        env["APCTL_SYSFS_ROOT"] = sysfs
    if timeout_msec:
        env["APCTL_HOOK_TIMEOUT_MSEC"] = str(timeout_msec)
    p = subprocess.run([CALLOUT, "-t", type_, "-e", event, "-a", action, "-s", state, "-u", uuid, "-p", parent],
                       input=stdin, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def test_checks(d):
    s = d.sock
    before = d.ok("io.apctl.Guest.List")

    for action in ("define", "start"):
        rc, out, err = callout(s, "pre", action, NEW, config(["5"], ["2"]))
        t.check(rc == 1 and f"{action} refused" in err and "05.0002" in err and "'web'" in err,
                f"pre {action} of another mdev on web's APQN: refused with apctl's message", err)
        rc, out, err = callout(s, "pre", action, NEW, config(["5"], ["3"]))
        t.check(rc == 0 and err == "", f"pre {action} of a free APQN passes", err)
    rc, out, err = callout(s, "pre", "modify", WEB, config(["5"], ["1", "2", "3"], start="auto"))
    t.check(rc == 0, "pre modify of web's own mdev: its current definition is no conflict", err)
    rc, out, err = callout(s, "pre", "define", NEW, config(["05"], ["0x1"]))
    t.check(rc == 1 and "05.0001" in err, "values read as the kernel reads them (05, 0x1)", err)
    rc, out, err = callout(s, "pre", "define", NEW, config(["9"], ["0"]))
    t.check(rc == 0, "pre define may name an adapter the host does not have (yet)", err)
    rc, out, err = callout(s, "pre", "start", NEW, config(["9"], ["0"]))
    t.check(rc == 1 and "adapter 9 does not exist" in err, "pre start of an absent adapter is refused", err)
    rc, out, err = callout(s, "pre", "define", NEW, config(["7"], ["0"]))
    t.check(rc == 1 and "CEX4" in err, "a CEX3 adapter is refused", err)
    rc, out, err = callout(s, "pre", "define", NEW, config(["0"], ["0"]))
    t.check(rc == 1 and "reserved for the host" in err, "an APQN the host keeps is refused", err)

    rc, out, err = callout(s, "pre", "start", NEW, "{not json")
    t.check(rc == 1 and "not a JSON object" in err, "a configuration that is not JSON is refused, named", err)
    # json-c keeps the last of two "attrs" (here the free APQN) and cuts a key at a NUL: refused as inline.
    twice = config(["5"], ["2"])[:-1] + ',"attrs":[{"assign_adapter":"5"},{"assign_domain":"3"}]}'
    rc, out, err = callout(s, "pre", "define", NEW, twice)
    t.check(rc == 1 and "on stdin" in err and "same key twice" in err,
            "a configuration with a key given twice is refused, not read as its last one", err)
    nul = config(["5"], ["3"]).replace('"assign_domain"', '"assign_domain\\u0000x"')
    rc, out, err = callout(s, "pre", "define", NEW, nul)
    t.check(rc == 1 and "on stdin" in err and "NUL character" in err,
            "a configuration with a key holding a NUL is refused", err)
    rc, out, err = callout(s, "pre", "start", NEW, config(["5"], ["3"], mdev_type="nvidia-35"))
    t.check(rc == 1 and "nvidia-35" in err, "a configuration of another mdev_type is refused, named", err)

    after = d.ok("io.apctl.Guest.List")
    t.check(before == after, "pre checks change nothing in apctld", f"{before}\n{after}")


def test_not_mine_and_passive(d):
    s = d.sock
    rc, out, err = callout(s, "pre", "start", NEW, "", type_="nvidia-35", parent="0000:00:02.0")
    t.check(rc == 2 and out == "" and err == "", "another mdev type: exit 2 (not mine)", err)
    rc, out, err = callout(s, "pre", "start", NEW, config(["5"], ["2"]), parent="css")
    t.check(rc == 2, "vfio_ap-passthrough under another parent: exit 2", err)
    for event, action, state in [("post", "start", "success"), ("post", "define", "failure"), ("pre", "stop", "none"),
                                 ("pre", "undefine", "none"), ("notify", "start", "success")]:
        rc, out, err = callout(s, event, action, NEW, config(["5"], ["2"]), state=state)
        t.check(rc == 0 and out == "" and err == "", f"{event} {action} ({state}): exit 0", err)

    p = subprocess.run([CALLOUT, "-t=vfio_ap-passthrough", "-e=pre", "-a=start", "-s=none", f"-u={NEW}",
                        "-p=matrix"], input=config(["5"], ["2"]), env=dict(os.environ, APCTL_SOCKET=s),
                       capture_output=True, text=True, timeout=TIMEOUT)
    t.check(p.returncode == 1 and "05.0002" in p.stderr, "the man page's -t=TYPE form works too", p.stderr)
    p = subprocess.run([CALLOUT, "-x"], capture_output=True, text=True, timeout=TIMEOUT)
    t.check(p.returncode == 1 and "usage" in p.stderr, "an unknown option: usage, exit 1", p.stderr)


def test_apctld_not_running(d, tmp):
    """No apctld: every event is left to the next callout; a hung one still refuses."""
    missing = os.path.join(tmp, "missing.sock")
    refusing = os.path.join(tmp, "refusing.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(refusing)    # a socket file nobody listens on: ECONNREFUSED
    for sock, why in ((missing, "no socket"), (refusing, "nobody listening")):
        for event, action, stdin in [("pre", "start", config(["5"], ["3"])), ("pre", "define", config(["5"], ["2"])),
                                     ("pre", "stop", ""), ("post", "start", config(["5"], ["3"])),
                                     ("get", "capabilities", "{}"), ("get", "attributes", ""),
                                     ("live", "modify", config(["5"], ["3"]))]:
            rc, out, err = callout(sock, event, action, NEW, stdin)
            t.check(rc == 2 and out == "" and "apctld is not running" in err,
                    f"apctld not running ({why}): {event} {action} exits 2 (next callout's turn)", f"{rc}\n{err}")
    silent = FakeDaemon(os.path.join(tmp, "silent.sock"), {}, silent=True)
    try:
        rc, out, err = callout(silent.path, "pre", "start", NEW, config(["5"], ["3"]), timeout_msec=300)
        t.check(rc == 1 and "did not answer in time" in err,
                "apctld runs but does not answer: pre start is refused (exit 1), said why", f"{rc}\n{err}")
    finally:
        silent.close()


def test_get(d, tmp):
    s = d.sock
    provides = json.dumps({"provides": {"version": 2, "actions": ["start", "stop", "define", "undefine", "modify",
                                                                  "attributes", "capabilities"],
                                        "events": ["pre", "post", "notify", "get", "live"]}})
    rc, out, err = callout(s, "get", "capabilities", NEW, provides)
    try:
        sup = json.loads(out)["supports"]
    except (ValueError, KeyError):
        sup = {}
    t.check(rc == 0 and sup.get("version") == 2 and "live" in sup.get("events", []) and
            "capabilities" in sup.get("actions", []), "get capabilities: version 2 with live", out + err)
    d.ok("io.apctl.Guest.Start", {"name": "web"})

    # get attributes reads the kernel, for any vfio_ap mdev: a fake sysfs with web's mdev and one apctl does
    # not manage (with a control domain), in the kernel's formats.
    sysfs = os.path.join(tmp, "sys")
    matrix = os.path.join(sysfs, "devices", "vfio_ap", "matrix")
    for uuid, lines, control in ((WEB, "05.0001\n05.0002\n", ""), (NEW, "06.0003\n07.0003\n", "0004\n0010\n")):
        os.makedirs(os.path.join(matrix, uuid))
        with open(os.path.join(matrix, uuid, "matrix"), "w") as f:
            f.write(lines)
        with open(os.path.join(matrix, uuid, "control_domains"), "w") as f:
            f.write(control)
    rc, out, err = callout(s, "get", "attributes", WEB, sysfs=sysfs)
    t.check(rc == 0 and json.loads(out or "null") == [{"assign_adapter": "0x05"}, {"assign_domain": "0x0001"},
                                                      {"assign_domain": "0x0002"}],
            "get attributes: an apctl guest's running mdev, in mdevctl's format", out + err)
    rc, out, err = callout(s, "get", "attributes", NEW, sysfs=sysfs)
    t.check(rc == 0 and json.loads(out or "null") == [{"assign_adapter": "0x06"}, {"assign_adapter": "0x07"},
                                                      {"assign_domain": "0x0003"},
                                                      {"assign_control_domain": "0x0004"},
                                                      {"assign_control_domain": "0x0010"}],
            "get attributes: an mdev apctl does not manage too (ap-check is not asked once we answer)", out + err)
    rc, out, err = callout(s, "get", "attributes", "22222222-2222-4333-8444-555555555555", sysfs=sysfs)
    t.check(rc == 0 and out == "" and err == "", "get attributes of an mdev that is not running: none", out + err)
    rc, out, err = callout(s, "get", "attributes", "../../../../etc", sysfs=sysfs)
    t.check(rc == 1 and "not an mdev UUID" in err, "get attributes refuses a UUID that is no UUID", out + err)
    with open(os.path.join(matrix, NEW, "matrix"), "w") as f:
        f.write("06.0003\n07.0004\n")
    rc, out, err = callout(s, "get", "attributes", NEW, sysfs=sysfs)
    t.check(rc == 1 and out == "" and NEW in err, "a matrix that is not adapters x domains: exit 1, said why",
            out + err)

def test_live(d):
    s = d.sock
    d.ok("io.apctl.Guest.Define", {"name": "db", "adapters": [5], "domains": [4]})
    rc, out, err = callout(s, "live", "modify", WEB, config(["5"], ["1", "2", "3"]))
    g = d.guest("web")
    t.check(rc == 0 and g["running"] and g["mdev"]["domains"] == [1, 2, 3] and g["domains"] == [1, 2, 3],
            "live modify hot plugs domain 3 into web's running mdev (and its definition)", f"{err}\n{g}")
    rc, out, err = callout(s, "live", "modify", WEB, config(["5"], ["1", "4"]))
    g = d.guest("web")
    t.check(rc == 1 and "live modify refused" in err and "05.0004" in err and "'db'" in err and
            g["mdev"]["domains"] == [1, 2, 3], "live modify onto db's APQN is refused; web unchanged", f"{err}\n{g}")
    rc, out, err = callout(s, "live", "modify", NEW, config(["6"], ["1"]))
    t.check(rc == 1 and "not an apctl guest" in err and "apctl import-mdevctl" in err,
            "live modify of an mdev apctl does not manage is refused, naming the verb that imports it", err)


def main():
    tmp = tempfile.mkdtemp(prefix="apctl-callout-test.")
    d = Daemon(DAEMON, tmp)
    try:
        d.ok("io.apctl.Host.Release", {"adapters": [5, 6, 7, 9]})
        d.ok("io.apctl.Host.Reserve", {"adapters": [0]})
        d.ok("io.apctl.Guest.Define", {"name": "web", "uuid": WEB, "adapters": [5], "domains": [1, 2]})
        test_checks(d)
        test_not_mine_and_passive(d)
        test_apctld_not_running(d, tmp)
        test_get(d, tmp)
        test_live(d)
    finally:
        log = d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    t.check(d.proc.returncode == 0, "apctld-test exits cleanly", log)
    t.finish()


main()
