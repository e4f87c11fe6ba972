/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apctl import-mdevctl / export-mdevctl: move a guest between an mdevctl
 * vfio_ap definition file (/etc/mdevctl.d/matrix/UUID) and apctld. The CLI
 * reads and writes the files itself, so apctld never opens a path a client
 * names.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "guest-view.h"
#include "json-util.h"

#define MDEVCTL_FILE_MAX (1024u * 1024u)

static void help_import(void) {
        printf("Usage: apctl import-mdevctl FILE [OPTIONS]\n\n"
               "Define a guest from an mdevctl vfio_ap-passthrough definition (JSON, as in\n"
               "/etc/mdevctl.d/matrix/UUID). The guest keeps the definition's UUID.\n\n"
               "     --uuid=UUID          The mdev's UUID (default: FILE's name, when it is a UUID)\n"
               "     --name=NAME          The guest's name (default: the UUID)\n%s",
               cli_common_help);
}

static void help_export(void) {
        printf("Usage: apctl export-mdevctl NAME [OPTIONS]\n\n"
               "Print a guest as an mdevctl vfio_ap-passthrough definition.\n\n"
               "  -o --output=FILE        Write it to FILE (atomically) instead of printing it\n"
               "     --install            Write it where mdevctl looks (/etc/mdevctl.d/matrix/UUID)\n%s",
               cli_common_help);
}

static int read_text(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EISDIR;
        buf = malloc(MDEVCTL_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + len, MDEVCTL_FILE_MAX + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > MDEVCTL_FILE_MAX)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

typedef struct ImportArgs {
        const char *path;       /* borrowed: argv */
        const char *uuid;       /* borrowed: argv or uuid_buf */
        const char *name;       /* borrowed: argv, or NULL for "named after the UUID" */
        char uuid_buf[64];
} ImportArgs;

/* > 0 exit code, < 0 help printed, 0 parsed and checked. */
static int parse_import_args(Cli *cli, int argc, char **argv, ImportArgs *a) {
        enum { ARG_UUID = CLI_ARG_VERB_BASE, ARG_NAME };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "uuid", required_argument, NULL, ARG_UUID },
                { "name", required_argument, NULL, ARG_NAME },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                r = cli_common_option(cli, c, optarg);
                if (r < 0)
                        return CLI_EXIT_USAGE;
                if (r > 0)
                        continue;
                if (c == 'h') {
                        help_import();
                        return -1;
                }
                if (c == ARG_UUID)
                        a->uuid = optarg;
                else if (c == ARG_NAME)
                        a->name = optarg;
                else
                        return cli_bad_option(cli, argv);
        }
        if (optind >= argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "which file? give the mdevctl definition's path");
        if (optind + 1 < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        a->path = argv[optind];
        if (!a->uuid) {
                /* mdevctl names each definition file after its mdev's UUID. */
                const char *slash = strrchr(a->path, '/');
                snprintf(a->uuid_buf, sizeof(a->uuid_buf), "%s", slash ? slash + 1 : a->path);
                if (!guest_uuid_is_valid(a->uuid_buf))
                        return cli_fail(cli, CLI_EXIT_USAGE,
                                        "'%s' is not named after a UUID as mdevctl names definitions; give --uuid",
                                        a->path);
                a->uuid = a->uuid_buf;
        } else if (!guest_uuid_is_valid(a->uuid))
                return cli_fail(cli, CLI_EXIT_USAGE, "--uuid: '%s' is not a lower-case UUID", a->uuid);
        if (a->name)
                return cli_check_guest_name(cli, a->name);
        return 0;
}

int verb_import_mdevctl(Cli *cli, int argc, char **argv) {
        _cleanup_json_ json_object *def = NULL, *params = NULL, *reply = NULL;
        _cleanup_free_ char *text = NULL;
        ImportArgs a = {};
        JsonError e = {};
        size_t len;
        int r;

        r = parse_import_args(cli, argc, argv, &a);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        r = read_text(a.path, &text, &len);
        if (r < 0)
                return cli_fail(cli, r == -ENOENT ? CLI_EXIT_NOT_FOUND : r == -ENOMEM ? CLI_EXIT_FAILURE : CLI_EXIT_USAGE,
                                "cannot read %s: %s", a.path,
                                r == -EFBIG ? "larger than 1 MiB" : r == -EISDIR ? "not a regular file" : strerror(-r));
        if (json_parse_limited(text, len, 8, &def, &e) < 0)
                return cli_fail(cli, CLI_EXIT_USAGE, "%s is not JSON: %s", a.path, e.message);
        /* apctld would refuse this inline; parsed here, json-c would drop a key given twice unseen. */
        if (json_check_keys(text, len, def, &e) < 0)
                return cli_fail(cli, CLI_EXIT_USAGE, "%s: %s", a.path, e.message);
        params = json_object_new_object();
        if (!params || json_add_string(params, "uuid", a.uuid) < 0 ||
            (a.name && json_add_string(params, "name", a.name) < 0) || json_add(params, "mdevctl", TAKE_PTR(def)) < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        r = cli_call(cli, "io.apctl.Guest.Import", TAKE_PTR(params), &reply);
        if (r != CLI_EXIT_OK)
                return r;
        return cli->json ? cli_print_json(cli, reply) : guest_print_summary(cli, reply, "imported");
}

/* Temp file next to path, fsync, rename over path, fsync the directory: never a torn file. */
static int write_atomic(const char *path, const char *text) {
        _cleanup_free_ char *tmp = NULL, *dir_copy = strdup(path);
        _cleanup_close_ int fd = -EBADF, dfd = -EBADF;
        size_t len = strlen(text), done = 0;
        int r;

        if (!dir_copy || asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return -ENOMEM;
        dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        while (done < len) {
                ssize_t n = write(fd, text + done, len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        goto fail;
                done += (size_t) n;
        }
        if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0)
                goto fail;
        (void) fsync(dfd);
        return 0;
fail:
        r = negative_errno();
        (void) unlink(tmp);
        return r;
}

typedef struct ExportArgs {
        const char *name;       /* borrowed: argv */
        const char *output;     /* borrowed: argv, or NULL */
        bool install;
} ExportArgs;

/* > 0 exit code, < 0 help printed, 0 parsed and checked. */
static int parse_export_args(Cli *cli, int argc, char **argv, ExportArgs *a) {
        enum { ARG_INSTALL = CLI_ARG_VERB_BASE };
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "output", required_argument, NULL, 'o' },
                { "install", no_argument, NULL, ARG_INSTALL },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "ho:", options, NULL)) >= 0) {
                r = cli_common_option(cli, c, optarg);
                if (r < 0)
                        return CLI_EXIT_USAGE;
                if (r > 0)
                        continue;
                if (c == 'h') {
                        help_export();
                        return -1;
                }
                if (c == 'o')
                        a->output = optarg;
                else if (c == ARG_INSTALL)
                        a->install = true;
                else
                        return cli_bad_option(cli, argv);
        }
        if (optind >= argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "which guest? give its name");
        if (optind + 1 < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind + 1]);
        if (a->output && a->install)
                return cli_fail(cli, CLI_EXIT_USAGE, "give --output or --install, not both");
        a->name = argv[optind];
        return cli_check_guest_name(cli, a->name);
}

int verb_export_mdevctl(Cli *cli, int argc, char **argv) {
        _cleanup_json_ json_object *params = NULL, *reply = NULL;
        _cleanup_free_ char *text = NULL;
        ExportArgs a = {};
        const char *target;
        json_object *def, *where;
        int r;

        r = parse_export_args(cli, argc, argv, &a);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        params = json_object_new_object();
        if (!params || json_add_string(params, "name", a.name) < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        r = cli_call(cli, "io.apctl.Guest.Export", TAKE_PTR(params), &reply);
        if (r != CLI_EXIT_OK)
                return r;
        if (!json_object_object_get_ex(reply, "mdevctl", &def) || !json_object_is_type(def, json_type_object) ||
            !json_object_object_get_ex(reply, "path", &where) || !json_object_is_type(where, json_type_string))
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld's Guest.Export reply is not as apctl expects");
        if (cli->json && !a.output && !a.install)
                return cli_print_json(cli, reply);
        if (asprintf(&text, "%s\n", json_object_to_json_string_ext(def, JSON_C_TO_STRING_PRETTY |
                                                                                JSON_C_TO_STRING_SPACED)) < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        if (!a.output && !a.install) {
                fputs(text, stdout);
                return CLI_EXIT_OK;
        }
        target = a.output ?: json_object_get_string(where);
        r = write_atomic(target, text);
        if (r < 0)
                return cli_fail(cli, r == -ENOENT ? CLI_EXIT_NOT_FOUND : r == -EACCES || r == -EPERM ? CLI_EXIT_DENIED :
                                                                                                     CLI_EXIT_FAILURE,
                                "cannot write %s: %s", target, strerror(-r));
        if (cli->json)
                return cli_print_json(cli, reply);
        printf("Wrote %s\n", target);
        return CLI_EXIT_OK;
}
