/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One call to apctld and everything that can go wrong with it, turned into
 * one message and one exit code: the table below maps the daemon's stable
 * error names to exit codes and to a hint saying what to do next.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json-util.h"
#include "varlink-client.h"

static const struct {
        const char *name;               /* borrowed: stable error name */
        int exit_code;
        const char *hint;               /* borrowed: NULL when the message says it all */
} error_table[] = {
        { VARLINK_ERROR_INVALID_PARAMETER,   CLI_EXIT_USAGE,       NULL },
        { VARLINK_ERROR_METHOD_NOT_FOUND,    CLI_EXIT_UNAVAILABLE, "this apctld is older than apctl; update apctld" },
        { VARLINK_ERROR_INTERFACE_NOT_FOUND, CLI_EXIT_UNAVAILABLE, "this apctld is older than apctl; update apctld" },
        { VARLINK_ERROR_PERMISSION_DENIED,   CLI_EXIT_DENIED,      "run it as root, or as a user the policy allows" },
        { VARLINK_ERROR_EXPECTED_MORE,       CLI_EXIT_FAILURE,     NULL },
        { APCTL_ERROR_NO_SUCH_GUEST,         CLI_EXIT_NOT_FOUND,   "'apctl guest list' shows the defined guests" },
        { APCTL_ERROR_NO_SUCH_DEVICE,        CLI_EXIT_NOT_FOUND,   "'apctl list' shows the adapters and domains of this host" },
        { APCTL_ERROR_GUEST_EXISTS,          CLI_EXIT_CONFLICT,    "pick another name, or change the guest with 'apctl guest modify'" },
        { APCTL_ERROR_GUEST_RUNNING,         CLI_EXIT_CONFLICT,    NULL },
        { APCTL_ERROR_GUEST_NOT_RUNNING,     CLI_EXIT_CONFLICT,    "start it with 'apctl guest start'" },
        { APCTL_ERROR_CONFLICT,              CLI_EXIT_CONFLICT,    "detach it from its guest first ('apctl guest detach'), or pick a free one: 'apctl matrix' shows who owns each APQN" },
        { APCTL_ERROR_RESERVED_BY_HOST,      CLI_EXIT_CONFLICT,    "release it from the host first with 'apctl host release'" },
        { APCTL_ERROR_UNSUPPORTED_CARD,      CLI_EXIT_CONFLICT,    "pick a CEX4 or newer adapter; 'apctl list' shows the types" },
        { APCTL_ERROR_POLICY_DENIED,         CLI_EXIT_DENIED,      "'apctl policy show' prints the rules in force" },
        { APCTL_ERROR_INVALID_POLICY,        CLI_EXIT_USAGE,       "fix the file and line named; 'apctl policy show' prints the policy still in force" },
        { APCTL_ERROR_BUSY,                  CLI_EXIT_BUSY,        "the resource is in use; try again later" },
        { APCTL_ERROR_KERNEL_TIMEOUT,        CLI_EXIT_BUSY,        "'apctl status' shows whether the change was rolled back" },
        { APCTL_ERROR_LIMIT,                 CLI_EXIT_BUSY,        NULL },
        { APCTL_ERROR_KERNEL,                CLI_EXIT_KERNEL,      "'journalctl -u apctld' has the details" },
        { APCTL_ERROR_INTERNAL,              CLI_EXIT_FAILURE,     NULL },
};

/* Where a method's error means something else than the table's hint says. */
static const struct {
        const char *method;             /* borrowed */
        const char *name;               /* borrowed: stable error name */
        const char *hint;               /* borrowed */
} method_hint_table[] = {
        /* Reconcile changes nothing when its read of the kernel hangs: there is no change to roll back. */
        { "io.apctl.Reconcile", APCTL_ERROR_KERNEL_TIMEOUT,
          "a read of the kernel hangs; 'journalctl -u apctld' says when it returns, then run 'apctl reconcile' again" },
};

static const char *method_hint(const char *method, const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(method_hint_table); i++)
                if (streq(method_hint_table[i].method, method) && streq(method_hint_table[i].name, name))
                        return method_hint_table[i].hint;
        return NULL;
}

static int error_lookup(const char *name, const char **ret_hint) {
        for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
                if (streq(error_table[i].name, name)) {
                        if (ret_hint)
                                *ret_hint = error_table[i].hint;
                        return error_table[i].exit_code;
                }
        if (ret_hint)
                *ret_hint = NULL;
        return CLI_EXIT_FAILURE;
}

int cli_exit_from_error_name(const char *name) {
        return error_lookup(name, NULL);
}

int cli_fail(const Cli *cli, int code, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "apctl%s%s: ", cli->verb_name ? " " : "", cli->verb_name ?: "");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return code;
}

static int fail_transport(const Cli *cli, int r) {
        switch (r) {
        case -ETIMEDOUT:
                return cli_fail(cli, CLI_EXIT_BUSY, "apctld did not answer within %u ms (--timeout)",
                                cli->timeout_msec);
        case -EACCES:
        case -EPERM:
                return cli_fail(cli, CLI_EXIT_DENIED, "cannot connect to %s: %s; run it as root or as a member of the apctl group",
                                cli->socket_path, strerror(-r));
        case -ENAMETOOLONG:
                return cli_fail(cli, CLI_EXIT_USAGE, "socket path '%s' is too long", cli->socket_path);
        case -EBADMSG:
        case -EMSGSIZE:
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld at %s sent a reply apctl cannot read (%s)",
                                cli->socket_path, strerror(-r));
        case -ENOMEM:
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        default:
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE,
                                "cannot talk to apctld at %s: %s; is it running? (systemctl start apctld.socket)",
                                cli->socket_path, strerror(-r));
        }
}

static int fail_error_reply(const Cli *cli, const char *method, json_object *msg) {
        json_object *params = json_object_object_get(msg, "parameters");
        const char *name = json_object_get_string(json_object_object_get(msg, "error"));
        json_object *message = params ? json_object_object_get(params, "message") : NULL;
        const char *hint;
        int code = error_lookup(name, &hint);

        hint = method_hint(method, name) ?: hint;

        cli_fail(cli, code, "%s", message && json_object_is_type(message, json_type_string) ?
                                          json_object_get_string(message) : name);
        if (hint)
                fprintf(stderr, "Hint: %s.\n", hint);
        return code;
}

int cli_call(Cli *cli, const char *method, json_object *parameters, json_object **ret_reply) {
        _cleanup_(varlink_client_freep) VarlinkClient *c = NULL;
        _cleanup_json_ json_object *params = parameters, *msg = NULL;
        json_object *error, *reply;
        int r;

        r = varlink_client_connect(cli->socket_path, &c);
        if (r < 0)
                return fail_transport(cli, r);
        r = varlink_client_send(c, method, TAKE_PTR(params), false, (int) cli->timeout_msec);
        if (r >= 0)
                r = varlink_client_receive(c, (int) cli->timeout_msec, &msg);
        if (r < 0)
                return fail_transport(cli, r);
        if (json_object_object_get_ex(msg, "error", &error)) {
                if (!json_object_is_type(error, json_type_string))
                        return fail_transport(cli, -EBADMSG);
                return fail_error_reply(cli, method, msg);
        }
        reply = json_object_object_get(msg, "parameters");
        if (reply && !json_object_is_type(reply, json_type_object))
                return fail_transport(cli, -EBADMSG);
        *ret_reply = reply ? json_object_get(reply) : json_object_new_object();
        if (!*ret_reply)
                return fail_transport(cli, -ENOMEM);
        return CLI_EXIT_OK;
}

bool cli_json_pretty(const Cli *cli) {
        /* Pretty for a person at a terminal, one line for scripts and pipes. */
        return cli->json_format == CLI_JSON_PRETTY || (cli->json_format == CLI_JSON_AUTO && isatty(STDOUT_FILENO));
}

int cli_print_json(const Cli *cli, json_object *o) {
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE;
        const char *s;

        if (cli_json_pretty(cli))
                flags |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
        else
                flags |= JSON_C_TO_STRING_PLAIN;
        s = json_object_to_json_string_ext(o, flags);
        if (!s)
                return CLI_EXIT_FAILURE;
        fputs(s, stdout);
        fputc('\n', stdout);
        return CLI_EXIT_OK;
}
