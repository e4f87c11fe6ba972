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
# A second part (--idle-only runs just that one) measures the same pairs in
# one VM with 1 and with 50 other mdevs, interleaved round by round (the 49
# extra mdevs are created before and removed after each "50" round), and
# prints the ratio: each other mdev holds a real adapter with its 85 bound
# queues and is attached to a running guest of its own. The other guests'
# update count during the pairs is printed too: it must stay 0.
#
# usage: bench/matrix-assign.sh [--arch x86_64|s390x] [--idle-only] [N]
#        (default x86_64, 10000)
set -euo pipefail
arch=x86_64 parts="adapters idle"
if [ "${1:-}" = --arch ]; then arch=$2; shift 2; fi
if [ "${1:-}" = --idle-only ]; then parts=idle; shift; fi
n=${1:-10000}
case $n in ''|*[!0-9]*) echo "matrix-assign: N must be a number" >&2; exit 2 ;; esac
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

{
echo "N=$n PARTS='$parts'"
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
# other_mdev I: mdev I (1..), adapter 3+I with all domains, attached to
# guest gI; other_mdev_gone I undoes it.
other_uuid() { printf '%08x-0000-4000-8000-0000000000aa' "$1"; }
other_mdev() {
	u=$(other_uuid "$1")
	echo "$u" > $T/create
	echo "$(mask_of $((3 + $1)) $((3 + $1))),$(mask_of 0 84),0x0" > $M/$u/ap_config
	[ -d $C/guests/g$1 ] || echo "g$1" > $C/guest_create
	echo "$u" > $C/guests/g$1/attach
}
other_mdev_gone() {
	echo 1 > $C/guests/g$1/detach
	echo 1 > $M/$(other_uuid "$1")/remove
}
# measure_pairs: OP (ns per write of the pairs on adapter 3) and OTHERS (the
# other guests' updates meanwhile, summed over g1..g$1)
measure_pairs() {
	before=0 after=0 i=1
	while [ $i -le "$1" ]; do before=$((before + $(cat $C/guests/g$i/notifications))); i=$((i + 1)); done
	OP=$(matrix-bench "$N" $M/$U/assign_adapter 3 $M/$U/unassign_adapter 3) || fail "pairs: $OP"
	i=1
	while [ $i -le "$1" ]; do after=$((after + $(cat $C/guests/g$i/notifications))); i=$((i + 1)); done
	OTHERS=$((after - before))
}
measure_idle() { # MANY ROUNDS
	many=$1 rounds=$2
	insmod "$APCTL_MODDIR/apsim.ko" adapters=0-59:cex8:cca usage_domains=0-84 \
		max_domain_id=84 || fail "insmod apsim"
	load_apctl_modules
	echo "reset-delay-ms 0" > /sys/kernel/debug/apsim/control
	echo 0x0 > /sys/bus/ap/apmask
	wait_for 120 test -e /sys/bus/ap/drivers/vfio_ap/3b.0054
	echo "$U" > $T/create
	echo "$(mask_of 0 2),$(mask_of 0 84),0x0" > $M/$U/ap_config
	echo bench > $C/guest_create
	echo "$U" > $C/guests/bench/attach
	other_mdev 1
	one= lots= one_others=0 lots_others=0 r=0
	while [ $r -lt "$rounds" ]; do
		measure_pairs 1
		[ -z "$one" ] || [ "$OP" -lt "$one" ] && one=$OP
		one_others=$((one_others + OTHERS))
		i=2
		while [ $i -le "$many" ]; do other_mdev $i; i=$((i + 1)); done
		measure_pairs "$many"
		[ -z "$lots" ] || [ "$OP" -lt "$lots" ] && lots=$OP
		lots_others=$((lots_others + OTHERS))
		i=2
		while [ $i -le "$many" ]; do other_mdev_gone $i; i=$((i + 1)); done
		r=$((r + 1))
	done
	echo "IDLE others_few=1 others_many=$many rounds=$rounds few_ns=$one many_ns=$lots" \
		"few_other_updates=$one_others many_other_updates=$lots_others" \
		"guest_updates=$(cat $C/guests/bench/notifications)"
	echo 1 > $C/guests/bench/detach
	other_mdev_gone 1
	unload_apctl_modules || fail "unload"
}
case " $PARTS " in *" adapters "*)
	measure 4 0
	measure 60 0
	measure 4 100
	measure 60 100
esac
case " $PARTS " in *" idle "*) measure_idle 50 5 ;; esac
INNER
} >"$tmp/matrix-assign-bench.sh"

out=$(APCTL_VM_TIMEOUT=${APCTL_VM_TIMEOUT:-1800} "$top/tests/vm/run" --arch "$arch" \
	--script "$tmp/matrix-assign-bench.sh" --keep 2>&1) ||
	{ echo "$out" >&2; echo "matrix-assign: the VM run failed" >&2; exit 1; }
kept=$(echo "$out" | sed -n 's/^.*kept \(.*\)$/\1/p' | tail -1)
[ -n "$kept" ] && [ -f "$kept/matrix-assign-bench.out" ] ||
	{ echo "$out" >&2; echo "matrix-assign: no output kept" >&2; exit 1; }
results=$(grep '^BENCH ' "$kept/matrix-assign-bench.out" || true)
idle=$(grep '^IDLE ' "$kept/matrix-assign-bench.out" || true)
rm -rf "$kept"

if [ -n "$results" ]; then
echo "vfio_ap_sim hot plug on $arch (TCG), $n assign+unassign pairs per line;"
echo "x_floor = ns per write / ns per trivial write of the same module, same VM"
printf '%-9s %6s %10s %10s %8s %14s\n' adapters mdevs floor_ns write_ns x_floor guest_updates
echo "$results" | awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "%-9s %6s %10s %10s %8.1f %14s\n", v["adapters"], v["mdevs"], v["floor_ns"], v["op_ns"],
		v["op_ns"] / (v["floor_ns"] > 0 ? v["floor_ns"] : 1), v["guest_updates"] }'
echo
fi
if [ -n "$idle" ]; then
echo "the same pairs (4 adapters on the mdev) with 1 vs 50 other mdevs, each with an"
echo "adapter's 85 bound queues and a running guest; best of interleaved rounds, same VM"
echo "(x_1 = ns with 50 / ns with 1; guest_updates: the measured guest's, proof of work;"
echo "other_guest_updates: the other guests' during the pairs, with 1 / with 50, must be 0/0)"
printf '%-10s %10s %10s %8s %14s %20s\n' others ns_1 ns_50 x_1 guest_updates other_guest_updates
echo "$idle" | awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "%-10s %10s %10s %8.2f %14s %20s\n", v["others_few"] " vs " v["others_many"], v["few_ns"],
		v["many_ns"], v["many_ns"] / (v["few_ns"] > 0 ? v["few_ns"] : 1), v["guest_updates"],
		v["few_other_updates"] "/" v["many_other_updates"] }'
fi
