# The matrix driver's sysfs ABI (kernel-abi.md §4): the matrix device and
# its features, the vfio_ap queue driver, mdev create/remove, every per-mdev
# attribute with upstream's formats and errnos, and that a refused write
# leaves the mdev unchanged. Default simulated machine: adapters 0-7
# (CEX6..CEX8), domains 0-15, APXA (max ids 255), everything reserved for
# the host until the masks are edited.
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
Z64=0000000000000000000000000000000000000000000000000000000000000000

load_apctl_modules
module_loaded vfio_ap_sim || fail "vfio_ap_sim is not loaded"

note "matrix device, features, type, queue driver"
expect_exists /sys/bus/ap/drivers/vfio_ap
expect_file_eq $M/features "guest_matrix hotplug ap_config"
expect_file_eq $T/name "VFIO AP Passthrough Device"
expect_file_eq $T/device_api "vfio-ap"
expect_exists $T/available_instances
expect_exists $T/devices

note "give adapters 4,5 and domains 4,5 to vfio_ap"
expect_write_ok /sys/bus/ap/apmask "-4,-5"
expect_write_ok /sys/bus/ap/aqmask "-4,-5"
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/04.0004
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/05.0005
expect_file_eq /sys/bus/ap/devices/04.0004/status unassigned

note "create: bad uuid, good uuid, duplicate"
expect_write_err EINVAL $T/create "not-a-uuid"
expect_write_ok $T/create "$U1"
expect_exists $M/$U1
expect_exists $T/devices/$U1
expect_write_err EEXIST $T/create "$U1"
expect_write_ok $T/create "$U2"
for a in assign_adapter unassign_adapter assign_domain unassign_domain \
	assign_control_domain unassign_control_domain matrix guest_matrix \
	control_domains ap_config remove; do
	expect_exists $M/$U1/$a
done
expect_file_eq $M/$U1/matrix ""
expect_file_eq $M/$U1/ap_config "0x$Z64,0x$Z64,0x$Z64"

note "assign: formats (decimal, hex, octal), no-op repeats"
expect_write_ok $M/$U1/assign_adapter 4
expect_file_eq $M/$U1/matrix "04."
expect_write_ok $M/$U1/assign_domain 0x4
expect_file_eq $M/$U1/matrix "04.0004"
expect_write_ok $M/$U1/assign_adapter 4
expect_file_eq $M/$U1/matrix "04.0004"
expect_write_ok $M/$U1/assign_domain 05      # octal 5
expect_file_eq $M/$U1/matrix "$(printf '04.0004\n04.0005')"
expect_write_ok $M/$U1/assign_control_domain 010     # octal: domain 8
expect_file_eq $M/$U1/control_domains "0008"
expect_file_eq /sys/bus/ap/devices/04.0004/status assigned
expect_file_eq $M/$U1/guest_matrix "$(printf '04.0004\n04.0005')"

note "assign errors leave the mdev unchanged"
before=$(cat $M/$U1/ap_config)
expect_write_err EINVAL $M/$U1/assign_adapter "four"
expect_write_err EINVAL $M/$U1/assign_domain "4x"
expect_write_err ENODEV $M/$U1/assign_adapter 256
expect_write_err ENODEV $M/$U1/assign_domain 256
expect_write_err ENODEV $M/$U1/assign_control_domain 256
expect_write_err ENODEV $M/$U1/unassign_adapter 256
# 00.0000 is still reserved for the host by apmask/aqmask
expect_write_ok $M/$U2/assign_adapter 0
expect_write_err EADDRNOTAVAIL $M/$U2/assign_domain 0
expect_file_eq $M/$U2/matrix "00."
# 04.0004 belongs to U1
expect_write_ok $M/$U2/unassign_adapter 0
expect_write_ok $M/$U2/assign_domain 4
expect_write_err EADDRINUSE $M/$U2/assign_adapter 4
expect_file_eq $M/$U2/matrix ".0004"
expect_file_eq $M/$U1/ap_config "$before"

note "in_use: the host cannot take back what an mdev has"
# 04.0000 is free (adapter 4 left apmask); giving adapter 4 back to the
# host would reserve 04.0000 again while U1 has it.
expect_write_ok $M/$U1/assign_domain 0
expect_file_eq /sys/bus/ap/drivers/vfio_ap/04.0000/status assigned
apmask_before=$(cat /sys/bus/ap/apmask)
expect_write_err EBUSY /sys/bus/ap/apmask "+4"
expect_file_eq /sys/bus/ap/apmask "$apmask_before"
expect_file_eq /sys/bus/ap/drivers/vfio_ap/04.0000/status assigned
expect_write_ok $M/$U1/unassign_domain 0
expect_file_eq /sys/bus/ap/drivers/vfio_ap/04.0000/status unassigned

note "unassign: no-op for unassigned ids; control domains"
expect_write_ok $M/$U1/unassign_domain 7
expect_write_ok $M/$U1/unassign_control_domain 8
expect_file_eq $M/$U1/control_domains ""
expect_write_ok $M/$U1/unassign_domain 5
expect_file_eq $M/$U1/matrix "04.0004"

note "ap_config: read format, atomic replace, errors restore the old state"
A4="0x08${Z64#00}"      # adapter 4 = bit 4 from the left: 0000 1000
expect_file_eq $M/$U1/ap_config "$A4,$A4,0x$Z64"
A5="0x04${Z64#00}"
expect_write_ok $M/$U1/ap_config "$A5,$A5,$A4\n"
expect_file_eq $M/$U1/matrix "05.0005"
expect_file_eq $M/$U1/control_domains "0004"
expect_file_eq /sys/bus/ap/drivers/vfio_ap/04.0004/status unassigned
before=$(cat $M/$U1/ap_config)
expect_write_err EINVAL $M/$U1/ap_config "$A5,$A5"
expect_write_err EINVAL $M/$U1/ap_config "$A5,$A5,0xZZ"
expect_write_err EINVAL $M/$U1/ap_config "$A5,$A5,$A5,$A5"
expect_write_err EINVAL $M/$U1/ap_config "0x${Z64}0,$A5,$A5"
# only two masks and a newline: accepted, no control domains (upstream quirk)
expect_write_ok $M/$U1/ap_config "$A5,$A5\n"
expect_file_eq $M/$U1/control_domains ""
expect_write_ok $M/$U1/ap_config "$before"
# U2 takes 05.0004; U1 (05.0005) may then not widen to {4,5} x {4,5}.
expect_write_ok $M/$U2/assign_adapter 5
expect_file_eq $M/$U2/matrix "05.0004"
A45="0x0c${Z64#00}"
expect_write_err EADDRINUSE $M/$U1/ap_config "$A45,$A45,0x$Z64"
expect_file_eq $M/$U1/ap_config "$before"
# 00.0000 is the host's
expect_write_err EADDRNOTAVAIL $M/$U1/ap_config "0x80${Z64#00},0x80${Z64#00},0x$Z64"
expect_file_eq $M/$U1/ap_config "$before"

note "remove"
expect_write_ok $M/$U2/remove 1
expect_missing $M/$U2
expect_missing $T/devices/$U2
expect_write_ok $M/$U1/remove 1
expect_missing $M/$U1
expect_write_ok /sys/bus/ap/apmask "+4,+5"
