# The libvirt qemu hook against apctld and the kernel modules, called the way
# libvirt calls it: prepare creates the guest's mdev with its APQNs, release
# removes it; when the kernel refuses (an mdev apctl does not manage holds an
# APQN), prepare fails naming it and leaves no mdev behind.
. /apctl/daemon-lib.sh

WEB=62177883-f1bb-47f0-914d-32a22e3a8804
HAND=dddddddd-0000-4000-8000-00000000000d
cat >/tmp/web.xml <<EOF2
<domain type='kvm'>
  <name>web</name>
  <devices>
    <hostdev mode='subsystem' type='mdev' managed='no' model='vfio-ap'>
      <source><address uuid='$WEB'/></source>
    </hostdev>
  </devices>
</domain>
EOF2

daemon_load_modules
wait_for 30 daemon_bindings_complete
daemon_start
run_apctl host release --adapters 4
run_apctl guest define web --uuid $WEB --adapters 4 --domains 1,2

note "prepare: the hook starts web"
libvirt-qemu-hook web prepare begin - </tmp/web.xml || fail "prepare failed"
expect_exists "$(mdev_dir $WEB)"
m=$(cat "$(mdev_dir $WEB)/matrix")
expect_contains "$m" "04.0001" "web's mdev"
expect_contains "$m" "04.0002" "web's mdev"

note "release: web is not autostart, so the hook stops it"
libvirt-qemu-hook web release end shutdown </tmp/web.xml || fail "release failed"
expect_missing "$(mdev_dir $WEB)"

note "an mdev apctl does not manage takes 04.0002: prepare fails and leaves nothing"
echo $HAND >$MATRIX_DEV/mdev_supported_types/vfio_ap-passthrough/create
echo 4 >"$(mdev_dir $HAND)/assign_adapter"
echo 2 >"$(mdev_dir $HAND)/assign_domain"
rc=0
libvirt-qemu-hook web prepare begin - </tmp/web.xml 2>/tmp/hook.err || rc=$?
cat /tmp/hook.err
expect_eq "$rc" 1 "prepare's exit status"
expect_contains "$(cat /tmp/hook.err)" "domain 'web'" "the hook's message"
expect_contains "$(cat /tmp/hook.err)" "cannot start apctl guest 'web'" "the hook's message"
expect_missing "$(mdev_dir $WEB)"
echo 1 >"$(mdev_dir $HAND)/remove"
daemon_stop
