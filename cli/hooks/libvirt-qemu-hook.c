/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt qemu hook (/etc/libvirt/hooks/qemu.d/apctl): brings the mdevs of a
 * domain's vfio-ap hostdevs along with the domain, through apctld.
 *
 *   GUEST prepare begin -   start each apctl guest whose mdev UUID the domain
 *                           uses, unless it already runs; if one cannot start,
 *                           stop those started here and fail the domain start
 *   GUEST migrate begin -   the same on the migration destination; a filter:
 *                           printing nothing keeps the XML unchanged
 *   GUEST release end R     stop each such guest whose definition is not
 *                           autostart (autostart guests are kept by apctld for
 *                           the host's lifetime; the others live with the VM)
 *   anything else           exit 0 at once, stdin unread
 *
 * The domain XML comes on stdin. hostdevs whose UUID is no apctl guest's are
 * left alone (mdevctl may own them). libvirt is never called back, and every
 * apctld call shares one deadline.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apctld-call.h"
#include "domain-xml.h"
#include "json-util.h"
#include "macro.h"
#include "varlink-protocol.h"

typedef enum HookAction {
        HOOK_NOTHING,
        HOOK_PREPARE,
        HOOK_RELEASE,
} HookAction;

static const struct {
        const char *op;         /* borrowed */
        const char *subop;      /* borrowed */
        HookAction action;
} hook_table[] = {
        { "prepare", "begin", HOOK_PREPARE },
        { "migrate", "begin", HOOK_PREPARE },
        { "release", "end",   HOOK_RELEASE },
};

typedef struct HookGuest {
        char *name;             /* owned: the apctl guest */
        const char *uuid;       /* borrowed from the DomainXml */
        bool running;
        bool autostart;
} HookGuest;

typedef struct Hook {
        const char *domain;     /* borrowed from argv */
        const char *op;         /* borrowed from argv */
        ApctldCall call;
        HookGuest *guests;      /* owned: the apctl guests among the domain's vfio-ap hostdevs */
        size_t n_guests;
} Hook;

static void hook_done(Hook *h) {
        for (size_t i = 0; i < h->n_guests; i++)
                free(h->guests[i].name);
        free(h->guests);
}

static int hook_fail(const Hook *h, const char *fmt, ...) _printf_(2, 3);
static int hook_fail(const Hook *h, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "apctl: %s of domain '%s': ", h->op, h->domain);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAILURE;
}

static HookAction hook_action(const char *op, const char *subop) {
        for (size_t i = 0; i < ELEMENTSOF(hook_table); i++)
                if (streq(hook_table[i].op, op) && streq(hook_table[i].subop, subop))
                        return hook_table[i].action;
        return HOOK_NOTHING;
}

static json_object *name_params(const char *name) {
        json_object *p = json_object_new_object();

        if (p && json_add_string(p, "name", name) < 0) {
                json_object_put(p);
                return NULL;
        }
        return p;
}

/* Fill h->guests with the apctl guests that own one of the domain's vfio-ap mdev UUIDs, in document order. */
static int hook_find_guests(Hook *h, const DomainXml *d, ApctldError *e) {
        _cleanup_json_ json_object *reply = NULL;
        json_object *list;
        int r;

        r = apctld_call(&h->call, "io.apctl.Guest.List", NULL, &reply, e);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(reply, "guests", &list) || !json_object_is_type(list, json_type_array)) {
                snprintf(e->message, sizeof(e->message), "apctld's Guest.List reply has no guest list");
                return -EBADMSG;
        }
        h->guests = calloc(d->n_ap_uuids, sizeof(*h->guests));
        if (d->n_ap_uuids > 0 && !h->guests)
                return -ENOMEM;
        for (size_t i = 0; i < d->n_ap_uuids; i++)
                for (size_t j = 0; j < json_object_array_length(list); j++) {
                        json_object *g = json_object_array_get_idx(list, j);
                        const char *uuid = json_object_get_string(json_object_object_get(g, "uuid"));
                        const char *name = json_object_get_string(json_object_object_get(g, "name"));

                        if (!uuid || !name || !streq(uuid, d->ap_uuids[i]))
                                continue;
                        h->guests[h->n_guests] = (HookGuest) {
                                .name = strdup(name),
                                .uuid = d->ap_uuids[i],
                                .running = json_object_get_boolean(json_object_object_get(g, "running")),
                                .autostart = json_object_get_boolean(json_object_object_get(g, "autostart")),
                        };
                        if (!h->guests[h->n_guests].name)
                                return -ENOMEM;
                        h->n_guests++;
                        break;
                }
        return 0;
}

/* Stop what this run started, newest first: a failed prepare leaves nothing behind. */
static void hook_undo_starts(Hook *h, size_t n_started) {
        while (n_started-- > 0) {
                HookGuest *g = &h->guests[n_started];
                ApctldError e = {};

                if (!g->running)
                        continue;
                if (apctld_call(&h->call, "io.apctl.Guest.Stop", name_params(g->name), NULL, &e) < 0)
                        fprintf(stderr, "apctl: could not stop apctl guest '%s' (mdev %s) again: %s\n", g->name,
                                g->uuid, e.message);
        }
}

static int hook_prepare(Hook *h) {
        for (size_t i = 0; i < h->n_guests; i++) {
                HookGuest *g = &h->guests[i];
                ApctldError e = {};
                int r;

                if (g->running)
                        continue;
                r = apctld_call(&h->call, "io.apctl.Guest.Start", name_params(g->name), NULL, &e);
                /* Started by someone else meanwhile: what we wanted. Not ours to stop on undo. */
                if (r == -EREMOTEIO && streq(e.name, APCTL_ERROR_GUEST_RUNNING))
                        continue;
                if (r < 0) {
                        hook_undo_starts(h, i);
                        return hook_fail(h, "cannot start apctl guest '%s' for vfio-ap hostdev %s: %s", g->name,
                                         g->uuid, e.message);
                }
                g->running = true;      /* from here on: started by this run */
        }
        return EXIT_SUCCESS;
}

static int hook_release(Hook *h) {
        int ret = EXIT_SUCCESS;

        for (size_t i = 0; i < h->n_guests; i++) {
                const HookGuest *g = &h->guests[i];
                ApctldError e = {};
                int r;

                if (g->autostart || !g->running)
                        continue;
                r = apctld_call(&h->call, "io.apctl.Guest.Stop", name_params(g->name), NULL, &e);
                if (r == -EREMOTEIO && streq(e.name, APCTL_ERROR_GUEST_NOT_RUNNING))
                        continue;
                if (r < 0)
                        ret = hook_fail(h, "cannot stop apctl guest '%s' (vfio-ap hostdev %s): %s", g->name,
                                        g->uuid, e.message);
        }
        return ret;
}

static int hook_run(Hook *h, HookAction action) {
        _cleanup_free_ char *xml = NULL;
        _cleanup_(domain_xml_done) DomainXml d = {};
        DomainXmlError xe = {};
        ApctldError e = {};
        size_t len;
        int r;

        r = apctld_call_init(&h->call, &e);
        if (r < 0)
                return hook_fail(h, "%s", e.message);
        r = read_all_fd(STDIN_FILENO, DOMAIN_XML_SIZE_MAX, h->call.deadline_usec, &xml, &len);
        if (r < 0)
                return hook_fail(h, "cannot read the domain XML on stdin: %s",
                                 r == -E2BIG ? "larger than 16 MiB" : strerror(-r));
        r = domain_xml_parse(xml, len, &d, &xe);
        if (r == -ENOMEM)
                return hook_fail(h, "out of memory");
        if (r < 0)
                return hook_fail(h, "bad domain XML on stdin, line %u: %s", xe.line, xe.message);
        /* No vfio-ap hostdev: nothing for apctl; apctld is not even asked. */
        if (d.n_ap_uuids == 0)
                return EXIT_SUCCESS;
        r = hook_find_guests(h, &d, &e);
        if (r == -ENOMEM)
                return hook_fail(h, "out of memory");
        if (r < 0)
                return hook_fail(h, "cannot look up the apctl guests of its %zu vfio-ap hostdev(s): %s",
                                 d.n_ap_uuids, e.message);
        return action == HOOK_PREPARE ? hook_prepare(h) : hook_release(h);
}

int main(int argc, char *argv[]) {
        _cleanup_(hook_done) Hook h = {};
        HookAction action;

        if (argc < 3) {
                fprintf(stderr, "usage: %s GUEST OPERATION SUB-OPERATION [EXTRA] < domain.xml\n"
                                "A libvirt qemu hook; see apctl-hooks(8).\n", argv[0]);
                return EXIT_FAILURE;
        }
        action = hook_action(argv[2], argv[3] ?: "");
        if (action == HOOK_NOTHING)
                return EXIT_SUCCESS;
        h.domain = argv[1];
        h.op = argv[2];
        return hook_run(&h, action);
}
