# Switching from mdevctl to apctl: a definition in mdevctl's format, where
# mdevctl keeps it (/etc/mdevctl.d/matrix/UUID), is imported (its UUID from
# the file name, values read as the kernel reads them: "010" is octal 8)
# and started: the mdev has exactly the definition's APQNs. A broken
# definition is refused with a message naming the problem and defines
# nothing. Export gives the definition back in mdevctl's format.
. /apctl/daemon-lib.sh

daemon_load_modules
daemon_wait_for 30 daemon_bindings_complete
daemon_start
run_apctl host release --adapter 4-5

U=4a7e1f0c-2b3d-4c5e-8f60-718293a4b5c6
mkdir -p /etc/mdevctl.d/matrix
cat >/etc/mdevctl.d/matrix/$U <<'DEF'
{
  "mdev_type": "vfio_ap-passthrough",
  "start": "manual",
  "attrs": [
    { "assign_adapter": "4" },
    { "assign_adapter": "0x5" },
    { "assign_domain": "010" },
    { "assign_domain": "9" },
    { "assign_domain": "10" },
    { "unassign_domain": "10" },
    { "assign_control_domain": "0x08" }
  ]
}
DEF

note "a broken definition is refused and defines nothing"
B=0b0b0b0b-1111-4222-8333-444455556666
printf '{"mdev_type":"vfio_ap-passthrough","start":"sometimes","attrs":[]}' >/etc/mdevctl.d/matrix/$B
apctl_refused 2 import-mdevctl /etc/mdevctl.d/matrix/$B --name broken
expect_contains "$APCTL_OUT" "start" "the refusal names the bad field"
apctl_refused 3 guest show broken

note "import, then start"
run_apctl import-mdevctl /etc/mdevctl.d/matrix/$U --name db01
expect_eq "$(guest_uuid db01)" "$U" "the imported guest's UUID (the file's name)"
expect_contains "$(apctl --json guest show db01 | tr -d ' \n')" '"adapters":[4,5],"domains":[8,9],"control_domains":[8]' \
	"the imported definition"
expect_missing "$(mdev_dir "$U")"
run_apctl guest start db01
expect_eq "$(mdev_matrix "$U")" "04.0008 04.0009 05.0008 05.0009" "mdev matrix of the imported guest"
expect_file_eq "$(mdev_dir "$U")/control_domains" "0008"
run_apctl matrix
expect_contains "$APCTL_OUT" "04  ........AA.........." "matrix: db01 on domains 8-9"

note "export: mdevctl's format again, ids in hex"
run_apctl export-mdevctl db01 --output /tmp/db01.json
cat /tmp/db01.json
exp=$(tr -d ' \n' </tmp/db01.json)
expect_contains "$exp" '"mdev_type":"vfio_ap-passthrough"' "export: type"
expect_contains "$exp" '"start":"manual"' "export: start"
for a in '"assign_adapter":"0x04"' '"assign_adapter":"0x05"' '"assign_domain":"0x0008"' \
	'"assign_domain":"0x0009"' '"assign_control_domain":"0x0008"'; do
	expect_contains "$exp" "$a" "export attrs"
done
expect_not_contains "$exp" '0x000a"' "export: the unassigned domain 10"

run_apctl guest stop db01
expect_missing "$(mdev_dir "$U")"
daemon_stop
