#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
A client written with nothing but the Python standard library (socket +
json): proves the apctld protocol is usable without apctl's own code.
Starts the test build of apctld (fake kernel) and waits for its READY=1
on a private NOTIFY_SOCKET, then drives the API over the Unix socket; and
checks the SIGKILL test hook leaves a journal the next start resolves.
"""
import glob
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile

TIMEOUT = 10.0


class Varlink:
    """One connection: NUL-terminated JSON objects each way."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(path)
        self.buf = b""

    def send(self, method, parameters=None, more=False):
        msg = {"method": method}
        if parameters is not None:
            msg["parameters"] = parameters
        if more:
            msg["more"] = True
        self.sock.sendall(json.dumps(msg).encode() + b"\0")

    def receive(self):
        while b"\0" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("apctld closed the connection")
            self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, parameters=None):
        self.send(method, parameters)
        return self.receive()


failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)
    else:
        print(f"ok: {what}")


def expect_ok(reply, what):
    check("error" not in reply, f"{what}: {reply if 'error' in reply else 'ok'}")
    return reply.get("parameters", {})


def expect_error(reply, name, what):
    check(reply.get("error") == name and "errno" in reply.get("parameters", {})
          and reply["parameters"].get("message"), f"{what}: expected {name}, got {reply}")


def start_daemon(daemon, tmp, extra_env=None):
    """Start apctld-test and wait for its READY=1."""
    sock_path = os.path.join(tmp, "apctld.sock")
    notify_path = os.path.join(tmp, "notify")
    if os.path.exists(notify_path):
        os.unlink(notify_path)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path, **(extra_env or {}))
    proc = subprocess.Popen([daemon, "--fake-kernel=5:13:0-15,6:12:0-15", "--socket", sock_path,
                             "--state-dir", os.path.join(tmp, "state"), "--runtime-dir", os.path.join(tmp, "run"),
                             "--log-target=stderr",
                             f"--admin-uid={os.getuid()}"], env=env)
    ready = False
    while not ready:
        r, _, _ = select.select([notify], [], [], TIMEOUT)
        if not r:
            proc.kill()
            raise TimeoutError("apctld did not send READY=1")
        ready = b"READY=1" in notify.recv(4096)
    notify.close()
    return proc, sock_path


def pending_journal_ids(run_dir):
    """The ids of the entries in apctld's journal slots (apctld(8), FILES): header, then the JSON text."""
    ids = []
    for path in glob.glob(os.path.join(run_dir, "journal-slot-*")):
        with open(path, "rb") as f:
            data = f.read()
        if data.startswith(b"APCTLJ1 "):
            length = int(data[8:16], 16)
            ids.append(json.loads(data[34:34 + length])["id"])
    return ids


def kill_hook(daemon):
    """The SIGKILL test hook dies mid-transaction; the next start resolves the journal."""
    tmp = tempfile.mkdtemp(prefix="apctld-py-kill.")
    try:
        proc, sock_path = start_daemon(daemon, tmp, {"APCTLD_TEST_KILL_AFTER_STEP": "2"})
        c = Varlink(sock_path)
        expect_ok(c.call("io.apctl.Host.Release", {"adapters": [5]}), "kill hook: Host.Release")
        expect_ok(c.call("io.apctl.Guest.Define", {"name": "k", "adapters": [5], "domains": [1, 2]}),
                  "kill hook: Guest.Define")
        c.send("io.apctl.Guest.Start", {"name": "k"})
        try:
            c.receive()
            check(False, "kill hook: Guest.Start must not be answered")
        except (EOFError, ConnectionResetError):
            check(True, "kill hook: connection drops when apctld is killed")
        rc = proc.wait(timeout=TIMEOUT)
        check(rc == -9, f"kill hook: apctld died of SIGKILL (rc {rc})")
        left_behind = pending_journal_ids(os.path.join(tmp, "run"))
        check(len(left_behind) == 1, "kill hook: the journal entry was left behind")
        proc, sock_path = start_daemon(daemon, tmp)
        c = Varlink(sock_path)
        status = expect_ok(c.call("io.apctl.Status"), "kill hook: Status after restart")
        check(not status["recovery_needed"], "kill hook: recovered")
        # The restart may already run its own transaction (re-applying the host masks to
        # the fresh fake kernel); the Guest.Start entry itself must be gone.
        pending = pending_journal_ids(os.path.join(tmp, "run"))
        check(not any(i in pending for i in left_behind), "kill hook: the Guest.Start journal entry was resolved")
        g = expect_ok(c.call("io.apctl.Guest.Show", {"name": "k"}), "kill hook: definition survived")
        check(g["running"] is False, "kill hook: the half-started guest is not running")
        proc.terminate()
        proc.wait(timeout=TIMEOUT)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    daemon = sys.argv[1]
    kill_hook(daemon)
    tmp = tempfile.mkdtemp(prefix="apctld-py.")
    proc = None
    try:
        proc, sock_path = start_daemon(daemon, tmp)
        run(sock_path)
    finally:
        if proc:
            proc.terminate()
            rc = proc.wait(timeout=TIMEOUT)
            check(rc == 0, f"apctld exits cleanly on SIGTERM (rc {rc})")
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


def run(sock_path):
    c = Varlink(sock_path)
    info = expect_ok(c.call("org.varlink.service.GetInfo"), "GetInfo")
    check("io.apctl" in info.get("interfaces", []), "io.apctl is listed")
    desc = expect_ok(c.call("org.varlink.service.GetInterfaceDescription", {"interface": "io.apctl"}),
                     "GetInterfaceDescription")
    check("method Guest.Attach" in desc.get("description", ""), "description names the methods")

    host = expect_ok(c.call("io.apctl.Host.List"), "Host.List")
    check(len(host["cards"]) == 2 and len(host["cards"][0]["queues"]) == 16, "two cards of 16 queues")
    expect_ok(c.call("io.apctl.Host.Release", {"adapters": [5, 6]}), "Host.Release")

    events = Varlink(sock_path)
    events.send("io.apctl.Events.Subscribe", {}, more=True)
    first = events.receive()
    check(first.get("continues") and first["parameters"].get("subscribed"), "subscription confirmed")

    g = expect_ok(c.call("io.apctl.Guest.Define", {"name": "py01", "adapters": [5], "domains": "1-3",
                                                    "control_domains": [1]}), "Guest.Define")
    check(g["domains"] == [1, 2, 3], "id list string accepted")
    expect_error(c.call("io.apctl.Guest.Define", {"name": "py02", "adapters": [5], "domains": [3]}),
                 "io.apctl.Conflict", "overlapping guest refused")
    g = expect_ok(c.call("io.apctl.Guest.Start", {"name": "py01"}), "Guest.Start")
    check(g["running"], "guest runs")
    expect_error(c.call("io.apctl.Host.Reserve", {"adapters": [5]}), "io.apctl.Conflict",
                 "host reserve of a running guest's adapter refused")
    expect_ok(c.call("io.apctl.Guest.Attach", {"name": "py01", "adapters": [6]}), "Guest.Attach")
    show = expect_ok(c.call("io.apctl.Guest.Show", {"name": "py01"}), "Guest.Show")
    check(show["mdev"]["adapters"] == [5, 6] and show["mdev"]["guest_adapters"] == [5, 6],
          "hot-plugged adapter reaches the guest matrix")
    expect_ok(c.call("io.apctl.Guest.Detach", {"name": "py01", "adapters": [6]}), "Guest.Detach")
    expect_ok(c.call("io.apctl.Guest.Stop", {"name": "py01"}), "Guest.Stop")
    expect_ok(c.call("io.apctl.Guest.Undefine", {"name": "py01"}), "Guest.Undefine")
    expect_error(c.call("io.apctl.Guest.Show", {"name": "py01"}), "io.apctl.NoSuchGuest", "gone after undefine")
    expect_error(c.call("io.apctl.Guest.Define", {"name": "x", "bogus": 1}),
                 "org.varlink.service.InvalidParameter", "unknown field refused")

    seen = []
    while "guest-undefined" not in seen:
        ev = events.receive()
        check(ev.get("continues") is True, "events stream with continues")
        seen.append(ev["parameters"]["event"]["type"])
    for t in ["guest-defined", "guest-started", "guest-attached", "guest-detached", "guest-stopped"]:
        check(t in seen, f"event {t} delivered")

    status = expect_ok(c.call("io.apctl.Status"), "Status")
    check(status["subscriptions"] == 1 and status["guests"] == 0, "Status counts")

    # Malformed input: an error reply and a closed connection, and the daemon lives on.
    bad = Varlink(sock_path)
    bad.sock.sendall(b"{not json\0")
    expect_error(bad.receive(), "org.varlink.service.InvalidParameter", "invalid JSON answered")
    try:
        bad.receive()
        check(False, "connection closed after invalid JSON")
    except EOFError:
        check(True, "connection closed after invalid JSON")
    expect_ok(c.call("io.apctl.Status"), "daemon still answers")


if __name__ == "__main__":
    sys.exit(main())
