# The in_use protocol (kernel-abi.md §3), with apsim_testdrv as the
# non-default driver: in_use is asked only when a mask write sets bits,
# with the newly set bits and the unchanged other mask, under
# ap_perms_mutex; a non-zero answer is -EBUSY for the writer, the masks
# stay as they were, nothing is reprobed and no uevent is sent. Mask
# writes and reads wait for ap_perms_mutex interruptibly (a killed waiter
# goes away while the holder is still inside in_use).
insmod "$APCTL_MODDIR/apsim.ko" adapters=0-3:cex8:cca usage_domains=0-3 || fail "insmod apsim.ko"
echo 1 > /sys/bus/ap/scans
insmod "$APCTL_MODDIR/apsim_testdrv.ko" bind=1 || fail "insmod apsim_testdrv.ko"
T=/sys/kernel/debug/apsim_testdrv
B=/sys/bus/ap
drv() { basename "$(readlink "/sys/bus/ap/devices/$1/driver")"; }
log_has() { grep -q -x -F -- "$1" $T/events; }

note "queues taken from the default drivers go to the test driver"
expect_write_ok $B/apmask "-2"
expect_eq "$(drv 02.0001)" apsim_testdrv "driver of 02.0001"
log_has "probe 02.0001" || fail "no probe of 02.0001 in: $(cat $T/events)"
expect_eq "$(grep -c '^in_use' $T/events || true)" 0 "in_use calls for a write that only clears bits"
expect_write_ok $B/aqmask "-3"
expect_eq "$(drv 01.0003)" apsim_testdrv "driver of 01.0003"

rm -f /tmp/ready
uevent-listen -t 60 -r /tmp/ready -o /tmp/events 'SYNTH_ARG_SENTINEL=inuse' &
listener=$!
wait_for 10 test -e /tmp/ready
apm=$(cat $B/apmask)
aqm=$(cat $B/aqmask)
echo > $T/events

note "in_use says busy: EBUSY, masks unchanged, queues stay"
echo 1 > $T/in_use
expect_write_err EBUSY $B/apmask "+2"
expect_file_eq $B/apmask "$apm"
expect_file_eq $B/aqmask "$aqm"
expect_eq "$(drv 02.0001)" apsim_testdrv "driver of 02.0001 after the refusal"
log_has "in_use apm=2 aqm=0-2,4-255" || fail "in_use arguments: $(cat $T/events)"
expect_write_err EBUSY $B/aqmask "+3"
log_has "in_use apm=0-1,3-255 aqm=3" || fail "in_use arguments: $(cat $T/events)"
# absolute form: 0-15 sets only 3 (and clears 16-255)
expect_write_err EBUSY $B/aqmask "0xffff"
expect_eq "$(grep -c -x -F 'in_use apm=0-1,3-255 aqm=3' $T/events)" 2 "in_use calls for domain 3"
# a write that sets and clears bits: only the newly set ones are asked about
expect_write_err EBUSY $B/apmask "-0,+2"
expect_file_eq $B/apmask "$apm"
expect_eq "$(grep -c '^in_use' $T/events)" 4 "in_use calls"
expect_eq "$(grep -c '^remove' $T/events || true)" 0 "queues removed from the test driver"

note "a write that only clears bits is not asked about"
expect_write_ok $B/apmask "-3"
expect_eq "$(grep -c '^in_use' $T/events)" 4 "in_use calls"
expect_eq "$(drv 03.0000)" apsim_testdrv "driver of 03.0000"

note "no uevent for the refused writes"
echo "change 00000000-0000-0000-0000-000000000001 SENTINEL=inuse" > /sys/devices/ap/uevent
wait "$listener" || fail "the sentinel uevent did not arrive"
expect_eq "$(grep -c '^APMASK=' /tmp/events)" 1 "APMASK events (only the accepted -3)"
expect_eq "$(grep -c '^AQMASK=' /tmp/events || true)" 0 "AQMASK events"

note "in_use says free: the write goes through and the queues go back"
echo 0 > $T/in_use
expect_write_ok $B/apmask "+2-3"
expect_eq "$(drv 02.0001)" cex4queue "driver of 02.0001"
log_has "remove 02.0001" || fail "no remove of 02.0001 in: $(cat $T/events)"
log_has "in_use apm=2-3 aqm=0-2,4-255" || fail "in_use arguments: $(cat $T/events)"
expect_write_ok $B/aqmask "+3"
expect_eq "$(drv 01.0003)" cex4queue "driver of 01.0003"
expect_file_eq $B/bindings "16/16 (complete)"

note "apmask waits for ap_perms_mutex interruptibly"
expect_write_ok $B/apmask "-2"
echo 1 > $T/in_use_block
sysfs-write $B/apmask "+2" > /tmp/w1 &
w1=$!
in_use_called() { grep -q '^in_use apm=2 ' $T/events; }
echo > $T/events
wait_for 30 in_use_called
# the first writer holds ap_perms_mutex inside in_use; a second one waits
sysfs-write $B/aqmask "-1" > /tmp/w2 &
w2=$!
cat $B/apmask > /tmp/r3 &
r3=$!
state() { [ "$(cut -d' ' -f3 /proc/$1/stat 2>/dev/null)" = "$2" ]; }
wait_for 30 state $w2 S
wait_for 30 state $r3 S
kill -KILL $w2 $r3
gone() { [ ! -e /proc/$1 ]; }
wait_for 30 gone $w2
wait_for 30 gone $r3
[ -e /proc/$w1 ] || fail "the first writer finished while in_use still blocks"
echo 0 > $T/in_use_block
wait $w1 || true
expect_eq "$(cat /tmp/w1)" OK "the first writer"
expect_eq "$(drv 02.0001)" cex4queue "driver of 02.0001"
expect_file_eq $B/aqmask "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
