# Queue resets with the bus's simulated reset delays and failures: a slow
# reset is waited for (reset done); one slower than the driver's 5 s bound
# counts as failed (-ETIMEDOUT, 110) and filters its adapter out of the
# guest until a later reset succeeds; detach resets every queue. Read from
# the netlink reset events and the guest's configuration.
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
C=/sys/kernel/debug/vfio_ap_sim
G=$C/guests/g1
APSIM=/sys/kernel/debug/apsim/control
U1=11111111-1111-4111-8111-111111111111
Z=0x0000000000000000000000000000000000000000000000000000000000000000
A4=0x0800000000000000000000000000000000000000000000000000000000000000
A45=0x0c00000000000000000000000000000000000000000000000000000000000000

load_apctl_modules
expect_write_ok /sys/bus/ap/apmask "-4"
expect_write_ok /sys/bus/ap/aqmask "-4,-5"
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/04.0005
expect_write_ok $T/create $U1
expect_write_ok $M/$U1/ap_config "$A4,$A45,$Z"
expect_write_ok $C/guest_create g1
expect_write_ok $G/attach $U1
expect_file_eq $G/apcb "$A4,$A45,$Z"

note "a slow reset is waited for"
expect_write_ok $APSIM "reset-delay-ms 500"
netlink_listen 2
expect_write_ok $M/$U1/unassign_domain 5
netlink_events
expect_eq "$ev" "guest-config $U1 g1 $A4,$A4,$Z
reset-done 04.0005 0" "slow reset events"

note "a reset beyond the 5 s bound fails and filters the adapter"
expect_write_ok $APSIM "reset-delay-ms 6000"
netlink_listen 2
expect_write_ok $M/$U1/unassign_domain 4
netlink_events
expect_eq "$ev" "guest-config $U1 g1 $A4,$Z,$Z
reset-failed 04.0004 -110" "timed-out reset events"
expect_write_ok $APSIM "reset-delay-ms 0"
expect_write_ok $M/$U1/assign_domain 4
expect_file_eq $M/$U1/guest_matrix ".0004"
expect_file_eq $G/apcb "$Z,$A4,$Z"

note "a later good reset lets the adapter back in"
expect_write_ok $M/$U1/unassign_domain 4
expect_write_ok $M/$U1/assign_domain 4
expect_file_eq $G/apcb "$A4,$A4,$Z"

note "detach resets every queue of the mdev"
expect_write_ok $M/$U1/assign_domain 5
netlink_listen 3
expect_write_ok $G/detach 1
netlink_events
expect_eq "$ev" "guest-config $U1 g1 $Z,$Z,$Z
reset-done 04.0004 0
reset-done 04.0005 0" "detach events"
expect_write_ok $M/$U1/remove 1
