/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* apctl host reserve|release: the adapters and domains the host keeps (apmask/aqmask). */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "json-util.h"
#include "resources.h"

static int host_reserve(Cli *cli, int argc, char **argv);
static int host_release(Cli *cli, int argc, char **argv);

static const Verb host_verbs[] = {
        { "reserve", host_reserve, "Keep adapters and domains for the host's own use" },
        { "release", host_release, "Give them back, so guests may have them" },
};

static void help(void) {
        printf("Usage: apctl host reserve|release [OPTIONS]\n\n");
        cli_print_subverbs("host", host_verbs, ELEMENTSOF(host_verbs));
        printf("\nAn APQN belongs to the host when both its adapter and its domain are reserved.\n\n"
               "Options:\n%s%s", cli_resource_help, cli_common_help);
}

static int host_change(Cli *cli, int argc, char **argv, bool reserve) {
        static const struct option options[] = { CLI_COMMON_OPTIONS, CLI_RESOURCE_OPTIONS, {} };
        _cleanup_json_ json_object *params = json_object_new_object(), *reply = NULL;
        _cleanup_free_ char *a = NULL, *d = NULL;
        CliResources res = {};
        ApMask apm, aqm;
        int c, r;

        while ((c = getopt_long(argc, argv, "ha:d:q:", options, NULL)) >= 0) {
                r = cli_common_option(cli, c, optarg);
                if (r == 0)
                        r = cli_resource_option(cli, c, optarg, &res);
                if (r < 0)
                        return CLI_EXIT_USAGE;
                if (r > 0)
                        continue;
                if (c == 'h') {
                        help();
                        return CLI_EXIT_OK;
                }
                return cli_bad_option(cli, argv);
        }
        if (optind < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
        if (!cli_resources_any(&res))
                return cli_fail(cli, CLI_EXIT_USAGE, "give --adapter, --domain or --apqn");
        if (!params || cli_resources_to_json(&res, params) < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        r = cli_call(cli, reserve ? "io.apctl.Host.Reserve" : "io.apctl.Host.Release", TAKE_PTR(params), &reply);
        if (r != CLI_EXIT_OK)
                return r;
        if (cli->json)
                return cli_print_json(cli, reply);
        if (cli_mask_from_json(json_object_object_get(reply, "adapters"), &apm) < 0 ||
            cli_mask_from_json(json_object_object_get(reply, "domains"), &aqm) < 0)
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld's reply has no valid adapters and domains");
        a = cli_format_ids(&apm);
        d = cli_format_ids(&aqm);
        if (!a || !d)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        printf("Host reservation is now: adapters %s, domains %s\n", a, d);
        return CLI_EXIT_OK;
}

static int host_reserve(Cli *cli, int argc, char **argv) {
        return host_change(cli, argc, argv, true);
}

static int host_release(Cli *cli, int argc, char **argv) {
        return host_change(cli, argc, argv, false);
}

int verb_host(Cli *cli, int argc, char **argv) {
        return cli_dispatch_subverb(cli, argc, argv, host_verbs, ELEMENTSOF(host_verbs), help);
}
