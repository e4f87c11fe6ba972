#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""
Every call gets its reply, from the apctld-test binary over its real socket:
several client threads at once start and stop guests for many cycles, some
with a new connection per call as apctl does, some pipelining a whole cycle
on one connection, two of them on the same guest, with Status in between
and a subscriber counting the events. Once on the fake kernel, once on the
sysfs backend over a synthetic tree (bench/daemon-sysfs-tree.py) where this
test makes the mdev directory a `create` would. A reply that does not come
within TIMEOUT fails the test; nothing sleeps.

usage: test-stress-clients.py APCTLD-TEST DAEMON-SYSFS-TREE.PY
"""
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

TIMEOUT = 60.0
FAKE_CYCLES = 150
SYSFS_CYCLES = 60
MDEV_FILES = ("assign_adapter", "unassign_adapter", "assign_domain", "unassign_domain", "assign_control_domain",
              "unassign_control_domain", "remove", "matrix", "control_domains", "guest_matrix")

tap_count = 0
tap_failed = 0


def tap(ok, what, diag=()):
    global tap_count, tap_failed
    tap_count += 1
    if not ok:
        tap_failed += 1
    for line in diag:
        print(f"# {line}")
    print(f"{'ok' if ok else 'not ok'} {tap_count} - {what}", flush=True)


class Varlink:
    """One connection: NUL-terminated JSON objects each way; a reply later than TIMEOUT raises."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(path)
        self.buf = b""

    def send(self, calls):
        """calls: (method, parameters) pairs, sent in one write."""
        data = b""
        for method, params in calls:
            msg = {"method": method}
            if params is not None:
                msg["parameters"] = params
            data += json.dumps(msg).encode() + b"\0"
        self.sock.sendall(data)

    def receive(self):
        while b"\0" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("apctld closed the connection")
            self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def close(self):
        self.sock.close()


def outcome(reply):
    return reply.get("error", "ok")


class Client(threading.Thread):
    """Runs cycles of steps (method, with the guest's name, allowed outcomes); records the first failure."""

    def __init__(self, sock_path, guest, steps, cycles, per_call_connection=False, before_cycle=None):
        super().__init__(daemon=True)
        self.sock_path, self.guest, self.steps, self.cycles = sock_path, guest, steps, cycles
        self.per_call_connection = per_call_connection
        self.before_cycle = before_cycle
        self.answered = 0
        self.ok = {}
        self.failure = None

    def check(self, cycle, step, reply):
        method, _, allowed = step
        got = outcome(reply)
        if got not in allowed:
            raise AssertionError(f"{self.guest}, cycle {cycle}: {method} answered {reply}")
        self.answered += 1
        if got == "ok":
            self.ok[method] = self.ok.get(method, 0) + 1

    def call(self, step):
        method, with_name, _ = step
        return (method, {"name": self.guest} if with_name else None)

    def run(self):
        conn = None
        try:
            if not self.per_call_connection:
                conn = Varlink(self.sock_path)
            for cycle in range(self.cycles):
                steps = self.steps
                if self.before_cycle:
                    self.before_cycle(self, conn or Varlink(self.sock_path))
                if self.per_call_connection:
                    # As apctl does: connect, call, read the reply, close.
                    for step in steps:
                        c = Varlink(self.sock_path)
                        c.send([self.call(step)])
                        self.check(cycle, step, c.receive())
                        c.close()
                else:
                    conn.send([self.call(step) for step in steps])
                    for step in steps:
                        self.check(cycle, step, conn.receive())
        except Exception as e:  # noqa: BLE001 - any failure ends this client and fails the test
            self.failure = f"{self.guest}: {type(e).__name__}: {e} (after {self.answered} replies)"
        finally:
            if conn:
                conn.close()


def start_daemon(daemon, tmp, args):
    """apctld-test with args; returns it once it sent READY=1."""
    sock_path = os.path.join(tmp, "apctld.sock")
    notify_path = os.path.join(tmp, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    proc = subprocess.Popen([daemon, "--socket", sock_path, "--state-dir", os.path.join(tmp, "state"),
                             "--runtime-dir", os.path.join(tmp, "run"), "--log-target=stderr",
                             f"--admin-uid={os.getuid()}", "--idle-timeout=0"] + args, env=env, stdout=subprocess.DEVNULL)
    ready = False
    while not ready:
        r, _, _ = select.select([notify], [], [], TIMEOUT)
        if not r:
            proc.kill()
            raise TimeoutError("apctld did not send READY=1")
        ready = b"READY=1" in notify.recv(4096)
    notify.close()
    return proc, sock_path


def setup_call(conn, method, params):
    conn.send([(method, params)])
    reply = conn.receive()
    if "error" in reply:
        raise AssertionError(f"{method} {params}: {reply}")
    return reply.get("parameters", {})


def run_clients(clients, subscriber=None):
    """Run the client threads to their end; the subscriber's events are read meanwhile. Returns failures."""
    events = {"guest-started": 0, "guest-stopped": 0}
    for c in clients:
        c.start()
    for c in clients:
        c.join(TIMEOUT * 10)
    failures = [c.failure for c in clients if c.failure]
    failures += [f"{c.guest}: still running" for c in clients if c.is_alive()]
    if subscriber and not failures:
        starts = sum(c.ok.get("io.apctl.Guest.Start", 0) for c in clients)
        stops = sum(c.ok.get("io.apctl.Guest.Stop", 0) for c in clients)
        try:
            while events["guest-started"] < starts or events["guest-stopped"] < stops:
                e = subscriber.receive().get("parameters", {}).get("event", {})
                if e.get("type") in events:
                    events[e["type"]] += 1
        except Exception as e:  # noqa: BLE001
            failures.append(f"subscriber: {type(e).__name__}: {e}; events {events}, {starts} starts, {stops} stops")
    return failures


OWN = [
    ("io.apctl.Guest.Start", True, {"ok"}),
    ("io.apctl.Status", False, {"ok"}),
    ("io.apctl.Guest.Stop", True, {"ok"}),
    ("io.apctl.Guest.Stop", True, {"io.apctl.GuestNotRunning"}),
]
SHARED = [
    ("io.apctl.Guest.Start", True, {"ok", "io.apctl.GuestRunning"}),
    ("io.apctl.Guest.Stop", True, {"ok", "io.apctl.GuestNotRunning"}),
    ("io.apctl.Guest.Stop", True, {"ok", "io.apctl.GuestNotRunning"}),
    ("io.apctl.Status", False, {"ok"}),
]


def fake_kernel(daemon):
    tmp = tempfile.mkdtemp(prefix="apctld-stress.", dir=os.environ.get("TMPDIR"))
    proc = None
    try:
        proc, sock_path = start_daemon(daemon, tmp, ["--fake-kernel=5:13:0-15,6:12:0-15"])
        admin = Varlink(sock_path)
        setup_call(admin, "io.apctl.Host.Release", {"adapters": [5, 6]})
        for i in range(4):
            setup_call(admin, "io.apctl.Guest.Define", {"name": f"own{i}", "adapters": [5], "domains": [i]})
        setup_call(admin, "io.apctl.Guest.Define", {"name": "shared", "adapters": [6], "domains": [0]})
        subscriber = Varlink(sock_path)
        subscriber.sock.sendall(json.dumps({"method": "io.apctl.Events.Subscribe", "more": True}).encode() + b"\0")
        first = subscriber.receive()
        clients = [Client(sock_path, f"own{i}", OWN, FAKE_CYCLES, per_call_connection=i % 2 == 0) for i in range(4)]
        clients += [Client(sock_path, "shared", SHARED, FAKE_CYCLES) for _ in range(2)]
        failures = [] if "error" not in first else [f"Events.Subscribe: {first}"]
        failures += run_clients(clients, subscriber)
        own = [c.ok.get("io.apctl.Guest.Start", 0) for c in clients[:4]]
        shared_starts = sum(c.ok.get("io.apctl.Guest.Start", 0) for c in clients[4:])
        shared_stops = sum(c.ok.get("io.apctl.Guest.Stop", 0) for c in clients[4:])
        if not failures:
            shown = setup_call(admin, "io.apctl.Guest.Show", {"name": "shared"})
            if shown["running"] != (shared_starts == shared_stops + 1) or shared_starts - shared_stops not in (0, 1):
                failures.append(f"shared: {shared_starts} starts, {shared_stops} stops, running {shown['running']}")
        tap(not failures, f"fake kernel: {len(clients)} clients x {FAKE_CYCLES} start/stop cycles at once, "
            "per-call connections and pipelined, every call answered",
            failures + [f"OK starts per own guest {own}, shared guest {shared_starts} starts {shared_stops} stops"])
    finally:
        if proc:
            proc.terminate()
            rc = proc.wait(timeout=TIMEOUT)
            tap(rc == 0, f"fake kernel: apctld exits cleanly on SIGTERM (rc {rc})")
        shutil.rmtree(tmp, ignore_errors=True)


def make_mdev(path):
    os.mkdir(path)
    for name in MDEV_FILES:
        open(os.path.join(path, name), "w").close()


def remove_mdev(path):
    for name in MDEV_FILES:
        try:
            os.unlink(os.path.join(path, name))
        except FileNotFoundError:
            pass
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass


SYSFS = [
    # Another client's re-read may land after this one's start or stop (and a stopped mdev stays on plain
    # files): both answers are possible for each.
    ("io.apctl.Guest.Start", True, {"ok", "io.apctl.GuestRunning"}),
    ("io.apctl.Status", False, {"ok"}),
    ("io.apctl.Guest.Stop", True, {"ok", "io.apctl.GuestNotRunning"}),
    ("io.apctl.Guest.Stop", True, {"ok", "io.apctl.GuestNotRunning"}),
]


def sysfs_tree(daemon, tree_script):
    tmp = tempfile.mkdtemp(prefix="apctld-stress.", dir=os.environ.get("TMPDIR"))
    proc = None
    try:
        root = os.path.join(tmp, "sys")
        # 8 CEX8 adapters x 16 domains, adapters 0-3 free for guests.
        subprocess.run([sys.executable, tree_script, root, "8", "16", "4"], check=True)
        matrix = os.path.join(root, "devices/vfio_ap/matrix")
        proc, sock_path = start_daemon(daemon, tmp, [f"--sysfs-root={root}", "--no-udev"])
        admin = Varlink(sock_path)
        mdevs = {}
        for i in range(4):
            uuid = f"5e000000-0000-4000-8000-{i:012x}"
            mdevs[f"own{i}"] = os.path.join(matrix, uuid)
            setup_call(admin, "io.apctl.Guest.Define", {"name": f"own{i}", "uuid": uuid, "adapters": [i],
                                                        "domains": [0, 1], "control_domains": [0]})

        def before_cycle(client, conn):
            # Plain files cannot make an mdev appear on `create`: re-read the tree without it, then make it.
            remove_mdev(mdevs[client.guest])
            conn.send([("io.apctl.Reconcile", None)])
            reply = conn.receive()
            if "error" in reply:
                raise AssertionError(f"Reconcile: {reply}")
            client.answered += 1
            make_mdev(mdevs[client.guest])

        clients = [Client(sock_path, f"own{i}", SYSFS, SYSFS_CYCLES, per_call_connection=i % 2 == 0,
                          before_cycle=before_cycle) for i in range(4)]
        failures = run_clients(clients)
        starts = [c.ok.get("io.apctl.Guest.Start", 0) for c in clients]
        if not failures and min(starts) == 0:
            failures.append(f"a guest never started: OK starts {starts}")
        tap(not failures, f"sysfs backend: {len(clients)} clients x {SYSFS_CYCLES} reconcile/start/stop cycles at "
            "once on a synthetic tree, every call answered", failures + [f"OK starts per guest {starts}"])
    finally:
        if proc:
            proc.terminate()
            rc = proc.wait(timeout=TIMEOUT)
            tap(rc == 0, f"sysfs backend: apctld exits cleanly on SIGTERM (rc {rc})")
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    daemon, tree_script = sys.argv[1], sys.argv[2]
    fake_kernel(daemon)
    sysfs_tree(daemon, tree_script)
    print(f"1..{tap_count}")
    return 1 if tap_failed else 0


if __name__ == "__main__":
    sys.exit(main())
