# Malformed writes get the errno the real AP bus gives, change nothing and
# send no uevent: apmask/aqmask (including the relative-mask inputs that
# crashed modify_bitmap() before 6.10, CVE-2024-38661), ap_domain,
# config_time, poll_thread, poll_timeout, card config/online, queue online
# and the control interface.
insmod "$APCTL_MODDIR/apsim.ko" || fail "insmod apsim.ko"
echo 1 > /sys/bus/ap/scans
B=/sys/bus/ap
CTL=/sys/kernel/debug/apsim/control
nbad=0
bad() { # ERRNO FILE VALUE
	_before=$(cat "$2")
	expect_write_err "$1" "$2" "$3"
	expect_eq "$(cat "$2")" "$_before" "$2 after the refused write '$3'"
	nbad=$((nbad + 1))
}

rm -f /tmp/ready
uevent-listen -t 120 -r /tmp/ready -o /tmp/events 'SYNTH_ARG_SENTINEL=badinput' &
listener=$!
wait_for 10 test -e /tmp/ready
expect_write_ok $B/apmask "0xff00"
expect_write_ok $B/aqmask "0xff"

note "apmask: absolute form"
bad EINVAL $B/apmask "0x0g"
bad EINVAL $B/apmask "g"
bad EINVAL $B/apmask "0x$(echo 00000000000000000000000000000000000000000000000000000000000000001)"
bad EINVAL $B/apmask "0xf f"
bad EINVAL $B/apmask " 0xff"
bad EINVAL $B/apmask "0xff\n\n"
bad EINVAL $B/apmask "0X12"
bad EINVAL $B/apmask "0xx1"
bad EINVAL $B/apmask "0xff,"

note "apmask: relative form"
bad EINVAL $B/apmask "+"
bad EINVAL $B/apmask "-"
bad EINVAL $B/apmask "+256"
bad EINVAL $B/apmask "+0-256"
bad EINVAL $B/apmask "+5-3"
bad EINVAL $B/apmask "+0x100"
bad EINVAL $B/apmask "+08"
bad EINVAL $B/apmask "+1,2"
bad EINVAL $B/apmask "+1;+2"
bad EINVAL $B/apmask "+1 "
bad EINVAL $B/apmask "+-1"
bad EINVAL $B/apmask "+ 1"
bad EINVAL $B/apmask "+1-"
bad EINVAL $B/apmask "+a"
# a valid prefix must not be applied when a later term is bad
bad EINVAL $B/apmask "+1,+2,+300"
bad EINVAL $B/apmask "-8-15,+0-3,+3-0"

note "apmask: CVE-2024-38661 inputs (ids that overflow int)"
bad EINVAL $B/apmask "+4294967295"
bad EINVAL $B/apmask "+2147483648"
bad EINVAL $B/apmask "+0-4294967296"
bad EINVAL $B/apmask "-0xffffffffffffffff"
bad EINVAL $B/apmask "+18446744073709551615"
bad EINVAL $B/apmask "-2147483649-2147483650"
bad EINVAL $B/apmask "+0-0x80000000"

note "aqmask"
bad EINVAL $B/aqmask "0xzz"
bad EINVAL $B/aqmask "+256"
bad EINVAL $B/aqmask "-1-0"
bad EINVAL $B/aqmask "+4294967296"

note "ap_domain"
bad EINVAL $B/ap_domain "-1"
bad EINVAL $B/ap_domain "256"
bad EINVAL $B/ap_domain "abc"
bad EINVAL $B/ap_domain "9"            # not in aqmask

note "config_time, poll_thread, poll_timeout"
bad EINVAL $B/config_time 4
bad EINVAL $B/config_time 121
bad EINVAL $B/config_time abc
bad EINVAL $B/config_time -5
bad EINVAL $B/poll_thread 2
bad EINVAL $B/poll_thread maybe
bad EINVAL $B/poll_timeout 120000000001
bad EINVAL $B/poll_timeout -1
bad EINVAL $B/poll_timeout 12abc
bad ERANGE $B/poll_timeout 18446744073709551616

note "cards and queues"
C=/sys/devices/ap/card00
bad EINVAL $C/config 2
bad EINVAL $C/config -1
bad EINVAL $C/config x
bad EINVAL $C/online 2
bad EINVAL $C/00.0001/online 5
expect_write_ok $C/online 0
bad EINVAL $C/00.0001/online 1         # the card is offline
expect_write_ok $C/online 1
expect_write_ok /sys/devices/ap/card01/config 0
bad ENODEV /sys/devices/ap/card01/online 1
expect_write_ok /sys/bus/ap/scans 1
bad ENODEV /sys/devices/ap/card01/01.0001/online 1

note "control interface"
bad EINVAL $CTL "bogus"
bad EINVAL $CTL ""
bad ERANGE $CTL "add-adapter 300 cex8 cca"
bad EINVAL $CTL "add-adapter 8 cex9 cca"
bad EINVAL $CTL "add-adapter 8 cex3c ep11"
bad EINVAL $CTL "add-adapter 8 cex8 fast"
bad EINVAL $CTL "add-adapter 8-6 cex8 cca"
bad EINVAL $CTL "add-adapter 8  cex8 cca"
bad EINVAL $CTL "add-adapter 8 cex8"
bad EINVAL $CTL "add-adapter 8 cex8 cca extra"
bad EEXIST $CTL "add-adapter 0 cex8 cca"
bad EEXIST $CTL "add-adapter 7-9 cex8 cca"      # 7 exists: 8 and 9 are not added
bad ENOENT $CTL "remove-adapter 99"
bad ENOENT $CTL "remove-adapter 6-9"            # 8 is absent: 6 and 7 stay
bad EEXIST $CTL "add-usage-domain 3"
bad ENOENT $CTL "remove-control-domain 200"
bad ERANGE $CTL "reset-delay-ms 60001"
bad EINVAL $CTL "scan-delay-ms -1"
bad EINVAL $CTL "set-config 0 2"
bad ENODEV $CTL "set-chkstop 99 1"
bad EINVAL $CTL "reset-fail 00.0000 0x100"
bad EINVAL $CTL "reset-fail 0000 1"
bad ERANGE $CTL "raise-irq 100.0000"
bad ENXIO $CTL "raise-irq 00.0000"
bad EINVAL $CTL "add-adapter 8 cex8 cca\n\n"

note "$nbad malformed writes refused"
[ "$nbad" -ge 40 ] || fail "only $nbad malformed writes"

note "no mask uevent was sent for any of them"
echo "change 00000000-0000-0000-0000-000000000001 SENTINEL=badinput" > /sys/devices/ap/uevent
wait "$listener" || fail "the sentinel uevent did not arrive"
# the only mask events are the two setup writes
expect_eq "$(grep -c '^APMASK=' /tmp/events)" 1 "APMASK events"
expect_eq "$(grep -c '^AQMASK=' /tmp/events)" 1 "AQMASK events"
