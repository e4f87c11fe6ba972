# Helpers for the systemd VM's scenarios (tests/vm/run --init systemd),
# packed as /apctl/systemd-lib.sh; a scenario sources it after
# /apctl/daemon-lib.sh. Each check of a scenario is a TAP line: tap_step
# names it, tap_ok prints "ok N - NAME"; a failure in between (fail, or
# any expect_* / wait_for) prints "not ok N - NAME" before the FAIL line;
# tap_plan, at the end, prints the plan "1..N", without which tests/vm/run
# fails the scenario.
# tests/vm/run shows these lines under the scenario's own TAP line.

TAP_N=0
TAP_STEP=

# tap_step WHAT: the check that follows.
tap_step() {
	TAP_STEP=$*
	note "$*"
}

# tap_ok [DETAIL]: the current check passed (DETAIL, e.g. a measured value,
# is appended to its name).
tap_ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $TAP_STEP${1:+: $1}"
	TAP_STEP=
}

# tap_plan: the last line of a scenario that got to its end.
tap_plan() {
	echo "1..$TAP_N"
}

# lib.sh's fail, with the TAP line of the check that failed.
fail() {
	if [ -n "$TAP_STEP" ]; then
		TAP_N=$((TAP_N + 1))
		echo "not ok $TAP_N - $TAP_STEP"
		TAP_STEP=
	fi
	echo "FAIL: $*" >&2
	echo "apctl-test: FAIL: $*" >/dev/kmsg 2>/dev/null || true
	exit 1
}

# unit_prop UNIT PROPERTY: the property's value (systemctl show).
unit_prop() {
	systemctl show -P "$2" "$1"
}

# unit_prop_is UNIT PROPERTY VALUE: for wait_for.
unit_prop_is() {
	[ "$(systemctl show -P "$2" "$1")" = "$3" ]
}

# unit_active_as UNIT PROPERTY VALUE: UNIT is active, nothing is queued
# for it, and PROPERTY is VALUE. For wait_for.
unit_active_as() {
	[ "$(systemctl is-active "$1")" = active ] &&
		[ "$(systemctl show -P Job "$1")" = "" ] &&
		[ "$(systemctl show -P "$2" "$1")" = "$3" ]
}

# unit_active_not UNIT PROPERTY VALUE: UNIT is active, nothing is queued,
# and PROPERTY is no longer VALUE (a new invocation, a new main PID).
unit_active_not() {
	[ "$(systemctl is-active "$1")" = active ] &&
		[ "$(systemctl show -P Job "$1")" = "" ] &&
		[ "$(systemctl show -P "$2" "$1")" != "$3" ]
}

# journal_has UNIT TEXT: this boot's journal of UNIT has a message
# containing TEXT (fixed string). For wait_for.
journal_has() {
	journalctl -b -q --no-pager -o cat -u "$1" | grep -F -q -- "$2"
}

# journal_count UNIT FIELD=VALUE: the number of UNIT's entries with it.
journal_count() {
	journalctl -b -q --no-pager -o cat "_SYSTEMD_UNIT=$1" "$2" | wc -l
}

# journal_count_at_least N UNIT FIELD=VALUE: for wait_for.
journal_count_at_least() {
	[ "$(journal_count "$2" "$3")" -ge "$1" ]
}
