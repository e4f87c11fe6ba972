# apctld against the kernel modules, without systemd or udevd: it starts,
# reads the simulated machine as sysfs shows it, and apctl shows that to a
# user (status, list, matrix).
. /apctl/daemon-lib.sh

note "modules with a realistic machine"
daemon_load_modules
wait_for 30 daemon_bindings_complete
n_cards=$(ls -d /sys/bus/ap/devices/card* | wc -l)
n_queues=$(ls -d /sys/bus/ap/devices/[0-9a-f][0-9a-f].* | wc -l)
expect_eq "$n_cards" 8 "cards in sysfs"
expect_eq "$n_queues" 160 "queues in sysfs"

note "apctld starts without NOTIFY_SOCKET and without udevd"
expect_missing /run/udev/control
daemon_start

run_apctl status
expect_eq "$(json_num "$(apctl --json status)" cards)" "$n_cards" "status: cards"
expect_eq "$(json_num "$(apctl --json status)" queues)" "$n_queues" "status: queues"
expect_eq "$(json_str "$(apctl --json status)" backend)" sysfs "status: backend"

run_apctl list
# One line per card and per queue, each owned by the host (all-ones masks).
for c in /sys/bus/ap/devices/card*; do
	id=${c##*/card}
	echo "$APCTL_OUT" | grep -q "^$id " || fail "apctl list: no line for card $id"
done
expect_eq "$(echo "$APCTL_OUT" | grep -c '^[0-9a-f][0-9a-f]\.[0-9a-f]\{4\} .* host')" "$n_queues" \
	"apctl list: queues owned by the host"
expect_contains "$APCTL_OUT" "CEX8C" "list: card type"
expect_contains "$APCTL_OUT" "CEX8P" "list: EP11 card type"
expect_contains "$APCTL_OUT" "CEX7A" "list: accelerator card type"

run_apctl matrix
# One row per adapter, every cell H (host) on the 20 usage domains.
expect_eq "$(echo "$APCTL_OUT" | grep -c '^0[0-7]  HHHHHHHHHHHHHHHHHHHH$')" 8 "matrix: host rows"

note "the host gives adapter 4 to vfio_ap: apctld sees the kernel's masks change"
run_apctl host release --adapter 4
wait_for 10 sh -c '[ "$(readlink /sys/bus/ap/devices/04.0000/driver)" != "" ] &&
	basename "$(readlink /sys/bus/ap/devices/04.0000/driver)" | grep -qx vfio_ap'
run_apctl list --adapter 4
expect_eq "$(echo "$APCTL_OUT" | grep -c '^04\.[0-9a-f]\{4\} .* online  *vfio_ap  *free$')" 20 \
	"list: adapter 4's queues online (no 'online' attribute under vfio_ap), bound to vfio_ap, free"

daemon_stop
