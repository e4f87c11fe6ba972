# Helpers for the daemon-*.sh VM scenarios (busybox sh): load the modules
# with a realistic machine, run apctld in the background the way a host
# without systemd or udevd would, and run apctl against it. tests/vm/run
# packs this file as /apctl/daemon-lib.sh; a scenario sources it after
# /apctl/lib.sh. Every helper fails the scenario with a message naming what
# it expected and what it saw.

APCTLD_SOCKET=/run/apctl/apctld.sock
APCTLD_STATE=/var/lib/apctl
APCTLD_LOG=/tmp/apctld.log
APCTLD_PID=
APSIM_CONTROL=/sys/kernel/debug/apsim/control
VAP_DEBUG=/sys/kernel/debug/vfio_ap_sim
MATRIX_DEV=/sys/devices/vfio_ap/matrix
export APCTL_SOCKET=$APCTLD_SOCKET

# A small LinuxONE: CCA, EP11 and accelerator adapters of four
# generations, 20 usage domains and a few control-only domains.
DAEMON_ADAPTERS=0-1:cex8:cca,2:cex8:ep11,3:cex7:accel,4-5:cex7:cca,6:cex6:ep11,7:cex5:accel
DAEMON_USAGE_DOMAINS=0-15,32-35
DAEMON_CONTROL_DOMAINS=0-15,32-35,60-63

# daemon_load_modules [APSIM_PARAM=VALUE...]: apsim.ko with the machine
# above (a scenario may set the DAEMON_* variables first; parameters given
# are added), then every other apctl module, then one synchronous scan.
# Scenarios that need every queue bound wait for daemon_bindings_complete.
daemon_load_modules() {
	load_host_modules
	insmod "$APCTL_MODDIR/apsim.ko" adapters="$DAEMON_ADAPTERS" \
		usage_domains="$DAEMON_USAGE_DOMAINS" control_domains="$DAEMON_CONTROL_DOMAINS" "$@" \
		2>/tmp/.daemon-insmod.err || fail "insmod apsim.ko: $(cat /tmp/.daemon-insmod.err)"
	load_apctl_modules
	# The first scan is queued at load: a synchronous one makes the cards
	# exist before anything looks.
	echo 1 >/sys/bus/ap/scans
}

# daemon_bindings_complete: the bus reports its bindings complete.
daemon_bindings_complete() {
	case $(cat /sys/bus/ap/bindings 2>/dev/null) in
	*complete*) return 0 ;;
	esac
	return 1
}

# daemon_start [APCTLD_OPTION...]: apctld (or $APCTLD, e.g. apctld-test
# for its test hooks) in the background (no NOTIFY_SOCKET, no udevd),
# logging to $APCTLD_LOG; returns once its socket answers a status request.
daemon_start() {
	[ -z "$APCTLD_PID" ] || fail "daemon_start: apctld already runs as $APCTLD_PID"
	mkdir -p "$APCTLD_STATE" /run/apctl
	unset NOTIFY_SOCKET
	"${APCTLD:-apctld}" --log-target=stderr --state-dir="$APCTLD_STATE" --socket="$APCTLD_SOCKET" "$@" \
		>>"$APCTLD_LOG" 2>&1 &
	APCTLD_PID=$!
	wait_for 60 _daemon_answers
}

# A child that exited stays a zombie until waited for: kill -0 alone would
# not notice.
_daemon_alive() {
	[ -r "/proc/$APCTLD_PID/stat" ] || return 1
	case $(cat "/proc/$APCTLD_PID/stat" 2>/dev/null) in
	*") Z "*) return 1 ;;
	esac
	return 0
}

_daemon_answers() {
	_daemon_alive || {
		_daemon_show_log
		fail "apctld ($APCTLD_PID) exited while starting"
	}
	[ -S "$APCTLD_SOCKET" ] && apctl status >/dev/null 2>&1
}

# daemon_stop: SIGTERM, and wait for apctld to exit successfully.
daemon_stop() {
	[ -n "$APCTLD_PID" ] || return 0
	kill -TERM "$APCTLD_PID" 2>/dev/null || true
	_daemon_rc=0
	wait "$APCTLD_PID" || _daemon_rc=$?
	APCTLD_PID=
	[ "$_daemon_rc" = 0 ] || { _daemon_show_log; fail "apctld exited $_daemon_rc after SIGTERM"; }
}

# daemon_wait_exit: wait for apctld to end (e.g. killed by its test hook);
# sets DAEMON_EXIT to its exit status.
daemon_wait_exit() {
	DAEMON_EXIT=0
	wait "$APCTLD_PID" || DAEMON_EXIT=$?
	APCTLD_PID=
}

_daemon_show_log() {
	echo "---- apctld log (last ${DAEMON_LOG_LINES:-40} lines)" >&2
	tail -n "${DAEMON_LOG_LINES:-40}" "$APCTLD_LOG" >&2 2>/dev/null || true
}

# daemon_wait_for TIMEOUT_S COMMAND...: wait_for, but a timeout also shows
# apctld's log and the events seen so far.
daemon_wait_for() {
	_daemon_deadline=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		if [ "$(date +%s)" -ge "$_daemon_deadline" ]; then
			[ -z "${EVENTS_FILE:-}" ] || { echo "---- events" >&2; cat "$EVENTS_FILE" >&2; }
			_daemon_show_log
			fail "timed out waiting for: $*"
		fi
		sleep 0.1
	done
}

# run_apctl ARGS...: run apctl, print its output as a user would see it
# (prefixed with the command), fail on a non-zero exit. Output also in
# $APCTL_OUT.
run_apctl() {
	echo "# apctl $*"
	_daemon_rc=0
	APCTL_OUT=$(apctl "$@" 2>&1) || _daemon_rc=$?
	[ -z "$APCTL_OUT" ] || echo "$APCTL_OUT"
	[ "$_daemon_rc" = 0 ] || { _daemon_show_log; fail "apctl $* exited $_daemon_rc"; }
}

# apctl_refused EXIT ARGS...: apctl fails with exactly exit code EXIT; its
# message is in $APCTL_OUT.
apctl_refused() {
	_daemon_want=$1
	shift
	echo "# apctl $*"
	_daemon_rc=0
	APCTL_OUT=$(apctl "$@" 2>&1) || _daemon_rc=$?
	echo "$APCTL_OUT"
	[ "$_daemon_rc" = "$_daemon_want" ] ||
		fail "apctl $*: expected exit $_daemon_want, got $_daemon_rc"
}

# expect_contains TEXT NEEDLE [WHAT]
expect_contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "${3:-output}: expected to contain '$2', got: $1" ;;
	esac
}

# expect_not_contains TEXT NEEDLE [WHAT]
expect_not_contains() {
	case $1 in
	*"$2"*) fail "${3:-output}: expected not to contain '$2', got: $1" ;;
	esac
}

# mdev_dir UUID: the mdev's sysfs directory under the matrix device.
mdev_dir() {
	echo "$MATRIX_DEV/$1"
}

# guest_uuid NAME: the mdev UUID apctld gave the guest.
guest_uuid() {
	apctl --json guest show "$1" | sed -n 's/.*"uuid": *"\([0-9a-f-]*\)".*/\1/p' | head -n1
}

# sim_guest_attach NAME UUID: a simulated guest (the stand-in for QEMU/KVM)
# takes the mdev, as a running VM holds it.
sim_guest_attach() {
	[ -d "$VAP_DEBUG/guests/$1" ] || echo "$1" >"$VAP_DEBUG/guest_create"
	echo "$2" >"$VAP_DEBUG/guests/$1/attach"
}

# sim_guest_detach NAME: the simulated guest lets its mdev go.
sim_guest_detach() {
	echo 1 >"$VAP_DEBUG/guests/$1/detach"
}

# sim_guest_apcb NAME: what the guest sees now, "APM,AQM,ADM".
sim_guest_apcb() {
	cat "$VAP_DEBUG/guests/$1/apcb"
}

# json_num JSON NAME: the number field NAME (the last one if repeated) in
# compact or pretty JSON.
json_num() {
	echo "$1" | tr -d ' \n' | sed -n "s/.*\"$2\":\(-\{0,1\}[0-9][0-9]*\).*/\1/p" | head -n1
}

# json_str JSON NAME: the string field NAME (the last one if repeated).
json_str() {
	echo "$1" | tr -d '\n' | sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p" | head -n1
}

# ap_mask ID...: a mask in the kernel's format (0x + 64 hex digits, id 0
# leftmost) with these ids set.
ap_mask() {
	_daemon_m= _daemon_i=0
	while [ $_daemon_i -lt 64 ]; do
		_daemon_v=0
		for _daemon_id in "$@"; do
			[ $((_daemon_id / 4)) -eq $_daemon_i ] && _daemon_v=$((_daemon_v | (8 >> (_daemon_id % 4))))
		done
		_daemon_m=$_daemon_m$(printf %x $_daemon_v)
		_daemon_i=$((_daemon_i + 1))
	done
	echo "0x$_daemon_m"
}

# ap_apcb "ADAPTERS" "DOMAINS" "CONTROL_DOMAINS": a guest's APCB as the
# simulated guest's apcb and history files show it (decimal ids).
ap_apcb() {
	# shellcheck disable=SC2086
	echo "$(ap_mask $1),$(ap_mask $2),$(ap_mask $3)"
}

# sim_guest_sees NAME APCB: the simulated guest's masks are APCB now.
sim_guest_sees() {
	[ "$(cat "$VAP_DEBUG/guests/$1/apcb")" = "$2" ]
}

# sim_guest_last_update NAME: the guest's last configuration update, as
# its history shows it ("SEQ APM,AQM,ADM").
sim_guest_last_update() {
	tail -n 1 "$VAP_DEBUG/guests/$1/history"
}

# mdev_matrix UUID [guest_matrix]: the mdev's assigned (or guest) matrix on
# one line, APQNs separated by spaces.
mdev_matrix() {
	tr '\n' ' ' <"$MATRIX_DEV/$1/${2:-matrix}" | sed 's/ $//'
}

# events_start FILE [OPTION...]: `apctl events OPTION...` (default --json)
# in the background into FILE; returns once apctld counts the
# subscription, so no event can be missed.
events_start() {
	EVENTS_FILE=$1
	shift
	[ $# -gt 0 ] || set -- --json
	_daemon_subs=$(json_num "$(apctl --json status)" subscriptions)
	apctl events "$@" >"$EVENTS_FILE" 2>&1 &
	EVENTS_PID=$!
	wait_for 20 _daemon_subscribed "$((_daemon_subs + 1))"
}

_daemon_subscribed() {
	[ "$(json_num "$(apctl --json status)" subscriptions)" = "$1" ]
}

# events_stop: end the subscription (apctl exits 0 on SIGINT).
events_stop() {
	kill -INT "$EVENTS_PID" 2>/dev/null || true
	wait "$EVENTS_PID" || true
	EVENTS_PID=
}

# event_seen TYPE [TEXT]: an event of TYPE (and containing TEXT, spaces
# ignored) is in the events file. For wait_for.
event_seen() {
	tr -d ' ' <"$EVENTS_FILE" | grep "\"type\":\"$1\"" | grep -q -- "$(echo "${2:-}" | tr -d ' ')"
}

# event_line TYPE: the line number of the first event of TYPE, or nothing.
event_line() {
	tr -d ' ' <"$EVENTS_FILE" | grep -n "\"type\":\"$1\"" | head -n1 | cut -d: -f1
}

# guest_running NAME: apctld says the guest runs.
guest_running() {
	apctl --json guest show "$1" | tr -d ' \n' | grep -q '"running":true'
}
