# The harness itself: every program packed into /usr/bin finds all its
# shared libraries, sysfs-write reports the exact errno of a refused write
# and writes exactly the bytes it is given, and wait_for fails on timeout.

# The dynamic loader of this arch lists a program's libraries.
loader=
for f in /lib64/ld-linux-x86-64.so.2 /lib/ld64.so.1; do
	[ -e "$f" ] && loader=$f
done
[ -n "$loader" ] || fail "no dynamic loader packed (looked for x86_64's and s390x's)"
for prog in /usr/bin/*; do
	[ -L "$prog" ] && continue		# busybox applets
	libs=$("$loader" --list "$prog" 2>&1) || fail "$loader --list $prog failed: $libs"
	case $libs in
	*"not found"*) fail "$prog misses libraries: $libs" ;;
	esac
done

sysctl=/proc/sys/kernel/hung_task_timeout_secs
expect_write_err ENOENT /sys/no-such-attribute 1
expect_write_err EINVAL $sysctl not-a-number
expect_write_ok $sysctl '25\n'
expect_file_eq $sysctl 25
expect_write_ok $sysctl 20
expect_file_eq $sysctl 20

# Exactly the bytes given: no newline added, escapes decoded (sysfs-write
# never creates files, like sysfs).
: >/tmp/bytes
sysfs-write /tmp/bytes 'a\tb\x41\\' >/dev/null
expect_eq "$(od -An -tx1 /tmp/bytes | tr -d ' \n')" 610962415c "bytes written (hex)"
: >/tmp/bytes
sysfs-write -n /tmp/bytes x >/dev/null
expect_eq "$(od -An -tx1 /tmp/bytes | tr -d ' \n')" 780a "bytes written with -n (hex)"
rc=0
out=$(sysfs-write /tmp/bytes 'bad\q' 2>&1) || rc=$?
expect_eq "$rc" 2 "exit status for a bad escape"
case $out in
*"bad escape"*) ;;
*) fail "a bad escape gives no clear error: $out" ;;
esac

wait_for 5 test -f /tmp/bytes
( wait_for 1 false ) 2>/dev/null && fail "wait_for did not fail on timeout"
true
