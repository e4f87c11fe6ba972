/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the policy unit tests share: failure counting checks that report
 * file:line and keep going (so a table reports every bad row), a fixed
 * user and group table so the tests need no real accounts, and scratch
 * directories under $TMPDIR that are removed at the end.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"

static unsigned test_failures;

#define CHECK(cond)                                                                      \
        ({                                                                               \
                bool _ok = !!(cond);                                                     \
                if (!_ok) {                                                              \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                                #cond);                                                  \
                        test_failures++;                                                 \
                }                                                                        \
                _ok;                                                                     \
        })

#define CHECK_STREQ(a, b)                                                                         \
        ({                                                                                        \
                const char *_a = (a), *_b = (b);                                                  \
                bool _ok = _a && _b && strcmp(_a, _b) == 0;                                       \
                if (!_ok) {                                                                       \
                        fprintf(stderr, "%s:%d: %s != %s\n  got:      \"%s\"\n  expected: \"%s\"\n", \
                                __FILE__, __LINE__, #a, #b, _a ?: "(null)", _b ?: "(null)");     \
                        test_failures++;                                                          \
                }                                                                                 \
                _ok;                                                                              \
        })

/* A setup step that must work for the rest to mean anything. */
#define REQUIRE(cond)                                                                              \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: required: %s (errno %d)\n", __FILE__, __LINE__,    \
                                #cond, errno);                                                     \
                        exit(EXIT_FAILURE);                                                        \
                }                                                                                  \
        } while (0)

static inline int test_exit(const char *name) {
        if (test_failures > 0) {
                fprintf(stderr, "%s: %u check(s) failed\n", name, test_failures);
                return EXIT_FAILURE;
        }
        printf("%s: all checks passed\n", name);
        return EXIT_SUCCESS;
}

/* The accounts every test policy may name; anything else is unknown. */
static const struct {
        const char *name;
        unsigned id;
        bool group;
} test_accounts[] = {
        { "alice", 1001, false },
        { "bob", 1002, false },
        { "carol", 1003, false },
        { "apctl", 2000, true },
        { "webops", 2001, true },
        { "dbops", 2002, true },
};

static inline int test_lookup(const char *name, bool group, unsigned *ret) {
        for (size_t i = 0; i < sizeof(test_accounts) / sizeof(test_accounts[0]); i++)
                if (test_accounts[i].group == group && strcmp(test_accounts[i].name, name) == 0) {
                        *ret = test_accounts[i].id;
                        return 0;
                }
        return -ENOENT;
}

static inline int test_lookup_user(const char *name, uid_t *ret, void *userdata) {
        unsigned id;
        int r = test_lookup(name, false, &id);

        if (r == 0)
                *ret = id;
        return r;
}

static inline int test_lookup_group(const char *name, gid_t *ret, void *userdata) {
        unsigned id;
        int r = test_lookup(name, true, &id);

        if (r == 0)
                *ret = id;
        return r;
}

/* Options for files from the source tree: their owner and mode depend on the checkout. */
static inline PolicyLoadOptions test_options_any_owner(void) {
        return (PolicyLoadOptions) {
                .owner_uid = POLICY_OWNER_ANY,
                .lookup_user = test_lookup_user,
                .lookup_group = test_lookup_group,
        };
}

/* Options for scratch files this test created: owned by us, checked like root's in production. */
static inline PolicyLoadOptions test_options_own(void) {
        PolicyLoadOptions o = test_options_any_owner();

        o.owner_uid = getuid();
        return o;
}

static inline char *test_scratch_dir(void) {
        const char *tmp = getenv("TMPDIR") ?: "/tmp";
        char *dir = NULL;

        REQUIRE(asprintf(&dir, "%s/policy-test-XXXXXX", tmp) > 0);
        REQUIRE(mkdtemp(dir));
        REQUIRE(chmod(dir, 0755) == 0);
        return dir;
}

static inline void test_write_file(const char *path, mode_t mode, const char *text, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

        REQUIRE(fd >= 0);
        REQUIRE(write(fd, text, size) == (ssize_t) size);
        REQUIRE(close(fd) == 0);
        /* The umask may have taken bits away; the test means exactly this mode. */
        REQUIRE(chmod(path, mode) == 0);
}

static inline char *test_path(const char *dir, const char *name) {
        char *p = NULL;

        REQUIRE(asprintf(&p, "%s/%s", dir, name) > 0);
        return p;
}

static inline int test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) chmod(path, 0700);
        return remove(path);
}

static inline void test_rm_rf(const char *dir) {
        (void) chmod(dir, 0700);
        (void) nftw(dir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Load a policy written inline, as the only file of a fresh directory. */
static inline Policy *test_policy_from_text(const char *text) {
        PolicyLoadOptions o = test_options_own();
        char *dir = test_scratch_dir();
        char *path = test_path(dir, "policy.conf");
        PolicyError error;
        Policy *p = NULL;
        int r;

        test_write_file(path, 0644, text, strlen(text));
        r = policy_load_directory(dir, &o, &p, &error);
        if (r < 0)
                fprintf(stderr, "test policy does not load: %s\n", error.text);
        REQUIRE(r == 0);
        test_rm_rf(dir);
        free(path);
        free(dir);
        return p;
}
