/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apctl guest define|undefine|modify|start|stop|attach|detach: every
 * change to a guest definition. show and list live in verb-guest-show.c.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "guest-view.h"
#include "json-util.h"
#include "resources.h"

static int guest_define(Cli *cli, int argc, char **argv);
static int guest_undefine(Cli *cli, int argc, char **argv);
static int guest_modify(Cli *cli, int argc, char **argv);
static int guest_start(Cli *cli, int argc, char **argv);
static int guest_stop(Cli *cli, int argc, char **argv);
static int guest_attach(Cli *cli, int argc, char **argv);
static int guest_detach(Cli *cli, int argc, char **argv);

static const Verb guest_verbs[] = {
        { "define",   guest_define,   "NAME [--adapter ...] Define a guest's AP configuration" },
        { "undefine", guest_undefine, "NAME                 Forget a guest that is not running" },
        { "modify",   guest_modify,   "NAME [--adapter ...] Replace parts of a definition (live if running)" },
        { "start",    guest_start,    "NAME                 Create the guest's vfio_ap mdev" },
        { "stop",     guest_stop,     "NAME                 Remove the guest's mdev" },
        { "attach",   guest_attach,   "NAME --adapter ...   Add adapters/domains (hot plug if running)" },
        { "detach",   guest_detach,   "NAME --adapter ...   Remove adapters/domains (hot unplug if running)" },
        { "show",     guest_show,     "NAME                 A guest's definition, mdev and drift" },
        { "list",     guest_list,     "                     Every defined guest" },
};

static void help(void) {
        printf("Usage: apctl guest COMMAND NAME [OPTIONS]\n\n");
        cli_print_subverbs("guest", guest_verbs, ELEMENTSOF(guest_verbs));
        printf("\nOptions of define, modify, attach and detach:\n%s"
               "  -c --control-domain=LIST  Control domains\n"
               "Options of define and modify:\n"
               "     --uuid=UUID          The mdev's UUID (define; default: a random one)\n"
               "     --autostart / --no-autostart          Start once per boot (default no)\n"
               "     --overprovision / --no-overprovision  Allow APQNs the host does not have yet\n"
               "     --no-live            modify: change only the definition, not the running mdev\n\n"
               "Guest names: 1-%d of A-Z a-z 0-9 _ . : -, not starting with . or -.\n\n%s",
               cli_resource_help, CLI_GUEST_NAME_MAX, cli_common_help);
}

typedef enum GuestOptions {
        OPT_RESOURCES = 1u << 0,
        OPT_FLAGS = 1u << 1,
        OPT_UUID = 1u << 2,
        OPT_LIVE = 1u << 3,
} GuestOptions;

typedef struct GuestArgs {
        const char *name;       /* borrowed: argv */
        const char *uuid;       /* borrowed: argv */
        CliResources res;
        int autostart;          /* -1 not given */
        int overprovision;      /* -1 not given */
        bool no_live;
} GuestArgs;

/* Parse NAME and the options allowed for this command; > 0 is an exit code, < 0 "help printed". */
static int parse_guest_args(Cli *cli, int argc, char **argv, unsigned allowed, GuestArgs *ret) {
        enum { ARG_UUID = CLI_ARG_VERB_BASE, ARG_AUTOSTART, ARG_NO_AUTOSTART, ARG_OVERPROVISION,
               ARG_NO_OVERPROVISION, ARG_NO_LIVE };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                CLI_RESOURCE_OPTIONS,
                CLI_CONTROL_DOMAIN_OPTIONS,
                { "uuid", required_argument, NULL, ARG_UUID },
                { "autostart", no_argument, NULL, ARG_AUTOSTART },
                { "no-autostart", no_argument, NULL, ARG_NO_AUTOSTART },
                { "overprovision", no_argument, NULL, ARG_OVERPROVISION },
                { "no-overprovision", no_argument, NULL, ARG_NO_OVERPROVISION },
                { "no-live", no_argument, NULL, ARG_NO_LIVE },
                {}
        };
        static const struct {
                int option;
                unsigned needs;
        } option_needs[] = {
                { 'a', OPT_RESOURCES }, { 'd', OPT_RESOURCES }, { 'c', OPT_RESOURCES }, { 'q', OPT_RESOURCES },
                { ARG_UUID, OPT_UUID }, { ARG_AUTOSTART, OPT_FLAGS }, { ARG_NO_AUTOSTART, OPT_FLAGS },
                { ARG_OVERPROVISION, OPT_FLAGS }, { ARG_NO_OVERPROVISION, OPT_FLAGS }, { ARG_NO_LIVE, OPT_LIVE },
        };
        GuestArgs a = { .autostart = -1, .overprovision = -1 };
        int c, r;

        while ((c = getopt_long(argc, argv, "ha:d:c:q:", options, NULL)) >= 0) {
                r = cli_common_option(cli, c, optarg);
                if (r < 0)
                        return CLI_EXIT_USAGE;
                if (r > 0)
                        continue;
                if (c == 'h') {
                        help();
                        return -1;
                }
                for (size_t i = 0; i < ELEMENTSOF(option_needs); i++)
                        if (option_needs[i].option == c && !(allowed & option_needs[i].needs))
                                return cli_fail(cli, CLI_EXIT_USAGE, "option '%s' does not apply here",
                                                argv[optind - 1]);
                r = cli_resource_option(cli, c, optarg, &a.res);
                if (r < 0)
                        return CLI_EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case ARG_UUID:
                        a.uuid = optarg;
                        break;
                case ARG_AUTOSTART:
                case ARG_NO_AUTOSTART:
                        a.autostart = c == ARG_AUTOSTART;
                        break;
                case ARG_OVERPROVISION:
                case ARG_NO_OVERPROVISION:
                        a.overprovision = c == ARG_OVERPROVISION;
                        break;
                case ARG_NO_LIVE:
                        a.no_live = true;
                        break;
                default:
                        return cli_bad_option(cli, argv);
                }
        }
        if (optind >= argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "which guest? give its name");
        if (optind + 1 < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        a.name = argv[optind];
        r = cli_check_guest_name(cli, a.name);
        if (r != 0)
                return r;
        if (a.uuid && !guest_uuid_is_valid(a.uuid))
                return cli_fail(cli, CLI_EXIT_USAGE, "--uuid: '%s' is not a UUID like 0d9b2a5e-6c8f-4f1e-9a7b-3c2d1e0f4a5b",
                                a.uuid);
        *ret = a;
        return 0;
}

/* The parameters every guest method takes: name, plus what was given. */
static int guest_params(const GuestArgs *a, json_object **ret) {
        _cleanup_json_ json_object *p = json_object_new_object();

        if (!p || json_add_string(p, "name", a->name) < 0 || cli_resources_to_json(&a->res, p) < 0 ||
            (a->uuid && json_add_string(p, "uuid", a->uuid) < 0) ||
            (a->autostart >= 0 && json_add_bool(p, "autostart", a->autostart) < 0) ||
            (a->overprovision >= 0 && json_add_bool(p, "overprovision", a->overprovision) < 0) ||
            (a->no_live && json_add_bool(p, "live", false) < 0))
                return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

/*
 * An attach or detach that changed nothing: one line naming what was given,
 * "g2: nothing to detach (domain 7 is not in it)", in place of the
 * unchanged configuration, so that a mistyped id does not read as done.
 */
static int guest_print_unchanged(Cli *cli, const GuestArgs *a, bool attach) {
        const struct {
                bool set;
                const ApMask *mask;
                const char *one, *many;
        } sets[] = {
                { a->res.adapters_set, &a->res.adapters, "adapter", "adapters" },
                { a->res.domains_set, &a->res.domains, "domain", "domains" },
                { a->res.control_domains_set, &a->res.control_domains, "control domain", "control domains" },
        };
        _cleanup_free_ char *line = NULL;
        size_t line_size = 0;
        unsigned n_ids = 0;
        FILE *f = open_memstream(&line, &line_size);

        if (!f)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
                _cleanup_free_ char *ids = NULL;
                unsigned n = sets[i].set ? ap_mask_count(sets[i].mask) : 0;

                if (n == 0)
                        continue;
                ids = ap_list_format(sets[i].mask, AP_LIST_DECIMAL);
                if (!ids) {
                        fclose(f);
                        return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
                }
                fprintf(f, "%s%s %s", n_ids > 0 ? ", " : "", n == 1 ? sets[i].one : sets[i].many, ids);
                n_ids += n;
        }
        if (fclose(f) != 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        printf("%s: nothing to %s (%s %s %s it)\n", a->name, attach ? "attach" : "detach", line,
               n_ids == 1 ? "is" : "are", attach ? "already in" : "not in");
        return CLI_EXIT_OK;
}

/* Parse, call, and print the resulting guest in one line (or its JSON). */
static int guest_change(Cli *cli, int argc, char **argv, unsigned allowed, const char *method, const char *done) {
        _cleanup_json_ json_object *params = NULL, *reply = NULL;
        json_object *changed; /* borrowed from reply */
        GuestArgs a;
        int r;

        r = parse_guest_args(cli, argc, argv, allowed, &a);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if ((allowed & OPT_RESOURCES) && !(allowed & OPT_FLAGS) && !cli_resources_any(&a.res))
                return cli_fail(cli, CLI_EXIT_USAGE, "give --adapter, --domain, --control-domain or --apqn");
        if (guest_params(&a, &params) < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        r = cli_call(cli, method, TAKE_PTR(params), &reply);
        if (r != CLI_EXIT_OK)
                return r;
        if (cli->json)
                return cli_print_json(cli, reply);
        if (json_object_object_length(reply) == 0) {
                /* Undefine replies with nothing: the guest is gone. */
                printf("Guest %s %s.\n", a.name, done);
                return CLI_EXIT_OK;
        }
        if (json_object_object_get_ex(reply, "changed", &changed) && !json_object_get_boolean(changed))
                return guest_print_unchanged(cli, &a, streq(done, "attached"));
        return guest_print_summary(cli, reply, done);
}

static int guest_define(Cli *cli, int argc, char **argv) {
        return guest_change(cli, argc, argv, OPT_RESOURCES | OPT_FLAGS | OPT_UUID, "io.apctl.Guest.Define", "defined");
}

static int guest_modify(Cli *cli, int argc, char **argv) {
        return guest_change(cli, argc, argv, OPT_RESOURCES | OPT_FLAGS | OPT_LIVE, "io.apctl.Guest.Modify", "modified");
}

static int guest_attach(Cli *cli, int argc, char **argv) {
        return guest_change(cli, argc, argv, OPT_RESOURCES, "io.apctl.Guest.Attach", "attached");
}

static int guest_detach(Cli *cli, int argc, char **argv) {
        return guest_change(cli, argc, argv, OPT_RESOURCES, "io.apctl.Guest.Detach", "detached");
}

static int guest_undefine(Cli *cli, int argc, char **argv) {
        return guest_change(cli, argc, argv, 0, "io.apctl.Guest.Undefine", "undefined");
}

static int guest_start(Cli *cli, int argc, char **argv) {
        return guest_change(cli, argc, argv, 0, "io.apctl.Guest.Start", "started");
}

static int guest_stop(Cli *cli, int argc, char **argv) {
        return guest_change(cli, argc, argv, 0, "io.apctl.Guest.Stop", "stopped");
}

int verb_guest(Cli *cli, int argc, char **argv) {
        return cli_dispatch_subverb(cli, argc, argv, guest_verbs, ELEMENTSOF(guest_verbs), help);
}
