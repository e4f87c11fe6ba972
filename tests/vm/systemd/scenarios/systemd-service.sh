# apctld under a real systemd, installed as a package installs it (see
# tests/vm/systemd/pack): sysusers.d and tmpfiles.d applied at boot,
# apctld.socket listening, apctld socket-activated with the shipped
# hardening, the udev rule restarting it when the AP sysfs appears, the
# journal fields, restart/SIGKILL/watchdog recovery, and Debian's mdevctl
# with apctl's callout. Each check is a TAP line (systemd-lib.sh).
. /apctl/daemon-lib.sh
. /apctl/systemd-lib.sh

SOCK=/run/apctl/apctld.sock
WEB=62177883-f1bb-47f0-914d-32a22e3a8804
OTHER=11111111-2222-4333-8444-555555555555
MSG_STARTED=6b0d7f2c1a9e4c3f8e5b2d1a0c9f8e71
MSG_COMMITTED=0f5e3c8a7b2d4e6f9a1c3b5d7e9f1a23

tap_step "no unit failed while booting"
failed=$(systemctl --no-legend list-units --state=failed)
[ -z "$failed" ] || fail "failed units: $failed"
tap_ok

# The image has no group apctl (tests/vm/systemd/pack checks): only
# systemd-sysusers.service, run at boot, can have made it.
tap_step "systemd-sysusers created group apctl from sysusers.d/apctl.conf"
expect_eq "$(unit_prop systemd-sysusers.service Result)" success "systemd-sysusers.service result"
expect_eq "$(unit_prop systemd-sysusers.service ExecMainStatus)" 0 "systemd-sysusers.service exit status"
systemd-sysusers --cat-config | grep -q '^g apctl ' || fail "sysusers.d/apctl.conf not in systemd-sysusers' configuration"
getent group apctl >/dev/null || fail "no group apctl"
gid=$(getent group apctl | cut -d: -f3)
[ "$gid" -lt 1000 ] || fail "group apctl has gid $gid, not a system group"
tap_ok "gid $gid"

tap_step "systemd-tmpfiles created /var/lib/apctl (0700 root:root) before apctld ever ran"
expect_eq "$(systemctl is-active apctld.service)" inactive "apctld.service before the first client"
expect_eq "$(unit_prop apctld.service NRestarts)" 0 "apctld.service restarts"
systemd-tmpfiles --cat-config | grep -q '^d /var/lib/apctl 0700 root root' ||
	fail "tmpfiles.d/apctl.conf not in systemd-tmpfiles' configuration"
expect_eq "$(stat -c '%F %a %U:%G' /var/lib/apctl)" "directory 700 root:root" "/var/lib/apctl"
expect_eq "$(stat -c '%F %a %U:%G' /run/apctl)" "directory 755 root:root" "/run/apctl"
tap_ok

tap_step "apctld.socket listens at $SOCK, 0660 root:apctl"
expect_eq "$(systemctl is-active apctld.socket)" active "apctld.socket"
expect_eq "$(unit_prop apctld.socket Listen)" "$SOCK (Stream)" "apctld.socket Listen"
expect_eq "$(stat -c '%F %a %U:%G' $SOCK)" "socket 660 root:apctl" "$SOCK"
tap_ok

tap_step "the first apctl status socket-activates apctld.service (Type=notify, READY=1, status text)"
run_apctl status
wait_for 30 unit_active_as apctld.service SubState running
status_text=$(unit_prop apctld.service StatusText)
expect_contains "$status_text" "guests (" "apctld.service StatusText"
# journald stores entries a little after they are sent: wait for them.
wait_for 30 journal_has apctld.service "ready ("
tap_ok "StatusText '$status_text'"

tap_step "apctld runs with the shipped sandbox: no capabilities, no_new_privs, seccomp, read-only but its state"
pid=$(unit_prop apctld.service MainPID)
expect_eq "$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/$pid/status)" 0000000000000000 "CapBnd"
expect_eq "$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/$pid/status)" 0000000000000000 "CapEff"
expect_eq "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/$pid/status)" 1 "NoNewPrivs"
expect_eq "$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/$pid/status)" 2 "Seccomp"
# apctld's own view of the file systems (its mount namespace).
for d in /usr /etc /var/lib /sys/kernel; do
	out=$(nsenter --target "$pid" --mount touch "$d/.apctl-sandbox" 2>&1) &&
		fail "$d is writable for apctld"
	expect_contains "$out" "Read-only file system" "touch $d/.apctl-sandbox in apctld's namespace"
done
nsenter --target "$pid" --mount sh -c 'touch /var/lib/apctl/.apctl-sandbox && rm /var/lib/apctl/.apctl-sandbox' ||
	fail "/var/lib/apctl is not writable for apctld"
# The unit hands apctld the directories systemd made, whatever the build's localstatedir.
expect_eq "$(tr '\0' ' ' </proc/"$pid"/cmdline)" \
	"/usr/sbin/apctld --state-dir=/var/lib/apctl --runtime-dir=/run/apctl " "apctld's command line"
tap_ok

tap_step "a member of group apctl can query apctld, a non-member is refused with a clear message"
useradd -M -N -g users -G apctl alice
useradd -M -N -g users bob
setpriv --reuid=alice --regid=users --init-groups apctl status >/tmp/alice.out 2>&1 ||
	{ cat /tmp/alice.out; fail "apctl status as alice (group apctl) failed"; }
rc=0
setpriv --reuid=bob --regid=users --init-groups apctl status >/tmp/bob.out 2>&1 || rc=$?
cat /tmp/bob.out
[ "$rc" != 0 ] || fail "apctl status as bob (not in group apctl) succeeded"
expect_contains "$(cat /tmp/bob.out)" "cannot connect to $SOCK: Permission denied" "bob's error"
expect_contains "$(cat /tmp/bob.out)" "member of the apctl group" "bob's error"
tap_ok "bob: exit $rc"

tap_step "udev reads 60-apctl.rules without complaints"
# udevadm test parses every rules file as udevd does and prints what it
# warns about as "FILE:LINE ...".
out=$(udevadm test /sys/devices/virtual/mem/null 2>&1) || fail "udevadm test: $out"
expect_contains "$out" "Reading rules file: /usr/lib/udev/rules.d/60-apctl.rules" "udevadm test"
out=$(echo "$out" | grep -F '60-apctl.rules:' || true)
[ -z "$out" ] || fail "udev: $out"
tap_ok

tap_step "udev: the AP bus appearing restarts apctld (60-apctl.rules)"
inv=$(unit_prop apctld.service InvocationID)
load_host_modules
insmod "$APCTL_MODDIR/apsim.ko" adapters="$DAEMON_ADAPTERS" usage_domains="$DAEMON_USAGE_DOMAINS" \
	control_domains="$DAEMON_CONTROL_DOMAINS" || fail "insmod apsim.ko"
udevadm settle --timeout=60 || fail "udevadm settle timed out"
wait_for 60 unit_active_not apctld.service InvocationID "$inv"
# The bus rule, not the matrix one: vfio_ap is not there yet.
! module_loaded vfio_ap_sim || fail "vfio_ap_sim got loaded with apsim"
tap_ok

tap_step "udev: vfio_ap's matrix device appearing restarts apctld (60-apctl.rules)"
inv=$(unit_prop apctld.service InvocationID)
load_apctl_modules
echo 1 >/sys/bus/ap/scans
wait_for 30 daemon_bindings_complete
udevadm settle --timeout=60 || fail "udevadm settle timed out"
wait_for 60 unit_active_not apctld.service InvocationID "$inv"
wait_for 10 test -e /sys/class/mdev_bus/matrix
tap_ok

tap_step "under the full hardening apctld releases host APQNs, defines, starts and hot plugs a guest"
apmask_before=$(cat /sys/bus/ap/apmask)
run_apctl host release --adapter 4,5
[ "$(cat /sys/bus/ap/apmask)" != "$apmask_before" ] || fail "apmask unchanged by host release"
run_apctl guest define web --uuid $WEB --adapter 4 --domain 1,2
run_apctl guest start web
expect_contains "$(mdev_matrix $WEB)" "04.0002" "web's mdev"
sim_guest_attach web $WEB
run_apctl guest attach web --adapter 5
expect_contains "$(mdev_matrix $WEB)" "05.0001" "web's mdev after attach"
wait_for 10 sim_guest_sees web "$(ap_apcb "4 5" "1 2" "")"
run_apctl guest detach web --adapter 5
expect_not_contains "$(mdev_matrix $WEB)" "05." "web's mdev after detach"
wait_for 10 sim_guest_sees web "$(ap_apcb 4 "1 2" "")"
tap_ok

# PrivateNetwork=yes: both of apctld's kernel event sources must reach its
# own network namespace. Card 6 going offline is reported by a uevent alone
# (udevd's re-broadcast would stay in the host's namespace); a queue reset
# after a hot unplug by vfio_ap_sim's netlink family alone.
tap_step "apctld has a network namespace of its own, and uevents and vfio_ap_sim's netlink events reach it"
expect_eq "$(unit_prop apctld.service PrivateNetwork)" yes "apctld.service PrivateNetwork"
pid=$(unit_prop apctld.service MainPID)
netns=$(readlink /proc/$pid/ns/net)
[ -n "$netns" ] || fail "no network namespace for apctld (pid $pid)"
[ "$netns" != "$(readlink /proc/1/ns/net)" ] || fail "apctld shares PID 1's network namespace $netns"
events_start /tmp/events-netns
echo 0 >/sys/bus/ap/devices/card06/online
wait_for 30 sh -c "tr -d ' ' </tmp/events-netns | grep '\"card-changed\"' | grep '\"adapter\":6,' |
	grep -q '\"online\":false'"
echo 1 >/sys/bus/ap/devices/card06/online
wait_for 30 sh -c "tr -d ' ' </tmp/events-netns | grep '\"card-changed\"' | grep '\"adapter\":6,' |
	grep -q '\"online\":true'"
run_apctl guest attach web --adapter 5
wait_for 10 sim_guest_sees web "$(ap_apcb "4 5" "1 2" "")"
run_apctl guest detach web --adapter 5
wait_for 30 event_seen queue-reset-done '"apqn":"05.0001"'
wait_for 30 event_seen queue-reset-done '"apqn":"05.0002"'
events_stop
tap_ok "$netns, PID 1 in $(readlink /proc/1/ns/net)"

tap_step "Debian's mdevctl runs apctl's callout from its installed place and is refused a conflict"
callout=
for f in /etc/mdevctl.d/scripts.d/callouts/*; do
	case $(readlink -f "$f") in
	*/mdevctl-callout) callout=$f ;;
	esac
done
[ -n "$callout" ] || fail "no link to apctl's mdevctl-callout in /etc/mdevctl.d/scripts.d/callouts"
cat >/tmp/conflict.json <<EOF2
{"mdev_type": "vfio_ap-passthrough", "start": "manual",
 "attrs": [{"assign_adapter": "4"}, {"assign_domain": "2"}]}
EOF2
rc=0
mdevctl start -u $OTHER -p matrix --jsonfile /tmp/conflict.json >/tmp/mdevctl.out 2>&1 || rc=$?
cat /tmp/mdevctl.out
[ "$rc" != 0 ] || fail "mdevctl start of a conflicting mdev succeeded"
expect_contains "$(cat /tmp/mdevctl.out)" "APQN 04.0002 is already assigned to guest 'web'" "mdevctl's error"
expect_missing "$(mdev_dir $OTHER)"
cat >/tmp/clean.json <<EOF2
{"mdev_type": "vfio_ap-passthrough", "start": "manual",
 "attrs": [{"assign_adapter": "5"}, {"assign_domain": "3"}]}
EOF2
mdevctl start -u $OTHER -p matrix --jsonfile /tmp/clean.json || fail "mdevctl start of a free APQN failed"
expect_contains "$(mdev_matrix $OTHER)" "05.0003" "the clean mdev"
mdevctl stop -u $OTHER || fail "mdevctl stop failed"
expect_missing "$(mdev_dir $OTHER)"
tap_ok "callout $callout"

tap_step "host reserve under the sandbox: the apmask write is allowed"
apmask_before=$(cat /sys/bus/ap/apmask)
run_apctl host reserve --adapter 5
[ "$(cat /sys/bus/ap/apmask)" != "$apmask_before" ] || fail "apmask unchanged by host reserve"
wait_for 10 sh -c 'basename "$(readlink /sys/bus/ap/devices/05.0000/driver)" | grep -vqx vfio_ap'
tap_ok

tap_step "a refused host write by someone else: apctld logs it with APQN= and MDEV="
expect_write_err EBUSY /sys/bus/ap/apmask "+4"
wait_for 30 sh -c "journalctl -b -o cat _SYSTEMD_UNIT=apctld.service APQN=04.0001 MDEV=$WEB GUEST=web | grep -q in-use-refused"
tap_ok

tap_step "journal entries carry MESSAGE_ID=, GUEST=, MDEV= (journalctl -o json)"
json=$(journalctl -b -o json _SYSTEMD_UNIT=apctld.service MESSAGE_ID=$MSG_COMMITTED GUEST=web)
expect_contains "$json" "\"MDEV\":\"$WEB\"" "committed entries of web"
expect_contains "$json" "\"GUEST\":\"web\"" "committed entries of web"
# Activation and the two restarts by udev.
wait_for 30 journal_count_at_least 3 apctld.service MESSAGE_ID=$MSG_STARTED
n=$(journal_count apctld.service MESSAGE_ID=$MSG_STARTED)
json=$(journalctl -b -o json _SYSTEMD_UNIT=apctld.service APQN=04.0001)
expect_contains "$json" "\"APQN\":\"04.0001\"" "in-use entry"
tap_ok "$n starts"

tap_step "systemctl restart keeps the definitions and leaves the running guest's mdev alone"
pid=$(unit_prop apctld.service MainPID)
history=$(cat "$VAP_DEBUG/guests/web/history")
ino=$(stat -c %i "$(mdev_dir $WEB)")
systemctl restart apctld.service
wait_for 30 unit_active_not apctld.service MainPID "$pid"
guest_running web || fail "web is not running after the restart"
expect_eq "$(stat -c %i "$(mdev_dir $WEB)")" "$ino" "web's mdev inode"
expect_eq "$(cat "$VAP_DEBUG/guests/web/history")" "$history" "web's configuration history"
tap_ok

tap_step "SIGKILL: systemd restarts apctld, the state is consistent"
pid=$(unit_prop apctld.service MainPID)
restarts=$(unit_prop apctld.service NRestarts)
systemctl kill -s KILL apctld.service
wait_for 60 unit_active_as apctld.service NRestarts $((restarts + 1))
[ "$(unit_prop apctld.service MainPID)" != "$pid" ] || fail "same main PID after SIGKILL"
wait_for 30 journal_has apctld.service "status=9/KILL"
guest_running web || fail "web is not running after the SIGKILL"
run_apctl --json status
expect_contains "$APCTL_OUT" '"drift"' "apctl --json status"
expect_eq "$(echo "$APCTL_OUT" | tr -d ' \n' | sed -n 's/.*"drift":\[\([^]]*\)\].*/\1/p')" "" "drift after SIGKILL"
expect_eq "$(stat -c %i "$(mdev_dir $WEB)")" "$ino" "web's mdev inode"
tap_ok

tap_step "the watchdog is armed and kills and restarts a stopped apctld (result watchdog)"
shipped=$(unit_prop apctld.service WatchdogUSec)
[ -n "$shipped" ] && [ "$shipped" != 0 ] && [ "$shipped" != infinity ] ||
	fail "WatchdogUSec is '$shipped'"
# The shipped minute would only make the test longer: a runtime drop-in
# shortens it, nothing else changes.
mkdir -p /run/systemd/system/apctld.service.d
printf '[Service]\nWatchdogSec=10s\n' >/run/systemd/system/apctld.service.d/watchdog.conf
systemctl daemon-reload
systemctl reset-failed apctld.service
systemctl restart apctld.service
wait_for 30 unit_active_as apctld.service WatchdogUSec 10s
pid=$(unit_prop apctld.service MainPID)
restarts=$(unit_prop apctld.service NRestarts)
kill -STOP "$pid"
wait_for 120 journal_has apctld.service "Failed with result 'watchdog'"
wait_for 60 unit_active_as apctld.service NRestarts $((restarts + 1))
[ "$(unit_prop apctld.service MainPID)" != "$pid" ] || fail "same main PID after the watchdog"
journal_has apctld.service "Watchdog timeout" || fail "no watchdog timeout in apctld.service's journal"
rm /run/systemd/system/apctld.service.d/watchdog.conf
systemctl daemon-reload
systemctl reset-failed apctld.service
systemctl restart apctld.service
wait_for 30 unit_active_as apctld.service WatchdogUSec "$shipped"
guest_running web || fail "web is not running after the watchdog restart"
tap_ok "shipped WatchdogUSec=$shipped"

tap_step "systemd-analyze security apctld.service: exposure 2.0 or lower"
systemd-analyze security --no-pager apctld.service >/tmp/security.out 2>&1 ||
	{ cat /tmp/security.out; fail "systemd-analyze security failed"; }
exposure=$(sed -n 's/.*Overall exposure level for apctld.service: \([0-9.]*\).*/\1/p' /tmp/security.out)
[ -n "$exposure" ] || { cat /tmp/security.out; fail "no exposure level in systemd-analyze's output"; }
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || { cat /tmp/security.out; fail "exposure $exposure > 2.0"; }
tap_ok "exposure $exposure"

tap_step "systemctl reload loads the policy again; a broken policy fails the reload and the old one stays"
pid=$(unit_prop apctld.service MainPID)
mkdir -p /etc/apctl/policy.d
cat >/etc/apctl/policy.d/50-teams.conf <<EOF2
[access web-admins]
users = alice
allow = read, guest-change
guests = web*
EOF2
chmod 644 /etc/apctl/policy.d/50-teams.conf
systemctl reload apctld.service || fail "systemctl reload apctld.service failed"
run_apctl policy show
expect_contains "$APCTL_OUT" "web-admins" "policy after the reload"
cat >/etc/apctl/policy.d/70-broken.conf <<EOF2
[access db-team]
user = bob
EOF2
chmod 644 /etc/apctl/policy.d/70-broken.conf
systemctl reload apctld.service && fail "systemctl reload with a broken policy succeeded"
run_apctl policy show
expect_contains "$APCTL_OUT" "web-admins" "policy after the refused reload"
expect_not_contains "$APCTL_OUT" "db-team" "policy after the refused reload"
wait_for 30 journal_has apctld.service "70-broken.conf:2"
rm /etc/apctl/policy.d/70-broken.conf
systemctl reload apctld.service || fail "systemctl reload apctld.service failed"
expect_eq "$(systemctl is-active apctld.service)" active "apctld.service after the reloads"
expect_eq "$(unit_prop apctld.service MainPID)" "$pid" "apctld's PID after the reloads"
tap_ok

tap_step "systemd-analyze verify apctld.service apctld.socket: no complaints"
# --man=no: the VM has no man(1); the pages are installed (install-check.sh).
out=$(systemd-analyze verify --man=no apctld.service apctld.socket 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
out=$(journalctl -b -o cat _PID=1 | grep -E 'apctld\.(service|socket):[0-9]*: ' || true)
[ -z "$out" ] || fail "systemd complained about the units while loading them: $out"
tap_ok

tap_step "guest stop, undefine and host reserve clean up"
sim_guest_detach web
run_apctl guest stop web
expect_missing "$(mdev_dir $WEB)"
run_apctl guest undefine web
run_apctl host reserve --adapter 4
tap_ok
tap_plan
