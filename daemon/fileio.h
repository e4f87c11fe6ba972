/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small file helpers: bounded reads, sysfs attribute writes, atomic state writes. */
#pragma once

#include <stddef.h>

/* Whole file into a NUL-terminated malloc'd buffer; -EFBIG past max bytes. */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/*
 * The same from an open sysfs attribute (or a regular file), where a short
 * read is its end; from offset 0 (pread: the file position is left
 * alone), so a kept file reads show()'s output afresh each time.
 */
int read_sysfs_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* One sysfs-style attribute, trailing whitespace stripped. */
int read_attr(const char *dir, const char *name, char *buf, size_t size);
int read_attr_uint(const char *dir, const char *name, unsigned *ret);
/* One write() of the whole string, as sysfs expects; returns the kernel's errno. */
int write_attr(const char *path, const char *value);
/*
 * The same on an open attribute: sysfs store() ignores the file position,
 * so each call is one store() with its own result.
 */
int write_attr_fd(int fd, const char *value);
/*
 * Replace dir/name atomically: write a temp file in dir, fsync it, rename it
 * over name, fsync dir. A crash, power loss included, leaves either the old
 * or the new content.
 */
int write_file_atomic(const char *dir, const char *name, const char *data, size_t len, unsigned mode);
/*
 * The same without the fsyncs: a crash of the process leaves the old or the
 * new content (the page cache outlives it), a power loss may leave neither.
 * For files that need not outlive the boot (the runtime directory).
 */
int write_file_replace(const char *dir, const char *name, const char *data, size_t len, unsigned mode);
/* Remove dir/name; a missing file is not an error. */
int remove_file(const char *dir, const char *name);
int mkdir_p(const char *path, unsigned mode);
