# Reloading apctld's policy (apctl policy reload, SIGHUP) with a broken
# file, a group- or world-writable file, a file a user owns or a
# world-writable directory keeps the old policy in force and tells the
# caller (and the log) the file and line; apctl policy show keeps printing
# the policy in force, not the files; a good file then takes effect.
# apctld refuses to start on a policy file others may write.
. /apctl/daemon-lib.sh

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
apctl:x:990:
EOF

# as_user NAME EXIT ARGS...: apctl ARGS as NAME (tests/vm/helpers/run-as.c);
# fails unless it exits EXIT. Output in $APCTL_OUT.
as_user() {
	case $1 in
	alice) _pol_ids="1001 1001" ;;
	bob) _pol_ids="1002 1002" ;;
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

# log_has TEXT: apctld's log has a line containing TEXT (for wait_for).
log_has() {
	grep -qF -- "$1" "$APCTLD_LOG"
}

# bob_is_refused_web: the first policy is in force (bob may only read).
bob_is_refused_web() {
	as_user bob 5 guest define web-bob --adapter 4 --domain 15
	expect_contains "$APCTL_OUT" "[access auditors]" "bob refused by the first policy"
}

POLICY_DIR=/etc/apctl/policy.d
mkdir -p $POLICY_DIR
chmod 755 /etc /etc/apctl $POLICY_DIR
cat >$POLICY_DIR/50-teams.conf <<EOF
[access web-admins]
users = alice
allow = read, guest-change
guests = web*

[access auditors]
users = bob
allow = read
EOF
chmod 644 $POLICY_DIR/50-teams.conf

daemon_load_modules
wait_for 30 daemon_bindings_complete
daemon_start --policy-dir=$POLICY_DIR
run_apctl host release --adapter 4-5
as_user alice 0 guest define web01 --adapter 4 --domain 1
bob_is_refused_web
run_apctl policy show
SHOWN_BEFORE=$APCTL_OUT

note "a broken file: apctl policy reload is refused with file:line, the old policy stays"
BROKEN=$POLICY_DIR/70-db.conf
cat >$BROKEN <<EOF
[access db-team]
user = bob
allow = read, guest-change
guests = db*
EOF
chmod 644 $BROKEN
apctl_refused 2 policy reload
expect_contains "$APCTL_OUT" "the old one stays: $BROKEN:2: unknown key 'user'" "reload names the file and line"
wait_for 10 log_has "policy not reloaded, the old one stays: $BROKEN:2"
bob_is_refused_web
as_user alice 0 guest define web02 --adapter 4 --domain 2
note "policy show prints the policy in force; policy check DIR reads the files"
run_apctl policy show
expect_eq "$APCTL_OUT" "$SHOWN_BEFORE" "policy show after a refused reload"
expect_not_contains "$APCTL_OUT" "db-team" "policy show after a refused reload"
as_user alice 0 policy show
expect_eq "$APCTL_OUT" "$SHOWN_BEFORE" "alice's policy show after a refused reload"
apctl_refused 2 policy check $POLICY_DIR
expect_contains "$APCTL_OUT" "$BROKEN:2" "policy check of the files"

note "the same file through SIGHUP: refused, logged, the old policy stays"
kill -HUP "$APCTLD_PID"
wait_for 10 log_has "SIGHUP: policy not reloaded, the old one stays: $BROKEN:2"
bob_is_refused_web
kill -0 "$APCTLD_PID" || fail "apctld died on SIGHUP"

note "a fixed file that its group may write: refused too"
sed -i 's/^user = bob/users = bob/' $BROKEN
chmod 664 $BROKEN
apctl_refused 2 policy reload
expect_contains "$APCTL_OUT" "$BROKEN: writable by its group" "reload refuses a group-writable file"
kill -HUP "$APCTLD_PID"
wait_for 10 log_has "SIGHUP: policy not reloaded, the old one stays: $BROKEN: writable by its group"
bob_is_refused_web
chmod 646 $BROKEN
apctl_refused 2 policy reload
expect_contains "$APCTL_OUT" "$BROKEN: writable by others" "reload refuses a world-writable file"
chmod 644 $BROKEN
chown 1002 $BROKEN
apctl_refused 2 policy reload
expect_contains "$APCTL_OUT" "$BROKEN: owned by uid 1002, not root" "reload refuses a file bob owns"
bob_is_refused_web
chown 0 $BROKEN
chmod 777 $POLICY_DIR
apctl_refused 2 policy reload
expect_contains "$APCTL_OUT" "$POLICY_DIR" "reload refuses a world-writable directory"
expect_contains "$APCTL_OUT" "writable" "reload refuses a world-writable directory"
bob_is_refused_web
chmod 755 $POLICY_DIR

note "the good file: SIGHUP loads it, bob may now change db* guests"
HUPS=$(grep -c "SIGHUP: policy reloaded" "$APCTLD_LOG" || true)
kill -HUP "$APCTLD_PID"
wait_for 10 sh -c "[ \$(grep -c 'SIGHUP: policy reloaded' $APCTLD_LOG) -gt $HUPS ]"
as_user bob 0 guest define db01 --adapter 5 --domain 1
as_user bob 5 guest define web-bob --adapter 4 --domain 15
expect_contains "$APCTL_OUT" "[access db-team] allows guest-change only on guests db*" "bob's new rule"
run_apctl policy show
expect_contains "$APCTL_OUT" "[access db-team]" "policy show after the reload"
expect_contains "$APCTL_OUT" "# $BROKEN:1" "policy show names the new file"
note "... and apctl policy reload as well"
run_apctl policy reload
expect_contains "$APCTL_OUT" "reloaded" "apctl policy reload"

note "apctld refuses to start on a policy file others may write"
daemon_stop
chmod 666 $BROKEN
rc=0
out=$(timeout 60 apctld --log-target=stderr --state-dir="$APCTLD_STATE" --socket=/run/apctl/refused.sock \
	--policy-dir=$POLICY_DIR 2>&1) || rc=$?
echo "$out"
expect_eq "$rc" 1 "apctld's exit status with a world-writable policy file"
expect_contains "$out" "Refusing to start: policy $POLICY_DIR is unusable: $BROKEN: writable by" \
	"apctld names the file"
expect_missing /run/apctl/refused.sock
chmod 644 $BROKEN
