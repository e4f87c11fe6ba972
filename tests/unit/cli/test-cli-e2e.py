#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
apctl end to end against the real daemon (apctld-test, the in-memory fake
kernel): the canned replies of the fake-daemon test have the real replies'
shape; every verb works; real refusals give the documented exit codes;
events follow until SIGINT.

Usage: test-cli-e2e.py APCTL APCTLD_TEST
"""
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_fixtures as fx  # noqa: E402

APCTL, DAEMON = sys.argv[1], sys.argv[2]
TIMEOUT = 20.0
failures = 0
n = 0


def check(cond, what, detail=""):
    global failures, n
    n += 1
    print(f"{'ok' if cond else 'not ok'} {n} - {what}")
    if not cond:
        failures += 1
        for line in str(detail).splitlines():
            print(f"# {line}")


def skip(what, why):
    global n
    n += 1
    print(f"ok {n} - {what} # SKIP {why}")


def run(sock, *args):
    env = dict(os.environ, APCTL_SOCKET=sock, LC_ALL="C")
    p = subprocess.run([APCTL, *args], env=env, capture_output=True, text=True, timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def raw_call(sock, method, parameters=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect(sock)
    msg = {"method": method}
    if parameters is not None:
        msg["parameters"] = parameters
    s.sendall(json.dumps(msg).encode() + b"\0")
    buf = b""
    while b"\0" not in buf:
        data = s.recv(65536)
        if not data:
            raise EOFError("apctld closed the connection")
        buf += data
    s.close()
    return json.loads(buf.split(b"\0", 1)[0])


# Sent only in some states; "stuck" is new in apctld (older ones lack it).
OPTIONAL_KEYS = {"guest", "mdev", "transaction", "stuck"}


def shape_diff(want, got, path="$"):
    """Differences between the key structure of two JSON values (values themselves may differ)."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{path}: object expected, got {type(got).__name__}"]
        out = []
        for k in set(want) | set(got):
            if k not in got and k not in OPTIONAL_KEYS:
                out.append(f"{path}.{k}: missing in apctld's reply")
            elif k not in want and k not in OPTIONAL_KEYS:
                out.append(f"{path}.{k}: apctld sends it, the fixture lacks it")
            elif k in want and k in got:
                out += shape_diff(want[k], got[k], f"{path}.{k}")
        return out
    if isinstance(want, list):
        if not isinstance(got, list):
            return [f"{path}: array expected"]
        if want and got:
            return shape_diff(want[0], got[0], f"{path}[0]")
        return []
    if type(want) is not type(got) and not (isinstance(want, (int, float)) and isinstance(got, (int, float))):
        return [f"{path}: {type(want).__name__} expected, got {type(got).__name__}"]
    return []


def start_daemon(tmp, extra):
    sock = os.path.join(tmp, "apctld.sock")
    notify_path = os.path.join(tmp, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    proc = subprocess.Popen([DAEMON, "--fake-kernel=5:13:0-15,6:12:0-15,7:9:0-3", "--socket", sock,
                             "--state-dir", os.path.join(tmp, "state"), "--runtime-dir", os.path.join(tmp, "run"),
                             "--log-target=stderr", *extra],
                            env=dict(os.environ, NOTIFY_SOCKET=notify_path))
    # Wait for READY=1, or for the daemon to die (its pidfd becomes readable), within TIMEOUT.
    pidfd = os.pidfd_open(proc.pid)
    try:
        while True:
            r, _, _ = select.select([notify, pidfd], [], [], TIMEOUT)
            if pidfd in r:
                raise RuntimeError(f"apctld exited with {proc.wait()} before it was ready")
            if not r:
                proc.kill()
                proc.wait()
                raise TimeoutError("apctld did not send READY=1")
            if b"READY=1" in notify.recv(4096):
                break
    finally:
        os.close(pidfd)
        notify.close()
    return proc, sock


def stop_daemon(proc):
    proc.terminate()
    try:
        proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_shapes(sock):
    rc, _, err = run(sock, "host", "release", "--adapter", "5-7")
    check(rc == 0, "host release so guests may use the adapters", err)
    rc, _, err = run(sock, "guest", "define", "web01", "-a", "5", "-d", "1-3", "-c", "1")
    rc2, _, err2 = run(sock, "guest", "start", "web01")
    check(rc == 0 and rc2 == 0, "define and start web01", err + err2)
    pairs = [
        ("io.apctl.Host.List", None, fx.host_list()),
        ("io.apctl.Guest.List", None, fx.guest_list()),
        ("io.apctl.Guest.Show", {"name": "web01"}, fx.guest_show()),
        ("io.apctl.Status", None, fx.status()),
        ("io.apctl.Guest.Export", {"name": "web01"}, fx.export()),
        ("io.apctl.Reconcile", None, fx.reconcile()),
    ]
    for method, params, fixture in pairs:
        reply = raw_call(sock, method, params)
        diff = shape_diff(fixture, reply.get("parameters"))
        check("error" not in reply and not diff, f"{method}: the fake daemon's canned reply has the real shape",
              "\n".join(diff) or reply)
    reply = raw_call(sock, "io.apctl.Guest.Show", {"name": "nobody"})
    diff = shape_diff(fx.error("io.apctl.NoSuchGuest", 2, "x"), reply)
    check(not diff, "error replies have the shape the fake daemon sends", "\n".join(diff))


def test_verbs(sock):
    rc, out, err = run(sock, "list", "--json")
    cards = json.loads(out)["cards"] if rc == 0 else []
    check(rc == 0 and [c["id"] for c in cards] == ["05", "06", "07"] and len(cards[0]["queues"]) == 16,
          "list --json: three cards, 16 queues on 05", err)
    web = [q["apqn"] for c in cards for q in c["queues"] if q["guest"] == "web01"]
    check(web == ["05.0001", "05.0002", "05.0003"] and cards[1]["type"] == "CEX6C" and cards[2]["type"] == "type 9",
          "list --json: web01 owns 05.0001-05.0003; 06 is a CEX6C, 07 too old to have a CEX name", web)
    rc, out, err = run(sock, "list", "--guest", "web01")
    check(rc == 0 and out.splitlines()[1].split()[-1] == "mixed" and out.count("web01") == 3,
          "list --guest web01 prints the card and web01's three queues", out + err)
    rc, out, err = run(sock, "matrix")
    check(rc == 0 and out.splitlines()[2].startswith("05  .AAA") and "A web01 (running)" in out,
          "matrix: row 05 shows web01 on domains 1-3", out + err)

    rc, out, err = run(sock, "guest", "attach", "web01", "--apqn", "06.0001,06.0002,06.0003")
    check(rc == 0 and "adapters 0x05-0x06" in out and "running" in out, "attach 06 while running (hot plug)",
          out + err)
    rc, out, err = run(sock, "guest", "show", "web01", "--json")
    g = json.loads(out) if rc == 0 else {}
    check(g.get("mdev", {}).get("guest_adapters") == [5, 6], "guest show: the guest sees adapters 5 and 6", g)
    rc, out, err = run(sock, "guest", "detach", "web01", "-a", "6")
    check(rc == 0 and "adapters 0x05," in out, "detach 06 (hot unplug)", out + err)
    rc, out, err = run(sock, "guest", "detach", "web01", "-d", "7")
    check(rc == 0 and out == "web01: nothing to detach (domain 7 is not in it)\n" and not err,
          "detach of a domain the guest does not have: succeeds, saying nothing changed", f"rc {rc}\n{out}{err}")
    rc, out, err = run(sock, "guest", "attach", "web01", "-a", "5", "-d", "2-3")
    check(rc == 0 and out == "web01: nothing to attach (adapter 5, domains 2-3 are already in it)\n" and not err,
          "attach of what the guest has: succeeds, saying nothing changed", f"rc {rc}\n{out}{err}")
    rc, out, err = run(sock, "guest", "modify", "web01", "--domain", "4-5")
    check(rc == 0 and "domains 0x04-0x05" in out, "modify replaces the domains live", out + err)
    rc, out, err = run(sock, "guest", "list")
    check(rc == 0 and out.splitlines()[1].split()[:6] == ["web01", "running", "0x05", "0x04-0x05", "0x01", "no"],
          "guest list shows the modified guest", out)
    rc, out, err = run(sock, "reconcile")
    check(rc == 0 and "No drift" in out, "reconcile: the fake kernel matches the definitions", out + err)
    rc, out, err = run(sock, "status", "--json")
    check(rc == 0 and json.loads(out)["running"] == 1, "status --json counts one running guest", out + err)

    tmp = tempfile.mkdtemp(prefix="apctl-e2e-export.")
    try:
        show = json.loads(run(sock, "guest", "show", "web01", "--json")[1])
        target = os.path.join(tmp, show["uuid"])
        rc, out, err = run(sock, "export-mdevctl", "web01", "-o", target)
        check(rc == 0 and os.path.exists(target), "export-mdevctl writes the definition", err)
        rc, _, err = run(sock, "guest", "stop", "web01")
        rc2, _, err2 = run(sock, "guest", "undefine", "web01")
        check(rc == 0 and rc2 == 0, "stop and undefine web01", err + err2)
        rc, out, err = run(sock, "import-mdevctl", target, "--name", "web01")
        check(rc == 0 and "Guest web01 imported: adapters 0x05, domains 0x04-0x05, control domains 0x01" in out,
              "import-mdevctl brings web01 back from the exported file", out + err)
        again = json.loads(run(sock, "guest", "show", "web01", "--json")[1])
        check(again["uuid"] == show["uuid"] and again["domains"] == [4, 5], "the imported guest keeps UUID and domains",
              again)
    finally:
        shutil.rmtree(tmp)


def test_exit_codes(sock):
    rc, _, err = run(sock, "guest", "start", "web01")
    check(rc == 0, "start the imported web01", err)
    cases = [
        (["guest", "show", "nobody"], 3, "no guest named 'nobody'"),
        (["guest", "define", "web02", "-a", "5", "-d", "4"], 4, "already assigned to guest 'web01'"),
        (["guest", "define", "web01", "-a", "6", "-d", "9"], 4, "already defined"),
        (["guest", "define", "big", "-a", "9", "-d", "1"], 3, "adapter 9 does not exist"),
        (["guest", "start", "web01"], 4, "already running"),
        (["guest", "undefine", "web01"], 4, "stop it first"),
        (["host", "reserve", "-a", "5", "-d", "4"], 4, "web01"),
        (["guest", "define", "old", "-a", "7", "-d", "0"], 4, "CEX4"),
    ]
    for args, code, needle in cases:
        rc, out, err = run(sock, *args)
        check(rc == code and needle in err and out == "", f"apctl {' '.join(args)}: exit {code}, says '{needle}'",
              f"rc {rc}: {err}")
    run(sock, "guest", "stop", "web01")
    cases = [(["guest", "stop", "web01"], 4, "is not running")]
    for args, code, needle in cases:
        rc, out, err = run(sock, *args)
        check(rc == code and needle in err and out == "", f"apctl {' '.join(args)}: exit {code}, says '{needle}'",
              f"rc {rc}: {err}")
    # Only web01 (adapter 5) may remain, so reserving adapter 6 conflicts with nobody.
    for name in ("ev01", "old"):
        run(sock, "guest", "undefine", name)
    rc, _, rerr = run(sock, "host", "reserve", "-a", "6", "-d", "10")
    rc2, out, err = run(sock, "guest", "define", "web03", "-a", "6", "-d", "10")
    check(rc == 0 and rc2 == 4 and "reserved for the host" in err and "apctl host release" in err,
          "an APQN reserved for the host: exit 4 and the hint to release it", f"reserve rc {rc} {rerr}, define rc {rc2}: {err}")


def test_events(sock):
    env = dict(os.environ, APCTL_SOCKET=sock)
    p = subprocess.Popen([APCTL, "events", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        # Wait (bounded) until apctld counts the subscription: every event after that reaches us.
        deadline = time.monotonic() + TIMEOUT
        while raw_call(sock, "io.apctl.Status")["parameters"]["subscriptions"] < 1:
            if time.monotonic() > deadline or p.poll() is not None:
                break
        seen = []
        rc, _, err = run(sock, "guest", "define", "ev01", "-a", "6", "-d", "12")
        check(rc == 0, "define ev01 while following events", err)
        while "guest-defined" not in seen:
            r, _, _ = select.select([p.stdout], [], [], TIMEOUT)
            if not r:
                break
            line = p.stdout.readline()
            if not line:
                break
            seen.append(json.loads(line)["type"])
        check("guest-defined" in seen, "events --json prints guest-defined as one JSON line", seen)
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=TIMEOUT)
        check(rc == 0, "events ends with exit 0 on SIGINT", rc)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


COMPLETION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "cli", "completion", "apctl")


def complete(sock, line):
    """COMPREPLY for the command line `line` (cursor at its end), from the real completion script."""
    script = ('source "$1"; read -ra COMP_WORDS <<< "$2"; [[ $2 == *" " ]] && COMP_WORDS+=("");'
              'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _apctl; printf "%s\\n" "${COMPREPLY[@]}"')
    env = dict(os.environ, APCTL_SOCKET=sock, PATH=os.path.dirname(os.path.abspath(APCTL)) + ":" + os.environ["PATH"])
    p = subprocess.run(["bash", "-c", script, "complete", COMPLETION, line], env=env, capture_output=True, text=True,
                       timeout=TIMEOUT)
    return sorted(w for w in p.stdout.split("\n") if w)


def test_policy_show(sock):
    # Without policy files apctld enforces its built-in policy, and says so.
    rc, out, err = run(sock, "policy", "show", "--json")
    doc = json.loads(out) if rc == 0 else {}
    check(rc == 0 and doc.get("source") and "[defaults]" in doc.get("policy", ""),
          "policy show asks apctld for the policy it enforces", out + err)
    rc, out, err = run(sock, "policy", "show")
    check(rc == 0 and out == doc.get("policy"), "policy show prints apctld's policy text", out + err)


def test_completion(sock):
    cases = [
        ("apctl gu", ["guest"]),
        ("apctl guest ", ["--help", "attach", "define", "detach", "list", "modify", "show", "start", "stop",
                          "undefine"]),
        ("apctl guest start ", ["web01"]),
        ("apctl --json export-mdevctl w", ["web01"]),
        ("apctl list --owner ", ["free", "guest", "host"]),
        ("apctl list --owner = g", ["guest"]),
        ("apctl --color = a", ["always", "auto"]),
        ("apctl list --guest ", ["web01"]),
        ("apctl guest attach web01 --ad", ["--adapter="]),
        ("apctl host ", ["--help", "release", "reserve"]),
        ("apctl guest define web02 --adapter 5 --au", ["--autostart"]),
    ]
    for line, want in cases:
        got = complete(sock, line)
        check(got == want, f"completion of '{line}'", f"{got} != {want}")
    check(complete(sock + ".down", "apctl guest start ") == [], "no guest names when apctld is unreachable")


def main():
    tmp = tempfile.mkdtemp(prefix="apctl-e2e.")
    proc, sock = start_daemon(tmp, [f"--admin-uid={os.getuid()}"])
    try:
        test_shapes(sock)
        test_verbs(sock)
        test_completion(sock)
        test_events(sock)
        test_exit_codes(sock)
        test_policy_show(sock)
    finally:
        stop_daemon(proc)
    rc, _, err = run(sock, "status")
    check(rc == 7, "after apctld stops: exit 7", err)

    if os.getuid() == 0:
        skip("a caller who is not admin gets exit 5", "running as root, which is always admin")
    else:
        tmp2 = tempfile.mkdtemp(prefix="apctl-e2e-noadmin.")
        proc, sock = start_daemon(tmp2, [])
        try:
            rc, _, err = run(sock, "host", "release", "-a", "5")
            check(rc == 5 and "not allowed for uid" in err and "built-in" in err,
                  "a caller who is not admin gets exit 5, naming the built-in policy", err)
        finally:
            stop_daemon(proc)
            shutil.rmtree(tmp2, ignore_errors=True)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"1..{n}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
