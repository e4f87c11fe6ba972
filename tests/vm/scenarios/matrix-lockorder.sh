# The run-time lock order check works: a debug-only knob of vfio_ap_sim
# takes mdevs_lock and then guests_lock, the wrong way round, and the
# bus's checker must WARN naming both locks. The harness exempts exactly
# the kernel lines between the two notes below and fails the scenario if
# the expected report is not among them (tests/vm/run, expect-kernel).
# apctl-vm-expect-kernel: apsim: lock order violation: taking guests_lock \(level 30\) while holding mdevs_lock \(level 60\)
C=/sys/kernel/debug/vfio_ap_sim

load_apctl_modules
[ -e $C/lockorder_inversion ] ||
	fail "$C/lockorder_inversion missing: modules not built with -Dkernel_debug=true"
note "expect-kernel-begin"
expect_write_ok $C/lockorder_inversion 1
note "expect-kernel-end"
# The driver still works after the report: the order is checked, not broken.
expect_write_ok $C/guest_create after
expect_write_ok $C/guest_destroy after
