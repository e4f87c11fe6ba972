/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small file helpers: bounded reads, sysfs attribute writes, atomic state writes. */
#pragma once

#include <stddef.h>
#include <sys/stat.h>

/* Whole file into a NUL-terminated malloc'd buffer; -EFBIG past max bytes. */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/*
 * The same from an open sysfs attribute (or a regular file), where a short
 * read is its end; from offset 0 (pread: the file position is left
 * alone), so a kept file reads show()'s output afresh each time.
 */
int read_sysfs_fd(int fd, size_t max, char **ret, size_t *ret_len);
/*
 * For a file someone else named: an O_PATH descriptor of path and what
 * fstat() says of it, without opening the file itself (the open() of a
 * FIFO waits for a writer, a device's acts on the device) and without
 * following a symbolic link at the end of path (the link itself is
 * returned, S_IFLNK). The caller checks the type, then opens it with
 * fd_reopen_read().
 */
int open_path_nofollow(const char *path, int *ret_fd, struct stat *ret_st);
/*
 * Open the inode an O_PATH descriptor holds, for reading (through
 * /proc/self/fd: the very file that was checked, whatever happened to its
 * path since), O_NONBLOCK.
 */
int fd_reopen_read(int path_fd, int *ret_fd);
/* Whole file from the file position into a NUL-terminated malloc'd buffer; -EFBIG past max bytes. */
int read_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* "a directory", "a FIFO", "a character device"...: the type in a st_mode, for messages. */
const char *inode_type_to_string(mode_t mode);
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
