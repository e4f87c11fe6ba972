#!/bin/bash
# Speed of `apctl list --json` (and the table) for a z16-sized machine
# (60 adapters x 85 domains = 5,100 queues) served from apctld's model,
# as ratios against baselines measured in the same run: the same command
# against a 1-queue machine, and a bare Host.List call by a minimal Python
# client (the daemon and socket floor). The issue's goal, 10x faster than
# `lszcrypt -V`, needs the s390x VM (s390-tools); where lszcrypt exists
# here it is timed too. Not a test: it never fails on numbers.
#
# usage: bench/cli-list.sh [BUILD_DIR] [RUNS]   (default build-cli, 20)
#        bench/cli-list.sh --vm x86_64|s390x [RUNS]
# --vm: the same z16 machine on the simulated AP bus in a tests/vm VM, apctld
# on its sysfs backend, `apctl list --json` against the least a sysfs walk
# like `lszcrypt -V` must read (one cat of each card's and queue's type,
# hwtype, status and mode attributes), and against lszcrypt -V itself when
# the VM has it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = --vm ]; then
	arch=${2:?--vm needs x86_64 or s390x}
	runs=${3:-20}
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cat >"$tmp/cli-list-bench.sh" <<INNER
. /apctl/daemon-lib.sh
runs=$runs
INNER
	cat >>"$tmp/cli-list-bench.sh" <<'INNER'
now_cs() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}"; }
daemon_load_modules adapters=0-59:cex8:cca usage_domains=0-84 control_domains=0-84 max_domain_id=84
wait_for 600 daemon_bindings_complete
# daemon_start gives apctld 60 s; reading 5,100 queues under s390x TCG takes longer.
mkdir -p "$APCTLD_STATE" /run/apctl
apctld --log-target=stderr --state-dir="$APCTLD_STATE" --socket="$APCTLD_SOCKET" >>"$APCTLD_LOG" 2>&1 &
APCTLD_PID=$!
wait_for 1200 _daemon_answers
queues=$(apctl list --json | grep -o '"apqn"' | wc -l)
sysfs_walk() {
	cat /sys/bus/ap/devices/*/type /sys/bus/ap/devices/*/hwtype /sys/bus/ap/devices/*/online 		/sys/bus/ap/devices/*/config /sys/bus/ap/devices/*/chkstop /sys/bus/ap/devices/*/ap_functions 		>/dev/null 2>&1 || true
}
timed() { # NAME COMMAND...
	name=$1; shift
	t0=$(now_cs)
	i=0; while [ $i -lt $runs ]; do "$@" >/dev/null; i=$((i + 1)); done
	echo "BENCH $name queues=$queues runs=$runs cs=$(($(now_cs) - t0))"
}
timed apctl-json apctl list --json
timed apctl-table apctl list
timed sysfs-floor sysfs_walk
command -v lszcrypt >/dev/null && timed lszcrypt lszcrypt -V
daemon_stop
INNER
	out=$("$top/tests/vm/run" --arch "$arch" --script "$tmp/cli-list-bench.sh" --keep 2>&1) ||
		{ echo "$out" >&2; echo "cli-list: the VM run failed" >&2; exit 1; }
	kept=$(echo "$out" | sed -n 's/^.*kept \(.*\)$/\1/p' | tail -1)
	[ -n "$kept" ] && [ -f "$kept/cli-list-bench.out" ] ||
		{ echo "$out" >&2; echo "cli-list: no output kept" >&2; exit 1; }
	results=$(grep '^BENCH ' "$kept/cli-list-bench.out")
	rm -rf "$kept"
	cs() { echo "$results" | awk -v n="$1" '$2 == n { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "cs") print kv[2] } }'; }
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 1; printf "%.2f", a / b }'; }
	q=$(echo "$results" | sed -n '1s/.*queues=\([0-9]*\).*/\1/p')
	echo "apctl list in a $arch VM (TCG), z16 machine on apsim ($q queues), $runs runs each, one run"
	printf '%-40s %10s %22s\n' measurement ms/run "x apctl list --json"
	for n in apctl-json apctl-table sysfs-floor lszcrypt; do
		c=$(cs $n)
		[ -n "$c" ] || continue
		printf '%-40s %10s %22s\n' "$n" "$(ratio "$((c * 10))" "$runs")" "$(ratio "$c" "$(cs apctl-json)")"
	done
	[ -n "$(cs lszcrypt)" ] || echo "(no lszcrypt in this VM: sysfs-floor is the least lszcrypt -V reads)"
	exit 0
fi
build=${1:-$top/build-cli}
runs=${2:-20}
apctl=$build/cli/apctl
daemon=$build/daemon/apctld-test
[ -x "$apctl" ] && [ -x "$daemon" ] || { echo "cli-list: build $apctl and $daemon first" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Start apctld-test with SPEC on socket NAME; returns once it sent READY=1
# on a private NOTIFY_SOCKET (its socket listens from then on). The daemon
# is this script's child, so cleanup can kill and reap it.
start() { # NAME SPEC
	local line
	coproc WAITER { python3 -c '
import select, socket, sys
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(sys.argv[1])
print("bound", flush=True)
while True:
    if not select.select([notify], [], [], 30)[0]:
        sys.exit("no READY=1 within 30 s")
    if b"READY=1" in notify.recv(4096):
        print("ready", flush=True)
        break' "$tmp/$1.notify"; }
	read -r line <&"${WAITER[0]}"
	NOTIFY_SOCKET=$tmp/$1.notify "$daemon" --fake-kernel="$2" --socket "$tmp/$1.sock" \
		--state-dir "$tmp/$1.state" --runtime-dir "$tmp/$1.run" --admin-uid="$(id -u)" --log-target=stderr 2>"$tmp/$1.log" &
	pids+=($!)
	read -r line <&"${WAITER[0]}" || line=
	wait "$WAITER_PID" 2>/dev/null || true
	[ "$line" = ready ] || { echo "cli-list: apctld-test ($1) did not come up" >&2; cat "$tmp/$1.log" >&2; exit 1; }
}

z16=$(for a in $(seq 0 59); do printf '%d:14:0-84,' "$a"; done)
start z16 "${z16%,}"
start one "0:14:0-0"

# Milliseconds for RUNS runs of a command.
time_ms() { # COMMAND...
	local t0 t1
	t0=$(date +%s%N)
	for _ in $(seq "$runs"); do "$@" >/dev/null; done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

raw_call() { # SOCKET
	python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"{\"method\":\"io.apctl.Host.List\"}\0"); buf = b""
while not buf.endswith(b"\0"): buf += s.recv(1 << 20)
json.loads(buf[:-1])' "$1"
}

queues=$("$apctl" --socket "$tmp/z16.sock" list --json | grep -o '"apqn"' | wc -l)
json_ms=$(time_ms "$apctl" --socket "$tmp/z16.sock" list --json)
table_ms=$(time_ms "$apctl" --socket "$tmp/z16.sock" list)
matrix_ms=$(time_ms "$apctl" --socket "$tmp/z16.sock" matrix)
one_ms=$(time_ms "$apctl" --socket "$tmp/one.sock" list --json)
raw_ms=$(time_ms raw_call "$tmp/z16.sock")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 1; printf "%.2f", a / b }'; }
echo "apctl list on a z16-sized model ($queues queues), $runs runs each, same run baselines"
printf '%-34s %9s %14s %14s\n' measurement ms/run x_1-queue x_raw-call
for row in "list --json (z16):$json_ms" "list table (z16):$table_ms" "matrix (z16):$matrix_ms" \
	"list --json (1 queue):$one_ms" "raw Host.List, python (z16):$raw_ms"; do
	name=${row%:*}; ms=${row##*:}
	printf '%-34s %9s %14s %14s\n' "$name" "$(ratio "$ms" "$runs")" "$(ratio "$ms" "$one_ms")" \
		"$(ratio "$ms" "$raw_ms")"
done
if command -v lszcrypt >/dev/null; then
	lsz_ms=$(time_ms lszcrypt -V)
	echo "lszcrypt -V: $(ratio "$lsz_ms" "$runs") ms/run; apctl list --json is $(ratio "$lsz_ms" "$json_ms")x faster"
else
	echo "lszcrypt not installed here: the lszcrypt comparison runs in the s390x VM only"
fi
