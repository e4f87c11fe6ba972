# A machine configuration change made through the control interface (as
# an SE/HMC change): nothing happens until the next scan; that scan calls
# on_config_changed, removes and adds devices, then calls
# on_scan_complete, and sends remove/add uevents with MODE (DEV_TYPE and
# MODALIAS on cards only), CONFIG= for config flips, BINDINGS=complete.
insmod "$APCTL_MODDIR/apsim.ko" adapters=0-1:cex8:cca usage_domains=0-1 apmask=0x \
	|| fail "insmod apsim.ko"
echo 1 > /sys/bus/ap/scans
insmod "$APCTL_MODDIR/apsim_testdrv.ko" bind=1 || fail "insmod apsim_testdrv.ko"
CTL=/sys/kernel/debug/apsim/control
T=/sys/kernel/debug/apsim_testdrv
B=/sys/bus/ap
Z="00000000000000000000000000000000000000000000000000000000000000"
expect_file_eq $B/bindings "4/4 (complete)"
echo > $T/events

note "control commands change the machine, not yet the bus"
expect_write_ok $CTL "add-adapter 2 cex7 ep11"
expect_write_ok $CTL "add-usage-domain 2"
expect_write_ok $CTL "remove-adapter 0"
expect_write_ok $CTL "add-control-domain 5"
grep -qx "adapter 2 cex7 ep11 config 1 chkstop 0" $CTL || fail "control: $(cat $CTL)"
grep -qx "usage-domains 0-2" $CTL || fail "control: $(cat $CTL)"
grep -qx "control-domains 0-1,5" $CTL || fail "control: $(cat $CTL)"
expect_exists /sys/devices/ap/card00
expect_missing /sys/devices/ap/card02
expect_file_eq $B/ap_adapter_mask "0xc0$Z"
expect_eq "$(cat $T/events)" "" "callbacks before the scan"

note "the next scan: callbacks in order around the device changes"
rm -f /tmp/ready
uevent-listen -t 60 -r /tmp/ready -o /tmp/events 'BINDINGS=complete' &
listener=$!
wait_for 10 test -e /tmp/ready
expect_write_ok $B/scans 1
wait "$listener" || fail "no BINDINGS=complete after the scan"
cat $T/events
expect_eq "$(cat $T/events)" "on_config_changed apm=1-2 aqm=0-2
remove 00.0000
remove 00.0001
probe 01.0002
probe 02.0000
probe 02.0001
probe 02.0002
on_scan_complete apm=1-2 aqm=0-2" "callbacks and probes"
expect_missing /sys/devices/ap/card00
expect_exists /sys/devices/ap/card01/01.0002
expect_exists /sys/devices/ap/card02/02.0002
expect_file_eq /sys/devices/ap/card02/hwtype 13
expect_file_eq $B/ap_adapter_mask "0x60$Z"
expect_file_eq $B/ap_usage_domain_mask "0xe0$Z"
expect_file_eq $B/ap_control_domain_mask "0xc4$Z"
expect_file_eq $B/bindings "6/6 (complete)"

note "uevents of that scan"
grep -qx "remove@/devices/ap/card00" /tmp/events || fail "no remove of card00"
grep -qx "remove@/devices/ap/card00/00.0001" /tmp/events || fail "no remove of 00.0001"
awk '/^add@\/devices\/ap\/card02$/,/^$/' /tmp/events | grep -v '^SEQNUM=' > /tmp/card02
expect_eq "$(cat /tmp/card02)" "add@/devices/ap/card02
ACTION=add
DEVPATH=/devices/ap/card02
SUBSYSTEM=ap
DEVTYPE=ap_card
DEV_TYPE=000D
MODALIAS=ap:t0D
MODE=ep11" "add event of card02"
awk '/^add@\/devices\/ap\/card02\/02.0001$/,/^$/' /tmp/events | grep -v '^SEQNUM=' > /tmp/q
expect_eq "$(cat /tmp/q)" "add@/devices/ap/card02/02.0001
ACTION=add
DEVPATH=/devices/ap/card02/02.0001
SUBSYSTEM=ap
DEVTYPE=ap_queue
MODE=ep11" "add event of 02.0001"
expect_eq "$(grep -c '^BINDINGS=complete' /tmp/events)" 1 "BINDINGS events"
grep -qx "COMPLETECOUNT=2" /tmp/events || fail "COMPLETECOUNT is not 2"

note "removing a usage domain removes its queues"
echo > $T/events
expect_write_ok $CTL "remove-usage-domain 1"
expect_write_ok $B/scans 1
expect_eq "$(cat $T/events)" "on_config_changed apm=1-2 aqm=0,2
remove 01.0001
remove 02.0001
on_scan_complete apm=1-2 aqm=0,2" "callbacks"
expect_missing /sys/devices/ap/card01/01.0001

note "config and checkstop through the control interface, seen by the next scan"
rm -f /tmp/ready
uevent-listen -t 60 -r /tmp/ready -o /tmp/events 'DEVPATH=/devices/ap/card01/01.0002' 'CONFIG=0' &
listener=$!
wait_for 10 test -e /tmp/ready
expect_write_ok $CTL "set-config 1 0"
expect_file_eq /sys/devices/ap/card01/config 1
expect_write_ok $B/scans 1
wait "$listener" || fail "no CONFIG=0 on 01.0002"
grep -qx "DEVPATH=/devices/ap/card01" /tmp/events || fail "no CONFIG event on card01"
expect_file_eq /sys/devices/ap/card01/config 0
expect_file_eq /sys/devices/ap/card01/01.0002/config 0
expect_write_ok $CTL "set-config 1 1"
expect_write_ok $CTL "set-chkstop 2 1"
expect_write_ok $B/scans 1
expect_file_eq /sys/devices/ap/card01/config 1
expect_file_eq /sys/devices/ap/card02/chkstop 1
expect_file_eq /sys/devices/ap/card02/02.0000/chkstop 1
expect_write_ok $CTL "set-chkstop 2 0"
expect_write_ok $B/scans 1
expect_file_eq /sys/devices/ap/card02/chkstop 0

note "an adapter replaced by another type in the same slot is a new card"
expect_write_ok $CTL "remove-adapter 2"
expect_write_ok $CTL "add-adapter 2 cex8 accel"
expect_write_ok $B/scans 1
expect_file_eq /sys/devices/ap/card02/hwtype 14
grep -qx MODE=accel /sys/devices/ap/card02/uevent || fail "card02 is not accel"
