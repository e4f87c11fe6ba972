/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.apctl.Guest.*: define, change, start, stop, hot plug and inspect guests. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "json-ap.h"
#include "mdevctl.h"
#include "methods.h"
#include "transaction-spec.h"
#include "utf8.h"
#include "validate.h"
#include "varlink-protocol.h"

typedef struct OptMask {
        bool set;
        ApMask mask;
} OptMask;

typedef struct OptBool {
        bool set;
        bool value;
} OptBool;

static int parse_opt_mask(const char *name, json_object *v, void *dest, JsonError *e) {
        OptMask *o = dest;
        int r = json_parse_ap_mask(name, v, &o->mask, e);

        if (r >= 0)
                o->set = true;
        return r;
}

static int parse_opt_bool(const char *name, json_object *v, void *dest, JsonError *e) {
        OptBool *o = dest;
        int r = json_dispatch_bool(name, v, &o->value, e);

        if (r >= 0)
                o->set = true;
        return r;
}

typedef struct GuestParams {
        char *name;             /* owned */
        char *uuid;             /* owned */
        OptMask adapters, domains, control_domains;
        OptBool autostart, overprovision, live;
        json_object *mdevctl;   /* ref held */
        char *path;             /* owned */
} GuestParams;

static void guest_params_done(GuestParams *p) {
        free(p->name);
        free(p->uuid);
        free(p->path);
        json_object_put(p->mdevctl);
}

#define F_NAME { "name", json_type_string, json_dispatch_string, offsetof(GuestParams, name), JSON_FIELD_REQUIRED }
#define F_UUID(flags) { "uuid", json_type_string, json_dispatch_string, offsetof(GuestParams, uuid), flags }
#define F_RESOURCES                                                                                     \
        { "adapters", json_type_null, parse_opt_mask, offsetof(GuestParams, adapters), 0 },             \
        { "domains", json_type_null, parse_opt_mask, offsetof(GuestParams, domains), 0 },               \
        { "control_domains", json_type_null, parse_opt_mask, offsetof(GuestParams, control_domains), 0 }
#define F_FLAGS                                                                                         \
        { "autostart", json_type_boolean, parse_opt_bool, offsetof(GuestParams, autostart), 0 },        \
        { "overprovision", json_type_boolean, parse_opt_bool, offsetof(GuestParams, overprovision), 0 }

static const JsonField name_fields[] = { F_NAME, {} };
static const JsonField define_fields[] = { F_NAME, F_UUID(0), F_RESOURCES, F_FLAGS, {} };
static const JsonField modify_fields[] = {
        F_NAME, F_RESOURCES, F_FLAGS,
        { "live", json_type_boolean, parse_opt_bool, offsetof(GuestParams, live), 0 },
        {}
};
static const JsonField plug_fields[] = { F_NAME, F_RESOURCES, {} };
static const JsonField import_fields[] = {
        { "name", json_type_string, json_dispatch_string, offsetof(GuestParams, name), 0 },
        F_UUID(JSON_FIELD_REQUIRED),
        { "mdevctl", json_type_object, json_dispatch_object_ref, offsetof(GuestParams, mdevctl), 0 },
        { "path", json_type_string, json_dispatch_string, offsetof(GuestParams, path), 0 },
        {}
};

static json_object *guest_to_json_full(const Manager *m, const GuestDef *g) {
        _cleanup_json_ json_object *o = guest_def_to_json(g);
        const MdevState *md = kernel_state_find_mdev(&m->kernel, g->uuid);

        if (!o || json_add_bool(o, "running", md != NULL) < 0)
                return NULL;
        if (md) {
                _cleanup_json_ json_object *mdev = json_from_ap_config(&md->assigned);
                if (!mdev || json_add(mdev, "guest_adapters", json_from_mask(&md->guest_apm)) < 0 ||
                    json_add(mdev, "guest_domains", json_from_mask(&md->guest_aqm)) < 0 ||
                    json_add(o, "mdev", TAKE_PTR(mdev)) < 0)
                        return NULL;
        }
        return TAKE_PTR(o);
}

/* Whether a guest change's reply says if the definition changed: only Attach and Detach do. */
typedef enum GuestReplyChanged {
        GUEST_REPLY_CHANGED_OMIT,
        GUEST_REPLY_CHANGED_TRUE,
        GUEST_REPLY_CHANGED_FALSE,
} GuestReplyChanged;

/* A guest change's reply: the definition and whether the guest runs, as text (server.h). */
static int guest_reply(TransactionSpec *spec, const GuestDef *g, bool running, GuestReplyChanged changed) {
        _cleanup_(json_writer_done) JsonWriter w = {};
        int r;

        r = json_writer_init(&w, 512);
        if (r < 0)
                return r;
        reply_text_begin(&w);
        guest_def_write_members(&w, g);
        json_writer_member_bool(&w, "running", running);
        if (changed != GUEST_REPLY_CHANGED_OMIT)
                json_writer_member_bool(&w, "changed", changed == GUEST_REPLY_CHANGED_TRUE);
        return reply_text_end(&w, &spec->reply, &spec->reply_len);
}

static GuestDef *find_guest_or_fail(Manager *m, Call *c, const char *name) {
        GuestDef *g = desired_state_find_guest(&m->desired, name);

        if (!g)
                call_error(c, APCTL_ERROR_NO_SUCH_GUEST, ENOENT, "no guest named '%s'", name);
        return g;
}

static bool config_equal(const ApConfig *a, const ApConfig *b) {
        return ap_mask_equal(&a->apm, &b->apm) && ap_mask_equal(&a->aqm, &b->aqm) && ap_mask_equal(&a->adm, &b->adm);
}

/*
 * The common tail of define/modify/attach/detach/import: validate the new
 * definition, persist it, and, if the guest runs and live is set, bring its
 * mdev along (hot plug/unplug) in the same transaction.
 */
static int guest_commit_reply(Manager *m, Call *c, const GuestDef *new, bool live, const char *event_type,
                              GuestReplyChanged changed) {
        const GuestDef *old = desired_state_find_guest(&m->desired, new->name);
        ValidationError ve = {};
        TransactionSpec spec;
        int r;

        r = validate_guest(&m->kernel, &m->desired, new, &m->policy, &c->peer, &ve);
        if (r < 0)
                return call_error(c, ve.error, -ve.err, "guest '%s': %s", new->name, ve.message);
        r = spec_init(m, c->def ? c->def->name : c->method, &spec);
        if (r < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "out of memory");
        r = desired_state_put_guest(&spec.next, new);
        if (r < 0) {
                transaction_spec_done(&spec);
                return call_error(c, r == -ENOSPC ? APCTL_ERROR_LIMIT : APCTL_ERROR_INTERNAL, -r,
                                  r == -ENOSPC ? "too many guests defined (limit %d)" : "out of memory",
                                  DESIRED_STATE_GUESTS_MAX);
        }
        snprintf(spec.intent.guest, sizeof(spec.intent.guest), "%s", new->name);
        if (old && live && manager_guest_running(m, old) && !config_equal(&old->config, &new->config))
                spec_set_mdev(m, &spec, new, true, &new->config);
        r = guest_reply(&spec, new, manager_guest_running(m, new), changed);
        if (r < 0) {
                transaction_spec_done(&spec);
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "out of memory");
        }
        spec_set_guest_event(&spec, event_type, new);
        return transaction_commit(m, c, &spec);
}

static int guest_commit(Manager *m, Call *c, const GuestDef *new, bool live, const char *event_type) {
        return guest_commit_reply(m, c, new, live, event_type, GUEST_REPLY_CHANGED_OMIT);
}

int method_guest_define(Manager *m, Call *c) {
        _cleanup_(guest_params_done) GuestParams p = {};
        _cleanup_(guest_def_done) GuestDef g = {};
        int r;

        if (call_dispatch_parameters(c, define_fields, &p) < 0)
                return -EINVAL;
        if (!guest_name_is_valid(p.name))
                return call_error_parameter(c, "name",
                                            "invalid guest name '%s': use 1-%d of A-Z a-z 0-9 _ . : -, not starting with . or -",
                                            p.name, GUEST_NAME_MAX);
        if (desired_state_find_guest(&m->desired, p.name))
                return call_error(c, APCTL_ERROR_GUEST_EXISTS, EEXIST, "guest '%s' is already defined", p.name);
        g.name = strdup(p.name);
        if (!g.name)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        if (p.uuid) {
                if (!uuid_is_valid(p.uuid))
                        return call_error_parameter(c, "uuid", "invalid UUID '%s': want lower-case 8-4-4-4-12 hex",
                                                    p.uuid);
                strcpy(g.uuid, p.uuid);
        } else {
                r = uuid_generate_random(g.uuid);
                if (r < 0)
                        return call_error(c, APCTL_ERROR_INTERNAL, -r, "cannot generate a UUID");
        }
        g.config = (ApConfig) { p.adapters.mask, p.domains.mask, p.control_domains.mask };
        g.autostart = p.autostart.value;
        g.overprovision = p.overprovision.value;
        return guest_commit(m, c, &g, false, "guest-defined");
}

int method_guest_modify(Manager *m, Call *c) {
        _cleanup_(guest_params_done) GuestParams p = {};
        _cleanup_(guest_def_done) GuestDef g = {};
        const GuestDef *old;

        if (call_dispatch_parameters(c, modify_fields, &p) < 0)
                return -EINVAL;
        old = find_guest_or_fail(m, c, p.name);
        if (!old)
                return -ENOENT;
        if (guest_def_copy(old, &g) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        if (p.adapters.set)
                g.config.apm = p.adapters.mask;
        if (p.domains.set)
                g.config.aqm = p.domains.mask;
        if (p.control_domains.set)
                g.config.adm = p.control_domains.mask;
        if (p.autostart.set)
                g.autostart = p.autostart.value;
        if (p.overprovision.set)
                g.overprovision = p.overprovision.value;
        return guest_commit(m, c, &g, !p.live.set || p.live.value, "guest-modified");
}

static int guest_plug(Manager *m, Call *c, bool attach) {
        _cleanup_(guest_params_done) GuestParams p = {};
        _cleanup_(guest_def_done) GuestDef g = {};
        const GuestDef *old;
        ApMask *fields[3];
        const OptMask *const given[3] = { &p.adapters, &p.domains, &p.control_domains };
        static const char *const given_names[3] = { "adapters", "domains", "control_domains" };
        const char *first_given = NULL;
        bool any_id = false;

        if (call_dispatch_parameters(c, plug_fields, &p) < 0)
                return -EINVAL;
        for (size_t i = 0; i < 3; i++) {
                if (!given[i]->set)
                        continue;
                first_given = first_given ?: given_names[i];
                if (!ap_mask_is_empty(&given[i]->mask))
                        any_id = true;
        }
        if (!first_given)
                return call_error(c, VARLINK_ERROR_INVALID_PARAMETER, EINVAL,
                                  "give at least one of 'adapters', 'domains' and 'control_domains'");
        /* As Host.Reserve and Host.Release: only empty sets ask for nothing. */
        if (!any_id)
                return call_error_parameter(c, first_given, "give at least one adapter, domain or control domain to %s",
                                            attach ? "attach" : "detach");
        old = find_guest_or_fail(m, c, p.name);
        if (!old)
                return -ENOENT;
        if (guest_def_copy(old, &g) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        fields[0] = &g.config.apm;
        fields[1] = &g.config.aqm;
        fields[2] = &g.config.adm;
        for (size_t i = 0; i < 3; i++) {
                if (attach)
                        ap_mask_or(fields[i], fields[i], &given[i]->mask);
                else
                        ap_mask_andnot(fields[i], fields[i], &given[i]->mask);
        }
        /*
         * Ids already in (attach) or not in (detach) the definition: a
         * success that says so, as Host.Reserve/Release of ids already held
         * or free, so that "make sure adapter 5 is attached" can be run again.
         */
        return guest_commit_reply(m, c, &g, true, attach ? "guest-attached" : "guest-detached",
                                  config_equal(&old->config, &g.config) ? GUEST_REPLY_CHANGED_FALSE
                                                                        : GUEST_REPLY_CHANGED_TRUE);
}

int method_guest_attach(Manager *m, Call *c) {
        return guest_plug(m, c, true);
}

int method_guest_detach(Manager *m, Call *c) {
        return guest_plug(m, c, false);
}

int method_guest_undefine(Manager *m, Call *c) {
        _cleanup_(guest_params_done) GuestParams p = {};
        TransactionSpec spec;
        const GuestDef *g;
        int r;

        if (call_dispatch_parameters(c, name_fields, &p) < 0)
                return -EINVAL;
        g = find_guest_or_fail(m, c, p.name);
        if (!g)
                return -ENOENT;
        if (manager_guest_running(m, g))
                return call_error(c, APCTL_ERROR_GUEST_RUNNING, EISCONN,
                                  "guest '%s' is running (mdev %s); stop it first", g->name, g->uuid);
        r = spec_init(m, c->def->name, &spec);
        if (r < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "out of memory");
        snprintf(spec.intent.guest, sizeof(spec.intent.guest), "%s", g->name);
        spec_set_guest_event(&spec, "guest-undefined", g);
        (void) desired_state_remove_guest(&spec.next, p.name);
        return transaction_commit(m, c, &spec);
}

static int guest_run_change(Manager *m, Call *c, bool start) {
        _cleanup_(guest_params_done) GuestParams p = {};
        ValidationError ve = {};
        TransactionSpec spec;
        const GuestDef *g;
        bool running;
        int r;

        if (call_dispatch_parameters(c, name_fields, &p) < 0)
                return -EINVAL;
        g = find_guest_or_fail(m, c, p.name);
        if (!g)
                return -ENOENT;
        running = manager_guest_running(m, g);
        if (start && running)
                return call_error(c, APCTL_ERROR_GUEST_RUNNING, EISCONN, "guest '%s' is already running (mdev %s)",
                                  g->name, g->uuid);
        if (!start && !running)
                return call_error(c, APCTL_ERROR_GUEST_NOT_RUNNING, ENOTCONN, "guest '%s' is not running", g->name);
        if (start) {
                if (!m->kernel.matrix_present)
                        return call_error(c, APCTL_ERROR_NO_SUCH_DEVICE, ENODEV,
                                          "vfio_ap is not loaded (no /sys/devices/vfio_ap/matrix)");
                /* The host may have changed since the guest was defined. */
                r = validate_guest(&m->kernel, &m->desired, g, &m->policy, &c->peer, &ve);
                if (r < 0)
                        return call_error(c, ve.error, -ve.err, "cannot start guest '%s': %s", g->name, ve.message);
        }
        r = spec_init(m, c->def->name, &spec);
        if (r < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "out of memory");
        spec_set_mdev(m, &spec, g, start, &g->config);
        r = guest_reply(&spec, g, start, GUEST_REPLY_CHANGED_OMIT);
        if (r < 0) {
                transaction_spec_done(&spec);
                return call_error(c, APCTL_ERROR_INTERNAL, -r, "out of memory");
        }
        spec_set_guest_event(&spec, start ? "guest-started" : "guest-stopped", g);
        /* Stopped on purpose: an autostart guest would otherwise be started again at the commit's reconcile. */
        spec.autostart_skip_on_success = !start;
        return transaction_commit(m, c, &spec);
}

int method_guest_start(Manager *m, Call *c) {
        return guest_run_change(m, c, true);
}

int method_guest_stop(Manager *m, Call *c) {
        return guest_run_change(m, c, false);
}

int method_guest_show(Manager *m, Call *c) {
        _cleanup_(guest_params_done) GuestParams p = {};
        _cleanup_json_ json_object *o = NULL, *drift = NULL;
        const GuestDef *g;

        if (call_dispatch_parameters(c, name_fields, &p) < 0)
                return -EINVAL;
        g = find_guest_or_fail(m, c, p.name);
        if (!g)
                return -ENOENT;
        o = guest_to_json_full(m, g);
        drift = json_object_new_array();
        if (!o || !drift)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        for (size_t i = 0; i < json_object_array_length(m->drift); i++) {
                json_object *d = json_object_array_get_idx(m->drift, i), *gn;
                if (json_object_object_get_ex(d, "guest", &gn) && streq(json_object_get_string(gn), g->name))
                        (void) json_append(drift, json_object_get(d));
        }
        if (json_add(o, "drift", TAKE_PTR(drift)) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        return call_reply(c, TAKE_PTR(o));
}

int method_guest_list(Manager *m, Call *c) {
        static const JsonField fields[] = { {} };
        _cleanup_json_ json_object *p = json_object_new_object(), *list = json_object_new_array();

        if (call_dispatch_parameters(c, fields, NULL) < 0)
                return -EINVAL;
        if (!p || !list)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        for (size_t i = 0; i < m->desired.n_guests; i++)
                if (json_append(list, guest_to_json_full(m, &m->desired.guests[i])) < 0)
                        return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        if (json_add(p, "guests", TAKE_PTR(list)) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        return call_reply(c, TAKE_PTR(p));
}

#define IMPORT_FILE_MAX (1U << 20)

/* InvalidParameter naming 'path', for a file Guest.Import cannot use; ends the call and returns -err. */
#define import_path_error(c, err, fmt, ...) call_error_parameter_errno((c), (err), "path", "path: " fmt, __VA_ARGS__)

/*
 * The definition in the file a root caller named (*ret: its JSON). Opened
 * only once it is known to be a regular file, not through a symbolic link
 * at its end: the open() of a FIFO without a writer would stop the event
 * loop, every client with it, and a device's open() acts on the device
 * (/dev/watchdog arms the watchdog). On failure the call is ended with the
 * error, and the return is negative.
 */
static int import_read_path(Call *c, const char *path, json_object **ret) {
        _cleanup_close_ int path_fd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *o = NULL;
        JsonError e = {};
        struct stat st;
        size_t len;
        int r;

        /* Relative to apctld's working directory, which the caller knows nothing of. */
        if (path[0] != '/')
                return import_path_error(c, EINVAL, "'%s' is not an absolute path", path);
        r = open_path_nofollow(path, &path_fd, &st);
        if (r == -ENOMEM) {
                (void) call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
                return r;
        }
        if (r < 0)
                return import_path_error(c, -r, "cannot open %s: %s", path, strerror(-r));
        if (S_ISLNK(st.st_mode))
                return import_path_error(c, ELOOP, "%s is a symbolic link, which apctld does not follow: "
                                         "name the file itself", path);
        if (!S_ISREG(st.st_mode))
                return import_path_error(c, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "%s is %s, not a regular file",
                                         path, inode_type_to_string(st.st_mode));
        r = fd_reopen_read(path_fd, &fd);
        if (r >= 0)
                r = read_fd(fd, IMPORT_FILE_MAX, &text, &len);
        if (r == -ENOMEM) {
                (void) call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
                return r;
        }
        if (r < 0)
                return import_path_error(c, -r, "cannot read %s: %s", path,
                                         r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
        if (json_parse_limited(text, len, 8, &o, &e) < 0)
                return import_path_error(c, EINVAL, "%s is not JSON: %s", path, e.message);
        /* As for a definition sent inline: json-c would silently drop a key given twice, or cut one at a NUL. */
        if (json_check_keys(text, len, o, &e) < 0)
                return import_path_error(c, EINVAL, "%s: %s", path, e.message);
        *ret = TAKE_PTR(o);
        return 0;
}

int method_guest_import(Manager *m, Call *c) {
        _cleanup_(guest_params_done) GuestParams p = {};
        _cleanup_(guest_def_done) GuestDef g = {};
        _cleanup_json_ json_object *from_file = NULL;
        json_object *def;
        JsonError e = {};
        const char *name;

        if (call_dispatch_parameters(c, import_fields, &p) < 0)
                return -EINVAL;
        if (!!p.mdevctl == !!p.path)
                return call_error(c, VARLINK_ERROR_INVALID_PARAMETER, EINVAL,
                                  "give exactly one of 'mdevctl' (the definition) and 'path' (a file to read)");
        /* apctld would read it with root's rights: the admin uid and the policy's users send the contents. */
        if (p.path && c->peer.uid != 0)
                return call_error(c, VARLINK_ERROR_PERMISSION_DENIED, EPERM,
                                  "only root may have apctld read a file ('path'; caller uid %u): send the definition "
                                  "itself in 'mdevctl', as apctl import-mdevctl does",
                                  c->peer.uid);
        if (!uuid_is_valid(p.uuid))
                return call_error_parameter(c, "uuid", "invalid UUID '%s'", p.uuid);
        name = p.name ?: p.uuid;
        if (!guest_name_is_valid(name))
                return call_error_parameter(c, p.name ? "name" : "uuid", "invalid guest name '%s'", name);
        if (desired_state_find_guest(&m->desired, name))
                return call_error(c, APCTL_ERROR_GUEST_EXISTS, EEXIST, "guest '%s' is already defined", name);
        def = p.mdevctl;
        if (p.path) {
                int r = import_read_path(c, p.path, &from_file);
                if (r < 0)
                        return r;
                def = from_file;
        }
        if (mdevctl_parse(def, &g, &e) < 0)
                return call_error_parameter(c, p.path ? "path" : "mdevctl", "not a usable mdevctl definition: %s",
                                            e.message);
        g.name = strdup(name);
        if (!g.name)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        strcpy(g.uuid, p.uuid);
        return guest_commit(m, c, &g, false, "guest-defined");
}

int method_guest_export(Manager *m, Call *c) {
        _cleanup_(guest_params_done) GuestParams p = {};
        _cleanup_json_ json_object *o = json_object_new_object();
        const GuestDef *g;
        char path[128];

        if (call_dispatch_parameters(c, name_fields, &p) < 0)
                return -EINVAL;
        g = find_guest_or_fail(m, c, p.name);
        if (!g)
                return -ENOENT;
        /* apctld writes nothing outside its own directories; the client writes the file. */
        snprintf(path, sizeof(path), "/etc/mdevctl.d/" MDEVCTL_PARENT "/%s", g->uuid);
        if (!o || json_add_string(o, "uuid", g->uuid) < 0 || json_add_string(o, "parent", MDEVCTL_PARENT) < 0 ||
            json_add_string(o, "path", path) < 0 || json_add(o, "mdevctl", mdevctl_format(g)) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        return call_reply(c, TAKE_PTR(o));
}
