/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the daemon benchmarks share: a monotonic clock in nanoseconds, the
 * varlink framing on a blocking Unix socket (one NUL-terminated message per
 * call), reading a process's memory counters, and sysfs attribute writes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Replies larger than this are refused: a z16 Host.List is ~1 MiB. */
#define BENCH_REPLY_MAX (16U << 20)

uint64_t bench_now_ns(void);

/* Connect to the Unix socket at path; returns the fd or a negative errno. */
int bench_connect(const char *path);

/* Send message with its NUL terminator. */
int bench_send(int fd, const char *message);

/*
 * Receive one NUL-terminated message into *buf (grown as needed, up to
 * BENCH_REPLY_MAX); returns its length without the NUL. *buf stays the
 * caller's to free.
 */
ssize_t bench_recv(int fd, char **buf, size_t *size);

/* One call: send message, receive the reply into *buf; -EPROTO if the reply carries "error". */
ssize_t bench_call(int fd, const char *message, char **buf, size_t *size);

/*
 * VmRSS, VmHWM and RssAnon (the part that is not shared library or file
 * pages) of pid in KiB, from /proc/PID/status.
 */
int bench_memory_kib(pid_t pid, unsigned long *ret_rss, unsigned long *ret_hwm, unsigned long *ret_anon);

/* One write() of value (a sysfs store()); a short write is an error. */
int bench_write_fd(int fd, const char *value);

/* The same through a fresh open() of dir/name, as a shell's `echo value > dir/name` does. */
int bench_write_attr(const char *dir, const char *name, const char *value);
