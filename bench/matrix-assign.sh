#!/bin/bash
# Speed of hot plug on an attached mdev (vfio_ap_sim.ko), on a z16-sized
# machine (60 CEX8 adapters x 85 domains): N assign_adapter/unassign_adapter
# pairs of one adapter on an mdev that has K-1 other adapters and all 85
# domains and is attached to a guest (every write re-filters, updates the
# guest, and every unassign resets the adapter's 85 queues), reported as a
# ratio against the floor measured in the same VM: a trivial write of the
# same module (unassign_control_domain of an id never assigned: parse,
# locks, nothing to do). Configurations: K = 4 and 60 adapters, each with 0
# and 100 other mdevs (each with its own 85 APQNs, not involved): the cost
# must not grow with the mdevs that are not involved. Not a test: it never
# fails on numbers. Each figure is the fastest of three interleaved rounds.
#
# usage: bench/matrix-assign.sh [--arch x86_64|s390x] [N]   (default x86_64, 10000)
set -euo pipefail
arch=x86_64
if [ "${1:-}" = --arch ]; then arch=$2; shift 2; fi
n=${1:-10000}
case $n in ''|*[!0-9]*) echo "matrix-assign: N must be a number" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

{
echo "N=$n"
cat <<'INNER'
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
C=/sys/kernel/debug/vfio_ap_sim
U=11111111-1111-4111-8111-111111111111
# mask_of FIRST LAST: ids FIRST..LAST set, in the kernel's mask format
mask_of() {
	awk -v f="$1" -v l="$2" 'BEGIN { s = "0x"; for (d = 0; d < 64; d++) { v = 0;
		for (b = 0; b < 4; b++) { id = d * 4 + b; if (id >= f && id <= l) v += 2 ^ (3 - b) }
		s = s sprintf("%x", v) } print s }'
}
measure() { # K OTHER_MDEVS
	k=$1 others=$2
	insmod "$APCTL_MODDIR/apsim.ko" adapters=0-59:cex8:cca usage_domains=0-84 \
		max_domain_id=84 || fail "insmod apsim"
	load_apctl_modules
	echo "reset-delay-ms 0" > /sys/kernel/debug/apsim/control
	echo 0x0 > /sys/bus/ap/apmask
	wait_for 120 test -e /sys/bus/ap/drivers/vfio_ap/3b.0054
	echo "$U" > $T/create
	echo "$(mask_of 0 $((k - 2))),$(mask_of 0 84),0x0" > $M/$U/ap_config
	echo bench > $C/guest_create
	echo "$U" > $C/guests/bench/attach
	i=0
	while [ $i -lt "$others" ]; do
		u=$(printf '%08x-0000-4000-8000-000000000000' $((i + 1)))
		echo "$u" > $T/create
		echo "$(mask_of $((100 + i)) $((100 + i))),$(mask_of 0 84),0x0" > $M/$u/ap_config
		i=$((i + 1))
	done
	# three rounds each, interleaved; the fastest round of each counts, so
	# that a round preempted by the host (TCG) does not skew the ratio
	floor= op= r=0
	while [ $r -lt 3 ]; do
		f=$(matrix-bench "$N" $M/$U/unassign_control_domain 84) || fail "floor: $f"
		o=$(matrix-bench "$N" $M/$U/assign_adapter $((k - 1)) $M/$U/unassign_adapter $((k - 1))) ||
			fail "assign/unassign: $o"
		[ -z "$floor" ] || [ "$f" -lt "$floor" ] && floor=$f
		[ -z "$op" ] || [ "$o" -lt "$op" ] && op=$o
		r=$((r + 1))
	done
	# proof of work: every assign and unassign changed the guest
	echo "BENCH adapters=$k mdevs=$((others + 1)) floor_ns=$floor op_ns=$op" \
		"guest_updates=$(cat $C/guests/bench/notifications)"
	echo 1 > $C/guests/bench/detach
	unload_apctl_modules || fail "unload"
}
measure 4 0
measure 60 0
measure 4 100
measure 60 100
INNER
} >"$tmp/matrix-assign-bench.sh"

out=$(APCTL_VM_TIMEOUT=${APCTL_VM_TIMEOUT:-1800} "$top/tests/vm/run" --arch "$arch" \
	--script "$tmp/matrix-assign-bench.sh" --keep 2>&1) ||
	{ echo "$out" >&2; echo "matrix-assign: the VM run failed" >&2; exit 1; }
kept=$(echo "$out" | sed -n 's/^.*kept \(.*\)$/\1/p' | tail -1)
[ -n "$kept" ] && [ -f "$kept/matrix-assign-bench.out" ] ||
	{ echo "$out" >&2; echo "matrix-assign: no output kept" >&2; exit 1; }
results=$(grep '^BENCH ' "$kept/matrix-assign-bench.out")
rm -rf "$kept"

echo "vfio_ap_sim hot plug on $arch (TCG), $n assign+unassign pairs per line;"
echo "x_floor = ns per write / ns per trivial write of the same module, same VM"
printf '%-9s %6s %10s %10s %8s %14s\n' adapters mdevs floor_ns write_ns x_floor guest_updates
echo "$results" | awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "%-9s %6s %10s %10s %8.1f %14s\n", v["adapters"], v["mdevs"], v["floor_ns"], v["op_ns"],
		v["op_ns"] / (v["floor_ns"] > 0 ? v["floor_ns"] : 1), v["guest_updates"] }'
