# The guest side through VFIO, as QEMU does it (x86_64, where the kernel
# has VFIO and mdev; the s390x kernel has neither, and this scenario then
# only checks that there is no VFIO): the vfio-guest helper creates a
# simulated guest, opens the mdev through container/group/device, which
# attaches that guest (no guest: EINVAL; a second mdev for the same guest:
# EPERM), gets config-change eventfd signals on hot plug, resets the
# device, and lets go when a blocked mdev remove requests it.
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
C=/sys/kernel/debug/vfio_ap_sim
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222

load_apctl_modules
if [ ! -e /dev/vfio/vfio ]; then
	note "no VFIO in this kernel: mdevs exist without it"
	expect_write_ok $T/create $U1
	expect_missing $M/$U1/iommu_group
	expect_write_ok $M/$U1/remove 1
	exit 0
fi

out_has() { grep -qx "$1" /tmp/vg.out; }
count_of() { grep -cx "$1" /tmp/vg.out || true; }
cfg_changes_at_least() { [ "$(count_of cfg-change)" -ge "$1" ]; }

expect_write_ok /sys/bus/ap/apmask "-4,-5"
expect_write_ok /sys/bus/ap/aqmask "-4,-5"
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/05.0005
expect_write_ok $T/create $U1
expect_write_ok $T/create $U2
expect_write_ok $M/$U1/assign_adapter 4
expect_write_ok $M/$U1/assign_domain 4
expect_write_ok $M/$U2/assign_adapter 5
expect_write_ok $M/$U2/assign_domain 5

note "an open without a guest is refused as without KVM: EINVAL"
expect_eq "$(vfio-guest - $U1 || true)" "open EINVAL" "vfio-guest without a guest"

note "open attaches the process's guest; a second mdev for it: EPERM"
mkfifo /tmp/vg.in
vfio-guest vg1 $U1 $U2 < /tmp/vg.in > /tmp/vg.out 2>&1 &
guest_pid=$!
exec 3> /tmp/vg.in
wait_for 20 out_has attached
wait_for 20 out_has "second EPERM"
expect_file_eq $C/guests/vg1/mdev $U1
expect_file_eq /sys/bus/ap/devices/04.0004/status "in use"
expect_file_eq $C/guests/vg1/history "0 0x0800000000000000000000000000000000000000000000000000000000000000,0x0800000000000000000000000000000000000000000000000000000000000000,0x0000000000000000000000000000000000000000000000000000000000000000"
expect_write_err EBUSY $C/guests/vg1/detach 1

note "hot plug signals the config-change eventfd"
expect_write_ok $M/$U1/assign_domain 6
wait_for 20 cfg_changes_at_least 1
expect_file_eq $M/$U1/guest_matrix "04.0004
04.0006"

note "VFIO_DEVICE_RESET resets every queue"
echo reset >&3
wait_for 20 out_has "reset OK"

note "remove blocks until the VFIO user lets go after the request"
sysfs-write $M/$U1/remove 1 > /tmp/remove.out 2>&1 &
remover=$!
wait_for 30 out_has request
wait $guest_pid || fail "vfio-guest failed: $(cat /tmp/vg.out)"
wait_for 30 test ! -e $M/$U1
wait $remover || fail "remove failed: $(cat /tmp/remove.out)"
expect_file_eq $C/guests/vg1/mdev ""
expect_file_eq /sys/bus/ap/devices/04.0004/status unassigned
exec 3>&-
expect_write_ok $M/$U2/remove 1
expect_write_ok $C/guest_destroy vg1
