# The host and a running guest: reserving an APQN a guest holds is refused
# with the guest's name and changes no mask; an adapter removed from the
# machine while the guest runs is reported (events, status, guest show) and
# the definition is not silently changed; when the adapter comes back it
# goes back into the guest. An mdev changed by hand is reported as drift
# and not changed back.
. /apctl/daemon-lib.sh

daemon_load_modules
daemon_wait_for 30 daemon_bindings_complete
daemon_start
run_apctl host release --adapter 4-5
run_apctl guest define web01 --adapter 4-5 --domain 1-2 --control-domain 1
run_apctl guest start web01
U=$(guest_uuid web01)
sim_guest_attach vm-web01 "$U"
expect_eq "$(sim_guest_apcb vm-web01)" "$(ap_apcb '4 5' '1 2' 1)" "what the VM sees"

note "host reserve of a guest's adapter is refused, naming the guest"
apmask=$(cat /sys/bus/ap/apmask)
apctl_refused 4 host reserve --adapter 5
expect_contains "$APCTL_OUT" "web01" "refusal names the guest"
expect_contains "$APCTL_OUT" "05.0001" "refusal names the APQN"
expect_file_eq /sys/bus/ap/apmask "$apmask"
apctl_refused 4 host reserve --apqn 04.0002
expect_contains "$APCTL_OUT" "web01" "refusal names the guest"
expect_file_eq /sys/bus/ap/apmask "$apmask"
run_apctl list --adapter 5
expect_eq "$(echo "$APCTL_OUT" | grep -c '^05\.000[12] .*web01')" 2 "list: web01 owns 05.0001-05.0002"

note "adapter 5 leaves the machine while web01 runs"
events_start /tmp/events
echo "remove-adapter 5" >"$APSIM_CONTROL"
echo 1 >/sys/bus/ap/scans
daemon_wait_for 30 event_seen card-removed '"adapter":5'
daemon_wait_for 30 event_seen drift web01
daemon_wait_for 10 sim_guest_sees vm-web01 "$(ap_apcb 4 '1 2' 1)"
cat /tmp/events
run_apctl status
expect_contains "$APCTL_OUT" "web01" "status shows web01's drift"
expect_not_contains "$(apctl --json status | tr -d ' \n')" '"drift":[]' "status drift"
run_apctl guest show web01
expect_contains "$(apctl --json guest show web01 | tr -d ' \n')" '"adapters":[4,5]' "definition keeps adapter 5"

note "adapter 5 comes back: hot plugged into web01 again, the drift clears"
echo "add-adapter 5 cex7 cca" >"$APSIM_CONTROL"
echo 1 >/sys/bus/ap/scans
daemon_wait_for 30 sim_guest_sees vm-web01 "$(ap_apcb '4 5' '1 2' 1)"
daemon_wait_for 30 sh -c "apctl --json status | tr -d ' \n' | grep -q '\"drift\":\[\]'"
run_apctl status

note "someone assigns domain 3 to web01's mdev behind apctld's back: drift, and apctld leaves it alone"
echo 3 >"$(mdev_dir "$U")/assign_domain"
daemon_wait_for 30 event_seen drift mdev-changed
expect_contains "$(mdev_matrix "$U")" "04.0003" "the hand-made change stays"
expect_eq "$(sim_guest_apcb vm-web01)" "$(ap_apcb '4 5' '1 2 3' 1)" "what the VM sees"
run_apctl guest show web01
expect_contains "$APCTL_OUT" "changed behind" "guest show names the drift"
echo 3 >"$(mdev_dir "$U")/unassign_domain"
daemon_wait_for 30 sh -c "apctl --json status | tr -d ' \n' | grep -q '\"drift\":\[\]'"
events_stop

sim_guest_detach vm-web01
run_apctl guest stop web01
daemon_stop
