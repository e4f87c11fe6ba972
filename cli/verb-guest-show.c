/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* apctl guest show|list, and the one-line summary the changing guest verbs print. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "guest-view.h"
#include "json-util.h"
#include "table.h"

bool guest_uuid_is_valid(const char *s) {
        static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

        if (strlen(s) != sizeof(pattern) - 1)
                return false;
        for (size_t i = 0; pattern[i]; i++) {
                bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
                if (pattern[i] == '-' ? s[i] != '-' : !hex)
                        return false;
        }
        return true;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static bool get_bool(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
               json_object_get_boolean(v);
}

/* The id list under key as the CLI prints it; NULL on ENOMEM or a malformed list. */
static char *get_ids(json_object *o, const char *key) {
        ApMask m;

        if (cli_mask_from_json(json_object_object_get(o, key), &m) < 0)
                return NULL;
        return cli_format_ids(&m);
}

int guest_print_summary(const Cli *cli, json_object *guest, const char *done) {
        _cleanup_free_ char *a = get_ids(guest, "adapters"), *d = get_ids(guest, "domains"),
                            *c = get_ids(guest, "control_domains");
        const char *name = get_str(guest, "name");

        if (!a || !d || !c || !name)
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld's reply is not a guest as apctl expects");
        printf("Guest %s %s: adapters %s, domains %s, control domains %s; %s.\n", name, done, a, d, c,
               get_bool(guest, "running") ? "running" : "not running");
        return CLI_EXIT_OK;
}

static void help_show(void) {
        printf("Usage: apctl guest show NAME [OPTIONS]\n"
               "       apctl guest list [OPTIONS]\n\n"
               "show: a guest's definition, its running mdev (assigned and in the guest), and drift.\n"
               "list: every defined guest.\n\n%s",
               cli_common_help);
}

/* Options of show and list: the common ones only. Returns > 0 exit code, < 0 help printed. */
static int parse_common_only(Cli *cli, int argc, char **argv) {
        return cli_parse_common_options(cli, argc, argv, help_show);
}

static void print_field(const char *label, const char *value) {
        printf("%-17s %s\n", label, value);
}

static int print_show(const Cli *cli, json_object *g) {
        _cleanup_free_ char *a = get_ids(g, "adapters"), *d = get_ids(g, "domains"),
                            *c = get_ids(g, "control_domains");
        json_object *mdev = json_object_object_get(g, "mdev"), *drift = json_object_object_get(g, "drift");
        const char *name = get_str(g, "name"), *uuid = get_str(g, "uuid");

        if (!a || !d || !c || !name || !uuid)
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld's reply is not a guest as apctl expects");
        print_field("Name:", name);
        print_field("UUID:", uuid);
        print_field("State:", get_bool(g, "running") ? "running" : "not running");
        print_field("Adapters:", a);
        print_field("Domains:", d);
        print_field("Control domains:", c);
        print_field("Autostart:", get_bool(g, "autostart") ? "yes" : "no");
        print_field("Overprovision:", get_bool(g, "overprovision") ? "yes" : "no");
        if (mdev && json_object_is_type(mdev, json_type_object)) {
                _cleanup_free_ char *ma = get_ids(mdev, "adapters"), *md = get_ids(mdev, "domains"),
                                    *mc = get_ids(mdev, "control_domains"), *ga = get_ids(mdev, "guest_adapters"),
                                    *gd = get_ids(mdev, "guest_domains");
                if (!ma || !md || !mc || !ga || !gd)
                        return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld's mdev reply is not as apctl expects");
                printf("Mdev assigned:    adapters %s, domains %s, control domains %s\n", ma, md, mc);
                /* What the guest really sees: vfio_ap filters out queues that are missing or not bound. */
                printf("In the guest:     adapters %s, domains %s\n", ga, gd);
        }
        if (drift && json_object_is_type(drift, json_type_array) && json_object_array_length(drift) > 0) {
                printf("Drift:\n");
                for (size_t i = 0; i < json_object_array_length(drift); i++) {
                        const char *msg = get_str(json_object_array_get_idx(drift, i), "message");
                        printf("  %s\n", msg ?: "(no message)");
                }
        } else
                print_field("Drift:", "none");
        return CLI_EXIT_OK;
}

int guest_show(Cli *cli, int argc, char **argv) {
        _cleanup_json_ json_object *params = json_object_new_object(), *reply = NULL;
        int r;

        r = parse_common_only(cli, argc, argv);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if (optind >= argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "which guest? give its name");
        if (optind + 1 < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        r = cli_check_guest_name(cli, argv[optind]);
        if (r != 0)
                return r;
        if (!params || json_add_string(params, "name", argv[optind]) < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        r = cli_call(cli, "io.apctl.Guest.Show", TAKE_PTR(params), &reply);
        if (r != CLI_EXIT_OK)
                return r;
        return cli->json ? cli_print_json(cli, reply) : print_show(cli, reply);
}

static int print_list(const Cli *cli, json_object *guests) {
        static const char *const headers[] = { "NAME", "STATE", "ADAPTERS", "DOMAINS", "CONTROL", "AUTOSTART", "UUID" };
        _cleanup_(table_freep) Table *t = NULL;
        size_t n = json_object_array_length(guests);

        if (n == 0) {
                printf("No guests defined.\n");
                return CLI_EXIT_OK;
        }
        if (table_new(&t, ELEMENTSOF(headers), headers) < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        for (size_t i = 0; i < n; i++) {
                json_object *g = json_object_array_get_idx(guests, i);
                _cleanup_free_ char *a = get_ids(g, "adapters"), *d = get_ids(g, "domains"),
                                    *c = get_ids(g, "control_domains");
                bool running = get_bool(g, "running");

                if (!a || !d || !c || !get_str(g, "name") || !get_str(g, "uuid"))
                        return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld's guest list is not as apctl expects");
                if (table_add(t, get_str(g, "name"), NULL) < 0 ||
                    table_add(t, running ? "running" : "stopped", running ? ANSI_GREEN : NULL) < 0 ||
                    table_add(t, a, NULL) < 0 || table_add(t, d, NULL) < 0 || table_add(t, c, NULL) < 0 ||
                    table_add(t, get_bool(g, "autostart") ? "yes" : "no", NULL) < 0 ||
                    table_add(t, get_str(g, "uuid"), NULL) < 0)
                        return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        }
        if (table_print(t, stdout, cli_use_color(cli)) < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "cannot write the output");
        return CLI_EXIT_OK;
}

int guest_list(Cli *cli, int argc, char **argv) {
        _cleanup_json_ json_object *reply = NULL;
        json_object *guests;
        int r;

        r = parse_common_only(cli, argc, argv);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if (optind < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
        r = cli_call(cli, "io.apctl.Guest.List", NULL, &reply);
        if (r != CLI_EXIT_OK)
                return r;
        if (!json_object_object_get_ex(reply, "guests", &guests) || !json_object_is_type(guests, json_type_array))
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld's Guest.List reply has no guests array");
        return cli->json ? cli_print_json(cli, reply) : print_list(cli, guests);
}
