#!/bin/sh
# Build the out-of-tree modules through Kbuild without writing into the
# source tree: mirror kernel/ into the build directory (keeping mtimes, so
# make only rebuilds what changed), run make there, copy the .ko files out.
#
# usage: build-modules.sh SRCDIR OUTDIR KDIR ARCH CROSS_COMPILE DEBUG(y|n) MODULE...
set -eu
srcdir=$1 outdir=$2 kdir=$3 arch=$4 cross=$5 debug=$6
shift 6
tree="$outdir/kbuild"
mkdir -p "$tree"
( cd "$srcdir" && find . -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild \) -print ) |
while read -r f; do
	mkdir -p "$tree/$(dirname "$f")"
	if ! cmp -s "$srcdir/$f" "$tree/$f"; then
		cp -p "$srcdir/$f" "$tree/$f"
	fi
done
dbg=
[ "$debug" = y ] && dbg=APSIM_DEBUG=y
make -s -C "$kdir" M="$tree" ARCH="$arch" ${cross:+CROSS_COMPILE="$cross"} $dbg \
	-j"$(nproc)" modules
for m in "$@"; do
	ko=$(find "$tree" -name "$m" -print -quit)
	[ -n "$ko" ] || { echo "build-modules.sh: $m was not built" >&2; exit 1; }
	cp "$ko" "$outdir/$m"
done
