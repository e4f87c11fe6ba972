# A walk of /sys/bus/ap the way lszcrypt -V does it (cards, then each
# card's queues; type, mode from ap_functions, status from online/config,
# hwtype, driver) prints the configured machine, including a deconfigured
# card, an offline queue, a CEX3C no driver binds and queues reserved away
# from the default drivers.
insmod "$APCTL_MODDIR/apsim.ko" adapters=0:cex8:cca,1:cex7:ep11,2:cex6:accel,3:cex3c:cca \
	usage_domains=5,6 || fail "insmod apsim.ko"
echo 1 > /sys/bus/ap/scans
expect_write_ok /sys/devices/ap/card01/config 0
expect_write_ok /sys/bus/ap/scans 1
expect_write_ok /sys/devices/ap/card02/02.0005/online 0
expect_write_ok /sys/bus/ap/aqmask "-6"

mode_of() {
	f=$(($(cat "$1/ap_functions")))
	if [ $((f & 0x08000000)) -ne 0 ]; then echo Accelerator
	elif [ $((f & 0x10000000)) -ne 0 ]; then echo CCA-Coproc
	elif [ $((f & 0x04000000)) -ne 0 ]; then echo EP11-Coproc
	else echo unknown; fi
}
status_of() {
	if [ "$(cat "$1/config")" = 0 ]; then echo deconfig
	elif [ "$(cat "$1/chkstop")" = 1 ]; then echo chkstop
	elif [ ! -e "$1/online" ]; then echo -
	elif [ "$(cat "$1/online")" = 1 ]; then echo online
	else echo offline; fi
}
driver_of() {
	if [ -e "$1/driver" ]; then basename "$(readlink "$1/driver")"; else echo -no-driver-; fi
}
walk() {
	for c in /sys/bus/ap/devices/card*; do
		c=$(readlink -f "$c")
		id=${c##*/card}
		t=$(cat "$c/type" 2>/dev/null || echo "CEX?")
		echo "$id $t $(mode_of "$c") $(status_of "$c") $(cat "$c/hwtype") $(driver_of "$c")"
		for q in "$c"/"$id".*; do
			[ -d "$q" ] || continue
			echo "${q##*/} $t $(mode_of "$q") $(status_of "$q") $(cat "$c/hwtype") $(driver_of "$q")"
		done
	done
}
got=$(walk)
echo "$got"
expected="00 CEX8C CCA-Coproc online 14 cex4card
00.0005 CEX8C CCA-Coproc online 14 cex4queue
00.0006 CEX8C CCA-Coproc - 14 -no-driver-
01 CEX7P EP11-Coproc deconfig 13 cex4card
01.0005 CEX7P EP11-Coproc deconfig 13 cex4queue
01.0006 CEX7P EP11-Coproc deconfig 13 -no-driver-
02 CEX6A Accelerator online 12 cex4card
02.0005 CEX6A Accelerator offline 12 cex4queue
02.0006 CEX6A Accelerator - 12 -no-driver-
03 CEX? CCA-Coproc - 9 -no-driver-
03.0005 CEX? CCA-Coproc - 9 -no-driver-
03.0006 CEX? CCA-Coproc - 9 -no-driver-"
[ "$got" = "$expected" ] || fail "walk differs; expected:
$expected"
