# apctld's two kernel event sources, each seen through `apctl events`: the
# kernel's uevents (read through libudev's monitor: a card going offline
# and an mdev made and removed by hand, which no netlink message reports)
# and vfio_ap_sim's generic netlink family (a guest taking its mdev, the
# reset after a hot unplug, an in_use refusal, a host configuration change).
. /apctl/daemon-lib.sh

daemon_load_modules
daemon_wait_for 30 daemon_bindings_complete
daemon_start
events_start /tmp/events

note "uevents: card 6 goes offline and back (no netlink message for this)"
echo 0 >/sys/bus/ap/devices/card06/online
daemon_wait_for 30 event_seen card-changed '"adapter":6,'
expect_contains "$(tr -d ' ' </tmp/events | grep '"card-changed"' | grep '"adapter":6,')" '"online":false' \
	"card 6's event"
echo 1 >/sys/bus/ap/devices/card06/online
daemon_wait_for 30 sh -c "tr -d ' ' </tmp/events | grep '\"card-changed\"' | grep '\"adapter\":6,' |
	grep -q '\"online\":true'"

note "uevents: an mdev made and removed by hand (the per-mdev re-read)"
H=33333333-3333-4333-8333-333333333333
echo "$H" >"$MATRIX_DEV/mdev_supported_types/vfio_ap-passthrough/create"
daemon_wait_for 30 event_seen mdev-added "\"uuid\":\"$H\""
echo 1 >"$(mdev_dir "$H")/remove"
daemon_wait_for 30 event_seen mdev-removed "\"uuid\":\"$H\""

note "netlink: the simulated VM takes web01's mdev"
run_apctl host release --adapter 4-5
run_apctl guest define web01 --adapter 4-5 --domain 1-2 --control-domain 1
run_apctl guest start web01
U=$(guest_uuid web01)
sim_guest_attach vm-web01 "$U"
daemon_wait_for 30 event_seen guest-config-changed '"vm":"vm-web01"'
expect_contains "$(tr -d ' ' </tmp/events | grep '"guest-config-changed"')" '"guest":"web01"' \
	"the event names apctl's guest"

note "netlink: the reset of the queues a hot unplug takes away"
run_apctl guest detach web01 --domain 2
daemon_wait_for 30 event_seen queue-reset-done '"apqn":"04.0002"'
daemon_wait_for 30 event_seen queue-reset-done '"apqn":"05.0002"'

note "netlink: the bus refuses the host a queue the guest holds (in_use)"
expect_write_err EBUSY /sys/bus/ap/apmask "+4"
daemon_wait_for 30 event_seen in-use-refused '"apqn":"04.0001"'
expect_contains "$(tr -d ' ' </tmp/events | grep '"in-use-refused"')" '"guest":"web01"' \
	"the refusal names the guest"

note "netlink and uevents: adapter 7 leaves the machine's configuration"
echo "remove-adapter 7" >"$APSIM_CONTROL"
echo 1 >/sys/bus/ap/scans
daemon_wait_for 30 event_seen host-config-changed
expect_contains "$(tr -d ' ' </tmp/events | grep '"host-config-changed"' | tail -n1)" '"adapters":[0,1,2,3,4,5,6]' \
	"the host configuration without adapter 7"
daemon_wait_for 30 event_seen card-removed '"adapter":7,'
events_stop
cat /tmp/events

sim_guest_detach vm-web01
run_apctl guest stop web01
daemon_stop
