/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * io.apctl.Guest.Check: the checks of a change without the change. The
 * mdevctl callout asks it before mdevctl defines, modifies or starts a
 * vfio_ap-passthrough device, so mdevctl and libvirt nodedev users get the
 * same refusals (conflicts, host reservation, policy) as apctl's own users.
 */
#include <errno.h>
#include <string.h>

#include "json-ap.h"
#include "json-util.h"
#include "mdevctl.h"
#include "methods.h"
#include "validate.h"
#include "varlink-protocol.h"

/* Guest names cannot start with a dot, so this never matches a real guest. */
#define CHECK_UNMANAGED_NAME ".mdevctl"

typedef enum CheckAction {
        CHECK_DEFINE,
        CHECK_MODIFY,
        CHECK_START,
        CHECK_LIVE,
} CheckAction;

typedef struct CheckActionDef {
        const char *name;       /* borrowed: static */
        /* The device is about to exist in the kernel: vfio_ap, the APQNs and other mdevs matter. */
        bool in_kernel;
} CheckActionDef;

static const CheckActionDef check_actions[] = {
        [CHECK_DEFINE] = { "define", false },
        [CHECK_MODIFY] = { "modify", false },
        [CHECK_START]  = { "start",  true },
        [CHECK_LIVE]   = { "live",   true },
};

typedef struct CheckParams {
        char *uuid;             /* owned */
        char *action;           /* owned */
        json_object *mdevctl;   /* ref held */
} CheckParams;

static void check_params_done(CheckParams *p) {
        free(p->uuid);
        free(p->action);
        json_object_put(p->mdevctl);
}

static const CheckActionDef *check_action_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(check_actions); i++)
                if (streq(check_actions[i].name, name))
                        return &check_actions[i];
        return NULL;
}

/* An mdev in the kernel (other than g's own) holding one of g's usage APQNs: answer c, return <0. */
static int check_running_mdevs(Manager *m, Call *c, const GuestDef *g) {
        char buf[APQN_BUFSZ];

        for (size_t i = 0; i < m->kernel.n_mdevs; i++) {
                const MdevState *md = &m->kernel.mdevs[i];
                const GuestDef *owner;
                ApMask a, d;

                if (streq(md->uuid, g->uuid))
                        continue;
                ap_mask_and(&a, &g->config.apm, &md->assigned.apm);
                ap_mask_and(&d, &g->config.aqm, &md->assigned.aqm);
                if (ap_mask_is_empty(&a) || ap_mask_is_empty(&d))
                        continue;
                owner = desired_state_find_guest_by_uuid(&m->desired, md->uuid);
                (void) call_error(c, APCTL_ERROR_CONFLICT, EADDRINUSE,
                                  "mdev %s: APQN %s is in use by mdev %s%s%s%s", g->uuid,
                                  apqn_format((Apqn) { ap_mask_next(&a, 0), ap_mask_next(&d, 0) }, buf), md->uuid,
                                  owner ? " (guest '" : " (not managed by apctl)", owner ? owner->name : "",
                                  owner ? "')" : "");
                return -EADDRINUSE;     /* the call is answered (and freed) */
        }
        return 0;
}

int method_guest_check(Manager *m, Call *c) {
        static const JsonField fields[] = {
                { "uuid", json_type_string, json_dispatch_string, offsetof(CheckParams, uuid), JSON_FIELD_REQUIRED },
                { "action", json_type_string, json_dispatch_string, offsetof(CheckParams, action), JSON_FIELD_REQUIRED },
                { "mdevctl", json_type_object, json_dispatch_object_ref, offsetof(CheckParams, mdevctl), JSON_FIELD_REQUIRED },
                {}
        };
        _cleanup_(check_params_done) CheckParams p = {};
        _cleanup_(guest_def_done) GuestDef g = {};
        _cleanup_json_ json_object *reply = NULL;
        const CheckActionDef *action;
        const GuestDef *owner;
        ValidationError ve = {};
        JsonError e = {};
        int r;

        if (call_dispatch_parameters(c, fields, &p) < 0)
                return -EINVAL;
        action = check_action_find(p.action);
        if (!action)
                return call_error_parameter(c, "action", "unknown action '%s': want define, modify, start or live",
                                            p.action);
        if (!uuid_is_valid(p.uuid))
                return call_error_parameter(c, "uuid", "invalid UUID '%s': want lower-case 8-4-4-4-12 hex", p.uuid);
        if (mdevctl_parse(p.mdevctl, &g, &e) < 0)
                return call_error_parameter(c, "mdevctl", "not a usable mdevctl definition: %s", e.message);
        strcpy(g.uuid, p.uuid);

        /*
         * The UUID of an apctl guest: this is a new version of that guest, so
         * its current definition is not a conflict. Any other UUID is checked
         * against every guest. Definitions may name APQNs that are not there
         * yet (as mdevctl allows); the kernel-facing actions may not.
         */
        owner = desired_state_find_guest_by_uuid(&m->desired, p.uuid);
        g.name = strdup(owner ? owner->name : CHECK_UNMANAGED_NAME);
        if (!g.name)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        g.overprovision = action->in_kernel ? (owner && owner->overprovision) : true;

        if (action->in_kernel && !m->kernel.matrix_present)
                return call_error(c, APCTL_ERROR_NO_SUCH_DEVICE, ENODEV,
                                  "vfio_ap is not loaded (no /sys/devices/vfio_ap/matrix)");
        r = validate_guest(&m->kernel, &m->desired, &g, &m->policy, &c->peer, &ve);
        if (r < 0)
                return call_error(c, ve.error, -ve.err, "mdev %s: %s", p.uuid, ve.message);
        if (action->in_kernel && check_running_mdevs(m, c, &g) < 0)
                return -EADDRINUSE;

        /* The configuration as apctl reads it, so the caller can apply it with Guest.Modify. */
        reply = json_object_new_object();
        if (!reply || (owner && json_add_string(reply, "guest", owner->name) < 0) ||
            json_add(reply, "config", json_from_ap_config(&g.config)) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        return call_reply(c, TAKE_PTR(reply));
}
