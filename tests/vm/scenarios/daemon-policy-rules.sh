# A real policy in /etc/apctl/policy.d (root-owned, 0644) against real
# unprivileged users calling apctl: alice may change guests web* but not
# db*, bob may only read, carol nothing; guests web* get only CCA or EP11
# adapters of CEX7 or newer, at most 8 APQNs, no shared control domains,
# and never the host's APQN 05.0000. Every refusal names the rule as
# file:line; placement rules hold for root too, and for changes to a guest
# that exists (attach), not only for new ones.
. /apctl/daemon-lib.sh

# Accounts (numeric ids through run-as, tests/vm/helpers/run-as.c); the
# policy names them, so apctld resolves the names from /etc/passwd.
cat >/etc/nsswitch.conf <<EOF
passwd: files
group: files
EOF
cat >>/etc/passwd <<EOF
alice:x:1001:1001:alice:/tmp:/bin/sh
bob:x:1002:1002:bob:/tmp:/bin/sh
carol:x:1003:1003:carol:/tmp:/bin/sh
EOF
cat >>/etc/group <<EOF
alice:x:1001:
bob:x:1002:
carol:x:1003:
apctl:x:990:
EOF

# as_user NAME EXIT ARGS...: apctl ARGS as NAME; fails unless it exits
# EXIT. Output in $APCTL_OUT.
as_user() {
	case $1 in
	alice) _pol_ids="1001 1001" ;;
	bob) _pol_ids="1002 1002" ;;
	carol) _pol_ids="1003 1003" ;;
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

# at FILE PATTERN: "FILE:LINE" of the first line of FILE matching PATTERN,
# as a refusal names it.
at() {
	_pol_n=$(grep -n -- "$2" "$1" | head -n1 | cut -d: -f1)
	[ -n "$_pol_n" ] || fail "at: '$2' is not in $1"
	echo "$1:$_pol_n"
}

POLICY_DIR=/etc/apctl/policy.d
TEAMS=$POLICY_DIR/50-teams.conf
PLACEMENT=$POLICY_DIR/60-placement.conf
mkdir -p $POLICY_DIR
chmod 755 /etc /etc/apctl $POLICY_DIR
cat >$TEAMS <<EOF
# Who may do what (daemon-policy-rules scenario).
[access web-admins]
users = alice
allow = read, guest-change
guests = web*

[access auditors]
users = bob
allow = read
EOF
cat >$PLACEMENT <<EOF
[host]
reserve = 05.0000

[guest web*]
modes = cca, ep11
min-generation = CEX7
max-apqns = 8
share-control-domains = no
EOF
chmod 644 $TEAMS $PLACEMENT
expect_eq "$(stat -c '%u %a' $TEAMS $PLACEMENT | tr '\n' ' ')" "0 644 0 644 " "policy files root-owned 0644"
run_apctl policy check $POLICY_DIR

daemon_load_modules
wait_for 30 daemon_bindings_complete
daemon_start --policy-dir=$POLICY_DIR
run_apctl policy show --json
expect_eq "$(json_str "$APCTL_OUT" source)" $POLICY_DIR "policy show: source"
run_apctl policy show
expect_contains "$APCTL_OUT" "# $(at $TEAMS 'access web-admins')" "policy show names where each rule came from"

note "root may change the host (no rule names root)"
run_apctl host release --adapter 0-7

note "alice may change web* guests"
as_user alice 0 guest define web01 --adapter 4 --domain 1-2 --control-domain 1
as_user alice 0 guest modify web01 --domain 1-3
as_user alice 0 guest show web01

note "... but not db* guests, nor the host, nor the policy"
as_user alice 5 guest define db01 --adapter 4 --domain 9
expect_contains "$APCTL_OUT" "$(at $TEAMS 'access web-admins'): uid 1001 may not do guest-change on guest 'db01'" \
	"alice's db01 refused, naming the rule"
expect_contains "$APCTL_OUT" "only on guests web*" "the refusal says which guests alice may change"
as_user alice 5 host release --adapter 7
expect_contains "$APCTL_OUT" "$(at $TEAMS 'access web-admins'):" "alice's host change refused, naming the rule"
as_user alice 5 policy reload
expect_contains "$APCTL_OUT" "$(at $TEAMS 'access web-admins'):" "alice's reload refused, naming the rule"
run_apctl guest define db01 --adapter 4 --domain 9
as_user alice 5 guest undefine db01
as_user alice 5 guest attach db01 --domain 10

note "bob may only read"
as_user bob 0 guest list
expect_contains "$APCTL_OUT" "web01" "bob lists guests"
expect_contains "$APCTL_OUT" "db01" "bob lists guests"
as_user bob 0 list --adapter 4
as_user bob 5 guest define web02 --adapter 4 --domain 11
expect_contains "$APCTL_OUT" "$(at $TEAMS 'access auditors'): uid 1002 may not do guest-change on guest 'web02'" \
	"bob's define refused, naming his rule"
as_user bob 5 guest undefine web01
as_user bob 5 guest attach web01 --domain 4

note "carol, whom no rule names and who is not in group apctl, may not read"
as_user carol 5 guest list
expect_contains "$APCTL_OUT" "uid 1003 may not read: not in group apctl" "carol's read refused"

note "placement: every refusal names the rule that refused it"
# Adapter 3 is a CEX7 accelerator.
as_user alice 5 guest define web02 --adapter 3 --domain 1
expect_contains "$APCTL_OUT" "$(at $PLACEMENT '^modes')" "accelerator refused by modes"
expect_contains "$APCTL_OUT" "adapter 3" "the refusal names the adapter"
# Adapter 6 is a CEX6 in EP11 mode.
as_user alice 5 guest define web02 --adapter 6 --domain 1
expect_contains "$APCTL_OUT" "$(at $PLACEMENT '^min-generation')" "CEX6 refused by min-generation"
as_user alice 5 guest define web02 --adapter 0 --domain 0-8
expect_contains "$APCTL_OUT" "$(at $PLACEMENT '^max-apqns')" "9 APQNs refused by max-apqns"
as_user alice 5 guest define web02 --adapter 5 --domain 0
expect_contains "$APCTL_OUT" "$(at $PLACEMENT '^reserve')" "host APQN refused by [host] reserve"
expect_contains "$APCTL_OUT" "05.0000" "the refusal names the APQN"
as_user alice 5 guest define web02 --adapter 2 --domain 5 --control-domain 1
expect_contains "$APCTL_OUT" "$(at $PLACEMENT '^share-control-domains')" "web01's control domain refused"
note "a change to an existing guest is checked too"
as_user alice 5 guest attach web01 --adapter 3
expect_contains "$APCTL_OUT" "$(at $PLACEMENT '^modes')" "attaching the accelerator refused by modes"
expect_contains "$(apctl --json guest show web01 | tr -d ' \n')" '"adapters":[4]' "web01 still has only adapter 4"
note "placement rules bind root as well"
apctl_refused 5 guest define web09 --adapter 3 --domain 1
expect_contains "$APCTL_OUT" "$(at $PLACEMENT '^modes')" "root's accelerator refused by modes"
note "within the rules, alice's change goes through"
as_user alice 0 guest define web02 --adapter 2 --domain 5 --control-domain 2
run_apctl guest list
expect_contains "$APCTL_OUT" "web02" "web02 defined"
expect_not_contains "$APCTL_OUT" "web09" "web09 not defined"

daemon_stop
