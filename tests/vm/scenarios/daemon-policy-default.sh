# apctld without policy files enforces its built-in policy, for real
# unprivileged users calling apctl (SO_PEERCRED, SO_PEERGROUPS): members of
# group apctl may read and nothing else, other users nothing at all, root
# everything; every refusal says the built-in policy refused it.
. /apctl/daemon-lib.sh

# Accounts: alice is in group apctl (a supplementary group, as usermod -aG
# makes it), bob is in no group but his own. apctl runs as them through
# run-as (tests/vm/helpers/run-as.c), which sets uid and groups by number.
cat >/etc/nsswitch.conf <<EOF
passwd: files
group: files
EOF
cat >>/etc/passwd <<EOF
alice:x:1001:1001:alice:/tmp:/bin/sh
bob:x:1002:1002:bob:/tmp:/bin/sh
EOF
cat >>/etc/group <<EOF
alice:x:1001:
bob:x:1002:
apctl:x:990:alice
EOF

# as_user NAME EXIT ARGS...: apctl ARGS as NAME; fails unless it exits
# EXIT. Output in $APCTL_OUT.
as_user() {
	case $1 in
	alice) _pol_ids="1001 1001,990" ;;
	bob) _pol_ids="1002 1002" ;;
	bob-apctl) _pol_ids="1002 990" ;;	# bob with apctl as his primary group
	*) fail "as_user: no user $1" ;;
	esac
	_pol_who=$1 _pol_want=$2
	shift 2
	echo "# ($_pol_who) apctl $*"
	_pol_rc=0
	# shellcheck disable=SC2086
	APCTL_OUT=$(run-as $_pol_ids apctl "$@" 2>&1) || _pol_rc=$?
	echo "$APCTL_OUT"
	[ "$_pol_rc" = "$_pol_want" ] || fail "($_pol_who) apctl $*: expected exit $_pol_want, got $_pol_rc"
}

note "run-as gives a command the uid and groups asked for"
expect_eq "$(run-as 1001 1001,990 id -u)" 1001 "run-as: uid"
expect_eq "$(run-as 1001 1001,990 id -G)" "1001 990" "run-as: groups"
expect_eq "$(run-as 1002 1002 id -G)" 1002 "run-as: no supplementary groups"

daemon_load_modules
wait_for 30 daemon_bindings_complete
note "apctld without policy files"
daemon_start
run_apctl policy show --json
expect_eq "$(json_str "$APCTL_OUT" source)" built-in "policy show: source"
run_apctl policy show
expect_contains "$APCTL_OUT" "read-group = apctl" "the built-in policy lets group apctl read"

note "root may do everything"
run_apctl host release --adapter 4-5
run_apctl guest define web01 --adapter 4 --domain 1-2

note "a member of group apctl may read"
as_user alice 0 list --adapter 4
expect_contains "$APCTL_OUT" "web01" "alice's list"
as_user alice 0 guest show web01
as_user alice 0 status
as_user alice 0 policy show
expect_contains "$APCTL_OUT" "read-group = apctl" "alice's policy show"

note "... and change nothing"
as_user alice 5 guest define web02 --adapter 5 --domain 3
expect_contains "$APCTL_OUT" "not allowed for uid 1001: built-in:" "alice's define refused by the built-in policy"
expect_contains "$APCTL_OUT" "guest-change on guest 'web02'" "the refusal names what was asked"
as_user alice 5 guest undefine web01
as_user alice 5 host release --adapter 6
expect_contains "$APCTL_OUT" "host-change" "alice's release refused"
as_user alice 5 policy reload
run_apctl guest list
expect_contains "$APCTL_OUT" "web01" "web01 is still defined"
expect_not_contains "$APCTL_OUT" "web02" "web02 was not defined"

note "others may not even read"
as_user bob 5 list
expect_contains "$APCTL_OUT" "not allowed for uid 1002: built-in: uid 1002 may not read: not in group apctl" \
	"bob's list refused, naming the rule"
as_user bob 5 status
as_user bob 5 guest show web01
as_user bob 5 policy show
as_user bob 5 guest define bob01 --adapter 5 --domain 4

note "the primary group counts as well"
as_user bob-apctl 0 guest list
expect_contains "$APCTL_OUT" "web01" "bob with primary group apctl lists guests"

note "a reload keeps the built-in policy while there is no policy directory"
run_apctl policy reload
as_user alice 0 guest list
as_user bob 5 guest list

daemon_stop
