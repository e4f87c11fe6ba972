/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded reads, attribute writes and atomic replacement of state files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

/* pread from offset 0 (a sysfs attribute's show() afresh), or read on from the file position. */
static int read_whole_fd(int fd, bool from_start, size_t max, bool short_is_end, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, allocated = 0;

        for (;;) {
                if (allocated - len < 4096 + 1) {
                        size_t n = allocated ? allocated * 2 : 4096 + 1;
                        if (n > max + 1)
                                n = max + 1;
                        if (n <= len)
                                return -EFBIG;
                        char *p = realloc(buf, n);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = n;
                }
                ssize_t k = from_start ? pread(fd, buf + len, allocated - len - 1, len) :
                                         read(fd, buf + len, allocated - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                len += k;
                if (len > max)
                        return -EFBIG;
                if (short_is_end && (size_t) k < allocated - (len - k) - 1)
                        break;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return read_whole_fd(fd, false, max, false, ret, ret_len);
}

int open_path_nofollow(const char *path, int *ret_fd, struct stat *ret_st) {
        _cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        *ret_st = st;
        return 0;
}

int fd_reopen_read(int path_fd, int *ret_fd) {
        char proc[64];
        int fd;

        /* Through the magic link, so no O_NOFOLLOW; O_NONBLOCK in case the caller did not check the type. */
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path_fd);
        fd = open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

int read_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        return read_whole_fd(fd, false, max, false, ret, ret_len);
}

static const struct {
        mode_t type;
        const char *name;
} inode_types[] = {
        { S_IFREG, "a regular file" },    { S_IFDIR, "a directory" },    { S_IFLNK, "a symbolic link" },
        { S_IFIFO, "a FIFO" },            { S_IFSOCK, "a socket" },      { S_IFCHR, "a character device" },
        { S_IFBLK, "a block device" },
};

const char *inode_type_to_string(mode_t mode) {
        for (size_t i = 0; i < ELEMENTSOF(inode_types); i++)
                if ((mode & S_IFMT) == inode_types[i].type)
                        return inode_types[i].name;
        return "a file of unknown type";
}

int read_sysfs_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        /*
         * A sysfs attribute's show() fills its buffer at the first read,
         * and a read gets all of it that fits: a shorter read than asked
         * is the end, and the read that would return 0 is saved.
         */
        return read_whole_fd(fd, true, max, true, ret, ret_len);
}

int read_attr(const char *dir, const char *name, char *buf, size_t size) {
        char path[PATH_MAX];
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, size - 1);
        if (n < 0)
                return negative_errno();
        while (n > 0 && strchr(" \t\n", buf[n - 1]))
                n--;
        buf[n] = 0;
        return 0;
}

int read_attr_uint(const char *dir, const char *name, unsigned *ret) {
        char buf[32], *end;
        unsigned long v;
        int r = read_attr(dir, name, buf, sizeof(buf));

        if (r < 0)
                return r;
        errno = 0;
        v = strtoul(buf, &end, 0);
        if (errno || end == buf || *end || v > UINT_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

int write_attr(const char *path, const char *value) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return write_attr_fd(fd, value);
}

int write_attr_fd(int fd, const char *value) {
        size_t len = strlen(value);
        ssize_t n;

        do
                n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return negative_errno();
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

static int fsync_dir(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || fsync(fd) < 0)
                return negative_errno();
        return 0;
}

static int write_file_rename(const char *dir, const char *name, const char *data, size_t len, unsigned mode,
                             bool durable) {
        char tmp[PATH_MAX], final[PATH_MAX];
        _cleanup_close_ int fd = -EBADF;
        int r;

        if ((size_t) snprintf(final, sizeof(final), "%s/%s", dir, name) >= sizeof(final) ||
            (size_t) snprintf(tmp, sizeof(tmp), "%s/.#%s.tmp", dir, name) >= sizeof(tmp))
                return -ENAMETOOLONG;
        /*
         * A fixed name, not mkostemp()'s random one (a getrandom() per
         * journal entry): only the loop thread writes these directories,
         * one file at a time, and a temporary file a crash left behind is
         * simply overwritten. O_NOFOLLOW: never write through a link.
         */
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = negative_errno();
                        goto fail;
                }
                off += n;
        }
        /* Created 0600 (a left-over temporary file was too: only this function makes them). */
        if ((mode != 0600 && fchmod(fd, mode) < 0) || (durable && fsync(fd) < 0)) {
                r = negative_errno();
                goto fail;
        }
        fd = safe_close(fd);
        if (rename(tmp, final) < 0) {
                r = negative_errno();
                goto fail;
        }
        return durable ? fsync_dir(dir) : 0;
fail:
        (void) unlink(tmp);
        return r;
}

int write_file_atomic(const char *dir, const char *name, const char *data, size_t len, unsigned mode) {
        return write_file_rename(dir, name, data, len, mode, true);
}

int write_file_replace(const char *dir, const char *name, const char *data, size_t len, unsigned mode) {
        return write_file_rename(dir, name, data, len, mode, false);
}

int remove_file(const char *dir, const char *name) {
        char path[PATH_MAX];

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
                return -ENAMETOOLONG;
        if (unlink(path) < 0) {
                if (errno == ENOENT)
                        return 0;
                return negative_errno();
        }
        return 0;
}

int mkdir_p(const char *path, unsigned mode) {
        char buf[PATH_MAX];

        if ((size_t) snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
                return -ENAMETOOLONG;
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                                return negative_errno();
                        *p = '/';
                }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}
