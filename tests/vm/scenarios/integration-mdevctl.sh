# Debian's mdevctl 1.2 with apctl's callout (in /etc/mdevctl.d/scripts.d/
# callouts, where 1.2 looks) against apctld and the kernel modules, with a
# fake s390-tools ap-check next to it that records every call: a
# conflicting `mdevctl start` is refused with apctl's message and leaves no
# mdev, and ap-check is never run; a clean one passes and creates it;
# `mdevctl list` shows the attributes of an apctl guest's mdev and of
# another mdev through the callout. With apctld stopped, the callout steps
# aside (exit 2) and mdevctl moves on to ap-check, which decides.
# mdevctl 1.2.0 tries the scripts in directory order, not sorted by name
# (newer ones sort: apctl-hooks(8)), so the scenario puts apctl's first in
# that order. x86_64 only (mdevctl is amd64, and mdevctl needs the
# kernel's mdev bus).
. /apctl/daemon-lib.sh

if ! command -v mdevctl >/dev/null; then
	note "skipped: no mdevctl in this VM (x86_64 only)"
	exit 0
fi
WEB=62177883-f1bb-47f0-914d-32a22e3a8804
OTHER=11111111-2222-4333-8444-555555555555

daemon_load_modules
wait_for 30 daemon_bindings_complete
daemon_start
wait_for 10 test -e /sys/class/mdev_bus/matrix
run_apctl host release --adapters 4,5
run_apctl guest define web --uuid $WEB --adapters 4 --domains 1,2

# Like s390-tools' ap-check: claims vfio_ap-passthrough; refuses pre start
# only while /tmp/ap-check.refuse exists.
callouts=/etc/mdevctl.d/scripts.d/callouts
cat >$callouts/ap-check <<'EOF2'
#!/bin/sh
echo "$*" >>/tmp/ap-check.calls
cat >/dev/null
[ "$2" = vfio_ap-passthrough ] || exit 2
if [ "$4 $6" = "pre start" ] && [ -e /tmp/ap-check.refuse ]; then
	echo "fake ap-check refuses $*" >&2
	exit 1
fi
exit 0
EOF2
chmod 755 $callouts/ap-check
# Our link, under its install name; first in directory order (find does
# not sort), re-created if the file system lists the newest first.
link=$(find $callouts -type l | head -n1)
[ -n "$link" ] || fail "no callout link in $callouts"
first_callout() { find $callouts -mindepth 1 | head -n1; }
if [ "$(first_callout)" != "$link" ]; then
	target=$(readlink "$link")
	rm "$link"
	ln -s "$target" "$link"
fi
expect_eq "$(first_callout)" "$link" "the first callout in directory order"
note "callouts in directory order: $(find $callouts -mindepth 1 | tr '\n' ' ')"

note "a transient mdevctl start on web's APQN 04.0002: refused by the callout"
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

note "the same on a free APQN: mdevctl creates the mdev, the callout agrees"
cat >/tmp/clean.json <<EOF2
{"mdev_type": "vfio_ap-passthrough", "start": "manual",
 "attrs": [{"assign_adapter": "5"}, {"assign_domain": "3"}]}
EOF2
mdevctl start -u $OTHER -p matrix --jsonfile /tmp/clean.json || fail "mdevctl start of a free APQN failed"
expect_exists "$(mdev_dir $OTHER)"
expect_contains "$(cat "$(mdev_dir $OTHER)/matrix")" "05.0003" "the mdev's matrix"

note "an apctl guest's running mdev: mdevctl list shows its attributes from the callout"
run_apctl guest start web
out=$(mdevctl list -u $WEB -v 2>&1) || fail "mdevctl list -u $WEB: $out"
echo "$out"
expect_contains "$out" "assign_adapter" "mdevctl list -v"
expect_contains "$out" "0x0002" "mdevctl list -v"
note "an mdev apctl does not manage: its attributes come from apctl's callout too"
out=$(mdevctl list -u $OTHER -v 2>&1) || fail "mdevctl list -u $OTHER: $out"
echo "$out"
expect_contains "$out" "0x0003" "mdevctl list -v of $OTHER"

mdevctl stop -u $OTHER || fail "mdevctl stop failed"
expect_missing "$(mdev_dir $OTHER)"
run_apctl guest stop web
[ ! -e /tmp/ap-check.calls ] || fail "ap-check was run while apctld runs: $(cat /tmp/ap-check.calls)"
daemon_stop

note "apctld stopped: apctl's callout steps aside (exit 2) and ap-check decides"
touch /tmp/ap-check.refuse
rc=0
mdevctl start -u $OTHER -p matrix --jsonfile /tmp/clean.json >/tmp/mdevctl.out 2>&1 || rc=$?
cat /tmp/mdevctl.out
[ "$rc" != 0 ] || fail "mdevctl start passed although ap-check refused it"
expect_contains "$(cat /tmp/mdevctl.out)" "fake ap-check refuses" "mdevctl's error"
expect_contains "$(cat /tmp/ap-check.calls)" "-e pre -a start" "ap-check's calls"
expect_missing "$(mdev_dir $OTHER)"
rm /tmp/ap-check.refuse $callouts/ap-check
