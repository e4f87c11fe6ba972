# SPDX-License-Identifier: LGPL-2.1-or-later
"""
Shared by the hook and callout tests: TAP output, and apctld-test (the real
daemon on its in-memory fake kernel) started in a temporary directory,
waited for through sd_notify READY=1, and called over its socket.
"""
import json
import os
import select
import socket
import subprocess
import sys

TIMEOUT = 20.0
# Cards: 5 (CEX7, domains 0-15), 6 (CEX6, 0-15), 7 (CEX3, 0-3).
FAKE_KERNEL = "5:13:0-15,6:12:0-15,7:9:0-3"


class Tap:
    def __init__(self):
        self.n = 0
        self.failures = 0

    def check(self, cond, what, detail=""):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {what}", flush=True)
        if not cond:
            self.failures += 1
            for line in str(detail).splitlines():
                print(f"# {line}", flush=True)
        return cond

    def finish(self):
        print(f"1..{self.n}")
        sys.exit(1 if self.failures else 0)


class Daemon:
    def __init__(self, binary, tmp, wrapper=(), args=None):
        """wrapper: a command line to run the daemon under (strace); args replace the fake kernel."""
        self.sock = os.path.join(tmp, "apctld.sock")
        notify_path = os.path.join(tmp, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        self.log = open(os.path.join(tmp, "apctld.log"), "w+")
        if args is None:
            args = [f"--fake-kernel={FAKE_KERNEL}"]
        self.proc = subprocess.Popen([*wrapper, binary, *args, "--socket", self.sock,
                                      "--state-dir", os.path.join(tmp, "state"),
                                      "--runtime-dir", os.path.join(tmp, "run"), "--log-target=stderr"],
                                     env=dict(os.environ, NOTIFY_SOCKET=notify_path), stderr=self.log)
        pidfd = os.pidfd_open(self.proc.pid)
        try:
            while True:
                ready, _, _ = select.select([notify, pidfd], [], [], TIMEOUT)
                if not ready:
                    raise RuntimeError("apctld-test did not send READY=1 in time")
                if pidfd in ready:
                    raise RuntimeError(f"apctld-test exited: {self.proc.wait()}")
                if b"READY=1" in notify.recv(4096):
                    break
        finally:
            os.close(pidfd)
            notify.close()

    def call(self, method, parameters=None):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(self.sock)
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

    def ok(self, method, parameters=None):
        reply = self.call(method, parameters)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply}")
        return reply["parameters"]

    def guest(self, name):
        return self.ok("io.apctl.Guest.Show", {"name": name})

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=TIMEOUT)
        self.log.seek(0)
        return self.log.read()


class FakeDaemon:
    """apctld's framing on a socket, with canned replies per method (a list is used up in order); records calls."""

    def __init__(self, path, replies, silent=False):
        import threading
        self.path = path
        self.replies = replies
        self.silent = silent
        self.calls = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        import threading
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

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
                reply = self.replies.get(call["method"])
                if isinstance(reply, list):
                    reply = reply.pop(0) if reply else None
                if reply is None:
                    reply = {"error": "org.varlink.service.MethodNotFound",
                             "parameters": {"errno": 95, "message": f"no method '{call['method']}'"}}
                conn.sendall(json.dumps(reply).encode() + b"\0")

    def methods(self):
        return [(c["method"], c.get("parameters", {}).get("name")) for c in self.calls]

    def close(self):
        self.sock.close()
        os.unlink(self.path)
