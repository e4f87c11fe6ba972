# SPDX-License-Identifier: LGPL-2.1-or-later
"""
Canned apctld replies for the CLI tests, shaped exactly as apctld's
(daemon/method-*.c): the fake-daemon test serves them, and the end-to-end
test checks that the real daemon's replies have the same shape, so the
two cannot drift apart silently.
"""
import json
import os
import socket
import threading


def queue(a, d, owner="host", guest=None, driver=None, config=True, online=True, chkstop=False):
    q = {"apqn": f"{a:02x}.{d:04x}", "domain": d,
         "driver": driver or ("vfio_ap" if owner.startswith("guest-running") else "default"),
         "config": config, "online": online, "chkstop": chkstop, "owner": owner}
    if guest:
        q["guest"] = guest
    return q


def card(a, hwtype, mode, queues, config=True, online=True, chkstop=False, driver="default"):
    return {"adapter": a, "hwtype": hwtype, "mode": mode, "config": config, "online": online,
            "chkstop": chkstop, "driver": driver, "vfio_capable": hwtype >= 10, "queues": queues}


def host_list():
    q5 = []
    for d in range(16):
        if d in (1, 2, 3):
            q5.append(queue(5, d, "guest-running", "web01"))
        elif d in (4, 5):
            q5.append(queue(5, d, "guest-defined", "db"))
        elif d < 8:
            q5.append(queue(5, d, "host"))
        else:
            q5.append(queue(5, d, "free", driver="none"))
    q6 = [queue(6, 0, "host"), queue(6, 1, "host", online=False), queue(6, 2, "host", chkstop=True),
          queue(6, 0x1a, "free", driver="none")]
    q7 = [queue(7, d, "free", driver="none", config=False) for d in range(2)]
    return {
        "cards": [card(5, 13, "cca", q5), card(6, 12, "ep11", q6), card(7, 14, "accel", q7, config=False)],
        "apmask": [6], "aqmask": [0, 1, 2],
        "reservation": {"adapters": [6], "domains": [0, 1, 2]},
        "bindings": {"bound": 22, "total": 22, "complete": True},
        "max_adapter": 255, "max_domain": 255, "ap_bus": True, "vfio_ap": True, "ap_config": True,
    }


WEB01_UUID = "0d9b2a5e-6c8f-4f1e-9a7b-3c2d1e0f4a5b"
DB_UUID = "8c1e5f3a-2b4d-4e6f-8a9c-0b1d2e3f4a5c"


def guest(name, uuid, adapters, domains, control, running, autostart=False, mdev=True):
    g = {"name": name, "uuid": uuid, "adapters": adapters, "domains": domains, "control_domains": control,
         "autostart": autostart, "overprovision": False, "running": running}
    if running and mdev:
        g["mdev"] = {"adapters": adapters, "domains": domains, "control_domains": control,
                     "guest_adapters": adapters, "guest_domains": domains}
    return g


def guest_list():
    return {"guests": [guest("db", DB_UUID, [5], [4, 5], [], False, autostart=True),
                       guest("web01", WEB01_UUID, [5], [1, 2, 3], [1], True)]}


def guest_show():
    g = guest("web01", WEB01_UUID, [5], [1, 2, 3], [1], True)
    g["mdev"]["guest_domains"] = [1, 2]
    g["drift"] = [{"kind": "guest-matrix", "guest": "web01",
                   "message": "guest 'web01': domain 3 is assigned but not in the guest (queue 05.0003 not bound)"}]
    return g


def status():
    return {"version": "0.1.0", "backend": "fake", "status": "2 guests (1 running), 22 queues, 1 drift",
            "generation": 7, "guests": 2, "running": 1, "cards": 3, "queues": 22, "mdevs": 1, "clients": 1,
            "subscriptions": 0, "queued_calls": 0, "resyncs": 3, "events_sent": 12, "recovery_needed": False,
            "bindings": {"complete": True, "bound": 22, "total": 22},
            "drift": guest_show()["drift"],
            "transaction": {"method": "io.apctl.Guest.Attach", "subject": "web01", "kernel": True,
                            "timed_out": True},
            "stuck": [{"method": "io.apctl.Guest.Detach", "subject": "db", "kernel": True, "timed_out": True}]}


def reconcile():
    return {"drift": guest_show()["drift"], "transaction_started": True}


def export():
    return {"uuid": WEB01_UUID, "parent": "matrix", "path": f"/etc/mdevctl.d/matrix/{WEB01_UUID}",
            "mdevctl": {"mdev_type": "vfio_ap-passthrough", "start": "manual",
                        "attrs": [{"assign_adapter": "0x05"}, {"assign_domain": "0x0001"},
                                  {"assign_control_domain": "0x0001"}]}}


EVENTS = [
    {"type": "guest-started", "time_usec": 1763700000123456, "guest": "web01", "uuid": WEB01_UUID,
     "config": {"adapters": [5], "domains": [1, 2, 3], "control_domains": [1]}},
    {"type": "queue-changed", "time_usec": 1763700001000000, "apqn": "05.0003", "driver": "vfio_ap",
     "config": True, "online": True, "chkstop": False},
]


class FakeDaemon:
    """A Unix socket speaking apctld's framing; answers each method from `replies`, records every call."""

    def __init__(self, path):
        self.path = path
        self.replies = {}       # method -> {"parameters": ...} or {"error": ..., "parameters": ...}
        self.calls = []
        self.events = []        # sent to Events.Subscribe after the confirmation
        self.close_stream = True
        self.silent = False     # never answer: timeouts
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _send(self, conn, msg):
        conn.sendall(json.dumps(msg).encode() + b"\0")

    def _client(self, conn):
        buf = b""
        with conn:
            while True:
                while b"\0" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                raw, buf = buf.split(b"\0", 1)
                call = json.loads(raw)
                self.calls.append(call)
                if self.silent:
                    continue
                method = call["method"]
                if method == "io.apctl.Events.Subscribe" and method not in self.replies:
                    self._send(conn, {"parameters": {"subscribed": True}, "continues": True})
                    for e in self.events:
                        self._send(conn, {"parameters": {"event": e}, "continues": True})
                    if self.close_stream:
                        return
                    continue
                reply = self.replies.get(method)
                if reply is None:
                    reply = {"error": "org.varlink.service.MethodNotFound",
                             "parameters": {"errno": 95, "message": f"no method '{method}'"}}
                self._send(conn, reply)

    def close(self):
        self.sock.close()
        os.unlink(self.path)


def ok(parameters):
    return {"parameters": parameters}


def error(name, errno, message, **extra):
    return {"error": name, "parameters": dict({"errno": errno, "message": message}, **extra)}
