# Every write syntax the real AP bus accepts is accepted, with the effect
# upstream gives it: apmask/aqmask absolute (0x, bare x, no prefix, short,
# upper case, trailing newline) and relative (signed terms, ranges, base 0
# numbers, last term wins, "," or newline separators, the doc's examples),
# ap_domain (%i), config_time, poll_thread (kstrtobool), poll_timeout
# (base 0), scans, card config/online, queue online, request_count, reset.
insmod "$APCTL_MODDIR/apsim.ko" || fail "insmod apsim.ko"
echo 1 > /sys/bus/ap/scans
B=/sys/bus/ap
Z="0000000000000000000000000000000000000000000000000000000000000000"
F="ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
# mask HEXPREFIX: the 64-digit mask starting with HEXPREFIX, zeros after
mask() { echo "0x$1$(echo "$Z" | cut -c$((${#1} + 1))-64)"; }
ok() { # FILE VALUE EXPECTED-READ
	expect_write_ok "$1" "$2"
	expect_file_eq "$1" "$3"
}
drv() { basename "$(readlink "/sys/bus/ap/devices/$1/driver" 2>/dev/null)" 2>/dev/null || true; }

note "apmask, absolute form"
ok $B/apmask "0xf0" "$(mask f0)"
expect_eq "$(drv 00.0000)" cex4queue "00.0000 still reserved"
expect_eq "$(drv 04.0000)" "" "04.0000 unbound once no longer reserved"
ok $B/apmask "c0" "$(mask c)"
ok $B/apmask "x80" "$(mask 8)"
ok $B/apmask "0xF0\n" "$(mask f)"
ok $B/apmask "0x$F" "0x$F"
expect_eq "$(drv 04.0000)" cex4queue "04.0000 back to the default driver"
ok $B/apmask "0x" "$(mask "")"
ok $B/apmask "\n" "$(mask "")"
ok $B/apmask "0x0123456789abcdef" "$(mask 0123456789abcdef)"

note "apmask, relative form"
ok $B/apmask "0x" "$(mask "")"
ok $B/apmask "+0" "$(mask 8)"
ok $B/apmask "+0-3" "$(mask f)"
ok $B/apmask "-0" "$(mask 7)"
ok $B/apmask "+0,-2" "$(mask d)"
ok $B/apmask "+0x4,+010" "$(mask d880)"
ok $B/apmask "-0-255,+1-2" "$(mask 6)"
ok $B/apmask "+1\n+3" "$(mask 7)"
ok $B/apmask "+4+5" "$(mask 7c)"
ok $B/apmask "+6,,+7," "$(mask 7f)"
ok $B/apmask "-0-255,+0-15,+32,-128,-0xFF" "$(mask ffff00008)"
ok $B/apmask "-0-255,+0,-6,+0x47,-0xf0" "$(mask 800000000000000001)"
ok $B/apmask "+0-255\n" "0x$F"
expect_eq "$(drv 07.000f)" cex4queue "07.000f reserved again"

note "aqmask"
ok $B/aqmask "0xffff" "$(mask ffff)"
ok $B/aqmask "-8-15" "$(mask ff)"
expect_eq "$(drv 00.0008)" "" "00.0008 unbound"
ok $B/aqmask "+0-255" "0x$F"
expect_eq "$(drv 00.0008)" cex4queue "00.0008 back"

note "ap_domain (%i)"
ok $B/ap_domain 3 3
ok $B/ap_domain 0x4 4
ok $B/ap_domain 05 5
ok $B/ap_domain "6\n" 6
ok $B/ap_domain "7abc" 7
ok $B/ap_domain 255 255

note "config_time, poll_thread, poll_timeout"
ok $B/config_time 5 5
ok $B/config_time "120\n" 120
ok $B/config_time 30 30
# with interrupts on, upstream accepts the write and starts no thread
for v in 1 0 y n Y N on off "1\n"; do
	ok $B/poll_thread "$v" 0
done
ok $B/poll_timeout 1000 1000
ok $B/poll_timeout 0x100 256
ok $B/poll_timeout 0 0
ok $B/poll_timeout "120000000000\n" 120000000000

note "scans: any write is one synchronous scan"
n=$(cat $B/scans)
expect_write_ok $B/scans 1
expect_file_eq $B/scans $((n + 1))
expect_write_ok $B/scans "anything at all"
expect_file_eq $B/scans $((n + 2))

note "card config, card and queue online"
C=/sys/devices/ap/card03
ok $C/config 0 0
expect_file_eq $C/online 0
expect_write_ok $B/scans 1
expect_file_eq $C/03.0002/config 0
expect_file_eq $C/03.0002/online 0
ok $C/config "1\n" 1
expect_write_ok $B/scans 1
expect_file_eq $C/03.0002/config 1
expect_file_eq $C/03.0002/online 1
ok $C/online 0 0
expect_file_eq $C/03.0002/online 0
ok $C/online "1\n" 1
expect_file_eq $C/03.0002/online 1
ok $C/03.0002/online 0 0
expect_file_eq $C/03.0001/online 1
ok $C/03.0002/online 1 1

note "request_count (reset with any write), reset"
ok $C/request_count x 0
ok $C/03.0002/request_count "" 0
expect_write_ok /sys/kernel/debug/apsim/control "reset-delay-ms 60000"
expect_write_ok $C/03.0002/reset 1
expect_file_eq $C/03.0002/reset "Reset in progress."
expect_write_ok /sys/kernel/debug/apsim/control "reset-delay-ms 0"
expect_write_ok $C/03.0002/reset 1
expect_file_eq $C/03.0002/reset "No Reset Timer set."
