/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every apctl verb shares: the exit codes (apctl(8) documents them),
 * the global options, the verb table entry, and the helpers verbs use to
 * talk to apctld, parse ids and print errors.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "ap-mask.h"
#include "macro.h"

/* Exit codes: stable, distinct, one per error class a script may branch on. */
typedef enum CliExit {
        CLI_EXIT_OK = 0,
        CLI_EXIT_FAILURE = 1,           /* anything not below: internal error, out of memory */
        CLI_EXIT_USAGE = 2,             /* bad option, id, name or parameter */
        CLI_EXIT_NOT_FOUND = 3,         /* no such guest, adapter, APQN or file */
        CLI_EXIT_CONFLICT = 4,          /* in use by a guest or the host, or wrong state */
        CLI_EXIT_DENIED = 5,            /* permission or policy */
        CLI_EXIT_BUSY = 6,              /* busy, timed out, or a daemon limit reached */
        CLI_EXIT_UNAVAILABLE = 7,       /* apctld not reachable, or lacks the method */
        CLI_EXIT_KERNEL = 8,            /* the kernel refused a change */
} CliExit;

typedef enum CliJsonFormat {
        CLI_JSON_AUTO,                  /* pretty on a terminal, one line otherwise */
        CLI_JSON_PRETTY,
        CLI_JSON_SHORT,
} CliJsonFormat;

typedef enum CliColor {
        CLI_COLOR_AUTO,
        CLI_COLOR_ALWAYS,
        CLI_COLOR_NEVER,
} CliColor;

#define CLI_SOCKET_DEFAULT "/run/apctl/apctld.sock"
#define CLI_TIMEOUT_MSEC_DEFAULT 60000u /* longer than apctld's own 30 s kernel timeout */

typedef struct Cli {
        const char *socket_path;        /* borrowed: argv or environment */
        unsigned timeout_msec;
        bool json;
        CliJsonFormat json_format;
        CliColor color;
        const char *verb_name;          /* borrowed: for messages, "guest define" (may point to verb_buf) */
        char verb_buf[64];
        char prog[80];                  /* "apctl guest define": argv[0] for getopt's messages */
} Cli;

typedef struct Verb {
        const char *name;               /* borrowed: static string */
        int (*run)(Cli *cli, int argc, char **argv);
        const char *summary;            /* borrowed: one line for apctl --help */
} Verb;

/* Verbs, one file each; argv[0] is the verb name, return a CliExit. */
int verb_list(Cli *cli, int argc, char **argv);
int verb_matrix(Cli *cli, int argc, char **argv);
int verb_host(Cli *cli, int argc, char **argv);
int verb_guest(Cli *cli, int argc, char **argv);
int verb_events(Cli *cli, int argc, char **argv);
int verb_status(Cli *cli, int argc, char **argv);
int verb_reconcile(Cli *cli, int argc, char **argv);
int verb_policy(Cli *cli, int argc, char **argv);
int verb_import_mdevctl(Cli *cli, int argc, char **argv);
int verb_export_mdevctl(Cli *cli, int argc, char **argv);

/*
 * For verbs with sub-verbs (guest, host, policy): run the one argv[1]
 * names with argv + 1, or print help (-h/--help), or fail with a usage error.
 */
int cli_dispatch_subverb(Cli *cli, int argc, char **argv, const Verb *table, size_t n, void (*help)(void));
/* "  apctl guest define   Define a guest" lines for a help text. */
void cli_print_subverbs(const char *verb, const Verb *table, size_t n);

/*
 * Call one method; on success *ret_reply holds the reply's parameters.
 * Failures (connection, timeout, or an error reply) are printed here, once,
 * and turned into the exit code to return; *ret_reply is then untouched.
 */
int cli_call(Cli *cli, const char *method, json_object *parameters, json_object **ret_reply);

/* "apctl guest define: <message>" on stderr; returns code. */
int cli_fail(const Cli *cli, int code, const char *fmt, ...) _printf_(3, 4);

/* Map a daemon error name to an exit code, through one table. */
int cli_exit_from_error_name(const char *name);

/* Does --json mean the indented form here (--json=pretty, or auto on a terminal)? */
bool cli_json_pretty(const Cli *cli);
/* Print a JSON value on stdout in the --json format, with a final newline. */
int cli_print_json(const Cli *cli, json_object *o);

/*
 * Option parsing helpers: id lists ("0-3,5,0x1a"), APQN lists
 * ("05.0001,06.0002"), guest names. On failure they print what is wrong
 * and return CLI_EXIT_USAGE.
 */
int cli_parse_id_list(const Cli *cli, const char *option, const char *s, unsigned max, ApMask *ret);
int cli_parse_apqn_list(const Cli *cli, const char *option, const char *s, ApMask *ret_adapters,
                        ApMask *ret_domains);
int cli_check_guest_name(const Cli *cli, const char *name);

/* Getopt glue: the usage error for an unknown option or a missing argument. */
int cli_bad_option(const Cli *cli, char **argv);

/*
 * The option loop of a verb that takes only the common options: 0 to go on
 * (optind at the first argument), CLI_EXIT_USAGE (message printed) on a bad
 * option, or -1 when --help was printed (the verb then exits with
 * CLI_EXIT_OK).
 */
int cli_parse_common_options(Cli *cli, int argc, char **argv, void (*help)(void));

/*
 * Options every verb accepts, before or after the verb: put
 * CLI_COMMON_OPTIONS in each getopt table and hand every option to
 * cli_common_option() first: 1 when it was one of these, 0 when not,
 * negative errno (message printed) when its value is bad.
 */
enum {
        CLI_ARG_JSON = 0x1000,
        CLI_ARG_SOCKET,
        CLI_ARG_COLOR,
        CLI_ARG_TIMEOUT,
        CLI_ARG_VERB_BASE = 0x1100,     /* verbs number their own options from here */
};
#define CLI_COMMON_OPTIONS                                              \
        { "help", no_argument, NULL, 'h' },                             \
        { "json", optional_argument, NULL, CLI_ARG_JSON },              \
        { "socket", required_argument, NULL, CLI_ARG_SOCKET },          \
        { "color", required_argument, NULL, CLI_ARG_COLOR },            \
        { "timeout", required_argument, NULL, CLI_ARG_TIMEOUT }
int cli_common_option(Cli *cli, int c, const char *arg);
/* The common options' lines for --help texts. */
extern const char cli_common_help[];

#define GUEST_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-"
#define CLI_GUEST_NAME_MAX 64

/* Should output be colored? (--color, and for auto: is stdout a terminal and TERM not "dumb") */
bool cli_use_color(const Cli *cli);

/* Id masks as the CLI prints them: "0x05-0x06,0x0a", or "-" when empty. malloc'd. */
char *cli_format_ids(const ApMask *m);
/* A JSON array of ids (as apctld sends them) into a mask; ids > 255 and non-integers are refused. */
int cli_mask_from_json(json_object *array, ApMask *ret);
