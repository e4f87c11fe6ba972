# apctld inside the file system sandbox of apctld.service, rebuilt by hand
# (no systemd in the VM): a private mount namespace where /sys is read-only
# except /sys/bus/ap, /sys/devices/ap and /sys/devices/vfio_ap
# (ProtectKernelTunables= plus ReadWritePaths=), the rest read-only but the
# state and runtime directories (ProtectSystem=strict), a private /tmp and
# /dev, /proc with processes only (ProcSubset=pid), and, where util-linux'
# setpriv is packed (x86_64), no capabilities at all (an empty
# CapabilityBoundingSet=). In there apctld releases adapters to vfio_ap,
# starts, hot plugs and stops a guest. vfio_ap loaded after apctld started
# is read-only for it (why 60-apctl.rules restarts apctld); after a
# restart it works.
. /apctl/daemon-lib.sh

# A wrapper found before /usr/bin/apctld: daemon_start runs it.
mkdir -p /tmp/sandbox
cat >/tmp/sandbox/apctld <<'EOF2'
#!/bin/sh
exec unshare -m sh -c '
	set -e
	mount --bind /sys /sys
	mount -o remount,bind,ro /sys
	for p in /sys/bus/ap /sys/devices/ap /sys/devices/vfio_ap; do
		[ -d "$p" ] || continue
		mount --bind "$p" "$p"
		mount -o remount,bind,rw "$p"
	done
	# ProtectSystem=strict: everything else read-only but the state and
	# runtime directories (StateDirectory=, RuntimeDirectory=).
	for d in /bin /sbin /usr /lib /lib64 /etc /apctl /var /run; do
		[ -d "$d" ] || continue
		mount --bind "$d" "$d"
		mount -o remount,bind,ro "$d"
	done
	for d in /var/lib/apctl /run/apctl; do
		mount --bind "$d" "$d"
		mount -o remount,bind,rw "$d"
	done
	# PrivateTmp=; PrivateDevices= (pseudo devices only); ProtectProc=invisible
	# with ProcSubset=pid (no /proc/sys, no other processes).
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	mount -t tmpfs -o mode=755 tmpfs /dev
	mknod -m 666 /dev/null c 1 3
	mknod -m 666 /dev/zero c 1 5
	mknod -m 666 /dev/full c 1 7
	mknod -m 666 /dev/random c 1 8
	mknod -m 666 /dev/urandom c 1 9
	mount -t proc -o subset=pid,hidepid=invisible proc /proc
	# The sandbox holds: nothing else can be written.
	for f in /sys/kernel/uevent_helper /etc/apctl-sandbox /usr/apctl-sandbox /run/apctl-sandbox; do
		if echo >"$f" 2>/dev/null; then
			echo "sandbox: $f is writable" >&2
			exit 99
		fi
	done
	[ ! -e /proc/sys/kernel ] || { echo "sandbox: /proc/sys is visible" >&2; exit 99; }
	echo >/var/lib/apctl/.sandbox-check && rm /var/lib/apctl/.sandbox-check
	if [ -x /usr/bin/setpriv ] && /usr/bin/setpriv --help 2>&1 | grep -q bounding-set; then
		echo "sandbox: no capabilities" >&2
		exec /usr/bin/setpriv --bounding-set=-all --inh-caps=-all --no-new-privs /usr/bin/apctld "$@"
	fi
	exec /usr/bin/apctld "$@"
' apctld "$@"
EOF2
chmod 755 /tmp/sandbox/apctld
export PATH=/tmp/sandbox:$PATH

GUEST=62177883-f1bb-47f0-914d-32a22e3a8804

note "vfio_ap is loaded only after apctld started"
daemon_load_modules
wait_for 30 daemon_bindings_complete
rmmod vfio_ap_sim || fail "rmmod vfio_ap_sim"
daemon_start
grep -q "no capabilities" "$APCTLD_LOG" && note "apctld runs without capabilities" ||
	note "no util-linux setpriv here: apctld keeps root's capabilities"
insmod "$APCTL_MODDIR/vfio_ap_sim.ko" || fail "insmod vfio_ap_sim.ko"
wait_for 10 test -d "$MATRIX_DEV"
run_apctl host release --adapters 4
run_apctl guest define web --uuid $GUEST --adapters 4 --domains 1,2
apctl_refused 8 guest start web
expect_contains "$APCTL_OUT" "Read-only file system" "start with vfio_ap loaded after apctld"
expect_missing "$(mdev_dir $GUEST)"

note "restarted (what 60-apctl.rules does), apctld writes vfio_ap's sysfs"
daemon_stop
daemon_start
run_apctl guest start web
expect_exists "$(mdev_dir $GUEST)"
expect_contains "$(cat "$(mdev_dir $GUEST)/matrix")" "04.0002" "web's mdev"
run_apctl guest attach web --domains 3
expect_contains "$(cat "$(mdev_dir $GUEST)/matrix")" "04.0003" "web's mdev after attach"
run_apctl host release --adapters 5
wait_for 10 sh -c 'basename "$(readlink /sys/bus/ap/devices/05.0000/driver)" | grep -qx vfio_ap'
run_apctl guest stop web
expect_missing "$(mdev_dir $GUEST)"
daemon_stop
