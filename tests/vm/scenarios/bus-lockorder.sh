# The bus's run-time lock order check: apsim_testdrv holds a lock of its
# own at the mdevs level (60) and forces a rescan, which takes the scan
# mutex through the bus's own wrapper: the checker must WARN naming both
# locks (the harness exempts exactly the kernel lines between the two
# notes). The bus keeps working.
# apctl-vm-expect-kernel: apsim: lock order violation: taking ap_scan_bus_mutex \(level 10\) while holding apsim_testdrv_lock \(level 60\)
insmod "$APCTL_MODDIR/apsim.ko" || fail "insmod apsim.ko"
echo 1 > /sys/bus/ap/scans
insmod "$APCTL_MODDIR/apsim_testdrv.ko" || fail "insmod apsim_testdrv.ko"
T=/sys/kernel/debug/apsim_testdrv
[ -e $T/lockorder_inversion ] ||
	fail "$T/lockorder_inversion missing: modules not built with -Dkernel_debug=true"
n=$(cat /sys/bus/ap/scans)
note "expect-kernel-begin"
expect_write_ok $T/lockorder_inversion 1
note "expect-kernel-end"
expect_file_eq /sys/bus/ap/scans $((n + 1))
note "the right order raises nothing"
expect_write_ok /sys/bus/ap/apmask "-0"
expect_write_ok /sys/bus/ap/scans 1
expect_file_eq /sys/bus/ap/scans $((n + 2))
