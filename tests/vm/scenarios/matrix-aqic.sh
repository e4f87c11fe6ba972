# Guest interrupts: the simulated guest's PQAP(AQIC) request through the
# pqap hook (kernel/LOCKING.md): enabling interrupts for one of its queues
# makes the bus's simulated adapter interrupts reach the guest (counted);
# queues outside the guest answer 0x01; a Secure Execution guest must have
# shared its NIB page first (0x06); disabling, a reset on detach, and no
# hook without an mdev.
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
C=/sys/kernel/debug/vfio_ap_sim
G=$C/guests/g1
APSIM=/sys/kernel/debug/apsim/control
U1=11111111-1111-4111-8111-111111111111

load_apctl_modules
expect_write_ok /sys/bus/ap/apmask "-4"
expect_write_ok /sys/bus/ap/aqmask "-4"
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/04.0005
expect_write_ok $T/create $U1
expect_write_ok $M/$U1/assign_adapter 4
expect_write_ok $M/$U1/assign_domain 4
expect_write_ok $C/guest_create g1

note "no mdev, no hook"
expect_write_err ENODEV $G/aqic "04.0004 1"
expect_write_ok $G/attach $U1

note "malformed requests"
expect_write_err EINVAL $G/aqic "zz"
expect_write_err EINVAL $G/aqic "04.0004 2"
expect_write_err EINVAL $G/aqic "04.0004 1 8"
expect_write_err EINVAL $G/aqic "04.0004 1 3 x"

note "enable: interrupts reach the guest"
expect_file_eq $G/interrupts 0
expect_write_ok $G/aqic "04.0004 1 3"
expect_file_eq $G/aqic_rc 0x00
expect_write_ok $APSIM "raise-irq 04.0004"
expect_write_ok $APSIM "raise-irq 04.0004"
expect_file_eq $G/interrupts 2

note "a queue the guest does not have: 0x01"
expect_write_err EIO $G/aqic "04.0005 1"
expect_file_eq $G/aqic_rc 0x01

note "disable: no more interrupts"
expect_write_ok $G/aqic "04.0004 0"
expect_write_err ENXIO $APSIM "raise-irq 04.0004"
expect_file_eq $G/interrupts 2

note "Secure Execution guest: the NIB must be shared first"
expect_write_ok $G/se_protected 1
expect_file_eq $G/se_protected 1
expect_write_err EIO $G/aqic "04.0004 1"
expect_file_eq $G/aqic_rc 0x06
expect_write_err ENXIO $APSIM "raise-irq 04.0004"
expect_write_ok $G/nib_shared 1
expect_write_ok $G/aqic "04.0004 1"
expect_write_ok $APSIM "raise-irq 04.0004"
expect_file_eq $G/interrupts 3
expect_write_err EINVAL $G/se_protected maybe

note "detach resets the queues: interrupts off"
expect_write_ok $G/detach 1
expect_write_err ENXIO $APSIM "raise-irq 04.0004"
expect_write_err ENODEV $G/aqic "04.0004 1"
expect_write_ok $C/guest_destroy g1
expect_write_ok $M/$U1/remove 1
