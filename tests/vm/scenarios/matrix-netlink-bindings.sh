# vfio_ap_sim's "bindings complete" netlink event (kernel/README.md): after
# a forced rescan that binds a new adapter's queues (to vfio_ap, the apmask
# gives them away), the event arrives after the host configuration event,
# with the same count as the bus's BINDINGS=complete uevent; a rescan that
# changes nothing sends neither (the next count is one more).
APSIM=/sys/kernel/debug/apsim/control

# start_listeners N: matrix-nl for the next N netlink events into /tmp/nl,
# uevent-listen for the next BINDINGS=complete into /tmp/ue; both subscribed
# when it returns.
start_listeners() {
	rm -f /tmp/nl /tmp/ue /tmp/ready
	matrix-nl listen "$1" 60 > /tmp/nl &
	nl_pid=$!
	uevent-listen -t 60 -r /tmp/ready -o /tmp/ue 'BINDINGS=complete' &
	ue_pid=$!
	wait_for 10 grep -qx ready /tmp/nl
	wait_for 10 test -e /tmp/ready
}
# collect: wait for both; $nl is what matrix-nl got, $count the uevent's
# COMPLETECOUNT.
collect() {
	wait $nl_pid || fail "netlink listener: $(cat /tmp/nl)"
	wait $ue_pid || fail "no BINDINGS=complete uevent"
	nl=$(sed 1d /tmp/nl)
	count=$(sed -n 's/^COMPLETECOUNT=//p' /tmp/ue)
	[ -n "$count" ] || fail "BINDINGS=complete without COMPLETECOUNT: $(cat /tmp/ue)"
}

load_apctl_modules
expect_write_ok /sys/bus/ap/scans 1
wait_for 10 grep -q complete /sys/bus/ap/bindings

note "a new adapter for vfio_ap: host config, then bindings complete"
expect_write_ok /sys/bus/ap/apmask "-8"
start_listeners 2
expect_write_ok $APSIM "add-adapter 8 cex8 cca"
expect_write_ok /sys/bus/ap/scans 1
collect
expect_exists /sys/bus/ap/drivers/vfio_ap/08.0000
expect_exists /sys/bus/ap/drivers/vfio_ap/08.000f
case $nl in
"host-config 0xff8"*"
bindings-complete $count") ;;
*) fail "events: got '$nl', uevent COMPLETECOUNT=$count" ;;
esac
first=$count

note "a rescan without changes sends none; the next one counts on by one"
expect_write_ok /sys/bus/ap/scans 1
start_listeners 2
expect_write_ok $APSIM "add-adapter 9 cex8 ep11"
expect_write_ok /sys/bus/ap/scans 1
collect
expect_eq "$count" "$((first + 1))" "COMPLETECOUNT after one more arming"
case $nl in
"host-config 0xffc"*"
bindings-complete $count") ;;
*) fail "events: got '$nl', uevent COMPLETECOUNT=$count" ;;
esac
