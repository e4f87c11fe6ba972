# A z16-sized machine (60 adapters x 85 domains = 5,100 queues) and the
# architectural maximum of ids (256 adapters x 256 domains = 65,536 queues,
# ids up to 255) load, scan, change and unload without a kernel warning,
# with every queue bound to the default driver.
note "z16: 60 adapters x 85 domains"
insmod "$APCTL_MODDIR/apsim.ko" adapters=0-59:cex8:cca usage_domains=0-84 max_domain_id=84 \
	|| fail "insmod z16"
expect_write_ok /sys/bus/ap/scans 1
expect_file_eq /sys/bus/ap/bindings "5100/5100 (complete)"
expect_file_eq /sys/bus/ap/ap_max_domain_id 84
expect_exists /sys/devices/ap/card3b/3b.0054
expect_missing /sys/devices/ap/card3c
expect_write_ok /sys/bus/ap/apmask "-0-29"
expect_file_eq /sys/bus/ap/bindings "2550/5100"
expect_write_ok /sys/bus/ap/apmask "+0-29"
expect_write_ok /sys/bus/ap/scans 1
expect_file_eq /sys/bus/ap/bindings "5100/5100 (complete)"
rmmod apsim || fail "rmmod z16"

note "maximum: adapters 0-255 x domains 0-255"
insmod "$APCTL_MODDIR/apsim.ko" adapters=0-255:cex8:ep11 usage_domains=0-255 || fail "insmod max"
expect_write_ok /sys/bus/ap/scans 1
expect_file_eq /sys/bus/ap/bindings "65536/65536 (complete)"
expect_file_eq /sys/bus/ap/ap_adapter_mask "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
expect_exists /sys/devices/ap/cardff/ff.00ff
expect_file_eq /sys/devices/ap/cardff/ff.00ff/online 1
expect_write_ok /sys/kernel/debug/apsim/control "remove-usage-domain 128-255"
expect_write_ok /sys/bus/ap/scans 1
expect_file_eq /sys/bus/ap/bindings "32768/32768 (complete)"
rmmod apsim || fail "rmmod max"
