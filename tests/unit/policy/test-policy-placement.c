/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Placement decisions as a table: a guest's proposed adapters, usage and
 * control domains, what the caller knows about each adapter, and the
 * control domains other guests hold -> allowed, or the rule (file:line)
 * and a message naming the offending APQN, adapter or domain.
 *
 * Usage: test-policy-placement EVAL_DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-test.h"

#define INFO_MAX 4
#define OTHERS_MAX 2

typedef struct PlacementCase {
        const char *guest;
        const char *adapters;           /* id lists, as in the policy files */
        const char *usage_domains;
        const char *control_domains;
        PolicyAdapterInfo info[INFO_MAX]; /* generation 0 and mode unknown where the caller knows nothing */
        size_t n_info;
        struct {
                const char *guest;
                const char *control_domains;
        } others[OTHERS_MAX];
        size_t n_others;
        bool allowed;
        const char *where;
        const char *reason;
} PlacementCase;

#define CCA(a, g) { (a), POLICY_CARD_MODE_CCA, (g) }
#define EP11(a, g) { (a), POLICY_CARD_MODE_EP11, (g) }
#define ACCEL(a, g) { (a), POLICY_CARD_MODE_ACCEL, (g) }

static const PlacementCase placement_cases[] = {
        /* within every rule */
        { "web01", "4", "10-11", "10", { CCA(4, 7) }, 1, {}, 0, true, "built-in",
          "guest 'web01' may have 2 APQNs and 1 control domain" },
        { "web01", "4-7", "10-11", "10-19", { CCA(4, 6), CCA(5, 6), EP11(6, 8), CCA(7, 7) }, 4, {}, 0, true,
          "built-in", "guest 'web01' may have 8 APQNs and 10 control domains" },
        /* an empty configuration breaks no rule */
        { "web01", "", "", "", {}, 0, {}, 0, true, "built-in", "guest 'web01' may have 0 APQNs and 0 control domains" },

        /* host reservations come first, whoever asks */
        { "web01", "2", "10", "", {}, 0, {}, 0, false, "placement.conf:9", "APQN 02.000a is reserved for the host" },
        { "free01", "0", "0", "", {}, 0, {}, 0, false, "placement.conf:8", "APQN 00.0000 is reserved for the host" },
        { "free01", "1", "4-5", "", {}, 0, {}, 0, false, "placement.conf:8",
          "APQN 01.0005 is reserved for the host" },
        { "free01", "1", "4", "", {}, 0, {}, 0, true, "built-in",
          "guest 'free01' may have 1 APQN and 0 control domains" },
        { "free01", "0-1", "1-4", "", {}, 0, {}, 0, true, "built-in",
          "guest 'free01' may have 8 APQNs and 0 control domains" },

        /* adapters, usage and control domains */
        { "web01", "4,8", "10", "", { CCA(4, 7), CCA(8, 7) }, 2, {}, 0, false, "placement.conf:12",
          "adapter 8 is not allowed for guest 'web01': [guest web*] allows 4-7" },
        { "web01", "4", "10,20", "", { CCA(4, 7) }, 1, {}, 0, false, "placement.conf:13",
          "usage domain 20 is not allowed for guest 'web01': [guest web*] allows 10-19" },
        { "web01", "4", "10", "9-10", { CCA(4, 7) }, 1, {}, 0, false, "placement.conf:14",
          "control domain 9 is not allowed for guest 'web01': [guest web*] allows 10-19" },

        /* card mode and generation */
        { "web01", "4", "10", "", { ACCEL(4, 7) }, 1, {}, 0, false, "placement.conf:15",
          "adapter 4 is in accel mode, and [guest web*] allows only cca, ep11" },
        { "web01", "4-5", "10", "", { CCA(4, 7) }, 1, {}, 0, false, "placement.conf:15",
          "adapter 5: card mode unknown (adapter not present?), and [guest web*] allows only cca, ep11" },
        { "web01", "4", "10", "", { CCA(4, 5) }, 1, {}, 0, false, "placement.conf:16",
          "adapter 4 is a CEX5, and [guest web*] requires CEX6 or newer" },
        { "web01", "4", "10", "", { CCA(4, 0) }, 1, {}, 0, false, "placement.conf:16",
          "adapter 4: card generation unknown (adapter not present?), and [guest web*] requires CEX6 or newer" },
        { "db01", "8", "3", "", { CCA(8, 8) }, 1, {}, 0, false, "placement.conf:25",
          "adapter 8 is in cca mode, and [guest db*] allows only ep11" },
        /* no mode rule: an adapter the caller knows nothing about is fine */
        { "free01", "9", "3", "", {}, 0, {}, 0, true, "built-in",
          "guest 'free01' may have 1 APQN and 0 control domains" },

        /* APQN counts: the guest rule, a second matching rule, the defaults */
        { "web01", "4-7", "10-12", "", { CCA(4, 6), CCA(5, 6), CCA(6, 6), CCA(7, 6) }, 4, {}, 0, false,
          "placement.conf:17", "guest 'web01' would have 12 APQNs, and [guest web*] allows at most 8" },
        { "web-big", "4-5", "10-12", "", { CCA(4, 6), CCA(5, 6) }, 2, {}, 0, false, "placement.conf:21",
          "guest 'web-big' would have 6 APQNs, and [guest web-big] allows at most 4" },
        { "free01", "3-4", "0-8", "", {}, 0, {}, 0, false, "placement.conf:3",
          "guest 'free01' would have 18 APQNs, and [defaults] allows at most 16" },

        /* control domain sharing needs both guests' consent */
        { "web01", "4", "10", "10", { CCA(4, 7) }, 1, { { "db01", "10" } }, 1, false, "placement.conf:18",
          "control domain 10 is also held by guest 'db01', and guest 'web01' may not share control domains" },
        { "db01", "8", "3", "10", { EP11(8, 7) }, 1, { { "lab01", "1" }, { "web02", "9-11" } }, 2, false,
          "placement.conf:18", "control domain 10 is held by guest 'web02', which may not share control domains" },
        { "db01", "8", "3", "10", { EP11(8, 7) }, 1, { { "lab01", "10-11" } }, 1, true, "built-in",
          "guest 'db01' may have 1 APQN and 1 control domain" },
        { "db01", "8", "3", "12", { EP11(8, 7) }, 1, { { "web02", "10" } }, 1, true, "built-in",
          "guest 'db01' may have 1 APQN and 1 control domain" },
};

static const PlacementCase strict_cases[] = {
        { "free01", "3", "3", "", {}, 0, {}, 0, false, "placement-strict.conf:4",
          "guest 'free01' matches no [guest] rule, and unlisted-guests is deny" },
        { "db01", "8", "3", "3", {}, 0, { { "db02", "3" } }, 1, false, "placement-strict.conf:3",
          "control domain 3 is also held by guest 'db02', and guest 'db01' may not share control domains" },
        { "lab01", "8", "3", "3", {}, 0, { { "lab02", "3" } }, 1, true, "built-in",
          "guest 'lab01' may have 1 APQN and 1 control domain" },
        { "lab01", "8", "3", "3", {}, 0, { { "db02", "3" } }, 1, false, "placement-strict.conf:3",
          "control domain 3 is held by guest 'db02', which may not share control domains" },
        { "db01", "8", "3", "3", {}, 0, { { "db02", "4" } }, 1, true, "built-in",
          "guest 'db01' may have 1 APQN and 1 control domain" },
};

static ApMask list(const char *s) {
        ApMask m;

        REQUIRE(ap_list_parse(s, AP_ID_MAX, &m, NULL) == 0);
        return m;
}

static void run_table(const char *name, const Policy *p, const PlacementCase *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const PlacementCase *c = &cases[i];
                PolicyGuestControlDomains others[OTHERS_MAX];
                PolicyPlacement pl = {
                        .guest = c->guest,
                        .adapters = list(c->adapters),
                        .usage_domains = list(c->usage_domains),
                        .control_domains = list(c->control_domains),
                        .adapter_info = c->info,
                        .n_adapter_info = c->n_info,
                        .others = others,
                        .n_others = c->n_others,
                };
                PolicyDecision d;
                const char *where;

                for (size_t j = 0; j < c->n_others; j++)
                        others[j] = (PolicyGuestControlDomains) {
                                .guest = c->others[j].guest,
                                .control_domains = list(c->others[j].control_domains),
                        };
                if (!CHECK(policy_check_placement(p, &pl, &d) == 0))
                        continue;
                where = strrchr(d.where, '/') ? strrchr(d.where, '/') + 1 : d.where;
                if (!CHECK(d.allowed == c->allowed) | !CHECK_STREQ(where, c->where) |
                    !CHECK_STREQ(d.reason, c->reason))
                        fprintf(stderr, "  %s row %zu: guest %s\n", name, i, c->guest);
        }
}

static void test_invalid_arguments(const Policy *p) {
        PolicyAdapterInfo bad_info[] = { { 256, POLICY_CARD_MODE_CCA, 6 } };
        PolicyGuestControlDomains bad_other[] = { { NULL, {} } };
        PolicyDecision d = { .allowed = true, .reason = "untouched" };
        char long_name[POLICY_NAME_MAX + 2];
        PolicyPlacement pl = {};

        CHECK(policy_check_placement(p, &pl, &d) == -EINVAL);          /* no guest name */
        memset(long_name, 'w', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        pl.guest = long_name;
        CHECK(policy_check_placement(p, &pl, &d) == -EINVAL);
        pl.guest = "web01";
        pl.adapter_info = bad_info;
        pl.n_adapter_info = 1;
        CHECK(policy_check_placement(p, &pl, &d) == -EINVAL);
        pl.n_adapter_info = 0;
        pl.others = bad_other;
        pl.n_others = 1;
        CHECK(policy_check_placement(p, &pl, &d) == -EINVAL);
        CHECK(d.allowed);
        CHECK_STREQ(d.reason, "untouched");
}

static Policy *load(const char *dir, const char *name) {
        PolicyLoadOptions o = test_options_any_owner();
        _cleanup_free_ char *path = test_path(dir, name);
        PolicyError error;
        Policy *p = NULL;

        if (policy_load_file(path, &o, &p, &error) < 0) {
                fprintf(stderr, "%s\n", error.text);
                exit(EXIT_FAILURE);
        }
        return p;
}

int main(int argc, char **argv) {
        _cleanup_(policy_freep) Policy *p = NULL, *strict = NULL;

        REQUIRE(argc == 2);
        p = load(argv[1], "placement.conf");
        strict = load(argv[1], "placement-strict.conf");

        run_table("placement.conf", p, placement_cases, ELEMENTSOF(placement_cases));
        run_table("placement-strict.conf", strict, strict_cases, ELEMENTSOF(strict_cases));
        test_invalid_arguments(p);
        return test_exit("test-policy-placement");
}
