/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Input checks done before anything is sent to apctld: id lists, APQN
 * lists and guest names, each refused with a message naming the problem.
 * Also the few formatting helpers every verb shares.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>

#include "cli.h"

const char cli_common_help[] =
        "  -h --help              Show this help\n"
        "     --json[=FORMAT]     Print JSON (shapes in apctl(8)); FORMAT pretty, short, or\n"
        "                         auto (default: pretty on a terminal, else one line)\n"
        "     --socket=PATH       apctld's socket (default $APCTL_SOCKET or " CLI_SOCKET_DEFAULT ")\n"
        "     --color=WHEN        auto, always or never (default auto)\n"
        "     --timeout=MSEC      Give up waiting for apctld after this (default 60000)\n";

int cli_common_option(Cli *cli, int c, const char *arg) {
        switch (c) {
        case CLI_ARG_JSON: {
                static const char *const formats[] = {
                        [CLI_JSON_AUTO] = "auto", [CLI_JSON_PRETTY] = "pretty", [CLI_JSON_SHORT] = "short",
                };
                cli->json = true;
                if (!arg) {
                        cli->json_format = CLI_JSON_AUTO;
                        return 1;
                }
                for (size_t i = 0; i < ELEMENTSOF(formats); i++)
                        if (streq(formats[i], arg)) {
                                cli->json_format = (CliJsonFormat) i;
                                return 1;
                        }
                cli_fail(cli, CLI_EXIT_USAGE, "--json: '%s' is not auto, pretty or short", arg);
                return -EINVAL;
        }
        case CLI_ARG_SOCKET:
                if (!*arg) {
                        cli_fail(cli, CLI_EXIT_USAGE, "--socket: the path is empty");
                        return -EINVAL;
                }
                cli->socket_path = arg;
                return 1;
        case CLI_ARG_COLOR: {
                static const char *const names[] = {
                        [CLI_COLOR_AUTO] = "auto", [CLI_COLOR_ALWAYS] = "always", [CLI_COLOR_NEVER] = "never",
                };
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (streq(names[i], arg)) {
                                cli->color = (CliColor) i;
                                return 1;
                        }
                cli_fail(cli, CLI_EXIT_USAGE, "--color: '%s' is not auto, always or never", arg);
                return -EINVAL;
        }
        case CLI_ARG_TIMEOUT: {
                char *end;
                unsigned long v;

                errno = 0;
                v = strtoul(arg, &end, 10);
                if (errno || end == arg || *end || arg[0] == '-' || v == 0 || v > 24ul * 3600 * 1000) {
                        cli_fail(cli, CLI_EXIT_USAGE, "--timeout: '%s' is not a number of milliseconds (1..86400000)",
                                 arg);
                        return -EINVAL;
                }
                cli->timeout_msec = (unsigned) v;
                return 1;
        }
        default:
                return 0;
        }
}

int cli_bad_option(const Cli *cli, char **argv) {
        /* getopt already said what was wrong; point at the help. */
        fprintf(stderr, "Try 'apctl%s%s --help'.\n", cli->verb_name ? " " : "", cli->verb_name ?: "");
        return CLI_EXIT_USAGE;
}

int cli_parse_common_options(Cli *cli, int argc, char **argv, void (*help)(void)) {
        static const struct option options[] = { CLI_COMMON_OPTIONS, {} };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                r = cli_common_option(cli, c, optarg);
                if (r < 0)
                        return CLI_EXIT_USAGE;
                if (r > 0)
                        continue;
                if (c == 'h') {
                        help();
                        return -1;
                }
                return cli_bad_option(cli, argv);
        }
        return 0;
}

int cli_parse_id_list(const Cli *cli, const char *option, const char *s, unsigned max, ApMask *ret) {
        ApParseError e = {};
        ApMask m;

        if (ap_list_parse(s, max, &m, &e) < 0)
                return cli_fail(cli, CLI_EXIT_USAGE, "%s '%s': %s", option, s, e.message);
        if (ap_mask_is_empty(&m))
                return cli_fail(cli, CLI_EXIT_USAGE, "%s: the list is empty", option);
        *ret = m;
        return CLI_EXIT_OK;
}

/*
 * APQNs name single queues, but a guest gets adapters x domains: accept a
 * list only when it is that full cross product, and otherwise name the
 * first APQN the product would add, so nothing is granted by surprise.
 */
int cli_parse_apqn_list(const Cli *cli, const char *option, const char *s, ApMask *ret_adapters,
                        ApMask *ret_domains) {
        _cleanup_free_ char *copy = strdup(s);
        bool seen[AP_ID_MAX + 1][AP_ID_MAX + 1];
        ApMask apm = {}, aqm = {};
        char *save = NULL, buf[APQN_BUFSZ];
        size_t n = 0;

        if (!copy)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        if (!*s)
                return cli_fail(cli, CLI_EXIT_USAGE, "%s: the list is empty", option);
        if (strlen(s) > 4096)
                return cli_fail(cli, CLI_EXIT_USAGE, "%s: the list is longer than 4096 characters", option);
        memset(seen, 0, sizeof(seen));
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                ApParseError e = {};
                Apqn q;

                if (apqn_parse(item, &q, &e) < 0)
                        return cli_fail(cli, CLI_EXIT_USAGE, "%s: '%s' is not an APQN like 05.001a: %s", option,
                                        item, e.message);
                if (seen[q.adapter][q.domain])
                        return cli_fail(cli, CLI_EXIT_USAGE, "%s: APQN %s is listed twice", option,
                                        apqn_format(q, buf));
                seen[q.adapter][q.domain] = true;
                ap_mask_set(&apm, q.adapter);
                ap_mask_set(&aqm, q.domain);
                n++;
        }
        if (n == 0 || strstr(s, ",,") || s[0] == ',' || s[strlen(s) - 1] == ',')
                return cli_fail(cli, CLI_EXIT_USAGE, "%s '%s': empty entry in the list", option, s);
        AP_MASK_FOREACH(a, &apm)
                AP_MASK_FOREACH(d, &aqm)
                        if (!seen[a][d])
                                return cli_fail(cli, CLI_EXIT_USAGE,
                                                "%s: a guest gets every adapter with every domain, so this list "
                                                "would also grant %s; list it too, or use --adapter and --domain",
                                                option, apqn_format((Apqn) { a, d }, buf));
        *ret_adapters = apm;
        *ret_domains = aqm;
        return CLI_EXIT_OK;
}

int cli_check_guest_name(const Cli *cli, const char *name) {
        size_t n = strlen(name);

        if (n == 0)
                return cli_fail(cli, CLI_EXIT_USAGE, "the guest name is empty");
        if (n > CLI_GUEST_NAME_MAX)
                return cli_fail(cli, CLI_EXIT_USAGE, "guest name '%.20s...' is %zu characters long; the limit is %d",
                                name, n, CLI_GUEST_NAME_MAX);
        if (name[0] == '.' || name[0] == '-')
                return cli_fail(cli, CLI_EXIT_USAGE, "guest name '%s' must not start with '%c'", name, name[0]);
        for (size_t i = 0; i < n; i++)
                if (!strchr(GUEST_NAME_CHARS, name[i]))
                        return cli_fail(cli, CLI_EXIT_USAGE,
                                        "guest name '%s' contains '%c' at offset %zu; use only A-Z a-z 0-9 _ . : -",
                                        name, (unsigned char) name[i] >= 0x20 && name[i] != 0x7f ? name[i] : '?', i);
        return CLI_EXIT_OK;
}

bool cli_use_color(const Cli *cli) {
        const char *term;

        if (cli->color != CLI_COLOR_AUTO)
                return cli->color == CLI_COLOR_ALWAYS;
        if (getenv("NO_COLOR"))
                return false;
        term = getenv("TERM");
        return isatty(STDOUT_FILENO) && term && !streq(term, "dumb");
}

char *cli_format_ids(const ApMask *m) {
        if (ap_mask_is_empty(m))
                return strdup("-");
        return ap_list_format(m, AP_LIST_HEX);
}

int cli_mask_from_json(json_object *array, ApMask *ret) {
        ApMask m = {};

        if (!array) {
                *ret = m;
                return 0;
        }
        if (!json_object_is_type(array, json_type_array))
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(array); i++) {
                json_object *v = json_object_array_get_idx(array, i);
                int64_t id;

                if (!json_object_is_type(v, json_type_int))
                        return -EBADMSG;
                id = json_object_get_int64(v);
                if (id < 0 || id > AP_ID_MAX)
                        return -EBADMSG;
                ap_mask_set(&m, (unsigned) id);
        }
        *ret = m;
        return 0;
}

int cli_dispatch_subverb(Cli *cli, int argc, char **argv, const Verb *table, size_t n, void (*help)(void)) {
        const char *verb = cli->verb_name;

        if (argc < 2)
                return cli_fail(cli, CLI_EXIT_USAGE, "which one? 'apctl %s --help' lists them", verb);
        if (streq(argv[1], "-h") || streq(argv[1], "--help")) {
                help();
                return CLI_EXIT_OK;
        }
        for (size_t i = 0; i < n; i++)
                if (streq(table[i].name, argv[1])) {
                        snprintf(cli->verb_buf, sizeof(cli->verb_buf), "%s %s", verb, table[i].name);
                        cli->verb_name = cli->verb_buf;
                        snprintf(cli->prog, sizeof(cli->prog), "apctl %s", cli->verb_buf);
                        argv[1] = cli->prog;
                        optind = 0;
                        return table[i].run(cli, argc - 1, argv + 1);
                }
        return cli_fail(cli, CLI_EXIT_USAGE, "unknown command '%s'; 'apctl %s --help' lists them", argv[1], verb);
}

void cli_print_subverbs(const char *verb, const Verb *table, size_t n) {
        for (size_t i = 0; i < n; i++)
                printf("  apctl %s %-10s %s\n", verb, table[i].name, table[i].summary);
}
