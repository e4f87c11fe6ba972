# Fault injection and the simulated AP instructions, driven through the
# control interface and run by apsim_testdrv through the driver API:
# resets that take N ms (TAPQ answers "reset in progress" until done),
# resets that fail with an injected response code, adapter interrupts
# after AQIC, deconfigured/checkstopped/absent queues, and a slow scan
# (the module still unloads while one runs).
insmod "$APCTL_MODDIR/apsim.ko" adapters=0-3:cex8:cca usage_domains=0-3 || fail "insmod apsim.ko"
echo 1 > /sys/bus/ap/scans
insmod "$APCTL_MODDIR/apsim_testdrv.ko" || fail "insmod apsim_testdrv.ko"
CTL=/sys/kernel/debug/apsim/control
T=/sys/kernel/debug/apsim_testdrv
run() { # OP APQN: the instruction's logged result
	echo > $T/events
	echo "$1 $2" > $T/cmd
	cat $T/events
}

note "a reset that takes 5000 ms"
expect_write_ok $CTL "reset-delay-ms 5000"
expect_eq "$(run tapq 00.0000)" "tapq 00.0000 rc=0x00 irq=0"
expect_eq "$(run zapq 00.0000)" "zapq 00.0000 rc=0x00 irq=0"
expect_eq "$(run tapq 00.0000)" "tapq 00.0000 rc=0x02 irq=0"
expect_file_eq /sys/devices/ap/card00/00.0000/reset "Reset in progress."
tapq_done() { [ "$(run tapq 00.0000)" = "tapq 00.0000 rc=0x00 irq=0" ]; }
wait_for 30 tapq_done
expect_file_eq /sys/devices/ap/card00/00.0000/reset "No Reset Timer set."
expect_write_ok $CTL "reset-delay-ms 0"

note "a reset that fails"
expect_write_ok $CTL "reset-fail 00.0001 0x06"
grep -qx "reset-fail 00.0001 0x06" $CTL || fail "control: $(cat $CTL)"
expect_eq "$(run zapq 00.0001)" "zapq 00.0001 rc=0x06 irq=0"
expect_eq "$(run tapq 00.0001)" "tapq 00.0001 rc=0x00 irq=0"
expect_eq "$(run zapq 00.0002)" "zapq 00.0002 rc=0x00 irq=0"
expect_write_ok $CTL "reset-fail 00.0001 0"
expect_eq "$(run zapq 00.0001)" "zapq 00.0001 rc=0x00 irq=0"

note "adapter interrupts after AQIC"
expect_eq "$(run aqic-on 01.0002)" "aqic-on 01.0002 rc=0x00 irq=1"
expect_file_eq /sys/devices/ap/card01/01.0002/interrupt "Interrupts enabled."
expect_eq "$(run tapq 01.0002)" "tapq 01.0002 rc=0x00 irq=1"
echo > $T/events
expect_write_ok $CTL "raise-irq 01.0002"
expect_write_ok $CTL "raise-irq 01.0002"
expect_eq "$(cat $T/events)" "irq 01.0002
irq 01.0002" "interrupts delivered"
# a reset disables interruptions, as ZAPQ does
expect_eq "$(run zapq 01.0002)" "zapq 01.0002 rc=0x00 irq=0"
expect_file_eq /sys/devices/ap/card01/01.0002/interrupt "Interrupts disabled."
expect_write_err ENXIO $CTL "raise-irq 01.0002"
expect_eq "$(run aqic-on 01.0003)" "aqic-on 01.0003 rc=0x00 irq=1"
expect_eq "$(run aqic-off 01.0003)" "aqic-off 01.0003 rc=0x00 irq=0"
expect_write_err ENXIO $CTL "raise-irq 01.0003"

note "deconfigured, checkstopped and absent queues"
expect_write_ok $CTL "set-config 2 0"
expect_eq "$(run tapq 02.0000)" "tapq 02.0000 rc=0x03 irq=0"
expect_eq "$(run zapq 02.0000)" "zapq 02.0000 rc=0x03 irq=0"
expect_eq "$(run aqic-on 02.0000)" "aqic-on 02.0000 rc=0x03 irq=0"
expect_write_ok $CTL "set-chkstop 2 1"
expect_eq "$(run tapq 02.0000)" "tapq 02.0000 rc=0x04 irq=0"
expect_eq "$(run tapq 09.0000)" "tapq 09.0000 rc=0x01 irq=0"
expect_eq "$(run tapq 00.0009)" "tapq 00.0009 rc=0x01 irq=0"
expect_write_ok $CTL "remove-adapter 3"
expect_eq "$(run tapq 03.0000)" "tapq 03.0000 rc=0x01 irq=0"

note "a scan that takes 3000 ms"
expect_write_ok $CTL "scan-delay-ms 3000"
n=$(cat /sys/bus/ap/scans)
echo 1 > /sys/bus/ap/scans &
writer=$!
scanning() { grep -qx "scanning 1" $CTL; }
wait_for 30 scanning
wait "$writer" || fail "the scans write failed"
expect_file_eq /sys/bus/ap/scans $((n + 1))
grep -qx "scanning 0" $CTL || fail "still scanning after the write returned"
expect_missing /sys/devices/ap/card03

note "unloading while a slow scan runs"
echo 1 > /sys/bus/ap/scans &
writer=$!
wait_for 30 scanning
rmmod apsim_testdrv || fail "rmmod apsim_testdrv"
rmmod apsim || fail "rmmod apsim during a scan"
wait "$writer" || true
expect_missing /sys/module/apsim
expect_missing /sys/bus/ap
