/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading: the policy directory and its *.conf files in lexical order, the
 * owner and mode checks that keep anyone but root from writing policy, the
 * size limits, and the Policy object's constructor and destructor.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy-parser.h"

static const PolicyLoadOptions default_options = {
        .owner_uid = 0,
};

int policy_new_empty(const PolicyLoadOptions *opts, Policy **ret) {
        _cleanup_(policy_freep) Policy *p = NULL;
        gid_t gid;
        int r;

        p = calloc(1, sizeof(Policy));
        if (!p)
                return -ENOMEM;

        /* The built-in read group applies only where it exists: its absence is not an error. */
        p->defaults.read_group = strdup(POLICY_DEFAULT_READ_GROUP);
        if (!p->defaults.read_group)
                return -ENOMEM;
        r = policy_group_lookup(opts ?: &default_options, POLICY_DEFAULT_READ_GROUP, &gid);
        if (r < 0 && r != -ENOENT)
                return r;
        p->defaults.read_group_resolved = r >= 0;
        p->defaults.read_group_gid = r >= 0 ? gid : 0;

        *ret = TAKE_PTR(p);
        return 0;
}

_public_ int policy_new_default(const PolicyLoadOptions *opts, Policy **ret) {
        return policy_new_empty(opts, ret);
}

static void principals_free(PolicyPrincipal *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i].text);
        free(l);
}

_public_ Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_access; i++) {
                principals_free(p->access[i].users, p->access[i].n_users);
                principals_free(p->access[i].groups, p->access[i].n_groups);
                strv_free(p->access[i].guests);
                free(p->access[i].name);
        }
        free(p->access);
        for (size_t i = 0; i < p->n_guests; i++)
                free(p->guests[i].pattern);
        free(p->guests);
        free(p->reservations);
        free(p->defaults.read_group);
        for (size_t i = 0; i < p->n_files; i++)
                free(p->files[i]);
        free(p->files);
        free(p->source);
        free(p);
        return NULL;
}

const char *policy_origin_format(PolicyOrigin origin, char *buf, size_t size) {
        if (!origin.file)
                snprintf(buf, size, "built-in");
        else
                snprintf(buf, size, "%s:%u", origin.file, origin.line);
        return buf;
}

/* Only root (or the test's owner) may be able to change what the policy says. */
static int permissions_check(const struct stat *st, const char *path, const PolicyLoadOptions *opts,
                             PolicyError *error) {
        if (opts->owner_uid == POLICY_OWNER_ANY)
                return 0;
        if (st->st_uid != opts->owner_uid) {
                if (opts->owner_uid == 0)
                        return policy_error_set(error, -EPERM, path, 0, POLICY_ERROR_NOT_OWNER,
                                                "owned by uid %u, not root; refusing to use it",
                                                (unsigned) st->st_uid);
                return policy_error_set(error, -EPERM, path, 0, POLICY_ERROR_NOT_OWNER,
                                        "owned by uid %u, not uid %u; refusing to use it", (unsigned) st->st_uid,
                                        (unsigned) opts->owner_uid);
        }
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return policy_error_set(error, -EPERM, path, 0, POLICY_ERROR_WRITABLE,
                                        "writable by %s (mode %04o); refusing to use it",
                                        (st->st_mode & S_IWOTH) ? "others" : "its group",
                                        (unsigned) (st->st_mode & 07777));
        return 0;
}

/*
 * Whoever can rename an ancestor of the policy directory can swap in a
 * directory of their own, so every ancestor must be owned by root (or the
 * expected owner) and writable by nobody else, unless it is sticky like
 * /tmp, where others cannot rename what is not theirs.
 */
static int ancestors_check(const char *dir, const PolicyLoadOptions *opts, PolicyError *error) {
        _cleanup_free_ char *path = NULL;
        char *slash;

        if (opts->owner_uid == POLICY_OWNER_ANY)
                return 0;
        path = realpath(dir, NULL);
        if (!path)
                return policy_error_set(error, negative_errno(), dir, 0, POLICY_ERROR_IO, "cannot resolve: %m");

        while ((slash = strrchr(path, '/'))) {
                struct stat st;

                if (slash == path)
                        slash[1] = '\0';     /* the root directory itself */
                else
                        *slash = '\0';
                if (stat(path, &st) < 0)
                        return policy_error_set(error, negative_errno(), path, 0, POLICY_ERROR_IO,
                                                "cannot stat: %m");
                if (st.st_uid != 0 && st.st_uid != opts->owner_uid)
                        return policy_error_set(error, -EPERM, path, 0, POLICY_ERROR_NOT_OWNER,
                                                "owned by uid %u, so it could replace the policy directory %s; "
                                                "refusing to use it",
                                                (unsigned) st.st_uid, dir);
                if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
                        return policy_error_set(error, -EPERM, path, 0, POLICY_ERROR_WRITABLE,
                                                "writable by %s (mode %04o), so the policy directory %s could be "
                                                "replaced; refusing to use it",
                                                (st.st_mode & S_IWOTH) ? "others" : "its group",
                                                (unsigned) (st.st_mode & 07777), dir);
                if (slash == path)
                        break;
        }
        return 0;
}

/* Read a whole policy file through an fd already opened without following links. */
static int file_read(int fd, const char *path, const PolicyLoadOptions *opts, char **ret, size_t *ret_size,
                     PolicyError *error) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return policy_error_set(error, negative_errno(), path, 0, POLICY_ERROR_IO, "cannot stat: %m");
        if (!S_ISREG(st.st_mode))
                return policy_error_set(error, -EINVAL, path, 0, POLICY_ERROR_NOT_REGULAR,
                                        "not a regular file; refusing to use it");
        r = permissions_check(&st, path, opts, error);
        if (r < 0)
                return r;
        if ((unsigned long long) st.st_size > POLICY_FILE_SIZE_MAX)
                goto too_big;

        buf = malloc(POLICY_FILE_SIZE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        /* Read to EOF rather than trusting st_size: the limit holds even if the file grows. */
        for (;;) {
                ssize_t n = read(fd, buf + size, POLICY_FILE_SIZE_MAX + 1 - size);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return policy_error_set(error, negative_errno(), path, 0, POLICY_ERROR_IO,
                                                "cannot read: %m");
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > POLICY_FILE_SIZE_MAX)
                        goto too_big;
        }
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;

too_big:
        return policy_error_set(error, -EFBIG, path, 0, POLICY_ERROR_FILE_TOO_BIG, "larger than %u bytes",
                                POLICY_FILE_SIZE_MAX);
}

static int file_open_error(int err, const char *path, PolicyError *error) {
        if (err == -ELOOP)
                return policy_error_set(error, -EINVAL, path, 0, POLICY_ERROR_NOT_REGULAR,
                                        "a symbolic link; policy files must be regular files");
        errno = -err;
        return policy_error_set(error, err, path, 0, POLICY_ERROR_IO, "cannot open: %m");
}

static int policy_add_file(Policy *p, int fd, const char *path, const PolicyLoadOptions *opts,
                           PolicyError *error) {
        _cleanup_free_ char *text = NULL;
        char **files;
        size_t size = 0;
        int r;

        files = reallocarray(p->files, p->n_files + 1, sizeof(char *));
        if (!files)
                return -ENOMEM;
        p->files = files;
        p->files[p->n_files] = strdup(path);
        if (!p->files[p->n_files])
                return -ENOMEM;
        p->n_files++;

        r = file_read(fd, path, opts, &text, &size, error);
        if (r < 0)
                return r;
        return policy_parse_text(p, p->files[p->n_files - 1], text, size, opts, error);
}

_public_ int policy_load_file(const char *path, const PolicyLoadOptions *opts, Policy **ret, PolicyError *error) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_close_ int fd = -EBADF;
        int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        int r;

        opts = opts ?: &default_options;
        /* Checking a draft (`apctl policy check FILE`, owner any) may follow a link; loading never does. */
        if (opts->owner_uid != POLICY_OWNER_ANY)
                flags |= O_NOFOLLOW;
        fd = open(path, flags);
        if (fd < 0)
                return file_open_error(negative_errno(), path, error);

        r = policy_new_empty(opts, &p);
        if (r < 0)
                return r;
        p->source = strdup(path);
        if (!p->source)
                return -ENOMEM;
        r = policy_add_file(p, fd, path, opts, error);
        if (r < 0)
                return r;
        r = policy_validate(p, error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

static bool conf_name_is_wanted(const char *name) {
        size_t n = strlen(name);

        /* Hidden files are editor and package-manager droppings (.foo.conf.swp, .dpkg-new). */
        return name[0] != '.' && n > 5 && streq(name + n - 5, ".conf");
}

static int name_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The *.conf names in the directory, sorted; at most POLICY_FILES_MAX. */
static int directory_list(int dirfd, const char *dir, char ***ret, size_t *ret_n, PolicyError *error) {
        _cleanup_(strv_freep) char **names = NULL;
        DIR *d;
        int fd;
        size_t n = 0;
        struct dirent *de;

        names = calloc(POLICY_FILES_MAX + 1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        fd = dup(dirfd);
        if (fd < 0)
                return policy_error_set(error, negative_errno(), dir, 0, POLICY_ERROR_IO, "cannot list: %m");
        d = fdopendir(fd);
        if (!d) {
                int r = negative_errno();

                close(fd);
                return policy_error_set(error, r, dir, 0, POLICY_ERROR_IO, "cannot list: %m");
        }
        rewinddir(d);
        while ((errno = 0, de = readdir(d))) {
                if (!conf_name_is_wanted(de->d_name))
                        continue;
                if (n >= POLICY_FILES_MAX) {
                        closedir(d);
                        return policy_error_set(error, -E2BIG, dir, 0, POLICY_ERROR_TOO_MANY_FILES,
                                                "more than %u .conf files", POLICY_FILES_MAX);
                }
                names[n] = strdup(de->d_name);
                if (!names[n]) {
                        closedir(d);
                        return -ENOMEM;
                }
                n++;
        }
        if (errno != 0) {
                int r = negative_errno();

                closedir(d);
                return policy_error_set(error, r, dir, 0, POLICY_ERROR_IO, "cannot list: %m");
        }
        closedir(d);

        qsort(names, n, sizeof(char *), name_compare);
        *ret = TAKE_PTR(names);
        *ret_n = n;
        return 0;
}

_public_ int policy_load_directory(const char *dir, const PolicyLoadOptions *opts, Policy **ret,
                                   PolicyError *error) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_close_ int dirfd = -EBADF;
        struct stat st;
        size_t n = 0;
        int r;

        opts = opts ?: &default_options;
        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                r = negative_errno();
                return policy_error_set(error, r, dir, 0, POLICY_ERROR_IO, "cannot open policy directory: %m");
        }
        if (fstat(dirfd, &st) < 0)
                return policy_error_set(error, negative_errno(), dir, 0, POLICY_ERROR_IO, "cannot stat: %m");
        r = permissions_check(&st, dir, opts, error);
        if (r < 0)
                return r;
        r = ancestors_check(dir, opts, error);
        if (r < 0)
                return r;

        r = directory_list(dirfd, dir, &names, &n, error);
        if (r < 0)
                return r;

        r = policy_new_empty(opts, &p);
        if (r < 0)
                return r;
        p->source = strdup(dir);
        if (!p->source)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                _cleanup_close_ int fd = -EBADF;

                if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
                        return -ENOMEM;
                fd = openat(dirfd, names[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
                /* Removed since we listed the directory: the policy is the directory as it is now. */
                if (fd < 0 && errno == ENOENT)
                        continue;
                if (fd < 0)
                        return file_open_error(negative_errno(), path, error);
                r = policy_add_file(p, fd, path, opts, error);
                if (r < 0)
                        return r;
        }

        r = policy_validate(p, error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}
