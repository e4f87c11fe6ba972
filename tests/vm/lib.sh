# Helpers for VM scenarios (busybox sh). tests/vm/run packs this file as
# /apctl/lib.sh; /apctl/run-scenario sources it before the scenario, which
# then runs under `set -e`. Every expect_* and wait_for fails the scenario
# with a message naming what was expected and what was seen.
# Documented in tests/vm/README.md.

APCTL_MODDIR=/lib/modules/apctl

# note MSG...: print a progress line, also into the kernel log so that the
# dmesg dump shows where the scenario was when the kernel complained.
note() {
	echo "-- $*"
	echo "apctl-test: $*" >/dev/kmsg 2>/dev/null || true
}

# fail MSG...: end the scenario as failed.
fail() {
	echo "FAIL: $*" >&2
	echo "apctl-test: FAIL: $*" >/dev/kmsg 2>/dev/null || true
	exit 1
}

# expect_eq ACTUAL EXPECTED [WHAT]
expect_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

# expect_file_eq FILE EXPECTED: the file's content (trailing newline
# dropped, as $(cat) does) equals EXPECTED.
expect_file_eq() {
	[ -e "$1" ] || fail "$1 does not exist (expected '$2')"
	_apctl_got=$(cat "$1") || fail "cannot read $1"
	[ "$_apctl_got" = "$2" ] || fail "$1: expected '$2', got '$_apctl_got'"
}

# expect_exists PATH / expect_missing PATH
expect_exists() {
	[ -e "$1" ] || fail "$1 does not exist"
}
expect_missing() {
	[ ! -e "$1" ] || fail "$1 exists but should not"
}

# expect_write_ok FILE VALUE: one write(2) of VALUE (sysfs-write escapes:
# \n \t \\ \xHH) succeeds.
expect_write_ok() {
	_apctl_got=$(sysfs-write "$1" "$2" 2>&1) || true
	[ "$_apctl_got" = OK ] || fail "write '$2' to $1: expected OK, got $_apctl_got"
}

# expect_write_err ERRNO FILE VALUE: the write is refused with exactly ERRNO
# (a name such as EBUSY).
expect_write_err() {
	_apctl_got=$(sysfs-write "$2" "$3" 2>/dev/null) || true
	[ "$_apctl_got" = "$1" ] || fail "write '$3' to $2: expected $1, got ${_apctl_got:-nothing}"
}

# wait_for TIMEOUT_S COMMAND...: poll COMMAND every 0.1 s until it succeeds;
# fail if it has not within TIMEOUT_S seconds.
wait_for() {
	_apctl_deadline=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -lt "$_apctl_deadline" ] ||
			fail "timed out waiting for: $*"
		sleep 0.1
	done
}

# netlink_listen N [WRAPPER...]: start matrix-nl listening for the next N
# events of vfio_ap_sim's netlink family into /tmp/ev (run through WRAPPER,
# e.g. "unshare -n", if given); return once it is subscribed.
netlink_listen() {
	_apctl_n=$1
	shift
	rm -f /tmp/ev
	"$@" matrix-nl listen "$_apctl_n" 30 >/tmp/ev &
	_apctl_nl_listener=$!
	wait_for 10 grep -qx ready /tmp/ev
}

# netlink_events: wait for netlink_listen's listener (our child, so not from
# a subshell); $ev is then the events it got, one a line.
netlink_events() {
	wait $_apctl_nl_listener || fail "netlink listener: $(cat /tmp/ev)"
	ev=$(sed 1d /tmp/ev)
}

# module_loaded NAME: the module is loaded and live.
module_loaded() {
	[ -f "/sys/module/$1/initstate" ] && [ "$(cat "/sys/module/$1/initstate")" = live ]
}

# load_host_modules: the distribution kernel modules the apctl modules need
# (vfio and mdev on x86_64; none on s390x, whose Debian kernel has no VFIO).
load_host_modules() {
	[ -f /apctl/host-modules ] || return 0
	for _apctl_m in $(cat /apctl/host-modules); do
		modprobe "$_apctl_m" || fail "modprobe $_apctl_m failed"
	done
}

# load_apctl_modules: load_host_modules, then apsim.ko, then every other
# module in /lib/modules/apctl (in an order that satisfies their symbol
# dependencies on each other).
load_apctl_modules() {
	load_host_modules
	[ -f "$APCTL_MODDIR/apsim.ko" ] || fail "$APCTL_MODDIR/apsim.ko missing"
	module_loaded apsim || _apctl_insmod "$APCTL_MODDIR/apsim.ko" ||
		fail "insmod apsim.ko: $(cat /tmp/.apctl-insmod.err)"
	_apctl_todo=
	for _apctl_ko in "$APCTL_MODDIR"/*.ko; do
		module_loaded "$(_apctl_modname "$_apctl_ko")" || _apctl_todo="$_apctl_todo $_apctl_ko"
	done
	while [ -n "$_apctl_todo" ]; do
		_apctl_left=
		for _apctl_ko in $_apctl_todo; do
			_apctl_insmod "$_apctl_ko" || _apctl_left="$_apctl_left $_apctl_ko"
		done
		[ "$_apctl_left" != "$_apctl_todo" ] ||
			fail "insmod$_apctl_left: $(cat /tmp/.apctl-insmod.err)"
		_apctl_todo=$_apctl_left
	done
}

# unload_apctl_modules [--report]: rmmod every loaded apctl module, holders
# first. Returns 1 if one stays loaded; with --report, prints an
# APCTL-UNLOAD-FAIL line per such module (the host fails the run on it).
unload_apctl_modules() {
	_apctl_loaded=
	for _apctl_ko in "$APCTL_MODDIR"/*.ko; do
		[ -e "$_apctl_ko" ] || continue
		_apctl_m=$(_apctl_modname "$_apctl_ko")
		[ -d "/sys/module/$_apctl_m" ] && _apctl_loaded="$_apctl_loaded $_apctl_m"
	done
	while [ -n "$_apctl_loaded" ]; do
		_apctl_left=
		for _apctl_m in $_apctl_loaded; do
			if [ -n "$(ls "/sys/module/$_apctl_m/holders" 2>/dev/null)" ] ||
			   ! rmmod "$_apctl_m" 2>"/tmp/.apctl-rmmod.$_apctl_m"; then
				_apctl_left="$_apctl_left $_apctl_m"
			fi
		done
		[ "$_apctl_left" != "$_apctl_loaded" ] || break
		_apctl_loaded=$_apctl_left
	done
	[ -z "$_apctl_loaded" ] && return 0
	if [ "${1:-}" = --report ]; then
		for _apctl_m in $_apctl_loaded; do
			echo "APCTL-UNLOAD-FAIL $_apctl_m refcnt=$(cat "/sys/module/$_apctl_m/refcnt" 2>/dev/null)" \
				"holders=$(ls "/sys/module/$_apctl_m/holders" 2>/dev/null | tr '\n' ' ')" \
				"$(cat "/tmp/.apctl-rmmod.$_apctl_m" 2>/dev/null)"
		done
	fi
	return 1
}

# stop_user_processes: TERM, then KILL, every process but init, so that a
# daemon a scenario left running does not pin a module. Meant for init.
stop_user_processes() {
	kill -TERM -1 2>/dev/null || true
	_apctl_deadline=$(($(date +%s) + 5))
	while _apctl_have_user_processes && [ "$(date +%s)" -lt "$_apctl_deadline" ]; do
		sleep 0.1
	done
	kill -KILL -1 2>/dev/null || true
}

_apctl_modname() {
	basename "$1" .ko | tr - _
}

_apctl_insmod() {
	insmod "$1" 2>/tmp/.apctl-insmod.err
}

# Is a process other than init and this shell running a program? Only
# builtins here: a forked helper would count itself. Kernel threads and
# zombies have an empty cmdline.
_apctl_have_user_processes() {
	for _apctl_p in /proc/[0-9]*; do
		[ "${_apctl_p#/proc/}" = 1 ] && continue
		[ "${_apctl_p#/proc/}" = "$$" ] && continue
		_apctl_line=
		read -r _apctl_line <"$_apctl_p/cmdline" 2>/dev/null || true
		[ -n "$_apctl_line" ] && return 0
	done
	return 1
}
