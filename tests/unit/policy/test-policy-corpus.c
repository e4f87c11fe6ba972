/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parser against its corpora: every file or directory in corpus/good
 * loads and survives a print/parse round trip; every one in corpus/bad is
 * refused with exactly the "file:line: message" in its .expected file.
 * Inputs that do not fit in a file in git (size limits, owners, modes,
 * symlinks) are generated in a scratch directory. At the end every error
 * code must have been produced at least once.
 *
 * Usage: test-policy-corpus CORPUS_DIR EXAMPLE_CONF
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy-test.h"

static bool covered[_POLICY_ERROR_MAX];

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Drop every occurrence of prefix, so messages compare independent of where the tree lives. */
static char *strip_all(const char *text, const char *prefix) {
        size_t n = strlen(prefix);
        char *out = calloc(strlen(text) + 1, 1), *o = out;

        REQUIRE(out);
        while (*text) {
                if (n > 0 && strncmp(text, prefix, n) == 0) {
                        text += n;
                        continue;
                }
                *o++ = *text++;
        }
        return out;
}

static char *read_text(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;

        if (!f)
                return NULL;
        if (getdelim(&buf, &size, '\0', f) < 0) {
                /* An empty file: getdelim() may have allocated without writing anything. */
                REQUIRE(feof(f));
                free(buf);
                buf = NULL;
        }
        fclose(f);
        if (!buf)
                buf = strdup("");
        buf[strcspn(buf, "\n")] = '\0';
        return buf;
}

static int load_any(const char *path, const PolicyLoadOptions *o, Policy **ret, PolicyError *error) {
        if (has_suffix(path, ".d"))
                return policy_load_directory(path, o, ret, error);
        return policy_load_file(path, o, ret, error);
}

/* The printed policy without its comments: comments carry file:line, which a round trip changes. */
static char *uncommented(const char *text) {
        char *out = calloc(strlen(text) + 1, 1), *o = out;

        REQUIRE(out);
        while (*text) {
                const char *nl = strchrnul(text, '\n');

                if (*text != '#') {
                        memcpy(o, text, (size_t) (nl - text));
                        o += nl - text;
                        *o++ = '\n';
                }
                text = *nl ? nl + 1 : nl;
        }
        return out;
}

static void check_round_trip(const char *name, const Policy *p) {
        PolicyLoadOptions o = test_options_own();
        _cleanup_free_ char *text = NULL, *again = NULL, *a = NULL, *b = NULL, *dir = NULL, *path = NULL;
        _cleanup_(policy_freep) Policy *p2 = NULL;
        PolicyError error;

        REQUIRE(policy_format(p, &text) == 0);
        dir = test_scratch_dir();
        path = test_path(dir, "shown.conf");
        test_write_file(path, 0644, text, strlen(text));
        if (!CHECK(policy_load_file(path, &o, &p2, &error) == 0)) {
                fprintf(stderr, "%s: printed policy does not parse back: %s\n%s", name, error.text, text);
                test_rm_rf(dir);
                return;
        }
        REQUIRE(policy_format(p2, &again) == 0);
        a = uncommented(text);
        b = uncommented(again);
        if (!CHECK_STREQ(b, a))
                fprintf(stderr, "%s: round trip changed the policy\n", name);
        test_rm_rf(dir);
}

static void test_good(const char *corpus, const char *example) {
        _cleanup_free_ char *dir = test_path(corpus, "good");
        PolicyLoadOptions o = test_options_any_owner();
        struct dirent **names;
        int n;

        n = scandir(dir, &names, NULL, alphasort);
        REQUIRE(n >= 0);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = test_path(dir, names[i]->d_name);
                _cleanup_(policy_freep) Policy *p = NULL;
                PolicyError error;

                if (has_suffix(names[i]->d_name, ".conf") || has_suffix(names[i]->d_name, ".d")) {
                        if (CHECK(load_any(path, &o, &p, &error) == 0))
                                check_round_trip(names[i]->d_name, p);
                        else
                                fprintf(stderr, "good/%s refused: %s\n", names[i]->d_name, error.text);
                }
                free(names[i]);
        }
        free(names);

        {
                _cleanup_(policy_freep) Policy *p = NULL;
                PolicyError error;

                if (CHECK(policy_load_file(example, &o, &p, &error) == 0))
                        check_round_trip("example.conf", p);
                else
                        fprintf(stderr, "policy/example.conf refused: %s\n", error.text);
        }
}

static void check_refused(const char *what, int r, const PolicyError *error, const char *prefix,
                          const char *expected) {
        _cleanup_free_ char *got = NULL;

        if (!CHECK(r < 0)) {
                fprintf(stderr, "%s was accepted\n", what);
                return;
        }
        CHECK(error->code > POLICY_ERROR_NONE && error->code < _POLICY_ERROR_MAX);
        covered[error->code] = true;
        got = strip_all(error->text, prefix);
        if (!CHECK_STREQ(got, expected))
                fprintf(stderr, "  (%s, code %s)\n", what, policy_error_code_to_string(error->code));
}

static void test_bad(const char *corpus) {
        _cleanup_free_ char *dir = test_path(corpus, "bad"), *prefix = NULL;
        PolicyLoadOptions o = test_options_any_owner();
        struct dirent **names;
        unsigned inputs = 0, expectations = 0;
        int n;

        REQUIRE(asprintf(&prefix, "%s/", dir) > 0);
        n = scandir(dir, &names, NULL, alphasort);
        REQUIRE(n >= 0);
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                _cleanup_free_ char *path = test_path(dir, name), *stem = strdup(name), *exp_path = NULL,
                                    *expected = NULL;
                _cleanup_(policy_freep) Policy *p = NULL;
                PolicyError error;

                REQUIRE(stem);
                if (has_suffix(name, ".expected"))
                        expectations++;
                if (!has_suffix(name, ".conf") && !has_suffix(name, ".d")) {
                        free(names[i]);
                        continue;
                }
                inputs++;
                stem[strlen(stem) - (has_suffix(name, ".d") ? 2 : 5)] = '\0';
                REQUIRE(asprintf(&exp_path, "%s/%s.expected", dir, stem) > 0);
                expected = read_text(exp_path);
                if (!CHECK(expected))
                        fprintf(stderr, "bad/%s has no %s.expected\n", name, stem);
                else
                        check_refused(name, load_any(path, &o, &p, &error), &error, prefix, expected);
                CHECK(!p);
                free(names[i]);
        }
        free(names);
        /* An .expected without its input would be a test that cannot fail. */
        CHECK(inputs == expectations);
        CHECK(inputs >= 40);
}

/* Inputs generated at run time, each refused with the expected message. */
static void refuse_dir(const char *dir, const PolicyLoadOptions *o, const char *expected) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *prefix = NULL;
        PolicyError error;

        REQUIRE(asprintf(&prefix, "%s/", dir) > 0);
        check_refused(dir, policy_load_directory(dir, o, &p, &error), &error, prefix, expected);
        CHECK(!p);
}

static void accept_dir(const char *dir, const PolicyLoadOptions *o) {
        _cleanup_(policy_freep) Policy *p = NULL;
        PolicyError error;

        if (!CHECK(policy_load_directory(dir, o, &p, &error) == 0))
                fprintf(stderr, "refused: %s\n", error.text);
}

static char *repeat(const char *head, const char *unit, size_t count, const char *tail) {
        size_t size = strlen(head) + strlen(unit) * count + strlen(tail) + 1;
        char *s = malloc(size), *o;

        REQUIRE(s);
        o = stpcpy(s, head);
        for (size_t i = 0; i < count; i++)
                o = stpcpy(o, unit);
        stpcpy(o, tail);
        return s;
}

static void test_limits(void) {
        PolicyLoadOptions o = test_options_own();
        _cleanup_free_ char *dir = test_scratch_dir(), *path = test_path(dir, "policy.conf");
        _cleanup_free_ char *longest = repeat("#", "x", POLICY_LINE_MAX - 1, "\n");
        _cleanup_free_ char *too_long = repeat("#", "x", POLICY_LINE_MAX, "\n");
        _cleanup_free_ char *big = repeat("", "# padding padding padding padding padding padding pad\n",
                                          POLICY_FILE_SIZE_MAX / 54 + 1, "");
        char *sections, *o_end, expected[128];
        size_t size;

        /* A line of exactly the limit is fine; one byte more is not. */
        test_write_file(path, 0644, longest, strlen(longest));
        accept_dir(dir, &o);
        test_write_file(path, 0644, too_long, strlen(too_long));
        refuse_dir(dir, &o, "policy.conf:1: line is longer than 4096 bytes");

        test_write_file(path, 0644, big, strlen(big));
        refuse_dir(dir, &o, "policy.conf: larger than 1048576 bytes");

        /* 4097 rules: the limit counts rules of every kind. */
        size = (POLICY_SECTIONS_MAX + 1) * 64;
        sections = malloc(size);
        REQUIRE(sections);
        o_end = sections;
        for (unsigned i = 0; i <= POLICY_SECTIONS_MAX; i++)
                o_end += sprintf(o_end, "[guest g%u]\nmax-apqns = 1\n", i);
        test_write_file(path, 0644, sections, (size_t) (o_end - sections));
        free(sections);
        snprintf(expected, sizeof(expected), "policy.conf:%u: more than %u rules", 2 * POLICY_SECTIONS_MAX + 1,
                 POLICY_SECTIONS_MAX);
        refuse_dir(dir, &o, expected);

        {
                char *text = malloc(16 * (POLICY_LIST_ENTRIES_MAX + 2)), *t;

                REQUIRE(text);
                t = text + sprintf(text, "[access many]\nallow = read\nusers = 0");
                for (unsigned i = 1; i <= POLICY_LIST_ENTRIES_MAX; i++)
                        t += sprintf(t, ", %u", 10000 + i);
                t += sprintf(t, "\n");
                test_write_file(path, 0644, text, (size_t) (t - text));
                free(text);
                refuse_dir(dir, &o, "policy.conf:3: users: more than 256 entries");
        }
        REQUIRE(unlink(path) == 0);

        for (unsigned i = 0; i <= POLICY_FILES_MAX; i++) {
                char name[32];
                _cleanup_free_ char *p = NULL;

                snprintf(name, sizeof(name), "%03u.conf", i);
                p = test_path(dir, name);
                test_write_file(p, 0644, "", 0);
        }
        {
                _cleanup_free_ char *exp = NULL;

                REQUIRE(asprintf(&exp, "%s: more than 256 .conf files", dir) > 0);
                /* refuse_dir strips "dir/", which this message does not contain. */
                refuse_dir(dir, &o, exp);
        }
        test_rm_rf(dir);
}

static void test_permissions(void) {
        PolicyLoadOptions o = test_options_own();
        _cleanup_free_ char *dir = test_scratch_dir(), *path = test_path(dir, "10-site.conf"),
                            *sub = test_path(dir, "20-dir.conf"), *link = test_path(dir, "30-link.conf"),
                            *missing = test_path(dir, "nope"), *exp = NULL;
        const char *text = "[defaults]\nmax-apqns = 4\n";
        PolicyLoadOptions other_owner = o;

        test_write_file(path, 0644, text, strlen(text));
        accept_dir(dir, &o);

        test_write_file(path, 0664, text, strlen(text));
        refuse_dir(dir, &o, "10-site.conf: writable by its group (mode 0664); refusing to use it");
        test_write_file(path, 0646, text, strlen(text));
        refuse_dir(dir, &o, "10-site.conf: writable by others (mode 0646); refusing to use it");
        test_write_file(path, 0644, text, strlen(text));

        /* The owner check, without root: expect another owner than the one we are. */
        other_owner.owner_uid = getuid() + 1;
        REQUIRE(asprintf(&exp, "%s: owned by uid %u, not uid %u; refusing to use it", dir, (unsigned) getuid(),
                         (unsigned) getuid() + 1) > 0);
        refuse_dir(dir, &other_owner, exp);
        if (getuid() != 0) {
                PolicyLoadOptions root_owner = o;

                free(exp);
                root_owner.owner_uid = 0;
                REQUIRE(asprintf(&exp, "%s: owned by uid %u, not root; refusing to use it", dir,
                                 (unsigned) getuid()) > 0);
                refuse_dir(dir, &root_owner, exp);
        }

        REQUIRE(chmod(dir, 0775) == 0);
        free(exp);
        REQUIRE(asprintf(&exp, "%s: writable by its group (mode 0775); refusing to use it", dir) > 0);
        refuse_dir(dir, &o, exp);
        REQUIRE(chmod(dir, 0755) == 0);

        /* An ancestor that others may write to could swap the whole directory; a sticky one cannot. */
        {
                _cleanup_free_ char *parent = test_path(dir, "etc"), *policy_dir = test_path(parent, "policy.d"),
                                    *real = NULL, *file = test_path(policy_dir, "10-site.conf");

                REQUIRE(mkdir(parent, 0755) == 0 && chmod(parent, 0775) == 0 && mkdir(policy_dir, 0755) == 0);
                test_write_file(file, 0644, text, strlen(text));
                real = realpath(parent, NULL);
                REQUIRE(real);
                free(exp);
                REQUIRE(asprintf(&exp, "%s: writable by its group (mode 0775), so the policy directory %s could "
                                 "be replaced; refusing to use it", real, policy_dir) > 0);
                refuse_dir(policy_dir, &o, exp);
                REQUIRE(chmod(parent, 01777) == 0);
                accept_dir(policy_dir, &o);
                test_rm_rf(parent);
        }

        REQUIRE(mkdir(sub, 0755) == 0);
        refuse_dir(dir, &o, "20-dir.conf: not a regular file; refusing to use it");
        REQUIRE(rmdir(sub) == 0);

        REQUIRE(symlink("10-site.conf", link) == 0);
        refuse_dir(dir, &o, "30-link.conf: a symbolic link; policy files must be regular files");
        REQUIRE(unlink(link) == 0);
        accept_dir(dir, &o);

        {
                _cleanup_(policy_freep) Policy *p = NULL;
                PolicyError error;
                int r = policy_load_directory(missing, &o, &p, &error);

                free(exp);
                REQUIRE(asprintf(&exp, "%s: cannot open policy directory: No such file or directory", missing) > 0);
                CHECK(r == -ENOENT);
                check_refused(missing, r, &error, "", exp);
        }
        test_rm_rf(dir);
}

int main(int argc, char **argv) {
        REQUIRE(argc == 3);

        test_good(argv[1], argv[2]);
        test_bad(argv[1]);
        test_limits();
        test_permissions();

        for (unsigned code = POLICY_ERROR_NONE + 1; code < _POLICY_ERROR_MAX; code++)
                if (!CHECK(covered[code]))
                        fprintf(stderr, "error code %s is not produced by any bad input\n",
                                policy_error_code_to_string((PolicyErrorCode) code));
        return test_exit("test-policy-corpus");
}
