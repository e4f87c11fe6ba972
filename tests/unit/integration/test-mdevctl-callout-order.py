#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
Which callout mdevctl runs, when s390-tools' ap-check sits next to apctl's.

mdevctl runs the scripts of a callout directory one after the other and
uses the first one that neither exits 2 nor dies of a signal, for pre, for
get attributes, and, remembered, for the post of the same command. Current
mdevctl (src/callouts.rs; 1.3+) sorts the directory first (Rust compares
file names byte by byte), reads /usr/lib/mdevctl/scripts.d/callouts, then
/etc/mdevctl.d/scripts.d/callouts, and first asks "get capabilities" with a
"provides" JSON on stdin: the first script whose answer parses as
{"supports": {...}} becomes the versioned script and gets every event of
that command (its exit 2 is then a failure like any other); without one,
the rule above applies. Debian 12's mdevctl 1.2.0 reads only the /etc
directory and does not sort: it takes the scripts in directory order (seen
in the x86_64 VM, scenario integration-mdevctl), so there no name decides.
mdevctl itself cannot run here (1.2 has no alternative root and writes
/etc/mdevctl.d; 1.4 needs a newer glibc), so this test plays those rules
with the real callout, linked under its install name, and a fake ap-check
in the same directories (named as s390-tools installs it: ap-check in
/usr/lib, ap-check.sh in /etc) that records every call.

Usage: test-mdevctl-callout-order.py CALLOUT APCTLD_TEST LINK_NAME
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from integration_fixtures import TIMEOUT, Daemon, Tap  # noqa: E402

CALLOUT, DAEMON, LINK = sys.argv[1], sys.argv[2], sys.argv[3]
TYPE = "vfio_ap-passthrough"
WEB = "62177883-f1bb-47f0-914d-32a22e3a8804"
NEW = "11111111-2222-4333-8444-555555555555"
PROVIDES = json.dumps({"provides": {"version": 2, "actions": ["start", "stop", "define", "undefine", "modify",
                                                              "attributes", "capabilities"],
                                    "events": ["pre", "post", "notify", "get", "live"]}})
t = Tap()

# Like ap-check: claims vfio_ap-passthrough (exit 2 otherwise), answers capabilities, allows everything.
FAKE_AP_CHECK = """#!/bin/sh
echo "$(basename "$0") $*" >>"{record}"
cat >/dev/null
[ "$2" = vfio_ap-passthrough ] || exit 2
if [ "$4 $6" = "get capabilities" ]; then
    echo '{{"supports":{{"version":2,"actions":["start","stop","define","undefine","modify","attributes",\
"capabilities"],"events":["pre","post","notify","get","live"]}}}}'
fi
exit 0
"""


def config(adapters, domains):
    attrs = [{"assign_adapter": a} for a in adapters] + [{"assign_domain": d} for d in domains]
    return json.dumps({"mdev_type": TYPE, "start": "manual", "attrs": attrs}, separators=(",", ":"))


class Mdevctl:
    """mdevctl's choice of callout script: "1.3" sorts; "1.2" takes the names in the order given (its directory's)."""

    def __init__(self, version, usr_dir, etc_dir, env, order=None):
        self.dirs = [etc_dir] if version == "1.2" else [usr_dir, etc_dir]
        self.version = version
        self.order = order
        self.env = env
        self.versioned = None   # 1.3+: the script that answered get capabilities, for the whole command
        self.chosen = None      # the script pre chose, for the post of the same command

    def run(self, path, event, action, uuid, stdin, type_=TYPE):
        p = subprocess.run([path, "-t", type_, "-e", event, "-a", action, "-s", "none", "-u", uuid, "-p", "matrix"],
                           input=stdin, env=self.env, capture_output=True, text=True, timeout=TIMEOUT)
        return p.returncode, p.stdout, p.stderr

    def names(self, d):
        if self.version == "1.2":
            return self.order
        return [os.fsdecode(n) for n in sorted(os.listdir(os.fsencode(d)))]

    def first_matching(self, event, action, uuid, stdin, accept=lambda out: True, type_=TYPE):
        for d in self.dirs:
            for name in self.names(d):
                path = os.path.join(d, name)
                rc, out, err = self.run(path, event, action, uuid, stdin, type_)
                if rc < 0 or rc == 2 or not accept(out):
                    continue
                return path, rc, out, err
        return None, None, "", ""

    @staticmethod
    def is_capabilities(out):
        try:
            return isinstance(json.loads(out).get("supports"), dict)
        except (ValueError, AttributeError):
            return False

    def begin(self, uuid, type_=TYPE):
        """A new mdevctl command: 1.3+ looks for a versioned script first."""
        self.versioned = self.chosen = None
        if self.version != "1.2":
            self.versioned = self.first_matching("get", "capabilities", uuid, PROVIDES, self.is_capabilities,
                                                 type_)[0]
        return self.versioned

    def call(self, event, action, uuid, stdin="", type_=TYPE):
        """(script, exit status, stdout, stderr) of one event."""
        if self.versioned:
            return (self.versioned, *self.run(self.versioned, event, action, uuid, stdin, type_))
        if event == "post" and self.chosen:
            return (self.chosen, *self.run(self.chosen, event, action, uuid, stdin, type_))
        r = self.first_matching(event, action, uuid, stdin, type_=type_)
        if event == "pre":
            self.chosen = r[0]
        return r


def setup(tmp):
    usr_dir = os.path.join(tmp, "usr-lib-callouts")
    etc_dir = os.path.join(tmp, "etc-callouts")
    record = os.path.join(tmp, "ap-check.calls")
    for d, fake in ((usr_dir, "ap-check"), (etc_dir, "ap-check.sh")):
        os.makedirs(d)
        os.symlink(os.path.abspath(CALLOUT), os.path.join(d, LINK))
        with open(os.path.join(d, fake), "w") as f:
            f.write(FAKE_AP_CHECK.format(record=record))
        os.chmod(os.path.join(d, fake), stat.S_IRWXU)
    return usr_dir, etc_dir, record


def ap_check_calls(record):
    try:
        with open(record) as f:
            calls = f.read().splitlines()
        os.unlink(record)
        return calls
    except FileNotFoundError:
        return []


def main():
    tmp = tempfile.mkdtemp(prefix="apctl-callout-order.")
    usr_dir, etc_dir, record = setup(tmp)
    sysfs = os.path.join(tmp, "sys")
    os.makedirs(os.path.join(sysfs, "devices", "vfio_ap", "matrix", WEB))
    for attr, text in (("matrix", "05.0001\n05.0002\n"), ("control_domains", "")):
        with open(os.path.join(sysfs, "devices", "vfio_ap", "matrix", WEB, attr), "w") as f:
            f.write(text)
    d = Daemon(DAEMON, tmp)
    env = dict(os.environ, APCTL_SOCKET=d.sock, APCTL_SYSFS_ROOT=sysfs, LC_ALL="C")
    try:
        d.ok("io.apctl.Host.Release", {"adapters": [5, 6]})
        d.ok("io.apctl.Guest.Define", {"name": "web", "uuid": WEB, "adapters": [5], "domains": [1, 2]})

        for d_ in (usr_dir, etc_dir):
            names = sorted(os.listdir(os.fsencode(d_)))
            t.check(os.fsdecode(names[0]) == LINK, f"'{LINK}' sorts first in {os.path.basename(d_)}", names)
        t.check(sorted([b"ap-check", b"apctl"])[0] == b"ap-check",
                "the old name 'apctl' sorted after ap-check (what this name fixes)")

        # mdevctl 1.2: where the directory lists apctl's callout first.
        apctl_first = [LINK, "ap-check.sh"]
        m = Mdevctl("1.2", usr_dir, etc_dir, env, apctl_first)
        m.begin(NEW)
        script, rc, out, err = m.call("pre", "start", NEW, config(["5"], ["2"]))
        t.check(script and os.path.basename(script) == LINK and rc == 1 and "'web'" in err,
                "1.2, apctl's callout first in the directory: a conflicting start is refused with its message",
                f"{script}\n{err}")
        m.begin(NEW)
        script, rc, out, err = m.call("pre", "start", NEW, config(["5"], ["3"]))
        post = m.call("post", "start", NEW, config(["5"], ["3"]))
        t.check(os.path.basename(script or "") == LINK and rc == 0 and post[0] == script and post[1] == 0,
                "1.2: a clean start passes apctl's callout, and post goes to the same script", f"{script}\n{err}")
        m.begin(WEB)
        script, rc, out, err = m.call("get", "attributes", WEB)
        t.check(os.path.basename(script or "") == LINK and rc == 0 and "0x0002" in out,
                "1.2: get attributes is answered by apctl's callout", f"{script}\n{out}{err}")
        calls = ap_check_calls(record)
        t.check(calls == [], "1.2 with apctld running: ap-check is never run", calls)

        m = Mdevctl("1.3", usr_dir, etc_dir, env)
        versioned = m.begin(NEW)
        t.check(versioned == os.path.join(usr_dir, LINK),
                "1.3+: apctl's callout (in /usr/lib) is the versioned script", versioned)
        script, rc, out, err = m.call("pre", "start", NEW, config(["5"], ["2"]))
        t.check(script == versioned and rc == 1 and "'web'" in err,
                "1.3+: a conflicting start is refused by the versioned apctl callout", err)
        d.ok("io.apctl.Guest.Start", {"name": "web"})
        m.begin(WEB)
        script, rc, out, err = m.call("live", "modify", WEB, config(["5"], ["1", "2", "3"]))
        g = d.guest("web")
        t.check(script == versioned and rc == 0 and g["mdev"]["domains"] == [1, 2, 3],
                "1.3+: modify --live goes to apctl's callout, which hot plugs through apctld", f"{err}\n{g}")
        m.begin(WEB)
        script, rc, out, err = m.call("get", "attributes", WEB)
        t.check(script == versioned and rc == 0 and json.loads(out or "null") is not None,
                "1.3+: get attributes goes to apctl's callout", out + err)
        calls = ap_check_calls(record)
        t.check(calls == [], "1.3+ with apctld running: ap-check is never run", calls)

        env["APCTL_SOCKET"] = os.path.join(tmp, "not-running.sock")
        m = Mdevctl("1.2", usr_dir, etc_dir, env, apctl_first)
        m.begin(NEW)
        script, rc, out, err = m.call("pre", "start", NEW, config(["5"], ["2"]))
        post = m.call("post", "start", NEW, config(["5"], ["2"]))
        calls = ap_check_calls(record)
        t.check(os.path.basename(script or "") == "ap-check.sh" and post[0] == script and
                any(" -e pre -a start " in c for c in calls) and calls[0].startswith("ap-check.sh"),
                "1.2 without apctld: apctl's callout steps aside and ap-check guards the start (pre and post)",
                f"{script}\n{calls}")
        m = Mdevctl("1.3", usr_dir, etc_dir, env)
        versioned = m.begin(NEW)
        script, rc, out, err = m.call("pre", "start", NEW, config(["5"], ["2"]))
        calls = ap_check_calls(record)
        t.check(versioned == os.path.join(usr_dir, "ap-check") and script == versioned and
                any(" -e get -a capabilities " in c for c in calls) and any(" -e pre -a start " in c for c in calls),
                "1.3+ without apctld: ap-check becomes the versioned script and guards the start",
                f"{versioned}\n{calls}")

        m = Mdevctl("1.3", usr_dir, etc_dir, env)
        m.begin(NEW, type_="nvidia-35")
        script, rc, out, err = m.call("pre", "start", NEW, "{}", type_="nvidia-35")
        t.check(script is None, "another mdev type: neither callout claims it", script)
        ap_check_calls(record)
    finally:
        log = d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    t.check(d.proc.returncode == 0, "apctld-test exits cleanly", log)
    t.finish()


main()
