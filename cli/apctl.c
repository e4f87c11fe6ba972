/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* apctl: global options, the verb table, and dispatch to one file per verb. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "cli.h"

static const Verb verb_table[] = {
        { "list",           verb_list,           "Cards and queues with type, mode, state, driver and owner" },
        { "matrix",         verb_matrix,         "Adapter x domain grid of who owns each APQN" },
        { "host",           verb_host,           "reserve|release adapters and domains for the host" },
        { "guest",          verb_guest,          "define|undefine|modify|start|stop|attach|detach|show|list guests" },
        { "events",         verb_events,         "Follow apctld's event stream until interrupted" },
        { "status",         verb_status,         "apctld's state: counts, bindings, drift, recovery" },
        { "reconcile",      verb_reconcile,      "Re-read the kernel now and retry repairing drift" },
        { "policy",         verb_policy,         "check|show|reload the access and placement policy" },
        { "import-mdevctl", verb_import_mdevctl, "Define a guest from an mdevctl vfio_ap definition" },
        { "export-mdevctl", verb_export_mdevctl, "Print or write a guest as an mdevctl definition" },
};

static void help(void) {
        printf("Usage: apctl [OPTIONS] VERB [ARGS...]\n\n"
               "Manage AP crypto passthrough to KVM guests through apctld.\n\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verb_table); i++)
                printf("  %-16s %s\n", verb_table[i].name, verb_table[i].summary);
        printf("\nOptions:\n%s"
               "     --version           Show the version\n\n"
               "Ids are decimal or 0x hex (5, 0x1a, 0-3,0x10-0x1f); APQNs are hex like 05.001a.\n"
               "'apctl VERB --help' describes a verb; apctl(8) has exit codes and JSON shapes.\n",
               cli_common_help);
}

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = CLI_ARG_VERB_BASE };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        const char *env = getenv("APCTL_SOCKET");
        Cli cli = {
                .socket_path = env && *env ? env : CLI_SOCKET_DEFAULT,
                .timeout_msec = CLI_TIMEOUT_MSEC_DEFAULT,
        };
        int c, r;

        setlocale(LC_ALL, "");
        argv[0] = (char *) "apctl";     /* getopt's messages name the command, not its path */
        /* '+': stop at the verb, whose own options may share letters with ours. */
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
                r = cli_common_option(&cli, c, optarg);
                if (r < 0)
                        return CLI_EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'h':
                        help();
                        return CLI_EXIT_OK;
                case ARG_VERSION:
                        printf("apctl %s\n", PACKAGE_VERSION);
                        return CLI_EXIT_OK;
                default:
                        return cli_bad_option(&cli, argv);
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "apctl: no verb given; 'apctl --help' lists them\n");
                return CLI_EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(verb_table); i++)
                if (streq(verb_table[i].name, argv[optind])) {
                        char **vargv = argv + optind;
                        int vargc = argc - optind;

                        cli.verb_name = verb_table[i].name;
                        snprintf(cli.prog, sizeof(cli.prog), "apctl %s", cli.verb_name);
                        vargv[0] = cli.prog;
                        optind = 0;     /* each verb runs getopt from scratch */
                        r = verb_table[i].run(&cli, vargc, vargv);
                        if (fflush(stdout) != 0 && r == CLI_EXIT_OK)
                                return cli_fail(&cli, CLI_EXIT_FAILURE, "cannot write the output: %m");
                        return r;
                }
        fprintf(stderr, "apctl: unknown verb '%s'; 'apctl --help' lists them\n", argv[optind]);
        return CLI_EXIT_USAGE;
}
