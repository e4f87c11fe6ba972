# Stress: for STRESS_SECS (>= 60) seconds, processes concurrently assign and
# unassign adapters/domains/control domains and write ap_config on three
# mdevs, create/assign/remove a fourth, write apmask/aqmask (refused by
# in_use as often as not), unbind and rebind vfio_ap queues, add and remove
# an adapter and a domain in the host config with forced scans, attach and
# detach guests, enable and disable their interrupts, and read every view.
# Only the errnos the ABI documents for these races are accepted. At the end
# (the harness adds: no hang with hung-task detection on, no WARN, no lock
# order report) these invariants hold: no APQN in two mdevs; every attached
# guest's masks equal its mdev's filtered matrix, which lies within the
# assigned one; every APQN reserved for the host is bound to the default
# driver and no other is.
STRESS_SECS=60
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
C=/sys/kernel/debug/vfio_ap_sim
APSIM=/sys/kernel/debug/apsim/control
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
U3=33333333-3333-4333-8333-333333333333
U4=44444444-4444-4444-8444-444444444444
ERR=/tmp/stress.unexpected

# try WHAT FILE VALUE ALLOWED...: one write; record it if its result is
# not one of ALLOWED (OK or errno names).
try() {
	_what=$1 _file=$2 _val=$3
	shift 3
	_got=$(sysfs-write "$_file" "$_val" 2>/dev/null) || true
	for _ok in "$@"; do
		[ "$_got" = "$_ok" ] && return 0
	done
	echo "$_what: write '$_val' to $_file: $_got" >> $ERR
}
# rnd N: a pseudo-random number 0..N-1 (per-process LCG; busybox has no $RANDOM everywhere)
rnd() {
	seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
	echo $(( (seed / 65536) % $1 ))
}
running() { [ "$(date +%s)" -lt "$end" ]; }
masks="0x3000000000000000000000000000000000000000000000000000000000000000
0x0c00000000000000000000000000000000000000000000000000000000000000
0x0300000000000000000000000000000000000000000000000000000000000000
0x0000000000000000000000000000000000000000000000000000000000000000"
pick_mask() {
	echo "$masks" | sed -n "$(( $(rnd 4) + 1 ))p"
}

assigner() {    # MDEV SEED
	seed=$2 n=0
	while running; do
		id=$(( $(rnd 8) + 2 ))
		case $(rnd 7) in
		0) try assign $M/$1/assign_adapter $id OK EADDRINUSE EADDRNOTAVAIL ;;
		1) try assign $M/$1/assign_domain $id OK EADDRINUSE EADDRNOTAVAIL ;;
		2) try unassign $M/$1/unassign_adapter $id OK ;;
		3) try unassign $M/$1/unassign_domain $id OK ;;
		4) try cdom $M/$1/assign_control_domain $id OK ;;
		5) try cdom $M/$1/unassign_control_domain $id OK ;;
		6) try ap_config $M/$1/ap_config "$(pick_mask),$(pick_mask),$(pick_mask)" \
			OK EADDRINUSE EADDRNOTAVAIL ;;
		esac
		n=$((n + 1))
	done
	echo "assigner $1: $n operations"
}

masker() {
	seed=7 n=0
	while running; do
		id=$(( $(rnd 8) + 2 ))
		case $(rnd 4) in
		0) try apmask /sys/bus/ap/apmask "+$id" OK EBUSY ;;
		1) try apmask /sys/bus/ap/apmask "-$id" OK ;;
		2) try aqmask /sys/bus/ap/aqmask "+$id" OK EBUSY ;;
		3) try aqmask /sys/bus/ap/aqmask "-$id" OK ;;
		esac
		n=$((n + 1))
	done
	echo "masker: $n operations"
}

binder() {
	seed=11 n=0
	while running; do
		q=$(ls /sys/bus/ap/drivers/vfio_ap 2>/dev/null | grep '^[0-9a-f][0-9a-f]\.' | head -n $(( $(rnd 4) + 1 )) | tail -n 1)
		if [ -n "$q" ]; then
			try unbind /sys/bus/ap/drivers/vfio_ap/unbind "$q" OK ENODEV
			try bind /sys/bus/ap/drivers/vfio_ap/bind "$q" OK ENODEV EBUSY
		fi
		n=$((n + 1))
	done
	echo "binder: $n operations"
}

hostcfg() {
	seed=13 n=0
	while running; do
		case $(rnd 4) in
		0) sysfs-write $APSIM "add-adapter 10 cex8 cca" > /dev/null || true ;;
		1) sysfs-write $APSIM "remove-adapter 10" > /dev/null || true ;;
		2) sysfs-write $APSIM "add-usage-domain 9" > /dev/null || true ;;
		3) sysfs-write $APSIM "remove-usage-domain 9" > /dev/null || true ;;
		esac
		try scans /sys/bus/ap/scans 1 OK
		n=$((n + 1))
	done
	echo "hostcfg: $n operations"
}

guests() {
	seed=17 n=0
	while running; do
		g=g$(( $(rnd 3) + 1 ))
		case $(rnd 4) in
		0) case $g in g1) u=$U1 ;; g2) u=$U2 ;; g3) u=$U4 ;; esac
		   try attach $C/guests/$g/attach $u OK EBUSY EPERM ENODEV ;;
		1) try detach $C/guests/$g/detach 1 OK ENODEV ;;
		2) try aqic $C/guests/$g/aqic "0$(( $(rnd 8) + 2 )).000$(( $(rnd 8) + 2 )) 1" OK EIO ENODEV ;;
		3) try aqic $C/guests/$g/aqic "0$(( $(rnd 8) + 2 )).000$(( $(rnd 8) + 2 )) 0" OK EIO ENODEV ;;
		esac
		n=$((n + 1))
	done
	# let a remove blocked on one of our guests finish
	for g in g1 g2 g3; do
		try detach $C/guests/$g/detach 1 OK ENODEV
	done
	echo "guests: $n operations"
}

mdev_cycler() {
	seed=19 n=0
	while running; do
		try create $T/create $U4 OK
		try assign $M/$U4/assign_adapter $(( $(rnd 8) + 2 )) OK EADDRINUSE EADDRNOTAVAIL
		try assign $M/$U4/assign_domain $(( $(rnd 8) + 2 )) OK EADDRINUSE EADDRNOTAVAIL
		# blocks while g3 holds it, until the guests worker detaches g3
		try remove $M/$U4/remove 1 OK
		n=$((n + 1))
	done
	echo "mdev cycler: $n create/remove cycles"
}

reader() {
	n=0
	while running; do
		cat $M/*/matrix $M/*/guest_matrix $M/*/ap_config $M/*/control_domains > /dev/null 2>&1 || true
		cat /sys/bus/ap/drivers/vfio_ap/*/status > /dev/null 2>&1 || true
		matrix-nl dump > /dev/null || echo "netlink dump failed" >> $ERR
		n=$((n + 1))
	done
	echo "reader: $n rounds"
}

# hex digit subset check: every bit of $1 is in $2 (same-length masks)
mask_subset() {
	_a=${1#0x} _b=${2#0x}
	while [ -n "$_a" ]; do
		_x=$((0x${_a%"${_a#?}"})) _y=$((0x${_b%"${_b#?}"}))
		[ $((_x & ~_y)) -eq 0 ] || return 1
		_a=${_a#?} _b=${_b#?}
	done
}
mask_has() {    # MASK ID: bit ID (leftmost 0) set
	_x=$((0x$(echo "${1#0x}" | cut -c$(($2 / 4 + 1)))))
	[ $((_x & (8 >> ($2 % 4)))) -ne 0 ]
}

load_apctl_modules
: > $ERR
expect_write_ok /sys/bus/ap/apmask "-2-9"
expect_write_ok /sys/bus/ap/aqmask "-2-9"
for u in $U1 $U2 $U3; do
	expect_write_ok $T/create $u
done
for g in g1 g2 g3; do
	expect_write_ok $C/guest_create $g
done

note "stress for $STRESS_SECS s"
end=$(( $(date +%s) + STRESS_SECS ))
assigner $U1 1 > /tmp/w1 &
assigner $U2 2 > /tmp/w2 &
assigner $U3 3 > /tmp/w3 &
masker > /tmp/w4 &
binder > /tmp/w5 &
hostcfg > /tmp/w6 &
guests > /tmp/w7 &
mdev_cycler > /tmp/w8 &
reader > /tmp/w9 &
wait
cat /tmp/w[1-9]
[ ! -s $ERR ] || fail "unexpected results: $(sort $ERR | uniq -c | head -n 20)"

note "settle: host config restored, forced scan"
sysfs-write $APSIM "remove-adapter 10" > /dev/null || true
sysfs-write $APSIM "add-usage-domain 9" > /dev/null || true
expect_write_ok /sys/bus/ap/scans 1

note "invariant: no APQN in two mdevs"
dups=$(cat $M/*/matrix | grep -E '^[0-9a-f]{2}\.[0-9a-f]{4}$' | sort | uniq -d)
[ -z "$dups" ] || fail "APQNs in two mdevs: $dups"

note "invariant: guests have exactly their mdev's filtered matrix, within the assigned one"
matrix-nl dump > /tmp/dump
while read -r _ uuid assigned shadow guest gmasks; do
	a_apm=${assigned%%,*} a_rest=${assigned#*,}
	s_apm=${shadow%%,*} s_rest=${shadow#*,}
	mask_subset "$s_apm" "$a_apm" || fail "$uuid: guest_matrix adapters $s_apm not within $a_apm"
	mask_subset "${s_rest%%,*}" "${a_rest%%,*}" || fail "$uuid: guest_matrix domains not within assigned"
	mask_subset "${s_rest#*,}" "${a_rest#*,}" || fail "$uuid: guest_matrix control domains not within assigned"
	if [ -n "$guest" ]; then
		expect_eq "$gmasks" "$shadow" "guest $guest of $uuid"
		expect_file_eq $C/guests/$guest/apcb "$shadow"
	fi
done < /tmp/dump

note "invariant: the host's APQNs are bound to the default driver, no others"
apmask=$(cat /sys/bus/ap/apmask) aqmask=$(cat /sys/bus/ap/aqmask)
for q in /sys/bus/ap/devices/*.*; do
	q=${q##*/}
	a=$((0x${q%.*})) d=$((0x${q#*.}))
	drv=$(basename "$(readlink /sys/bus/ap/devices/$q/driver 2>/dev/null)" 2>/dev/null || true)
	if mask_has "$apmask" $a && mask_has "$aqmask" $d; then
		expect_eq "$drv" cex4queue "driver of host queue $q"
	else
		[ "$drv" != cex4queue ] || fail "queue $q is not reserved for the host but bound to cex4queue"
	fi
done

note "everything can be taken apart"
for g in g1 g2 g3; do
	sysfs-write $C/guests/$g/detach 1 > /dev/null || true
	expect_write_ok $C/guest_destroy $g
done
for u in $U1 $U2 $U3 $U4; do
	[ ! -e $M/$u ] || expect_write_ok $M/$u/remove 1
done
