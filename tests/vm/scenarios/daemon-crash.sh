# apctld killed with SIGKILL in the middle of a transaction, at each of its
# kernel steps (test hook APCTLD_TEST_KILL_AFTER_STEP=N, apctld(8)), then
# restarted: it rolls the journalled change back or forward, and the kernel
# and the definitions agree again: no journal left, no drift, a running
# guest's mdev has its whole definition, a stopped guest has no mdev, the
# masks are the reservation. Transactions: Guest.Start (create, ap_config),
# Host.Release of an adapter and a domain (apmask, aqmask), Guest.Attach on
# a running guest (ap_config) and Guest.Stop (remove); then, as on a kernel
# without ap_config, Guest.Start and a live Guest.Modify step by step.
. /apctl/daemon-lib.sh
# The test build honours APCTLD_TEST_KILL_AFTER_STEP; it drives sysfs as apctld does.
APCTLD=apctld-test
# apctld's default runtime directory: the journal (apctld(8)).
JOURNAL_DIR=/run/apctl

# journal_pending: a journal slot holds an entry (its header; a free slot is
# empty, or zeros an older apctld left), or an old-style entry file is there.
journal_pending() {
	for _f in "$JOURNAL_DIR"/journal-slot-* "$JOURNAL_DIR"/journal-*.json; do
		[ -f "$_f" ] || continue
		case $_f in *.json) return 0 ;; esac
		[ "$(head -c 8 "$_f" | tr -d '\000')" = "APCTLJ1 " ] && return 0
	done
	return 1
}
# A small machine (32 queues): apctld starts 27 times here, and each start
# reads every queue; s390x under TCG is slow at that.
DAEMON_ADAPTERS=0-7:cex8:cca
DAEMON_USAGE_DOMAINS=0-3
DAEMON_CONTROL_DOMAINS=0-3

daemon_load_modules
daemon_wait_for 30 daemon_bindings_complete
daemon_start
run_apctl host release --adapter 4-5
run_apctl guest define web01 --adapter 4 --domain 1-2 --control-domain 1
U=$(guest_uuid web01)
daemon_stop

# crash_at N ARGS...: apctld with the hook at step N; apctl ARGS loses its
# connection because apctld kills itself; a journal entry is left.
crash_at() {
	_n=$1
	shift
	note "kill after step $_n of: apctl $*"
	export APCTLD_TEST_KILL_AFTER_STEP=$_n
	daemon_start
	unset APCTLD_TEST_KILL_AFTER_STEP
	_rc=0
	apctl "$@" >/tmp/crash.out 2>&1 || _rc=$?
	cat /tmp/crash.out
	[ "$_rc" != 0 ] || fail "apctl $* succeeded although apctld was to be killed after step $_n"
	daemon_wait_exit
	expect_eq "$DAEMON_EXIT" 137 "apctld's exit status (killed by SIGKILL at step $_n)"
	journal_pending || fail "no journal entry left by the killed transaction"
}

# def_ids JSON FIELD: the ids of the definition's first FIELD, spaced.
def_ids() {
	echo "$1" | grep -o "\"$2\":\\[[0-9,]*\\]" | head -n1 | sed 's/.*\[//; s/\]//' | tr ',' ' '
}

# recovered: apctld restarts and everything agrees.
recovered() {
	daemon_start
	grep 'Rolled the unfinished' "$APCTLD_LOG" | tail -n 1
	! journal_pending || fail "journal entries left after recovery"
	_st=$(apctl --json status | tr -d ' \n')
	expect_contains "$_st" '"recovery_needed":false' "status after recovery"
	expect_contains "$_st" '"drift":[]' "status after recovery"
	_def=$(apctl --json guest show web01 | tr -d ' \n')
	if guest_running web01; then
		_want=
		for _a in $(def_ids "$_def" adapters); do
			for _d in $(def_ids "$_def" domains); do
				_want="$_want $(printf '%02x.%04x' "$_a" "$_d")"
			done
		done
		expect_eq "$(mdev_matrix "$U")" "${_want# }" "the mdev after recovery (the whole definition)"
		expect_file_eq "$(mdev_dir "$U")/control_domains" "0001"
		echo "   web01 runs with $(mdev_matrix "$U")"
	else
		expect_missing "$(mdev_dir "$U")"
		echo "   web01 is stopped, no mdev"
	fi
	run_apctl list --owner guest
}

# Guest.Start: step 1 creates the mdev, step 2 writes its ap_config.
for n in 1 2; do
	crash_at $n guest start web01
	if [ $n = 1 ]; then
		# Half-configured on purpose: the mdev exists with nothing assigned.
		expect_exists "$(mdev_dir "$U")"
		expect_eq "$(mdev_matrix "$U")" "" "mdev after step 1"
	fi
	recovered
	guest_running web01 && run_apctl guest stop web01
	daemon_stop
done

# Host.Release of adapter 6 and domain 3: step 1 apmask, step 2 aqmask.
for n in 1 2; do
	crash_at $n host release --adapter 6 --domain 3
	recovered
	if [ "$(cat /sys/bus/ap/apmask)" != "$(ap_mask 0 1 2 3 6 7 $(seq 8 255))" ]; then
		run_apctl host reserve --adapter 6 --domain 3
	fi
	expect_file_eq /sys/bus/ap/apmask "$(ap_mask 0 1 2 3 6 7 $(seq 8 255))"
	expect_file_eq /sys/bus/ap/aqmask "$(ap_mask $(seq 0 255))"
	daemon_stop
done

# Guest.Attach on a running guest: one ap_config write.
daemon_start
run_apctl guest start web01
daemon_stop
crash_at 1 guest attach web01 --adapter 5
recovered
daemon_stop

# Guest.Stop: one remove.
crash_at 1 guest stop web01
recovered

# A kernel without ap_config (most deployed ones): apctld assigns step by
# step. Guest.Start: create, assign_adapter 4, assign_domain 1 and 2,
# assign_control_domain 1. Guest.Modify of the domains while it runs:
# unassign_domain 1, assign_domain 3.
export APCTLD_TEST_NO_AP_CONFIG=1
guest_running web01 && run_apctl guest stop web01
daemon_stop
for n in 1 2 3 4 5; do
	crash_at $n guest start web01
	expect_exists "$(mdev_dir "$U")"
	echo "   the kernel was left with: $(mdev_matrix "$U") control $(cat "$(mdev_dir "$U")/control_domains" | tr '\n' ' ')"
	recovered
	guest_running web01 && run_apctl guest stop web01
	daemon_stop
done
daemon_start
run_apctl guest start web01
daemon_stop
for n in 1 2; do
	crash_at $n guest modify web01 --domain 2-3
	recovered
	case $(apctl --json guest show web01 | tr -d ' \n') in
	*'"domains":[2,3]'*) run_apctl guest modify web01 --domain 1-2 ;;
	esac
	daemon_stop
done
daemon_start
unset APCTLD_TEST_NO_AP_CONFIG

note "after all that, a normal start and stop still work"
guest_running web01 || run_apctl guest start web01
run_apctl guest stop web01
expect_missing "$(mdev_dir "$U")"
daemon_stop
