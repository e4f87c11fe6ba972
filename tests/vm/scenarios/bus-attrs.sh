# Every attribute of the simulated AP bus reads in upstream's format
# (kernel-abi.md §1.1, §1.3, §1.4) and has upstream's mode, for a known
# machine: one card of each type and mode, a CEX3C that no driver binds,
# usage domains 0-2 and 31, control domains additionally 64.
ADAPTERS=0:cex8:cca,1:cex7:ep11,2:cex6:accel,3:cex5:cca,4:cex4:accel,5:cex3c:cca
insmod "$APCTL_MODDIR/apsim.ko" adapters=$ADAPTERS usage_domains=0-2,0x1f \
	control_domains=0-2,31,64 || fail "insmod apsim.ko"
echo 1 > /sys/bus/ap/scans

Z="0000000000000000000000000000000000000000000000000000000000000000"
zeros() { echo "$Z" | cut -c1-"$1"; }
F="ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
mode_is() { expect_eq "$(stat -c %a "$1")" "$2" "mode of $1"; }

note "bus attributes"
B=/sys/bus/ap
expect_file_eq $B/ap_adapter_mask "0xfc$(zeros 62)"
expect_file_eq $B/ap_usage_domain_mask "0xe0000001$(zeros 56)"
expect_file_eq $B/ap_control_domain_mask "0xe0000001000000008$(zeros 47)"
expect_file_eq $B/apmask "0x$F"
expect_file_eq $B/aqmask "0x$F"
expect_file_eq $B/ap_domain 0
expect_file_eq $B/ap_max_adapter_id 255
expect_file_eq $B/ap_max_domain_id 255
expect_file_eq $B/ap_interrupts 1
expect_file_eq $B/config_time 30
expect_file_eq $B/poll_thread 0
expect_file_eq $B/poll_timeout 250000
expect_file_eq $B/features "APSC APXA QACT RC8A"
# 6 adapters x 4 usage domains; nothing binds the CEX3C's 4 queues
expect_file_eq $B/bindings "20/24"
scans=$(cat $B/scans)
case "$scans" in ''|*[!0-9]*) fail "scans is not a number: $scans" ;; esac
[ "$scans" -ge 1 ] || fail "scans is $scans after a forced scan"
for a in apmask aqmask ap_domain config_time poll_thread poll_timeout scans; do
	mode_is $B/$a 644
done
for a in ap_adapter_mask ap_usage_domain_mask ap_control_domain_mask ap_max_adapter_id \
	 ap_max_domain_id ap_interrupts bindings features; do
	mode_is $B/$a 444
done
expect_eq "$(ls $B/drivers | tr '\n' ' ')" "cex4card cex4queue " "drivers"

note "card attributes"
# card hwtype functions type modalias max_msg_size
check_card() {
	C=/sys/devices/ap/card$1
	expect_exists /sys/bus/ap/devices/card$1
	expect_file_eq $C/hwtype "$2"
	expect_file_eq $C/raw_hwtype "$2"
	expect_file_eq $C/ap_functions "$3"
	expect_file_eq $C/modalias "$5"
	expect_file_eq $C/max_msg_size "$6"
	expect_file_eq $C/depth 8
	expect_file_eq $C/request_count 0
	expect_file_eq $C/requestq_count 0
	expect_file_eq $C/pendingq_count 0
	expect_file_eq $C/config 1
	expect_file_eq $C/chkstop 0
	for a in hwtype raw_hwtype ap_functions modalias max_msg_size depth requestq_count \
		 pendingq_count chkstop; do
		mode_is $C/$a 444
	done
	mode_is $C/config 644
	mode_is $C/request_count 644
	if [ "$4" = - ]; then
		expect_missing $C/driver
		expect_missing $C/online
		expect_missing $C/type
	else
		expect_eq "$(basename "$(readlink $C/driver)")" cex4card "driver of card$1"
		expect_file_eq $C/type "$4"
		expect_file_eq $C/online 1
		expect_file_eq $C/load 0
		mode_is $C/online 644
		mode_is $C/type 444
	fi
}
check_card 00 14 0xF2000000 CEX8C ap:t0E 12288
check_card 01 13 0x26000000 CEX7P ap:t0D 12288
check_card 02 12 0xCA000000 CEX6A ap:t0C 4096
check_card 03 11 0xF2000000 CEX5C ap:t0B 12288
check_card 04 10 0xCA000000 CEX4A ap:t0A 4096
check_card 05 9 0xF0000000 - ap:t09 12288
expect_missing /sys/devices/ap/card06
grep -qx DEV_TYPE=000E /sys/devices/ap/card00/uevent || fail "card00 uevent lacks DEV_TYPE=000E"
grep -qx MODALIAS=ap:t0E /sys/devices/ap/card00/uevent || fail "card00 uevent lacks MODALIAS"
grep -qx MODE=cca /sys/devices/ap/card00/uevent || fail "card00 uevent lacks MODE=cca"
grep -qx MODE=ep11 /sys/devices/ap/card01/uevent || fail "card01 uevent lacks MODE=ep11"
grep -qx MODE=accel /sys/devices/ap/card02/uevent || fail "card02 uevent lacks MODE=accel"

note "queue attributes"
expect_eq "$(ls -d /sys/devices/ap/card00/00.* | xargs -n1 basename | tr '\n' ' ')" \
	"00.0000 00.0001 00.0002 00.001f " "queues of card00"
check_queue() {
	Q=/sys/devices/ap/card$1/$1.$2
	expect_exists /sys/bus/ap/devices/$1.$2
	expect_file_eq $Q/request_count 0
	expect_file_eq $Q/requestq_count 0
	expect_file_eq $Q/pendingq_count 0
	expect_file_eq $Q/reset "No Reset Timer set."
	expect_file_eq $Q/interrupt "Interrupts disabled."
	expect_file_eq $Q/config 1
	expect_file_eq $Q/chkstop 0
	expect_file_eq $Q/ap_functions "$3"
	mode_is $Q/reset 644
	mode_is $Q/request_count 644
	for a in requestq_count pendingq_count interrupt config chkstop ap_functions; do
		mode_is $Q/$a 444
	done
	grep -qx "MODE=$4" $Q/uevent || fail "$1.$2 uevent lacks MODE=$4"
	if grep -q '^DEV_TYPE=' $Q/uevent || grep -q '^MODALIAS=' $Q/uevent; then
		fail "$1.$2 uevent has card-only variables"
	fi
	if [ "$5" = - ]; then
		expect_missing $Q/driver
		expect_missing $Q/online
	else
		expect_eq "$(basename "$(readlink $Q/driver)")" cex4queue "driver of $1.$2"
		expect_file_eq $Q/online 1
		expect_file_eq $Q/load 0
		mode_is $Q/online 644
		mode_is $Q/load 444
	fi
}
check_queue 00 0000 0xF2000000 cca cex4queue
check_queue 00 001f 0xF2000000 cca cex4queue
check_queue 01 0002 0x26000000 ep11 cex4queue
check_queue 02 0001 0xCA000000 accel cex4queue
check_queue 05 0000 0xF0000000 cca -
expect_missing /sys/devices/ap/card00/00.0040

note "control interface is root-only"
mode_is /sys/kernel/debug/apsim/control 600

note "without APXA the highest ids are 63 and 15"
rmmod apsim || fail "rmmod apsim"
insmod "$APCTL_MODDIR/apsim.ko" apxa=0 adapters=0:cex8:cca usage_domains=0-15 || fail "insmod apxa=0"
echo 1 > /sys/bus/ap/scans
expect_file_eq $B/ap_max_adapter_id 63
expect_file_eq $B/ap_max_domain_id 15
expect_file_eq $B/features "APSC QACT RC8A"
expect_file_eq $B/bindings "16/16 (complete)"

note "module parameters: apmask/aqmask in both syntaxes, domain; bad ones refuse the load"
rmmod apsim || fail "rmmod apsim"
insmod "$APCTL_MODDIR/apsim.ko" apmask=+0-3,+0x10 aqmask=0xf0 domain=5 || fail "insmod with masks"
echo 1 > /sys/bus/ap/scans
expect_file_eq $B/apmask "0xf0008$(zeros 59)"
expect_file_eq $B/aqmask "0xf0$(zeros 62)"
expect_file_eq $B/ap_domain 5
rmmod apsim || fail "rmmod apsim"
# the default domain is the first usage domain the masks reserve
insmod "$APCTL_MODDIR/apsim.ko" aqmask=0x0f || fail "insmod aqmask=0x0f"
echo 1 > /sys/bus/ap/scans
expect_file_eq $B/ap_domain 4
rmmod apsim || fail "rmmod apsim"
for bad in apmask=+256 aqmask=0xzz domain=256 adapters=0:cex9:cca adapters=0:cex3c:ep11 \
	   adapters=300:cex8:cca usage_domains=0-300 max_adapter_id=256; do
	if insmod "$APCTL_MODDIR/apsim.ko" "$bad" 2>/dev/null; then
		fail "insmod apsim.ko $bad succeeded"
	fi
	expect_missing /sys/module/apsim
done
