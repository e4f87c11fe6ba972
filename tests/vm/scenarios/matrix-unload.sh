# Unloading vfio_ap_sim with state left behind: mdevs with assignments, a
# guest attached through the control interface, guests that are not: the
# module detaches, resets, removes and unloads cleanly (the harness fails
# on any WARN or a module that stays). With a guest attached through VFIO
# (x86_64) the module is in use until that guest lets go.
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
C=/sys/kernel/debug/vfio_ap_sim
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222

setup() {
	load_apctl_modules
	expect_write_ok /sys/bus/ap/apmask "-4,-5"
	expect_write_ok /sys/bus/ap/aqmask "-4,-5"
	wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/05.0005
	expect_write_ok $T/create $U1
	expect_write_ok $T/create $U2
	expect_write_ok $M/$U1/assign_adapter 4
	expect_write_ok $M/$U1/assign_domain 4
	expect_write_ok $M/$U2/assign_adapter 5
	expect_write_ok $M/$U2/assign_domain 5
	expect_write_ok $C/guest_create idle
}

note "unload with a control-interface guest attached"
setup
expect_write_ok $C/guest_create g1
expect_write_ok $C/guests/g1/attach $U1
unload_apctl_modules || fail "the modules did not unload with mdevs and guests left"
expect_missing /sys/devices/vfio_ap

if [ -e /dev/vfio/vfio ]; then
	note "a VFIO user holds the module"
	setup
	mkfifo /tmp/vg.in
	vfio-guest vg1 $U2 < /tmp/vg.in > /tmp/vg.out 2>&1 &
	guest_pid=$!
	exec 3> /tmp/vg.in
	wait_for 20 grep -qx attached /tmp/vg.out
	rmmod vfio_ap_sim 2>/dev/null && fail "vfio_ap_sim unloaded while a VFIO user holds an mdev"
	echo quit >&3
	exec 3>&-
	wait $guest_pid || fail "vfio-guest: $(cat /tmp/vg.out)"
	unload_apctl_modules || fail "the modules did not unload after the VFIO user left"
fi
