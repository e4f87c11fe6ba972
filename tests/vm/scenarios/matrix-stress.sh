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
MDEVS="$M/*-*-*-*-*"

# try WHAT FILE VALUE ALLOWED...: one write by the shell's own echo (no
# fork: under TCG a fork per operation would leave little stress); record
# it if its result is not one of ALLOWED (OK or errno names). $ETMP is the
# worker's own file for the shell's error message.
try() {
	_what=$1 _file=$2 _val=$3
	shift 3
	if { echo "$_val" > "$_file"; } 2> "$ETMP"; then
		_got=OK
	else
		_line=
		read -r _line < "$ETMP" || true
		case $_line in
		*"No such device or address"*) _got=ENXIO ;;
		*"Resource temporarily unavailable"*) _got=EAGAIN ;;
		*"Address already in use"*) _got=EADDRINUSE ;;
		*"Cannot assign requested address"*) _got=EADDRNOTAVAIL ;;
		*"Device or resource busy"*) _got=EBUSY ;;
		*"No such device"*) _got=ENODEV ;;
		*"Operation not permitted"*) _got=EPERM ;;
		*"Input/output error"*) _got=EIO ;;
		*"Invalid argument"*) _got=EINVAL ;;
		*"No such file or directory"*) _got=ENOENT ;;
		*"File exists"*) _got=EEXIST ;;
		*) _got="?$_line" ;;
		esac
	fi
	[ "$_got" = OK ] || echo "$_what $_got" >> "$ETMP.refused"
	for _ok in "$@"; do
		[ "$_got" = "$_ok" ] && return 0
	done
	echo "$_what: write '$_val' to $_file: $_got" >> $ERR
}
# rnd N: R = a pseudo-random number 0..N-1 (per-worker LCG, no fork)
rnd() {
	seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
	R=$(( (seed / 65536) % $1 ))
}
# running: before the deadline (seconds of uptime; no fork)
running() {
	read -r _up _ < /proc/uptime
	[ "${_up%.*}" -lt "$end" ]
}
pick_mask() {   # MASK = one of four adapter/domain masks
	rnd 4
	case $R in
	0) MASK=0x3000000000000000000000000000000000000000000000000000000000000000 ;;
	1) MASK=0x0c00000000000000000000000000000000000000000000000000000000000000 ;;
	2) MASK=0x0300000000000000000000000000000000000000000000000000000000000000 ;;
	*) MASK=0x0000000000000000000000000000000000000000000000000000000000000000 ;;
	esac
}

assigner() {    # MDEV SEED
	seed=$2 n=0 ETMP=/tmp/e.assigner$2
	while running; do
		rnd 8; id=$((R + 2))
		rnd 7
		case $R in
		0) try assign $M/$1/assign_adapter $id OK EADDRINUSE EADDRNOTAVAIL ;;
		1) try assign $M/$1/assign_domain $id OK EADDRINUSE EADDRNOTAVAIL ;;
		2) try unassign $M/$1/unassign_adapter $id OK ;;
		3) try unassign $M/$1/unassign_domain $id OK ;;
		4) try cdom $M/$1/assign_control_domain $id OK ;;
		5) try cdom $M/$1/unassign_control_domain $id OK ;;
		6) pick_mask; m1=$MASK; pick_mask; m2=$MASK; pick_mask
		   try ap_config $M/$1/ap_config "$m1,$m2,$MASK" OK EADDRINUSE EADDRNOTAVAIL ;;
		esac
		n=$((n + 1))
	done
	echo "assigner $1: $n operations"
}

masker() {
	seed=7 n=0 ETMP=/tmp/e.masker
	while running; do
		rnd 8; id=$((R + 2))
		rnd 4
		case $R in
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
	seed=11 n=0 ETMP=/tmp/e.binder
	while running; do
		rnd 16
		i=0 q=
		for f in /sys/bus/ap/drivers/vfio_ap/??.????; do
			[ -e "$f" ] || continue
			q=${f##*/}
			[ $i -ge $R ] && break
			i=$((i + 1))
		done
		if [ -n "$q" ]; then
			try unbind /sys/bus/ap/drivers/vfio_ap/unbind "$q" OK ENODEV
			# EAGAIN: the queue was removed and is being added again by a
			# scan (hostcfg); the bind found the new device before
			# device_add() made it ready to probe, and the driver core
			# answers that with -EPROBE_DEFER -> -EAGAIN, then probes the
			# device itself (kernel/README.md, "bind can answer EAGAIN")
			try bind /sys/bus/ap/drivers/vfio_ap/bind "$q" OK ENODEV EBUSY EAGAIN
		fi
		n=$((n + 1))
	done
	echo "binder: $n operations"
}

hostcfg() {
	seed=13 n=0 ETMP=/tmp/e.hostcfg
	while running; do
		rnd 4
		# the bus's control refuses what is already so: any result is fine
		case $R in
		0) try hw $APSIM "add-adapter 10 cex8 cca" OK EEXIST EINVAL ENOENT ENODEV ;;
		1) try hw $APSIM "remove-adapter 10" OK EEXIST EINVAL ENOENT ENODEV ;;
		2) try hw $APSIM "add-usage-domain 9" OK EEXIST EINVAL ENOENT ENODEV ;;
		3) try hw $APSIM "remove-usage-domain 9" OK EEXIST EINVAL ENOENT ENODEV ;;
		esac
		try scans /sys/bus/ap/scans 1 OK
		n=$((n + 1))
	done
	echo "hostcfg: $n operations"
}

guests() {
	seed=17 n=0 ETMP=/tmp/e.guests
	while running; do
		rnd 3; g=g$((R + 1))
		rnd 8; a=$((R + 2))
		rnd 8; d=$((R + 2))
		rnd 4
		case $R in
		0) case $g in g1) u=$U1 ;; g2) u=$U2 ;; g3) u=$U4 ;; esac
		   try attach $C/guests/$g/attach $u OK EBUSY EPERM ENODEV ;;
		1) try detach $C/guests/$g/detach 1 OK ENODEV ;;
		2) try aqic $C/guests/$g/aqic "0$a.000$d 1" OK EIO ENODEV ;;
		3) try aqic $C/guests/$g/aqic "0$a.000$d 0" OK EIO ENODEV ;;
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
	seed=19 n=0 ETMP=/tmp/e.cycler
	while running; do
		try create $T/create $U4 OK
		rnd 8; try assign $M/$U4/assign_adapter $((R + 2)) OK EADDRINUSE EADDRNOTAVAIL
		rnd 8; try assign $M/$U4/assign_domain $((R + 2)) OK EADDRINUSE EADDRNOTAVAIL
		# blocks while g3 holds it, until the guests worker detaches g3
		try remove $M/$U4/remove 1 OK
		n=$((n + 1))
	done
	echo "mdev cycler: $n create/remove cycles"
}

reader() {
	n=0
	while running; do
		cat $MDEVS/matrix $MDEVS/guest_matrix $MDEVS/ap_config $MDEVS/control_domains > /dev/null 2>&1 || true
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
read -r up _ < /proc/uptime
end=$(( ${up%.*} + STRESS_SECS ))
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
echo "refused writes (expected under contention):"
cat /tmp/e.*.refused 2>/dev/null | sort | uniq -c
[ ! -s $ERR ] || fail "unexpected results: $(sort $ERR | uniq -c | head -n 20)"

note "settle: host config restored, forced scan"
sysfs-write $APSIM "remove-adapter 10" > /dev/null || true
sysfs-write $APSIM "add-usage-domain 9" > /dev/null || true
expect_write_ok /sys/bus/ap/scans 1

note "invariant: no APQN in two mdevs"
# shellcheck disable=SC2086
dups=$(cat $MDEVS/matrix | grep -E '^[0-9a-f]{2}\.[0-9a-f]{4}$' | sort | uniq -d)
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
