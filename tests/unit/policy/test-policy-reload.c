/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reload as apctld does it (load into a new Policy, swap only on success)
 * keeps the old policy when the new one is broken and reports where; and
 * `policy show` prints the merged policy of a directory exactly as
 * corpus/good/merged.show says.
 *
 * Usage: test-policy-reload CORPUS_DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-test.h"
#include "utf8.h"

/* The swap apctld performs on SIGHUP or the Reload method, as policy.h shows it. */
static int reload(Policy **current, const char *dir, const PolicyLoadOptions *o, PolicyError *error) {
        _cleanup_(policy_freep) Policy *p = NULL;
        int r;

        r = policy_load_directory(dir, o, &p, error);
        if (r < 0)
                return r;
        policy_free(*current);
        *current = TAKE_PTR(p);
        return 0;
}

static bool may_change(const Policy *p, uid_t uid, gid_t gid, const char *guest) {
        PolicyPeer peer = { .uid = uid, .gid = gid };
        PolicyDecision d;

        REQUIRE(policy_check_access(p, &peer, POLICY_OPERATION_GUEST_CHANGE, guest, &d) == 0);
        return d.allowed;
}

static void test_reload_keeps_old_policy_on_error(void) {
        PolicyLoadOptions o = test_options_own();
        _cleanup_free_ char *dir = test_scratch_dir(), *base = test_path(dir, "10-base.conf"),
                            *extra = test_path(dir, "20-extra.conf"), *expected = NULL;
        _cleanup_(policy_freep) Policy *current = NULL;
        Policy *sentinel = (Policy *) &o, *untouched = sentinel;
        const char *good = "[access web-team]\ngroups = webops\nallow = guest-change\nguests = web*\n";
        const char *broken = "[access db-team]\ngroups = dbops\nallow = guest-change\nguest = db*\n";
        const char *fixed = "[access db-team]\ngroups = dbops\nallow = guest-change\nguests = db*\n";
        PolicyError error;

        test_write_file(base, 0644, good, strlen(good));
        REQUIRE(reload(&current, dir, &o, &error) == 0);
        CHECK(may_change(current, 1002, 2001, "web01"));
        CHECK(!may_change(current, 1003, 2002, "db01"));

        /* A broken addition: refused, with file:line, and the running policy is the old one. */
        test_write_file(extra, 0644, broken, strlen(broken));
        CHECK(reload(&current, dir, &o, &error) == -EINVAL);
        REQUIRE(asprintf(&expected,
                         "%s:4: unknown key 'guest' in [access] (known keys: users, groups, allow, guests)",
                         extra) > 0);
        CHECK_STREQ(error.text, expected);
        CHECK(error.code == POLICY_ERROR_UNKNOWN_KEY);
        CHECK(error.line == 4);
        CHECK_STREQ(error.file, extra);
        CHECK(may_change(current, 1002, 2001, "web01"));
        CHECK(!may_change(current, 1003, 2002, "db01"));

        /* The loader itself never writes its output on failure. */
        CHECK(policy_load_directory(dir, &o, &untouched, &error) == -EINVAL);
        CHECK(untouched == sentinel);
        CHECK(policy_load_file(extra, &o, &untouched, NULL) == -EINVAL);
        CHECK(untouched == sentinel);

        /* A policy file that became group-writable is refused the same way. */
        test_write_file(extra, 0664, fixed, strlen(fixed));
        CHECK(reload(&current, dir, &o, &error) == -EPERM);
        CHECK(error.code == POLICY_ERROR_WRITABLE);
        CHECK(!may_change(current, 1003, 2002, "db01"));

        /* Fixed: the new rule applies, the old one still does. */
        test_write_file(extra, 0644, fixed, strlen(fixed));
        REQUIRE(reload(&current, dir, &o, &error) == 0);
        CHECK(may_change(current, 1003, 2002, "db01"));
        CHECK(may_change(current, 1002, 2001, "web01"));
        CHECK(!may_change(current, 1003, 2002, "web01"));

        /* A removed file takes its rules with it. */
        REQUIRE(unlink(extra) == 0);
        REQUIRE(reload(&current, dir, &o, &error) == 0);
        CHECK(!may_change(current, 1003, 2002, "db01"));
        test_rm_rf(dir);
}

static char *read_all(const char *path) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t size = 0;

        REQUIRE(f);
        if (getdelim(&buf, &size, '\0', f) < 0) {
                /* An empty file: getdelim() may have allocated without writing anything. */
                REQUIRE(feof(f));
                free(buf);
                buf = NULL;
        }
        fclose(f);
        return buf ?: strdup("");
}

static char *replace_all(const char *text, const char *from, const char *to) {
        size_t n = strlen(from), count = 0;
        char *out, *o;

        for (const char *s = strstr(text, from); s; s = strstr(s + n, from))
                count++;
        out = malloc(strlen(text) + count * strlen(to) + 1);
        REQUIRE(out);
        o = out;
        for (const char *s = text, *hit; *s; s = hit + n) {
                hit = strstr(s, from);
                if (!hit) {
                        o = stpcpy(o, s);
                        break;
                }
                memcpy(o, s, (size_t) (hit - s));
                o = stpcpy(o + (hit - s), to);
        }
        *o = '\0';
        return out;
}

static void test_show_merged(const char *corpus) {
        PolicyLoadOptions o = test_options_any_owner();
        _cleanup_free_ char *dir = test_path(corpus, "good/merged.d"), *show_path = test_path(corpus, "good/merged.show"),
                            *text = NULL, *got = NULL, *expected = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        PolicyError error;

        REQUIRE(policy_load_directory(dir, &o, &p, &error) == 0);
        REQUIRE(policy_format(p, &text) == 0);
        got = replace_all(text, dir, "merged.d");
        expected = read_all(show_path);
        CHECK_STREQ(got, expected);
}

static void test_show_default(void) {
        PolicyLoadOptions o = test_options_own();
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *text = NULL;

        REQUIRE(policy_new_default(&o, &p) == 0);
        REQUIRE(policy_format(p, &text) == 0);
        CHECK_STREQ(text,
                    "# Effective apctl policy from built-in defaults (0 files); root may always do everything.\n"
                    "\n"
                    "# [defaults] from built-in\n"
                    "[defaults]\n"
                    "# built-in\n"
                    "read-group = apctl\n"
                    "# max-apqns: no limit (built-in)\n"
                    "# built-in\n"
                    "share-control-domains = yes\n"
                    "# built-in\n"
                    "unlisted-guests = allow\n");
}

/*
 * An error quoting a long non-ASCII value from a policy file is cut to its
 * buffer at a character boundary: Policy.Reload sends it in a reply, which
 * must be UTF-8.
 */
static void test_error_quoting_non_ascii_is_utf8(void) {
        PolicyLoadOptions o = test_options_own();
        _cleanup_free_ char *dir = test_scratch_dir(), *conf = test_path(dir, "10-long.conf");
        unsigned bad = 0;

        for (size_t n = 200; n <= 300; n++) {
                _cleanup_(policy_freep) Policy *p = NULL;
                char text[64 + 2 * 300] = "[access long]\nusers = x";
                size_t len = strlen(text) - (n % 2);    /* "x" for odd n: the cut falls on both bytes of "é" */
                PolicyError error = {};

                for (size_t i = 0; i < n; i++, len += 2)
                        memcpy(text + len, "\xc3\xa9", 2);
                memcpy(text + len, "\nallow = read\n", sizeof("\nallow = read\n"));
                test_write_file(conf, 0644, text, strlen(text));
                if (!CHECK(policy_load_directory(dir, &o, &p, &error) < 0))
                        continue;
                if (n == 200 && !CHECK(strlen(error.message) + 1 >= sizeof(error.message) / 2))
                        fprintf(stderr, "  the message does not quote the value: %s\n", error.message);
                if (utf8_find_invalid(error.message, strlen(error.message)) != strlen(error.message) ||
                    utf8_find_invalid(error.text, strlen(error.text)) != strlen(error.text))
                        bad++;
        }
        CHECK(bad == 0);
        if (bad)
                fprintf(stderr, "  %u of 101 errors are not UTF-8\n", bad);
        test_rm_rf(dir);
}

int main(int argc, char **argv) {
        REQUIRE(argc == 2);

        test_reload_keeps_old_policy_on_error();
        test_show_merged(argv[1]);
        test_show_default();
        test_error_quoting_non_ascii_is_utf8();
        return test_exit("test-policy-reload");
}
