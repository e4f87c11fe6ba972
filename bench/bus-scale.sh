#!/bin/bash
# Load time, unload time and memory of apsim.ko for a z16-sized machine
# (60 adapters x 85 domains = 5,100 queues) and for the maximum of ids
# (256 x 256 = 65,536 queues), each as a ratio against a baseline machine
# measured in the same VM: one z16 adapter (1 x 85 domains = 85 queues), so
# that a ratio near the queue ratio (60 for z16, 771 for max) means linear
# cost per queue. Not a test: it never fails on numbers.
#
# usage: bench/bus-scale.sh [--arch x86_64|s390x]   (default x86_64)
set -euo pipefail
arch=x86_64
[ "${1:-}" = --arch ] && arch=$2
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/bus-scale-bench.sh" <<'INNER'
# centiseconds since boot
now_cs() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}"; }
mem_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
measure() { # NAME MODULE-ARGS...
	name=$1; shift
	avail0=$(mem_kb MemAvailable); slab0=$(mem_kb Slab)
	t0=$(now_cs)
	insmod "$APCTL_MODDIR/apsim.ko" "$@" || fail "insmod $name"
	echo 1 >/sys/bus/ap/scans
	t1=$(now_cs)
	avail1=$(mem_kb MemAvailable); slab1=$(mem_kb Slab)
	queues=$(cut -d/ -f2 </sys/bus/ap/bindings | cut -d' ' -f1)
	t2=$(now_cs)
	rmmod apsim || fail "rmmod $name"
	t3=$(now_cs)
	echo "BENCH $name queues=$queues load_cs=$((t1 - t0)) unload_cs=$((t3 - t2))" \
	     "mem_kb=$((avail0 - avail1)) slab_kb=$((slab1 - slab0))"
}
measure baseline adapters=0:cex8:cca usage_domains=0-84 max_domain_id=84
measure z16 adapters=0-59:cex8:cca usage_domains=0-84 max_domain_id=84
measure max adapters=0-255:cex8:cca usage_domains=0-255
INNER

out=$("$top/tests/vm/run" --arch "$arch" --script "$tmp/bus-scale-bench.sh" --keep 2>&1) ||
	{ echo "$out" >&2; echo "bus-scale: the VM run failed" >&2; exit 1; }
kept=$(echo "$out" | sed -n 's/^.*kept \(.*\)$/\1/p' | tail -1)
[ -n "$kept" ] && [ -f "$kept/bus-scale-bench.out" ] ||
	{ echo "$out" >&2; echo "bus-scale: no output kept" >&2; exit 1; }
results=$(grep '^BENCH ' "$kept/bus-scale-bench.out")
rm -rf "$kept"

field() { echo "$results" | awk -v n="$1" -v f="$2" '$2 == n { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 1; printf "%.1f", a / b }'; }
echo "apsim.ko scale on $arch (TCG): ratios against the baseline (1 adapter x 85 domains) of the same run"
printf '%-9s %7s %10s %10s %10s %10s %9s %9s\n' config queues load_ms x_base unload_ms x_base mem_kB x_base
for n in baseline z16 max; do
	q=$(field $n queues); l=$(($(field $n load_cs) * 10)); u=$(($(field $n unload_cs) * 10))
	m=$(field $n mem_kb)
	printf '%-9s %7s %10s %10s %10s %10s %9s %9s\n' "$n" "$q" "$l" \
		"$(ratio "$(field $n load_cs)" "$(field baseline load_cs)")" "$u" \
		"$(ratio "$(field $n unload_cs)" "$(field baseline unload_cs)")" "$m" \
		"$(ratio "$m" "$(field baseline mem_kb)")"
done
