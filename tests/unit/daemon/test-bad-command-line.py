#!/usr/bin/env python3
# apctld refuses a bad command line with exit status 2 and a message naming
# the option, and frees what it parsed before it gave up (regression: a bad
# --fake-kernel spec leaked the --socket/--state-dir copies; under
# LeakSanitizer that turns exit 2 into 23, which this test catches).
import subprocess
import sys
import tempfile

daemon = sys.argv[1]
cases = [
    (["--fake-kernel=5:13:"], "--fake-kernel"),
    (["--fake-kernel=0-59:13:0-84"], "--fake-kernel"),
    (["--admin-uid=nobody-at-all"], "--admin-uid"),
    (["--no-such-option"], "no-such-option"),
]
print(f"1..{len(cases)}")
failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for i, (extra, name) in enumerate(cases, 1):
        args = [daemon, "--socket", f"{tmp}/s", "--state-dir", f"{tmp}/st", "--runtime-dir", f"{tmp}/run"] + extra
        p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        ok = p.returncode == 2 and name in p.stderr
        if not ok:
            failed += 1
        print(f"{'ok' if ok else 'not ok'} {i} - {' '.join(extra)}: exit {p.returncode}")
        if not ok:
            for line in p.stderr.splitlines()[:20]:
                print(f"#   {line}")
sys.exit(1 if failed else 0)
