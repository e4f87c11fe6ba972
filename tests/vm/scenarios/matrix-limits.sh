# Id limits and card types: without APXA the architecture allows adapters
# 0-63 and domains 0-15, so larger ids are -ENODEV for every assign_* and
# ap_config (the mdev unchanged); vfio_ap only takes CEX4 and newer queues
# (a CEX3C adapter's queues stay unbound); and the host losing and regaining
# a usage domain or a control domain while a guest runs unplugs and plugs
# them (on_config_changed / on_scan_complete).
M=/sys/devices/vfio_ap/matrix
T=$M/mdev_supported_types/vfio_ap-passthrough
C=/sys/kernel/debug/vfio_ap_sim
APSIM=/sys/kernel/debug/apsim/control
U1=11111111-1111-4111-8111-111111111111
Z=0x0000000000000000000000000000000000000000000000000000000000000000
A4=0x0800000000000000000000000000000000000000000000000000000000000000
A45=0x0c00000000000000000000000000000000000000000000000000000000000000
A64=0x0000000000000000800000000000000000000000000000000000000000000000
A16=0x0000800000000000000000000000000000000000000000000000000000000000

insmod $APCTL_MODDIR/apsim.ko apxa=0 adapters=4-5:cex8:cca,8:cex3c:cca usage_domains=0-15 ||
	fail "insmod apsim apxa=0"
load_apctl_modules
expect_file_eq /sys/bus/ap/ap_max_adapter_id 63
expect_file_eq /sys/bus/ap/ap_max_domain_id 15
expect_write_ok /sys/bus/ap/apmask "-4,-5,-8"
expect_write_ok /sys/bus/ap/aqmask "-4,-5"
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/05.0005

note "only CEX4 and newer bind to vfio_ap"
expect_exists /sys/bus/ap/devices/08.0004
expect_missing /sys/bus/ap/drivers/vfio_ap/08.0004

note "ids above the limits: ENODEV, nothing changes"
expect_write_ok $T/create $U1
expect_write_ok $M/$U1/assign_adapter 4
expect_write_ok $M/$U1/assign_domain 4
before=$(cat $M/$U1/ap_config)
expect_write_ok $M/$U1/assign_adapter 63
expect_write_ok $M/$U1/unassign_adapter 63
expect_write_err ENODEV $M/$U1/assign_adapter 64
expect_write_err ENODEV $M/$U1/assign_domain 16
expect_write_err ENODEV $M/$U1/assign_control_domain 16
expect_write_err ENODEV $M/$U1/unassign_domain 16
expect_write_err ENODEV $M/$U1/ap_config "$A64,$A4,$Z"
expect_write_err ENODEV $M/$U1/ap_config "$A4,$A16,$Z"
expect_write_err ENODEV $M/$U1/ap_config "$A4,$A4,$A16"
expect_file_eq $M/$U1/ap_config "$before"

note "the host loses and regains a domain and a control domain while a guest runs"
expect_write_ok $M/$U1/ap_config "$A45,$A45,$A4"
expect_write_ok $C/guest_create g1
expect_write_ok $C/guests/g1/attach $U1
expect_file_eq $C/guests/g1/apcb "$A45,$A45,$A4"
expect_write_ok $APSIM "remove-usage-domain 5"
expect_write_ok $APSIM "remove-control-domain 4"
expect_write_ok /sys/bus/ap/scans 1
expect_file_eq $C/guests/g1/apcb "$A45,$A4,$Z"
expect_file_eq $M/$U1/ap_config "$A45,$A45,$A4"
expect_write_ok $APSIM "add-usage-domain 5"
expect_write_ok $APSIM "add-control-domain 4"
expect_write_ok /sys/bus/ap/scans 1
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/05.0005
expect_file_eq $C/guests/g1/apcb "$A45,$A45,$A4"
expect_write_ok $C/guests/g1/detach 1
expect_write_ok $M/$U1/remove 1
