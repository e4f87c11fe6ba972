# Hot plug and unplug as a running guest sees them (kernel-abi.md §4.3,
# §4.4), asserted from the simulated guest's history of configuration
# updates: attach, assign/unassign while attached, unbinding one queue
# (its whole adapter leaves), over-provisioning plugged in when the host
# config gains the adapter and unplugged when it loses it, a failed reset
# filtering its adapter, detach, and mdev remove blocking until the guest
# lets go, with request notifications. Guests attach through the control
# interface (the same on both arches).
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
C=/sys/kernel/debug/vfio_ap_sim
APSIM=/sys/kernel/debug/apsim/control
U1=11111111-1111-4111-8111-111111111111
G=$C/guests/g1

# mask ID...: the kernel's mask format, id 0 leftmost.
mask() {
	_m= _i=0
	while [ $_i -lt 64 ]; do
		_v=0
		for _id in "$@"; do
			[ $((_id / 4)) -eq $_i ] && _v=$((_v | (8 >> (_id % 4))))
		done
		_m=$_m$(printf %x $_v)
		_i=$((_i + 1))
	done
	echo "0x$_m"
}
# apcb "APIDS" "APQIS" "ADMS": the guest's expected APCB line.
apcb() {
	# shellcheck disable=SC2086
	echo "$(mask $1),$(mask $2),$(mask $3)"
}
last_update() { tail -n 1 $G/history; }
updates() { wc -l < $G/history | tr -d ' '; }
# for wait_for, which runs its command again each time: no $(...) there
updates_are() { [ "$(updates)" = "$1" ]; }
requests_at_least() { [ "$(cat $G/requests)" -ge "$1" ]; }
# expect_update N APCB: the guest saw exactly N updates, the last one APCB.
expect_update() {
	expect_eq "$(updates)" "$1" "number of guest updates"
	expect_eq "$(last_update)" "$(($1 - 1)) $2" "last guest update"
	expect_file_eq $G/apcb "$2"
}

load_apctl_modules
expect_write_ok /sys/bus/ap/apmask "-4,-5,-9"
expect_write_ok /sys/bus/ap/aqmask "-4,-5"
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/05.0005
expect_write_ok $T/create $U1
expect_write_ok $M/$U1/assign_adapter 4
expect_write_ok $M/$U1/assign_domain 4

note "guest create and attach: one update with the filtered matrix"
expect_write_err EINVAL $C/guest_create "bad/name"
expect_write_ok $C/guest_create g1
expect_write_err EEXIST $C/guest_create g1
expect_write_err EINVAL $G/attach "not-a-uuid"
expect_write_err ENODEV $G/attach 99999999-9999-4999-8999-999999999999
expect_write_ok $G/attach $U1
expect_file_eq $G/mdev $U1
expect_update 1 "$(apcb 4 4 '')"
expect_file_eq $G/notifications 1
expect_file_eq /sys/bus/ap/devices/04.0004/status "in use"
expect_write_ok $C/guest_create g2
expect_write_err EBUSY $C/guests/g2/attach $U1
expect_write_err EBUSY $C/guest_destroy g1

note "assign while attached: hot plug"
expect_write_ok $M/$U1/assign_adapter 5
expect_update 2 "$(apcb '4 5' 4 '')"
expect_write_ok $M/$U1/assign_domain 5
expect_update 3 "$(apcb '4 5' '4 5' '')"
expect_write_ok $M/$U1/assign_control_domain 6
expect_update 4 "$(apcb '4 5' '4 5' 6)"
expect_file_eq /sys/bus/ap/devices/05.0005/status "in use"
# re-assigning changes nothing the guest sees
expect_write_ok $M/$U1/assign_adapter 5
expect_eq "$(updates)" 4 "updates after a no-op assign"

note "unassign while attached: hot unplug"
expect_write_ok $M/$U1/unassign_control_domain 6
expect_update 5 "$(apcb '4 5' '4 5' '')"
expect_write_ok $M/$U1/unassign_adapter 4
expect_update 6 "$(apcb 5 '4 5' '')"
expect_file_eq /sys/bus/ap/devices/04.0004/status unassigned

note "unbinding one queue takes its whole adapter out of the guest"
echo 05.0005 > /sys/bus/ap/drivers/vfio_ap/unbind
expect_update 7 "$(apcb '' '4 5' '')"
expect_file_eq $M/$U1/guest_matrix ".0004
.0005"
expect_file_eq $M/$U1/matrix "05.0004
05.0005"
echo 05.0005 > /sys/bus/ap/drivers/vfio_ap/bind
expect_update 8 "$(apcb 5 '4 5' '')"

note "over-provisioning: adapter 9 is plugged in once the host has it"
expect_write_ok $M/$U1/assign_adapter 9
expect_eq "$(updates)" 8 "updates after assigning an absent adapter"
expect_file_eq $M/$U1/matrix "05.0004
05.0005
09.0004
09.0005"
expect_write_ok $APSIM "add-adapter 9 cex8 cca"
expect_write_ok /sys/bus/ap/scans 1
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/09.0005
wait_for 10 updates_are 9
expect_update 9 "$(apcb '5 9' '4 5' '')"
note "the host loses adapter 9: unplugged, still assigned"
expect_write_ok $APSIM "remove-adapter 9"
expect_write_ok /sys/bus/ap/scans 1
wait_for 10 updates_are 10
expect_update 10 "$(apcb 5 '4 5' '')"
expect_file_eq $M/$U1/ap_config "$(apcb '5 9' '4 5' '')"

note "a failed reset filters the adapter until a reset succeeds"
expect_write_ok $APSIM "reset-fail 05.0004 0x06"
expect_write_ok $M/$U1/unassign_domain 4
expect_update 11 "$(apcb 5 5 '')"
expect_write_ok $M/$U1/assign_domain 4
# 05.0004's last reset failed: adapter 5 may not go in, domains stay
expect_update 12 "$(apcb '' '4 5' '')"
expect_write_ok $APSIM "reset-fail 05.0004 0"
expect_write_ok $M/$U1/unassign_domain 4
expect_update 13 "$(apcb 5 5 '')"
expect_write_ok $M/$U1/assign_domain 4
expect_update 14 "$(apcb 5 '4 5' '')"

note "detach: the guest loses everything, the mdev keeps its matrix"
expect_write_ok $G/detach 1
expect_update 15 "$(apcb '' '' '')"
expect_file_eq $G/mdev ""
expect_file_eq /sys/bus/ap/devices/05.0005/status assigned
expect_write_err ENODEV $G/detach 1

note "remove blocks while a guest holds the mdev, and asks it to let go"
expect_write_ok $G/attach $U1
expect_update 16 "$(apcb 5 '4 5' '')"
sysfs-write $M/$U1/remove 1 > /tmp/remove.out 2>&1 &
remover=$!
wait_for 20 requests_at_least 1
# the request took everything away from the guest
expect_file_eq $G/apcb "$(apcb '' '' '')"
expect_exists $M/$U1
kill -0 $remover || fail "remove returned while the guest still holds the mdev"
# a removal in progress takes no new assignments: the mdev core has removed
# the files (ENOENT), without it the driver refuses (ENODEV)
got=$(sysfs-write $M/$U1/assign_adapter 6 2>/dev/null || true)
case $got in ENOENT|ENODEV) ;; *) fail "assign during remove: got $got" ;; esac
expect_write_ok $G/detach 1
wait_for 20 test ! -e $M/$U1
wait $remover || fail "remove failed: $(cat /tmp/remove.out)"
expect_file_eq /sys/bus/ap/devices/05.0005/status unassigned

note "destroy the guests"
expect_write_ok $C/guest_destroy g1
expect_write_ok $C/guest_destroy g2
expect_missing $G
expect_write_err ENOENT $C/guest_destroy g1
