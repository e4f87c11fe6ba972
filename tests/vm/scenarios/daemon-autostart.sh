# Autostart waits for the kernel: a guest defined with --autostart while
# vfio_ap is not loaded (its queues unbound, bindings incomplete) is started
# by apctld once vfio_ap binds them and the bus reports bindings complete,
# not before; a restarted apctld finds it running and starts nothing twice.
# Autostart runs once per boot: stopped by the admin, web01 stays stopped
# across a restart of apctld, until an explicit reconcile.
. /apctl/daemon-lib.sh
DAEMON_LOG_LINES=150

note "only the AP bus: no vfio_ap yet"
load_host_modules
insmod "$APCTL_MODDIR/apsim.ko" adapters="$DAEMON_ADAPTERS" usage_domains="$DAEMON_USAGE_DOMAINS" \
	control_domains="$DAEMON_CONTROL_DOMAINS" || fail "insmod apsim.ko"
echo 1 >/sys/bus/ap/scans
daemon_start --debug
run_apctl host release --adapter 4
# Adapter 4's queues now have no driver: bindings stay incomplete.
daemon_wait_for 10 sh -c 'case $(cat /sys/bus/ap/bindings) in 140/160) exit 0;; esac; exit 1'

run_apctl guest define web01 --adapter 4 --domain 1-2 --control-domain 1 --autostart
U=$(guest_uuid web01)
run_apctl guest list
expect_missing "$MATRIX_DEV"
! guest_running web01 || fail "web01 runs before vfio_ap is loaded"

note "vfio_ap arrives: its queues bind, bindings complete, then apctld starts web01"
events_start /tmp/events
insmod "$APCTL_MODDIR/vfio_ap_sim.ko" || fail "insmod vfio_ap_sim.ko"
daemon_wait_for 60 test -d "$(mdev_dir "$U")"
daemon_wait_for 30 event_seen guest-started web01
expect_eq "$(cat /sys/bus/ap/bindings)" "160/160 (complete)" "bindings"
daemon_wait_for 10 sh -c "[ \"\$(tr '\n' ' ' <$MATRIX_DEV/$U/matrix)\" = '04.0001 04.0002 ' ]"
expect_file_eq "$(mdev_dir "$U")/control_domains" "0001"
cat /tmp/events
b=$(event_line bindings-complete)
s=$(event_line guest-started)
[ -n "$b" ] || fail "no bindings-complete event before the autostart"
[ "$b" -lt "$s" ] || fail "guest-started (event $s) came before bindings-complete (event $b)"
events_stop
run_apctl guest list
guest_running web01 || fail "web01 does not run after the autostart"

note "apctld restarts: web01 is found running, nothing is started twice"
daemon_stop
daemon_start --debug
run_apctl status
expect_eq "$(json_num "$(apctl --json status)" running)" 1 "guests running after restart"
expect_eq "$(ls -d $MATRIX_DEV/*-*-*-*-* | wc -l)" 1 "mdevs after restart"
expect_eq "$(mdev_matrix "$U")" "04.0001 04.0002" "mdev matrix after restart"
run_apctl guest stop web01

note "apctld restarts again: autostart ran this boot, web01 the admin stopped stays stopped"
test -f /run/apctl/autostart-done.json || fail "no /run/apctl/autostart-done.json"
cat /run/apctl/autostart-done.json; echo
daemon_stop
daemon_start --debug
# A change waits for a transaction in flight (an autostart started at start-up): this one sees its result.
apctl_refused 4 guest stop web01
expect_contains "$APCTL_OUT" "not running"
expect_eq "$(ls -d $MATRIX_DEV/*-*-*-*-* 2>/dev/null | wc -l)" 0 "mdevs after the second restart"

note "an explicit reconcile retries autostart: web01 starts"
run_apctl reconcile
daemon_wait_for 30 guest_running web01
run_apctl guest stop web01
daemon_stop
