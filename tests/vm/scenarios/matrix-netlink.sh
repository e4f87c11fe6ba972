# vfio_ap_sim's generic netlink family (kernel/README.md): the dump of
# every mdev in one exchange, strict validation of requests, and the
# multicast events for guest configuration changes, queue resets (done and
# failed), in_use refusals and host configuration changes, read with the
# matrix-nl helper (a plain netlink socket, as libnl would use it); and the
# same dump and events from another network namespace (apctld runs in one
# under systemd: PrivateNetwork=yes).
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
C=/sys/kernel/debug/vfio_ap_sim
APSIM=/sys/kernel/debug/apsim/control
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
Z=0x0000000000000000000000000000000000000000000000000000000000000000
A4=0x0800000000000000000000000000000000000000000000000000000000000000
A0=0x8000000000000000000000000000000000000000000000000000000000000000
A04=0x8800000000000000000000000000000000000000000000000000000000000000

lines_at_least() { [ "$(wc -l < "$1")" -ge "$2" ]; }

load_apctl_modules
expect_write_ok /sys/bus/ap/apmask "-4"
expect_write_ok /sys/bus/ap/aqmask "-4"
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/04.0004
expect_write_ok $T/create $U1
expect_write_ok $T/create $U2
expect_write_ok $M/$U1/assign_adapter 4
expect_write_ok $M/$U1/assign_domain 4

note "dump: every mdev in one exchange, or one by uuid"
expect_eq "$(matrix-nl dump | sort)" "mdev $U1 $A4,$A4,$Z $A4,$A4,$Z
mdev $U2 $Z,$Z,$Z $Z,$Z,$Z" "dump"
expect_eq "$(matrix-nl dump $U2)" "mdev $U2 $Z,$Z,$Z $Z,$Z,$Z" "dump of one mdev"

note "strict validation"
expect_eq "$(matrix-nl bad-attr || true)" "error EINVAL" "unknown attribute"
expect_eq "$(matrix-nl bad-uuid || true)" "error EINVAL" "malformed uuid"
expect_eq "$(matrix-nl no-dump || true)" "error EOPNOTSUPP" "GET_MDEV without dump"

note "guest configuration events; the dump shows the attached guest"
expect_write_ok $C/guest_create g1
netlink_listen 1
expect_write_ok $C/guests/g1/attach $U1
netlink_events
expect_eq "$ev" "guest-config $U1 g1 $A4,$A4,$Z" "attach event"
expect_eq "$(matrix-nl dump $U1)" "mdev $U1 $A4,$A4,$Z $A4,$A4,$Z g1 $A4,$A4,$Z" "dump with guest"

note "hot unplug and the reset that follows"
netlink_listen 2
expect_write_ok $M/$U1/unassign_domain 4
netlink_events
expect_eq "$ev" "guest-config $U1 g1 $A4,$Z,$Z
reset-done 04.0004 0" "unassign events"

note "a failed reset"
expect_write_ok $M/$U1/assign_domain 4
expect_write_ok $APSIM "reset-fail 04.0004 0x06"
netlink_listen 2
expect_write_ok $M/$U1/unassign_domain 4
netlink_events
expect_eq "$ev" "guest-config $U1 g1 $A4,$Z,$Z
reset-failed 04.0004 6" "failed reset events"
expect_write_ok $APSIM "reset-fail 04.0004 0"

note "in_use refusal"
expect_write_ok $M/$U1/assign_domain 0
netlink_listen 1
expect_write_err EBUSY /sys/bus/ap/apmask "+4"
netlink_events
expect_eq "$ev" "in-use $U1 04.0000" "in_use event"

note "host configuration change"
netlink_listen 1
expect_write_ok $APSIM "remove-adapter 7"
expect_write_ok /sys/bus/ap/scans 1
netlink_events
case $ev in
"host-config 0xfe"*) ;;
*) fail "host config event: got '$ev'" ;;
esac
note "another network namespace: the same dump, and the events arrive there"
[ "$(unshare -n readlink /proc/self/ns/net)" != "$(readlink /proc/self/ns/net)" ] ||
	fail "unshare -n did not make a network namespace"
dump=$(matrix-nl dump | sort)
case $dump in
*"mdev $U1 "*) ;;
*) fail "dump: no mdev $U1 in '$dump'" ;;
esac
expect_eq "$(unshare -n matrix-nl dump | sort)" "$dump" "dump from another network namespace"
netlink_listen 1 unshare -n
expect_write_err EBUSY /sys/bus/ap/apmask "+4"
netlink_events
expect_eq "$ev" "in-use $U1 04.0000" "in_use event in another network namespace"
expect_write_ok $C/guests/g1/detach 1
