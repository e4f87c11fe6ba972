# The AP bus's uevents carry exactly upstream's environment (kernel-abi.md
# §2), captured with uevent-listen on the kernel's uevent socket:
# INITSCAN=done and BINDINGS=complete after the first scan, APMASK= (with
# upstream's trailing newline) after the reprobe of a mask change, the
# BINDINGS re-arm rules of 6.10+ (next complete only after the next scan),
# CONFIG= on a card and then its queues, ONLINE= on a card and its queues.
EV=/tmp/events
n_listen=0
listen() { # PATTERN...: start a listener that ends at the first match
	n_listen=$((n_listen + 1))
	rm -f /tmp/ready "$EV"
	uevent-listen -t 60 -r /tmp/ready -o "$EV" "$@" &
	listener=$!
	wait_for 10 test -e /tmp/ready
}
collect() { wait "$listener" || fail "no uevent matched: $*"; }
sentinel() { # end the listener with a synthetic event, proving what came before it
	echo "change 00000000-0000-0000-0000-00000000000$n_listen SENTINEL=s$n_listen" \
		> /sys/devices/ap/uevent
	collect sentinel
}
# blocks LINE: every event that has LINE, without SEQNUM, each ended by "--"
blocks() {
	# through the environment: awk -v would turn a literal \n into a newline
	PAT="$1" awk '
		/^$/ { if (hit) printf "%s--\n", blk; blk = ""; hit = 0; next }
		/^SEQNUM=/ { next }
		{ blk = blk $0 "\n"; if ($0 == ENVIRON["PAT"]) hit = 1 }' "$EV"
}
count() { grep -c -F -x -- "$1" "$EV" || true; }

note "loading: INITSCAN=done, then BINDINGS=complete COMPLETECOUNT=1"
listen 'BINDINGS=complete'
insmod "$APCTL_MODDIR/apsim.ko" || fail "insmod apsim.ko"
collect BINDINGS
expect_eq "$(blocks INITSCAN=done)" "change@/devices/ap
ACTION=change
DEVPATH=/devices/ap
SUBSYSTEM=ap
INITSCAN=done
--" "INITSCAN event"
expect_eq "$(blocks BINDINGS=complete)" "change@/devices/ap
ACTION=change
DEVPATH=/devices/ap
SUBSYSTEM=ap
BINDINGS=complete
COMPLETECOUNT=1
--" "BINDINGS event"
expect_eq "$(blocks DEVPATH=/devices/ap/card00 | head -9)" "add@/devices/ap/card00
ACTION=add
DEVPATH=/devices/ap/card00
SUBSYSTEM=ap
DEVTYPE=ap_card
DEV_TYPE=000E
MODALIAS=ap:t0E
MODE=cca
--" "card add event"
expect_eq "$(blocks DEVPATH=/devices/ap/card00/00.0003 | head -7)" "add@/devices/ap/card00/00.0003
ACTION=add
DEVPATH=/devices/ap/card00/00.0003
SUBSYSTEM=ap
DEVTYPE=ap_queue
MODE=cca
--" "queue add event"
# INITSCAN comes before BINDINGS and both once
expect_eq "$(count INITSCAN=done)" 1 "INITSCAN events"
expect_eq "$(grep -n -x -e INITSCAN=done -e BINDINGS=complete "$EV" | cut -d: -f2 | tr '\n' ' ')" \
	"INITSCAN=done BINDINGS=complete " "order"

note "a scan with nothing to do sends neither again"
listen 'SYNTH_ARG_SENTINEL=s2'
expect_write_ok /sys/bus/ap/scans 1
sentinel
expect_eq "$(count BINDINGS=complete)" 0 "BINDINGS after an idle scan"
expect_eq "$(count INITSCAN=done)" 0 "INITSCAN after the first scan"

note "mask change: reprobe, then APMASK= with its trailing newline"
listen 'APMASK=*'
expect_write_ok /sys/bus/ap/apmask "-1"
collect APMASK
expect_eq "$(blocks 'APMASK=0xbfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n')" \
"change@/devices/ap
ACTION=change
DEVPATH=/devices/ap
SUBSYSTEM=ap
APMASK=0xbfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\\n
--" "APMASK event"
expect_eq "$(grep -c '^unbind@/devices/ap/card01/01\.' "$EV")" 16 "queues unbound before the uevent"
expect_eq "$(count BINDINGS=complete)" 0 "BINDINGS while 16 queues are unbound"
expect_file_eq /sys/bus/ap/bindings "112/128"

note "bindings: re-armed by the probes, complete again only at the next scan"
listen 'SYNTH_ARG_SENTINEL=s4'
expect_write_ok /sys/bus/ap/apmask "+1"
expect_file_eq /sys/bus/ap/bindings "128/128 (complete)"
sentinel
expect_eq "$(grep -c '^bind@/devices/ap/card01/01\.' "$EV")" 16 "queues bound again"
expect_eq "$(grep -c '^AQMASK=' "$EV" || true)" 0 "AQMASK events"
expect_eq "$(count BINDINGS=complete)" 0 "BINDINGS before the next scan"
listen 'BINDINGS=complete'
expect_write_ok /sys/bus/ap/scans 1
collect BINDINGS
expect_eq "$(blocks BINDINGS=complete)" "change@/devices/ap
ACTION=change
DEVPATH=/devices/ap
SUBSYSTEM=ap
BINDINGS=complete
COMPLETECOUNT=2
--" "second BINDINGS event"

note "aqmask change"
listen 'AQMASK=*'
expect_write_ok /sys/bus/ap/aqmask "0xff"
collect AQMASK
expect_eq "$(count 'AQMASK=0xff00000000000000000000000000000000000000000000000000000000000000\n')" 1 "AQMASK event"
listen 'AQMASK=*'
expect_write_ok /sys/bus/ap/aqmask "+0-255"
collect AQMASK

note "config change: CONFIG= on the card at once, on its queues at the next scan"
listen 'DEVPATH=/devices/ap/card01/01.000f' 'CONFIG=0'
expect_write_ok /sys/devices/ap/card01/config 0
expect_write_ok /sys/bus/ap/scans 1
collect CONFIG
expect_eq "$(blocks DEVPATH=/devices/ap/card01)" "change@/devices/ap/card01
ACTION=change
DEVPATH=/devices/ap/card01
SUBSYSTEM=ap
CONFIG=0
DEVTYPE=ap_card
DRIVER=cex4card
DEV_TYPE=000E
MODALIAS=ap:t0E
MODE=cca
--" "card CONFIG event"
expect_eq "$(blocks DEVPATH=/devices/ap/card01/01.0003)" "change@/devices/ap/card01/01.0003
ACTION=change
DEVPATH=/devices/ap/card01/01.0003
SUBSYSTEM=ap
CONFIG=0
DEVTYPE=ap_queue
DRIVER=cex4queue
MODE=cca
--" "queue CONFIG event"
expect_eq "$(count CONFIG=0)" 17 "CONFIG=0 events (the card and its 16 queues)"

note "online change: ONLINE= on the card and on each queue that flipped"
listen 'DEVPATH=/devices/ap/card02/02.000f' 'ONLINE=0'
expect_write_ok /sys/devices/ap/card02/02.0003/online 0
expect_write_ok /sys/devices/ap/card02/online 0
collect ONLINE
expect_eq "$(blocks DEVPATH=/devices/ap/card02)" "change@/devices/ap/card02
ACTION=change
DEVPATH=/devices/ap/card02
SUBSYSTEM=ap
ONLINE=0
DEVTYPE=ap_card
DRIVER=cex4card
DEV_TYPE=000E
MODALIAS=ap:t0E
MODE=cca
--" "card ONLINE event"
expect_eq "$(blocks DEVPATH=/devices/ap/card02/02.0005)" "change@/devices/ap/card02/02.0005
ACTION=change
DEVPATH=/devices/ap/card02/02.0005
SUBSYSTEM=ap
ONLINE=0
DEVTYPE=ap_queue
DRIVER=cex4queue
MODE=cca
--" "queue ONLINE event"
# 02.0003 went offline on its own first: the card write flips the other 15
expect_eq "$(grep -c '^change@/devices/ap/card02/02\.' "$EV")" 16 "queue ONLINE events"
