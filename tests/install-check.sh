#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/install-check.sh BUILD_DIR: `meson install --destdir` of BUILD_DIR into
# a temporary directory, then TAP checks that exactly the expected files are
# installed where Debian expects them (for a --prefix=/usr build: /usr/bin,
# /usr/sbin, /usr/libexec/apctl, /etc/libvirt/hooks/qemu.d, the callout
# directories of mdevctl 1.3+ (/usr/lib/mdevctl/scripts.d/callouts) and 1.2
# (/etc/mdevctl.d/scripts.d/callouts), systemd's and udev's directories, man
# pages, bash completion, the example policy), that the hook and callout
# links point at the installed programs, that the unit starts the installed
# apctld, and, where systemd-analyze exists, that the unit verifies and its
# security exposure stays at 2.0 or lower. Paths follow the build's own
# prefix and directory options, so it runs on any build (the unit suite).
set -uo pipefail

build=${1:?usage: $0 BUILD_DIR}
dest=$(mktemp -d "${TMPDIR:-/tmp}/apctl-install-check.XXXXXX")
trap 'rm -rf "$dest"' EXIT
n=0 failed=0

check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	n=$((n + 1))
	local out
	if out=$("$@" 2>&1); then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		failed=$((failed + 1))
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

if ! out=$(meson install -C "$build" --destdir "$dest" --no-rebuild 2>&1); then
	echo "not ok 1 - meson install --destdir"; printf '%s\n' "$out" | sed 's/^/# /'; echo "1..1"; exit 1
fi
check "meson install --destdir" true

# The build's directories, as meson resolved them.
eval "$(meson introspect --buildoptions "$build" | python3 -c '
import json, os, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
prefix = opts["prefix"]
for k in ("bindir", "sbindir", "libexecdir", "sysconfdir", "datadir", "mandir"):
    print(f"{k}={os.path.join(prefix, opts[k])!r}")
print(f"prefix={prefix!r}")
')"
# The callout link's name, defined once in cli/hooks/meson.build.
callout_link=$(cat "$build/cli/hooks/mdevctl-callout-link-name")
pcvar() { pkg-config --variable="$2" "$1" 2>/dev/null | grep . || echo "$3"; }
unitdir=$(pcvar systemd systemdsystemunitdir /lib/systemd/system)
sysusersdir=$(pcvar systemd sysusersdir /usr/lib/sysusers.d)
tmpfilesdir=$(pcvar systemd tmpfilesdir /usr/lib/tmpfiles.d)
udevrulesdir=$(pcvar udev udevdir /lib/udev)/rules.d
completionsdir=$(pkg-config --variable=completionsdir --define-variable=datadir="$datadir" bash-completion 2>/dev/null |
	grep . || echo "$datadir/bash-completion/completions")

expected=(
	"$bindir/apctl"
	"$sbindir/apctld"
	"$libexecdir/apctl/libvirt-qemu-hook"
	"$libexecdir/apctl/mdevctl-callout"
	"$sysconfdir/libvirt/hooks/qemu.d/apctl"
	"$prefix/lib/mdevctl/scripts.d/callouts/$callout_link"
	"$sysconfdir/mdevctl.d/scripts.d/callouts/$callout_link"
	"$unitdir/apctld.service"
	"$unitdir/apctld.socket"
	"$sysusersdir/apctl.conf"
	"$tmpfilesdir/apctl.conf"
	"$udevrulesdir/60-apctl.rules"
	"$completionsdir/apctl"
	"$datadir/doc/apctl/examples/policy-example.conf"
)
# Man pages exist only where scdoc built them.
if [ -f "$build/man/apctl.8" ]; then
	expected+=("$mandir/man8/apctl.8" "$mandir/man8/apctl-hooks.8" "$mandir/man8/apctld.8"
		   "$mandir/man5/apctl-policy.5" "$mandir/man7/apctl-protocol.7")
fi

norm() { python3 -c 'import os, sys; [print(os.path.normpath(p)) for p in sys.argv[1:]]' "$@"; }
want=$(norm "${expected[@]}" | sort)
got=$(cd "$dest" && find . \( -type f -o -type l \) -printf '/%P\n' | sort)
check "exactly the expected files are installed" diff -u <(echo "$want") <(echo "$got")

for f in "$bindir/apctl" "$sbindir/apctld" "$libexecdir/apctl/libvirt-qemu-hook" "$libexecdir/apctl/mdevctl-callout"; do
	check "$f is an executable file" test -f "$dest$f" -a -x "$dest$f"
done
link_ok() { # link_ok LINK TARGET: an absolute link to TARGET, which is installed
	[ "$(readlink "$dest$1")" = "$2" ] && [ -x "$dest$2" ] || { ls -l "$dest$1"; return 1; }
}
check "libvirt hook link points at the installed hook" \
	link_ok "$sysconfdir/libvirt/hooks/qemu.d/apctl" "$(norm "$libexecdir/apctl/libvirt-qemu-hook")"
check "mdevctl 1.3+ callout link points at the installed callout" \
	link_ok "$prefix/lib/mdevctl/scripts.d/callouts/$callout_link" "$(norm "$libexecdir/apctl/mdevctl-callout")"
check "mdevctl 1.2 (Debian 12) callout link points at the installed callout" \
	link_ok "$sysconfdir/mdevctl.d/scripts.d/callouts/$callout_link" "$(norm "$libexecdir/apctl/mdevctl-callout")"
# mdevctl compares names byte by byte; s390-tools' callouts must come after ours.
check "the callout link '$callout_link' sorts before s390-tools' ap-check and ap-check.sh" \
	sh -c "[ \"\$(printf '%s\n' ap-check ap-check.sh '$callout_link' | LC_ALL=C sort | head -n1)\" = '$callout_link' ]"
check "apctld.service runs the installed apctld in the directories systemd made" grep -qxF \
	"ExecStart=$(norm "$sbindir/apctld") --state-dir=\${STATE_DIRECTORY} --runtime-dir=\${RUNTIME_DIRECTORY}" \
	"$dest$unitdir/apctld.service"
# Started without systemd's StateDirectory=, apctld uses its built-in default, which follows localstatedir.
statedir=$("$dest$sbindir/apctld" --help | sed -n 's/^ *--state-dir=DIR .*(default \(.*\))$/\1/p')
check "tmpfiles.d makes apctld's default state directory (${statedir:-not in apctld --help})" \
	grep -qxF "d ${statedir:-?} 0700 root root -" "$dest$tmpfilesdir/apctl.conf"
check "apctld.service reloads through the installed apctl" \
	grep -qx "ExecReload=$(norm "$bindir/apctl") policy reload" "$dest$unitdir/apctld.service"
check "apctld.socket is 0660, group apctl" grep -q -e '^SocketMode=0660$' "$dest$unitdir/apctld.socket"
check "sysusers.d creates group apctl" grep -qx 'g apctl - -' "$dest$sysusersdir/apctl.conf"
check "the hook's usage names its man page" sh -c "'$dest$libexecdir/apctl/libvirt-qemu-hook' 2>&1 | grep -q apctl-hooks"
check "the callout says 'not mine' (2) for another type" \
	sh -c "'$dest$libexecdir/apctl/mdevctl-callout' -t nvidia-35 -e pre -a start -s none -u x -p y </dev/null; [ \$? = 2 ]"

if command -v systemd-analyze >/dev/null; then
	# Verify against the installed binary, in a directory holding both units.
	units=$(mktemp -d "$dest/units.XXXXXX")
	sed -e "s|^ExecStart=[^ ]*|ExecStart=$dest$(norm "$sbindir/apctld")|" \
	    -e "s|^ExecReload=[^ ]*|ExecReload=$dest$(norm "$bindir/apctl")|" \
		"$dest$unitdir/apctld.service" >"$units/apctld.service"
	cp "$dest$unitdir/apctld.socket" "$units/"
	check "systemd-analyze verify: apctld.service and apctld.socket" \
		sh -c "out=\$(systemd-analyze verify --man=no '$units/apctld.service' '$units/apctld.socket' 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
	exposure() {
		systemd-analyze security --offline=yes "$units/apctld.service" 2>&1 |
			sed -n 's/.*Overall exposure level for apctld.service: \([0-9.]*\).*/\1/p'
	}
	e=$(exposure)
	echo "# systemd-analyze security --offline=yes apctld.service: exposure ${e:-unknown}"
	check "security exposure of apctld.service is 2.0 or lower (got ${e:-none})" \
		python3 -c "import sys; sys.exit(0 if '$e' and float('$e') <= 2.0 else 1)"
fi

echo "1..$n"
[ "$failed" = 0 ]
