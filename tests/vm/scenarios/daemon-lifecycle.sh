# A guest's life through apctl against the kernel modules: define, start,
# a running VM takes the mdev, attach (hot plug), detach (hot unplug), stop
# (the kernel's remove blocks until the VM lets go; apctld keeps answering)
# and undefine. Every step is asserted in sysfs and in what the simulated
# guest sees, not only in apctl's own output.
. /apctl/daemon-lib.sh

daemon_load_modules
wait_for 30 daemon_bindings_complete
daemon_start

note "the host lets adapters 4 and 5 go"
run_apctl host release --adapter 4-5
expect_file_eq /sys/bus/ap/apmask "$(ap_mask 0 1 2 3 6 7 $(seq 8 255))"
wait_for 10 test -e /sys/bus/ap/drivers/vfio_ap/04.0001

note "define: nothing in the kernel yet"
run_apctl guest define web01 --adapter 4 --domain 1-2 --control-domain 1
U=$(guest_uuid web01)
[ -n "$U" ] || fail "apctl guest show web01 has no uuid"
expect_missing "$(mdev_dir "$U")"
run_apctl guest list
expect_contains "$APCTL_OUT" "web01" "guest list"
run_apctl matrix
expect_contains "$APCTL_OUT" "04  .aa....." "matrix: web01 defined on 04.0001-04.0002"

note "start: the mdev exists with the definition"
run_apctl guest start web01
expect_exists "$(mdev_dir "$U")"
expect_eq "$(mdev_matrix "$U")" "04.0001 04.0002" "mdev matrix after start"
expect_eq "$(mdev_matrix "$U" guest_matrix)" "04.0001 04.0002" "mdev guest_matrix after start"
expect_file_eq "$(mdev_dir "$U")/control_domains" "0001"
run_apctl matrix
expect_contains "$APCTL_OUT" "04  .AA....." "matrix: web01 running"

note "a VM takes the mdev"
sim_guest_attach vm-web01 "$U"
expect_eq "$(sim_guest_apcb vm-web01)" "$(ap_apcb 4 '1 2' 1)" "what the VM sees after attach"
updates0=$(wc -l <"$VAP_DEBUG/guests/vm-web01/history")

note "attach adapter 5: hot plugged into the running VM"
run_apctl guest attach web01 --adapter 5
expect_eq "$(mdev_matrix "$U")" "04.0001 04.0002 05.0001 05.0002" "mdev matrix after attach"
expect_eq "$(sim_guest_apcb vm-web01)" "$(ap_apcb '4 5' '1 2' 1)" "what the VM sees after attach"
expect_eq "$(sim_guest_last_update vm-web01)" "$updates0 $(ap_apcb '4 5' '1 2' 1)" "the VM's update for the hot plug"
run_apctl guest show web01

note "detach adapter 4: hot unplugged"
run_apctl guest detach web01 --adapter 4
expect_eq "$(mdev_matrix "$U")" "05.0001 05.0002" "mdev matrix after detach"
expect_eq "$(sim_guest_apcb vm-web01)" "$(ap_apcb 5 '1 2' 1)" "what the VM sees after detach"
expect_eq "$(sim_guest_last_update vm-web01)" "$((updates0 + 1)) $(ap_apcb 5 '1 2' 1)" "the VM's update for the hot unplug"

note "stop while the VM holds the mdev: the remove waits for the VM, apctld keeps answering"
apctl guest stop web01 >/tmp/stop.out 2>&1 &
stop_pid=$!
wait_for 20 sh -c "[ \$(cat $VAP_DEBUG/guests/vm-web01/requests) -ge 1 ]"
run_apctl status
expect_contains "$APCTL_OUT" "Stop" "status names the transaction in flight"
expect_exists "$(mdev_dir "$U")"
sim_guest_detach vm-web01
stop_rc=0
wait "$stop_pid" || stop_rc=$?
cat /tmp/stop.out
expect_eq "$stop_rc" 0 "apctl guest stop exit status"
expect_missing "$(mdev_dir "$U")"
run_apctl guest list
! guest_running web01 || fail "web01 still runs after stop"

note "undefine: the APQNs are free again"
run_apctl guest undefine web01
apctl_refused 3 guest show web01
run_apctl matrix
expect_contains "$APCTL_OUT" "04  ........" "matrix: adapter 4 free"

daemon_stop
