/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mdevctl callout (linked as /usr/lib/mdevctl/scripts.d/callouts/00-apctl,
 * the name in cli/hooks/meson.build): gives mdevctl, and libvirt's node
 * devices through it, apctl's checks for vfio_ap-passthrough devices on the
 * matrix parent.
 *
 *   SCRIPT -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT
 *
 * mdevctl uses the first script of its directory that does not exit 2
 * (1.3+ in byte order; 1.2.0 in directory order), and s390-tools' ap-check
 * claims the same devices: the name sorts before "ap-check" so that apctl's
 * checks are the ones that run.
 *
 * Another type or parent: exit 2 ("not mine"). So is every device while
 * apctld does not run on this host (no socket, or nobody listening): then
 * the host is as if apctl were not installed, and the next script (ap-check
 * on s390 hosts) guards it. That includes get capabilities, so that a
 * mdevctl 1.3+, which picks one versioned script per type and keeps it for
 * the whole command, picks ap-check then. Otherwise, with the device's
 * configuration JSON on stdin for pre/post/live:
 *   pre define|modify|start   io.apctl.Guest.Check; exit 1 with apctld's
 *                             message when apctld refuses
 *   live modify               (mdevctl 1.3+) the same check, then the change
 *                             itself through io.apctl.Guest.Modify (hot plug)
 *                             for an apctl guest; refused for other mdevs
 *   get attributes            any running vfio_ap mdev's assignment, read
 *                             from the kernel (once chosen, this script is
 *                             the only one mdevctl asks, apctl guest or not)
 *   get capabilities          (mdevctl 1.3+) the versioned protocol, version 2
 *   anything else             exit 0
 * Both mdevctl 1.2 (unversioned) and 1.3+ call it this way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ap-mask.h"
#include "apctld-call.h"
#include "guest-view.h"
#include "json-ap.h"
#include "json-util.h"
#include "macro.h"
#include "varlink-protocol.h"

#define CALLOUT_TYPE "vfio_ap-passthrough"
#define CALLOUT_PARENT "matrix"
#define CALLOUT_STDIN_MAX (1u << 20)
/* A full 256 x 256 matrix is 65536 lines of 8 bytes. */
#define CALLOUT_SYSFS_ATTR_MAX (1u << 20)
#define CALLOUT_SYSFS_ROOT_DEFAULT "/sys"
#define EXIT_NOT_MINE 2

typedef struct Callout {
        const char *type, *event, *action, *state, *uuid, *parent;     /* borrowed from argv */
        ApctldCall call;
} Callout;

typedef int (*CalloutHandler)(Callout *c);

static int callout_fail(const Callout *c, const char *fmt, ...) _printf_(2, 3);
static int callout_fail(const Callout *c, const char *fmt, ...) {
        va_list ap;

        /* mdevctl prefixes the script's name ("apctl: ") when it shows this. */
        fprintf(stderr, "%s%s refused: ", streq(c->event, "live") ? "live " : "", c->action);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAILURE;
}

/* The configuration mdevctl sends, reduced to what apctld's mdevctl format has. */
static int read_config(Callout *c, json_object **ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *o = NULL, *out = json_object_new_object();
        static const char *const keys[] = { "mdev_type", "start", "attrs" };
        JsonError e = {};
        size_t len;
        int r;

        r = read_all_fd(STDIN_FILENO, CALLOUT_STDIN_MAX, c->call.deadline_usec, &text, &len);
        if (r < 0)
                return callout_fail(c, "cannot read the device configuration on stdin: %s",
                                    r == -E2BIG ? "larger than 1 MiB" : strerror(-r)), r;
        if (json_parse_limited(text, len, 8, &o, &e) < 0 || !json_object_is_type(o, json_type_object))
                return callout_fail(c, "the configuration on stdin is not a JSON object: %s",
                                    e.message[0] ? e.message : "wrong type"), -EBADMSG;
        /* As apctld checks a definition sent inline: json-c drops a key given twice, cuts one at a NUL. */
        if (json_check_keys(text, len, o, &e) < 0)
                return callout_fail(c, "the configuration on stdin: %s", e.message), -EINVAL;
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_object *v;
                if (json_object_object_get_ex(o, keys[i], &v) && json_add(out, keys[i], json_object_get(v)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

/* io.apctl.Guest.Check of the configuration on stdin; 0 with the reply, or the exit code already reported (>0). */
static int check(Callout *c, const char *what, json_object **ret_reply) {
        _cleanup_json_ json_object *config = NULL, *params = json_object_new_object();
        ApctldError e = {};
        int r;

        r = read_config(c, &config);
        if (r < 0)
                return EXIT_FAILURE;
        if (!params || json_add_string(params, "uuid", c->uuid) < 0 || json_add_string(params, "action", what) < 0 ||
            json_add(params, "mdevctl", TAKE_PTR(config)) < 0)
                return callout_fail(c, "out of memory");
        r = apctld_call(&c->call, "io.apctl.Guest.Check", TAKE_PTR(params), ret_reply, &e);
        if (r < 0)
                return callout_fail(c, "%s", e.message);
        return 0;
}

static int handle_pre(Callout *c) {
        _cleanup_json_ json_object *reply = NULL;

        return check(c, c->action, &reply);
}

static int handle_live_modify(Callout *c) {
        _cleanup_json_ json_object *reply = NULL, *params = NULL;
        json_object *guest, *config;
        ApctldError e = {};
        int r;

        r = check(c, "live", &reply);
        if (r != 0)
                return r;
        if (!json_object_object_get_ex(reply, "guest", &guest))
                return callout_fail(c, "mdev %s is not an apctl guest, and apctl changes only its own guests live; "
                                    "import it first (apctl import-mdevctl FILE)", c->uuid);
        if (!json_object_object_get_ex(reply, "config", &config) || !json_object_is_type(config, json_type_object))
                return callout_fail(c, "apctld's Guest.Check reply has no configuration");
        /* Same ids as checked; live: the running mdev follows in the same transaction. */
        params = json_object_new_object();
        if (!params || json_add_string(params, "name", json_object_get_string(guest)) < 0 ||
            json_add(params, "live", json_object_new_boolean(true)) < 0)
                return callout_fail(c, "out of memory");
        json_object_object_foreach(config, key, value)
                if (json_add(params, key, json_object_get(value)) < 0)
                        return callout_fail(c, "out of memory");
        r = apctld_call(&c->call, "io.apctl.Guest.Modify", TAKE_PTR(params), NULL, &e);
        if (r < 0)
                return callout_fail(c, "%s", e.message);
        return EXIT_SUCCESS;
}

static int append_attrs(json_object *attrs, const ApMask *ids, const char *name, int hex_digits) {
        AP_MASK_FOREACH(id, ids) {
                _cleanup_json_ json_object *a = json_object_new_object();
                char value[16];

                snprintf(value, sizeof(value), "0x%0*x", hex_digits, (unsigned) id);
                if (!a || json_add_string(a, name, value) < 0 || json_append(attrs, TAKE_PTR(a)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* One attribute of the mdev from sysfs; -ENOENT when the mdev (or the attribute) is not there. */
static int read_mdev_attr(const Callout *c, const char *attr, char **ret) {
        const char *root = getenv("APCTL_SYSFS_ROOT");
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len;

        if (asprintf(&path, "%s/devices/vfio_ap/matrix/%s/%s", root && *root ? root : CALLOUT_SYSFS_ROOT_DEFAULT,
                     c->uuid, attr) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return read_all_fd(fd, CALLOUT_SYSFS_ATTR_MAX, c->call.deadline_usec, ret, &len);
}

/*
 * What the kernel has assigned to a running mdev, as mdevctl attributes, for
 * every vfio_ap mdev: where apctl's callout is the one mdevctl chose, ap-check
 * is not asked, and mdevctl list must not lose the other mdevs' attributes.
 * Nothing for an mdev that is not (or no longer) there.
 */
static int handle_get_attributes(Callout *c) {
        _cleanup_free_ char *matrix = NULL, *control = NULL;
        _cleanup_json_ json_object *attrs = json_object_new_array();
        ApMask adapters, domains, control_domains;
        ApParseError pe = {};
        int r;

        if (!guest_uuid_is_valid(c->uuid))
                return callout_fail(c, "'%s' is not an mdev UUID", c->uuid);
        r = read_mdev_attr(c, "matrix", &matrix);
        if (r >= 0)
                r = read_mdev_attr(c, "control_domains", &control);
        if (r == -ENOENT)
                return EXIT_SUCCESS;    /* not running, or being removed */
        if (r < 0)
                return callout_fail(c, "cannot read mdev %s in sysfs: %s", c->uuid, strerror(-r));
        if (ap_matrix_parse(matrix, &adapters, &domains, &pe) < 0 ||
            ap_domain_lines_parse(control, &control_domains, &pe) < 0)
                return callout_fail(c, "mdev %s: the kernel's assignment is unreadable: %s", c->uuid, pe.message);
        if (!attrs || append_attrs(attrs, &adapters, "assign_adapter", 2) < 0 ||
            append_attrs(attrs, &domains, "assign_domain", 4) < 0 ||
            append_attrs(attrs, &control_domains, "assign_control_domain", 4) < 0)
                return callout_fail(c, "out of memory");
        printf("%s\n", json_object_to_json_string_ext(attrs, JSON_C_TO_STRING_PLAIN));
        return EXIT_SUCCESS;
}

static int handle_get_capabilities(Callout *c) {
        static const char *const actions[] = {
                "start", "stop", "define", "undefine", "modify", "attributes", "capabilities",
        };
        static const char *const events[] = { "pre", "post", "notify", "get", "live" };
        _cleanup_json_ json_object *o = json_object_new_object(), *s = json_object_new_object(),
                                   *a = json_object_new_array(), *ev = json_object_new_array();
        _cleanup_free_ char *provides = NULL;
        size_t len;

        /* mdevctl says what it provides on stdin; version 2 is all we speak and all it offers. */
        (void) read_all_fd(STDIN_FILENO, CALLOUT_STDIN_MAX, c->call.deadline_usec, &provides, &len);
        if (!o || !s || !a || !ev)
                return callout_fail(c, "out of memory");
        for (size_t i = 0; i < ELEMENTSOF(actions); i++)
                if (json_append(a, json_object_new_string(actions[i])) < 0)
                        return callout_fail(c, "out of memory");
        for (size_t i = 0; i < ELEMENTSOF(events); i++)
                if (json_append(ev, json_object_new_string(events[i])) < 0)
                        return callout_fail(c, "out of memory");
        if (json_add(s, "version", json_object_new_int(2)) < 0 || json_add(s, "actions", TAKE_PTR(a)) < 0 ||
            json_add(s, "events", TAKE_PTR(ev)) < 0 || json_add(o, "supports", TAKE_PTR(s)) < 0)
                return callout_fail(c, "out of memory");
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        return EXIT_SUCCESS;
}

/* post and notify: nothing to check; stdin is drained so mdevctl's write cannot fail. */
static int handle_drain(Callout *c) {
        _cleanup_free_ char *text = NULL;
        size_t len;

        (void) read_all_fd(STDIN_FILENO, CALLOUT_STDIN_MAX, c->call.deadline_usec, &text, &len);
        return EXIT_SUCCESS;
}

static const struct {
        const char *event;      /* borrowed */
        const char *action;     /* borrowed; NULL: any */
        CalloutHandler handler;
} callout_table[] = {
        { "pre",    "define",       handle_pre },
        { "pre",    "modify",       handle_pre },
        { "pre",    "start",        handle_pre },
        { "live",   "modify",       handle_live_modify },
        { "get",    "attributes",   handle_get_attributes },
        { "get",    "capabilities", handle_get_capabilities },
        { "pre",    NULL,           handle_drain },
        { "post",   NULL,           handle_drain },
        { "notify", NULL,           handle_drain },
};

static int parse_argv(int argc, char *argv[], Callout *c) {
        int opt;

        opterr = 0;
        while ((opt = getopt(argc, argv, "+t:e:a:s:u:p:")) >= 0) {
                /* mdevctl's man page writes -t=TYPE; it passes "-t TYPE". Take both. */
                const char *v = optarg && optarg[0] == '=' ? optarg + 1 : optarg;
                switch (opt) {
                case 't': c->type = v; break;
                case 'e': c->event = v; break;
                case 'a': c->action = v; break;
                case 's': c->state = v; break;
                case 'u': c->uuid = v; break;
                case 'p': c->parent = v; break;
                default:
                        fprintf(stderr, "usage: %s -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT\n"
                                        "An mdevctl callout; see apctl-hooks(8).\n", argv[0]);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        Callout c = {};
        ApctldError e = {};
        int r;

        if (parse_argv(argc, argv, &c) < 0)
                return EXIT_FAILURE;
        if (!c.type || !streq(c.type, CALLOUT_TYPE) || (c.parent && !streq(c.parent, CALLOUT_PARENT)))
                return EXIT_NOT_MINE;
        if (!c.event || !c.action || !c.uuid) {
                fprintf(stderr, "-e EVENT, -a ACTION and -u UUID are required\n");
                return EXIT_FAILURE;
        }
        if (apctld_call_init(&c.call, &e) < 0)
                return callout_fail(&c, "%s", e.message);
        r = apctld_probe(&c.call);
        if (r == -ENOENT || r == -ECONNREFUSED) {
                /* Only mdevctl 1.3+, having chosen this script earlier in the same command, shows this. */
                fprintf(stderr, "apctld is not running (%s: %s): mdev %s is left to the next callout\n",
                        c.call.socket_path, strerror(-r), c.uuid);
                return EXIT_NOT_MINE;
        }
        for (size_t i = 0; i < ELEMENTSOF(callout_table); i++)
                if (streq(callout_table[i].event, c.event) &&
                    (!callout_table[i].action || streq(callout_table[i].action, c.action)))
                        return callout_table[i].handler(&c);
        /* An event or action newer than this script: no objection. */
        return handle_drain(&c);
}
