/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apctl policy check|show|reload. check, and show DIR, read the policy
 * files with the policy library itself, so they work without apctld (and
 * check a draft before it is installed); show without DIR asks apctld for
 * the policy it enforces (after a failed reload, not what the files say);
 * reload asks apctld to load the files. A missing default directory is no
 * error for check: apctld then runs on the built-in policy.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"

#include "cli.h"
#include "json-util.h"
#include "policy.h"

#define POLICY_DIR APCTL_SYSCONFDIR "/policy.d"

static int policy_check(Cli *cli, int argc, char **argv);
static int policy_show(Cli *cli, int argc, char **argv);
static int policy_reload(Cli *cli, int argc, char **argv);

static const Verb policy_verbs[] = {
        { "check",  policy_check,  "[PATH]  Validate a policy file or directory (default " POLICY_DIR ")" },
        { "show",   policy_show,   "[DIR]   Print the policy apctld enforces, or the merged policy of DIR" },
        { "reload", policy_reload, "        Make apctld load the policy directory again" },
};

static void help(void) {
        printf("Usage: apctl policy check|show|reload [PATH] [OPTIONS]\n\n");
        cli_print_subverbs("policy", policy_verbs, ELEMENTSOF(policy_verbs));
        printf("\ncheck and show DIR need no daemon. Files given as PATH may belong to anyone (drafts);\n"
               "the default directory must belong to root, as apctld requires, and while it does not exist\n"
               "apctld uses its built-in policy, which check reports. Format: apctl-policy(5).\n\n%s",
               cli_common_help);
}

/* Options: the common ones, and at most one PATH. > 0 exit code, < 0 help printed. */
static int parse_path_args(Cli *cli, int argc, char **argv, const char **ret_path) {
        int r = cli_parse_common_options(cli, argc, argv, help);

        if (r != 0)
                return r;
        if (optind + 1 < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        *ret_path = optind < argc ? argv[optind] : NULL;
        return 0;
}

/* Load PATH (file or directory), or the system directory with apctld's ownership rules. */
static int load(const char *path, Policy **ret, PolicyError *error) {
        PolicyLoadOptions any_owner = { .owner_uid = POLICY_OWNER_ANY };
        struct stat st;

        if (!path)
                return policy_load_directory(POLICY_DIR, NULL, ret, error);
        if (stat(path, &st) < 0) {
                snprintf(error->text, sizeof(error->text), "%s: %m", path);
                return negative_errno();
        }
        if (S_ISDIR(st.st_mode))
                return policy_load_directory(path, &any_owner, ret, error);
        return policy_load_file(path, &any_owner, ret, error);
}

static int policy_check(Cli *cli, int argc, char **argv) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_json_ json_object *o = NULL;
        PolicyError error = {};
        const char *path = NULL;  /* set by parse_path_args() on success; GCC -O3 cannot see that */
        bool builtin;
        int r;

        r = parse_path_args(cli, argc, argv, &path);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        r = load(path, &p, &error);
        /* apctld runs on its built-in policy while the default directory is missing, so that is no error. */
        builtin = !path && r == -ENOENT;
        if (builtin)
                r = 0;
        if (cli->json) {
                o = json_object_new_object();
                if (!o || json_add_string(o, "path", path ?: POLICY_DIR) < 0 || json_add_bool(o, "valid", r >= 0) < 0 ||
                    json_add_bool(o, "builtin", builtin) < 0 ||
                    (r < 0 && (json_add_string(o, "code", policy_error_code_to_string(error.code)) < 0 ||
                               json_add_string(o, "file", error.file) < 0 || json_add_int(o, "line", error.line) < 0 ||
                               json_add_string(o, "message", error.message[0] ? error.message : error.text) < 0)))
                        return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
                cli_print_json(cli, o);
        }
        if (r == -ENOENT)
                return cli_fail(cli, CLI_EXIT_NOT_FOUND, "%s", error.text[0] ? error.text : "no such file or directory");
        if (r == -ENOMEM)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        if (r < 0)
                return cli_fail(cli, CLI_EXIT_USAGE, "%s", error.text[0] ? error.text : strerror(-r));
        if (cli->json)
                return CLI_EXIT_OK;
        if (builtin)
                printf("%s does not exist: apctld uses its built-in policy (group apctl may read, root may change)\n",
                       POLICY_DIR);
        else
                printf("%s: valid\n", path ?: POLICY_DIR);
        return CLI_EXIT_OK;
}

/* The policy apctld enforces, as io.apctl.Policy.Show gives it. */
static int policy_show_daemon(Cli *cli) {
        _cleanup_json_ json_object *reply = NULL;
        json_object *text;
        int r;

        r = cli_call(cli, "io.apctl.Policy.Show", NULL, &reply);
        if (r != CLI_EXIT_OK)
                return r;
        if (cli->json)
                return cli_print_json(cli, reply);
        if (!json_object_object_get_ex(reply, "policy", &text) || !json_object_is_type(text, json_type_string))
                return cli_fail(cli, CLI_EXIT_FAILURE, "apctld's Policy.Show reply has no 'policy' text");
        fputs(json_object_get_string(text), stdout);
        return CLI_EXIT_OK;
}

static int policy_show(Cli *cli, int argc, char **argv) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *text = NULL;
        PolicyError error = {};
        const char *path = NULL;  /* set by parse_path_args() on success; GCC -O3 cannot see that */
        int r;

        r = parse_path_args(cli, argc, argv, &path);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if (!path)
                return policy_show_daemon(cli);
        r = load(path, &p, &error);
        if (r == -ENOENT)
                return cli_fail(cli, CLI_EXIT_NOT_FOUND, "%s", error.text);
        if (r < 0)
                return cli_fail(cli, r == -ENOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_USAGE, "%s",
                                error.text[0] ? error.text : strerror(-r));
        r = policy_format(p, &text);
        if (r < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "cannot format the policy: %s", strerror(-r));
        if (cli->json) {
                _cleanup_json_ json_object *o = json_object_new_object();
                if (!o || json_add_string(o, "source", path) < 0 || json_add_string(o, "policy", text) < 0)
                        return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
                return cli_print_json(cli, o);
        }
        fputs(text, stdout);
        return CLI_EXIT_OK;
}

static int policy_reload(Cli *cli, int argc, char **argv) {
        _cleanup_json_ json_object *reply = NULL;
        const char *path = NULL;  /* set by parse_path_args() on success; GCC -O3 cannot see that */
        int r;

        r = parse_path_args(cli, argc, argv, &path);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if (path)
                return cli_fail(cli, CLI_EXIT_USAGE, "reload takes no path; apctld reads " POLICY_DIR);
        r = cli_call(cli, "io.apctl.Policy.Reload", NULL, &reply);
        if (r != CLI_EXIT_OK)
                return r;
        if (cli->json)
                return cli_print_json(cli, reply);
        printf("apctld reloaded its policy.\n");
        return CLI_EXIT_OK;
}

int verb_policy(Cli *cli, int argc, char **argv) {
        return cli_dispatch_subverb(cli, argc, argv, policy_verbs, ELEMENTSOF(policy_verbs), help);
}
