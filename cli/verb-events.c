/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apctl events: subscribe and print each event as it comes, one line each
 * (or one JSON object per line with --json), until SIGINT/SIGTERM, --count
 * events, or the daemon going away.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "json-util.h"
#include "varlink-client.h"

static void help(void) {
        printf("Usage: apctl events [OPTIONS]\n\n"
               "Follow apctld's events (guests, queues, masks, drift, transactions) until interrupted.\n\n"
               "  -n --count=N            Exit after N events\n%s",
               cli_common_help);
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
        stop_requested = 1;
}

/* "2026-11-21 04:41:00.123456Z guest-started guest=web01 uuid=..." */
static void print_event_line(json_object *event) {
        json_object *type = json_object_object_get(event, "type"), *t = json_object_object_get(event, "time_usec");
        int64_t usec = t ? json_object_get_int64(t) : 0;
        time_t sec = (time_t) (usec / 1000000);
        struct tm tm;
        char when[32] = "-";

        if (usec > 0 && gmtime_r(&sec, &tm))
                snprintf(when + strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm),
                         sizeof(when) - 19, ".%06dZ", (int) (usec % 1000000));
        printf("%s %s", when, type ? json_object_get_string(type) : "?");
        json_object_object_foreach(event, key, value) {
                if (streq(key, "type") || streq(key, "time_usec"))
                        continue;
                if (json_object_is_type(value, json_type_string))
                        printf(" %s=%s", key, json_object_get_string(value));
                else
                        printf(" %s=%s", key, json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
        }
        putchar('\n');
}

static int parse_args(Cli *cli, int argc, char **argv, unsigned long *ret_count) {
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "count", required_argument, NULL, 'n' },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "hn:", options, NULL)) >= 0) {
                r = cli_common_option(cli, c, optarg);
                if (r < 0)
                        return CLI_EXIT_USAGE;
                if (r > 0)
                        continue;
                if (c == 'h') {
                        help();
                        return -1;
                }
                if (c == 'n') {
                        char *end;
                        errno = 0;
                        *ret_count = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || optarg[0] == '-' || *ret_count == 0)
                                return cli_fail(cli, CLI_EXIT_USAGE, "--count: '%s' is not a positive number", optarg);
                        continue;
                }
                return cli_bad_option(cli, argv);
        }
        if (optind < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
        return 0;
}

/*
 * Print events until a signal, count events, or an error: 0 when stopped,
 * a negative errno for the connection, or an exit code (> 0) when apctld
 * answered with an error.
 */
static int follow(Cli *cli, VarlinkClient *client, unsigned long count) {
        unsigned long seen = 0;
        int r = 0;

        for (bool first = true; r >= 0 && !stop_requested && (!count || seen < count); first = false) {
                _cleanup_json_ json_object *msg = NULL;
                json_object *params, *event, *error;

                /* Only the confirmation has a deadline; events come when they come. */
                r = varlink_client_receive(client, first ? (int) cli->timeout_msec : -1, &msg);
                if (r == -EINTR && stop_requested)
                        break;
                if (r < 0)
                        break;
                if (json_object_object_get_ex(msg, "error", &error)) {
                        json_object *p = json_object_object_get(msg, "parameters");
                        json_object *m = p ? json_object_object_get(p, "message") : NULL;
                        return cli_fail(cli, cli_exit_from_error_name(json_object_get_string(error)), "%s",
                                        m ? json_object_get_string(m) : json_object_get_string(error));
                }
                params = json_object_object_get(msg, "parameters");
                if (!params || !json_object_object_get_ex(params, "event", &event))
                        continue;       /* the {"subscribed": true} confirmation */
                if (cli->json)
                        printf("%s\n", json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN |
                                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
                else
                        print_event_line(event);
                /* A reader on a pipe must see each event as it happens. */
                fflush(stdout);
                seen++;
        }
        if (r == -EINTR && stop_requested)
                return 0;
        return r;
}

int verb_events(Cli *cli, int argc, char **argv) {
        _cleanup_(varlink_client_freep) VarlinkClient *client = NULL;
        struct sigaction sa = { .sa_handler = on_signal };
        unsigned long count = 0;
        sigset_t stop_signals, waiting;
        int r;

        r = parse_args(cli, argc, argv, &count);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        /*
         * SIGINT and SIGTERM stay blocked except inside the client's ppoll(),
         * so one arriving while an event is printed still ends the next wait.
         */
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        sigprocmask(SIG_BLOCK, &stop_signals, &waiting);
        sigdelset(&waiting, SIGINT);
        sigdelset(&waiting, SIGTERM);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);

        r = varlink_client_connect(cli->socket_path, &client);
        if (r >= 0)
                client->wait_sigmask = &waiting;
        if (r >= 0)
                r = varlink_client_send(client, "io.apctl.Events.Subscribe", json_object_new_object(), true,
                                        (int) cli->timeout_msec);
        if (r >= 0)
                r = follow(cli, client, count);
        if (r > 0)
                return r;
        if (r < 0) {
                if (r == -ECONNRESET)
                        return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld closed the event stream");
                if (r == -ETIMEDOUT)
                        return cli_fail(cli, CLI_EXIT_BUSY, "apctld did not confirm the subscription within %u ms",
                                        cli->timeout_msec);
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "cannot follow events at %s: %s", cli->socket_path,
                                strerror(-r));
        }
        return CLI_EXIT_OK;
}
