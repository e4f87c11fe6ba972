/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* apctl status: apctld's own state, and whether anything needs an admin's attention. */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "json-util.h"

static void help(void) {
        printf("Usage: apctl status [OPTIONS]\n\n"
               "Show apctld's version, backend, counts, bindings, drift and recovery state.\n\n%s",
               cli_common_help);
}

static int64_t get_int(json_object *o, const char *key) {
        json_object *v = json_object_object_get(o, key);
        return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v = json_object_object_get(o, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "?";
}

static bool get_bool(json_object *o, const char *key) {
        json_object *v = json_object_object_get(o, key);
        return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* Changes whose kernel write hung past the timeout: they hold their APQNs until the kernel answers. */
static void print_stuck(json_object *stuck) {
        size_t n = stuck && json_object_is_type(stuck, json_type_array) ? json_object_array_length(stuck) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *t = json_object_array_get_idx(stuck, i);
                printf("%s %s on %s: its kernel write hung; its resources stay locked until the kernel answers\n",
                       i == 0 ? "Stuck:       " : "             ", get_str(t, "method"), get_str(t, "subject"));
        }
}

static void print_status(json_object *s) {
        json_object *bindings = json_object_object_get(s, "bindings"), *drift = json_object_object_get(s, "drift");
        json_object *txn = json_object_object_get(s, "transaction");
        size_t n_drift = drift && json_object_is_type(drift, json_type_array) ? json_object_array_length(drift) : 0;

        printf("apctld %s, %s backend: %s\n", get_str(s, "version"), get_str(s, "backend"), get_str(s, "status"));
        printf("Guests:       %" PRId64 " defined, %" PRId64 " running\n", get_int(s, "guests"), get_int(s, "running"));
        printf("Hardware:     %" PRId64 " cards, %" PRId64 " queues, %" PRId64 " mdevs\n", get_int(s, "cards"),
               get_int(s, "queues"), get_int(s, "mdevs"));
        if (bindings)
                printf("Bindings:     %" PRId64 " of %" PRId64 " bound%s\n", get_int(bindings, "bound"),
                       get_int(bindings, "total"), get_bool(bindings, "complete") ? ", complete" : ", NOT complete");
        printf("Clients:      %" PRId64 " connected, %" PRId64 " subscribed, %" PRId64 " calls queued\n",
               get_int(s, "clients"), get_int(s, "subscriptions"), get_int(s, "queued_calls"));
        printf("Generation:   %" PRId64 " (%" PRId64 " kernel resyncs, %" PRId64 " events sent)\n",
               get_int(s, "generation"), get_int(s, "resyncs"), get_int(s, "events_sent"));
        if (txn && json_object_is_type(txn, json_type_object))
                printf("Transaction:  %s on %s in flight%s%s\n", get_str(txn, "method"), get_str(txn, "subject"),
                       get_bool(txn, "kernel") ? ", writing to the kernel" : "",
                       get_bool(txn, "timed_out") ? ", its kernel write TIMED OUT" : "");
        else
                printf("Transaction:  none\n");
        print_stuck(json_object_object_get(s, "stuck"));
        if (get_bool(s, "recovery_needed"))
                printf("Recovery:     NEEDED: a change could not be rolled back; see 'journalctl -u apctld'\n");
        if (n_drift == 0)
                printf("Drift:        none\n");
        else {
                printf("Drift:        %zu difference%s between the definitions and the kernel:\n", n_drift,
                       n_drift == 1 ? "" : "s");
                for (size_t i = 0; i < n_drift; i++)
                        printf("  %s\n", get_str(json_object_array_get_idx(drift, i), "message"));
        }
}

int verb_status(Cli *cli, int argc, char **argv) {
        _cleanup_json_ json_object *reply = NULL;
        int r;

        r = cli_parse_common_options(cli, argc, argv, help);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if (optind < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
        r = cli_call(cli, "io.apctl.Status", NULL, &reply);
        if (r != CLI_EXIT_OK)
                return r;
        if (cli->json)
                return cli_print_json(cli, reply);
        print_status(reply);
        return CLI_EXIT_OK;
}
