/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Access decisions as a table: peer x operation x guest -> allowed or not,
 * the rule (file:line) that decided and the reason a user would read; for
 * eval/access.conf and for the built-in default policy.
 *
 * Usage: test-policy-access EVAL_DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-test.h"

#define GIDS_MAX 4

typedef struct AccessCase {
        uid_t uid;
        gid_t gid;                      /* primary */
        gid_t gids[GIDS_MAX];           /* supplementary, 0-terminated (gid 0 is never used here) */
        PolicyOperation op;
        const char *guest;
        bool allowed;
        const char *where;              /* file name and line, or "built-in" */
        const char *reason;
} AccessCase;

enum {
        ALICE = 1001,
        BOB = 1002,
        CAROL = 1003,
        RELOADER = 1004,
        DAVE = 1005,
        NOBODY = 1006,
        ERIN = 1007,
        G_USERS = 100,
        G_APCTL = 2000,
        G_WEBOPS = 2001,
        G_DBOPS = 2002,
};

#define R POLICY_OPERATION_READ
#define GC POLICY_OPERATION_GUEST_CHANGE
#define HC POLICY_OPERATION_HOST_CHANGE
#define PR POLICY_OPERATION_POLICY_RELOAD

static const AccessCase access_conf_cases[] = {
        /* root: everything, without any rule */
        { 0, 0, {}, R, NULL, true, "built-in", "root may do everything" },
        { 0, 0, {}, GC, "anything", true, "built-in", "root may do everything" },
        { 0, 0, {}, GC, NULL, true, "built-in", "root may do everything" },
        { 0, 0, {}, HC, NULL, true, "built-in", "root may do everything" },
        { 0, 0, {}, PR, NULL, true, "built-in", "root may do everything" },

        /* alice: member of apctl, so read-only */
        { ALICE, G_USERS, { G_APCTL }, R, NULL, true, "access.conf:3", "group apctl may read" },
        { ALICE, G_USERS, { G_APCTL }, GC, "web01", false, "built-in",
          "uid 1001 may not do guest-change on guest 'web01': named by no [access] rule" },
        { ALICE, G_USERS, { G_APCTL }, HC, NULL, false, "built-in",
          "uid 1001 may not do host-change: named by no [access] rule" },
        { ALICE, G_USERS, { G_APCTL }, PR, NULL, false, "built-in",
          "uid 1001 may not do policy-reload: named by no [access] rule" },
        /* apctl as the primary group counts too */
        { ALICE, G_APCTL, {}, R, NULL, true, "access.conf:3", "group apctl may read" },

        /* bob: webops through a supplementary group; web* and shop-N only */
        { BOB, G_USERS, { G_USERS, G_WEBOPS }, R, NULL, true, "access.conf:5",
          "[access web-team] allows read to group webops" },
        { BOB, G_USERS, { G_WEBOPS }, GC, "web01", true, "access.conf:5",
          "[access web-team] allows guest-change on guest 'web01' to group webops" },
        { BOB, G_USERS, { G_WEBOPS }, GC, "shop-7", true, "access.conf:5",
          "[access web-team] allows guest-change on guest 'shop-7' to group webops" },
        { BOB, G_USERS, { G_WEBOPS }, GC, "shop-x", false, "access.conf:5",
          "uid 1002 may not do guest-change on guest 'shop-x': [access web-team] allows guest-change only on "
          "guests web*, shop-[0-9]*" },
        { BOB, G_USERS, { G_WEBOPS }, GC, "db01", false, "access.conf:5",
          "uid 1002 may not do guest-change on guest 'db01': [access web-team] allows guest-change only on "
          "guests web*, shop-[0-9]*" },
        /* an operation on no particular guest needs guests = * */
        { BOB, G_USERS, { G_WEBOPS }, GC, NULL, false, "access.conf:5",
          "uid 1002 may not do guest-change on every guest: [access web-team] allows guest-change only on "
          "guests web*, shop-[0-9]*" },
        { BOB, G_USERS, { G_WEBOPS }, HC, NULL, false, "access.conf:5",
          "uid 1002 may not do host-change: [access web-team] allows only guest-change" },
        { BOB, G_USERS, { G_WEBOPS }, PR, NULL, false, "access.conf:5",
          "uid 1002 may not do policy-reload: [access web-team] allows only guest-change" },
        /* the same uid without the group is nobody */
        { BOB, G_USERS, {}, GC, "web01", false, "built-in",
          "uid 1002 may not do guest-change on guest 'web01': named by no [access] rule" },
        { BOB, G_USERS, {}, R, NULL, false, "access.conf:3",
          "uid 1002 may not read: not in group apctl and named by no [access] rule" },

        /* carol: every guest, and the host */
        { CAROL, G_USERS, {}, GC, "db01", true, "access.conf:10",
          "[access carol] allows guest-change on guest 'db01' to user carol" },
        { CAROL, G_USERS, {}, GC, NULL, true, "access.conf:10",
          "[access carol] allows guest-change on every guest to user carol" },
        { CAROL, G_USERS, {}, HC, NULL, true, "access.conf:10", "[access carol] allows host-change to user carol" },
        { CAROL, G_USERS, {}, PR, NULL, false, "access.conf:10",
          "uid 1003 may not do policy-reload: [access carol] allows only guest-change, host-change" },

        /* a numeric uid and a group in the same rule */
        { RELOADER, RELOADER, {}, PR, NULL, true, "access.conf:15",
          "[access reloaders] allows policy-reload to user 1004" },
        { RELOADER, RELOADER, {}, R, NULL, true, "access.conf:15", "[access reloaders] allows read to user 1004" },
        { RELOADER, RELOADER, {}, GC, "web01", false, "access.conf:15",
          "uid 1004 may not do guest-change on guest 'web01': [access reloaders] allows only policy-reload" },
        { DAVE, G_USERS, { G_DBOPS }, PR, NULL, true, "access.conf:15",
          "[access reloaders] allows policy-reload to group dbops" },

        /* two rules: the one that allows wins, whatever the order */
        { CAROL, G_USERS, { G_DBOPS }, PR, NULL, true, "access.conf:15",
          "[access reloaders] allows policy-reload to group dbops" },
        { DAVE, G_USERS, { G_DBOPS, G_WEBOPS }, GC, "web7", true, "access.conf:5",
          "[access web-team] allows guest-change on guest 'web7' to group webops" },

        /* refusals name the rule that allows the operation elsewhere, before one that only names the peer */
        { ERIN, G_USERS, {}, GC, "web01", false, "access.conf:26",
          "uid 1007 may not do guest-change on guest 'web01': [access db-team] allows guest-change only on guests db*" },
        { ERIN, G_USERS, {}, GC, "db01", true, "access.conf:26",
          "[access db-team] allows guest-change on guest 'db01' to user 1007" },
        { ERIN, G_USERS, {}, HC, NULL, false, "access.conf:22",
          "uid 1007 may not do host-change: [access auditors] allows only read" },

        /* nobody */
        { NOBODY, G_USERS, {}, R, NULL, false, "access.conf:3",
          "uid 1006 may not read: not in group apctl and named by no [access] rule" },
        { NOBODY, G_USERS, {}, PR, NULL, false, "built-in",
          "uid 1006 may not do policy-reload: named by no [access] rule" },
};

/* The policy with no files at all: apctl reads, root does everything, nobody else anything. */
static const AccessCase default_cases[] = {
        { 0, 0, {}, GC, "web01", true, "built-in", "root may do everything" },
        { ALICE, G_USERS, { G_APCTL }, R, NULL, true, "built-in", "group apctl may read" },
        { ALICE, G_USERS, { G_APCTL }, GC, "web01", false, "built-in",
          "uid 1001 may not do guest-change on guest 'web01': named by no [access] rule" },
        { ALICE, G_USERS, { G_APCTL }, HC, NULL, false, "built-in",
          "uid 1001 may not do host-change: named by no [access] rule" },
        { BOB, G_USERS, { G_WEBOPS }, R, NULL, false, "built-in",
          "uid 1002 may not read: not in group apctl and named by no [access] rule" },
};

static size_t gids_count(const AccessCase *c) {
        size_t n = 0;

        while (n < GIDS_MAX && c->gids[n] != 0)
                n++;
        return n;
}

static void run_table(const char *name, const Policy *p, const AccessCase *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const AccessCase *c = &cases[i];
                PolicyPeer peer = { .uid = c->uid, .gid = c->gid, .gids = c->gids, .n_gids = gids_count(c) };
                PolicyDecision d;
                const char *where;
                int r;

                r = policy_check_access(p, &peer, c->op, c->guest, &d);
                if (!CHECK(r == 0))
                        continue;
                where = strrchr(d.where, '/') ? strrchr(d.where, '/') + 1 : d.where;
                if (!CHECK(d.allowed == c->allowed) | !CHECK_STREQ(where, c->where) |
                    !CHECK_STREQ(d.reason, c->reason))
                        fprintf(stderr, "  %s row %zu: uid %u %s %s\n", name, i, (unsigned) c->uid,
                                policy_operation_to_string(c->op), c->guest ?: "(no guest)");
        }
}

static int lookup_no_groups(const char *name, gid_t *ret, void *userdata) {
        return -ENOENT;
}

static void test_default_without_apctl_group(void) {
        PolicyLoadOptions o = test_options_own();
        _cleanup_(policy_freep) Policy *p = NULL;
        gid_t gids[] = { G_APCTL };
        PolicyPeer peer = { .uid = ALICE, .gid = G_USERS, .gids = gids, .n_gids = 1 };
        PolicyDecision d;

        /* Where no apctl group exists, only root gets anything; that is not an error. */
        o.lookup_group = lookup_no_groups;
        REQUIRE(policy_new_default(&o, &p) == 0);
        CHECK(policy_check_access(p, &peer, POLICY_OPERATION_READ, NULL, &d) == 0);
        CHECK(!d.allowed);
        CHECK_STREQ(d.reason,
                    "uid 1001 may not read: not in group apctl (which does not exist) and named by no [access] rule");
}

static void test_invalid_arguments(const Policy *p) {
        char long_name[POLICY_NAME_MAX + 2];
        PolicyPeer peer = { .uid = ALICE };
        PolicyDecision d = { .allowed = true, .reason = "untouched" };

        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';

        /* Refused, and the decision is left as it was: a caller cannot mistake it for an answer. */
        CHECK(policy_check_access(p, &peer, POLICY_OPERATION_GUEST_CHANGE, long_name, &d) == -EINVAL);
        CHECK(policy_check_access(p, &peer, POLICY_OPERATION_GUEST_CHANGE, "", &d) == -EINVAL);
        CHECK(policy_check_access(p, &peer, _POLICY_OPERATION_MAX, NULL, &d) == -EINVAL);
        peer.n_gids = POLICY_GIDS_MAX + 1;
        peer.gids = (const gid_t[]) { 1 };
        CHECK(policy_check_access(p, &peer, POLICY_OPERATION_READ, NULL, &d) == -EINVAL);
        CHECK(d.allowed);
        CHECK_STREQ(d.reason, "untouched");

        /* The longest allowed name is fine. */
        long_name[POLICY_NAME_MAX] = '\0';
        peer.n_gids = 0;
        CHECK(policy_check_access(p, &peer, POLICY_OPERATION_GUEST_CHANGE, long_name, &d) == 0);
        CHECK(!d.allowed);
}

int main(int argc, char **argv) {
        PolicyLoadOptions o = test_options_any_owner();
        _cleanup_(policy_freep) Policy *p = NULL, *def = NULL;
        _cleanup_free_ char *path = NULL;
        PolicyError error;

        REQUIRE(argc == 2);
        path = test_path(argv[1], "access.conf");
        if (policy_load_file(path, &o, &p, &error) < 0) {
                fprintf(stderr, "%s\n", error.text);
                return EXIT_FAILURE;
        }
        run_table("access.conf", p, access_conf_cases, ELEMENTSOF(access_conf_cases));

        REQUIRE(policy_new_default(&o, &def) == 0);
        run_table("default", def, default_cases, ELEMENTSOF(default_cases));

        test_default_without_apctl_group();
        test_invalid_arguments(p);
        return test_exit("test-policy-access");
}
