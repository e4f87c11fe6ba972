/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* apctl reconcile: make apctld re-read the kernel, recompute drift and retry what it gave up on. */
#include <getopt.h>

#include "cli.h"
#include "json-util.h"

static void help(void) {
        printf("Usage: apctl reconcile [OPTIONS]\n\n"
               "Make apctld re-read the kernel now, recompute drift, and retry what it gave up on\n"
               "(host masks, autostart). Prints the drift that remains.\n\n%s",
               cli_common_help);
}

static void print_result(json_object *reply) {
        json_object *drift = json_object_object_get(reply, "drift"), *started;
        size_t n = drift && json_object_is_type(drift, json_type_array) ? json_object_array_length(drift) : 0;

        if (json_object_object_get_ex(reply, "transaction_started", &started) && json_object_get_boolean(started))
                printf("A change to repair the drift was started; 'apctl events' shows how it ends.\n");
        if (n == 0) {
                printf("No drift: the kernel matches the definitions.\n");
                return;
        }
        printf("%zu difference%s between the definitions and the kernel:\n", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
                json_object *m = json_object_object_get(json_object_array_get_idx(drift, i), "message");
                printf("  %s\n", m ? json_object_get_string(m) : "(no message)");
        }
}

int verb_reconcile(Cli *cli, int argc, char **argv) {
        _cleanup_json_ json_object *reply = NULL;
        int r;

        r = cli_parse_common_options(cli, argc, argv, help);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if (optind < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
        r = cli_call(cli, "io.apctl.Reconcile", NULL, &reply);
        if (r != CLI_EXIT_OK)
                return r;
        if (cli->json)
                return cli_print_json(cli, reply);
        print_result(reply);
        return CLI_EXIT_OK;
}
