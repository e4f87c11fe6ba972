/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The method table, the dispatcher, and org.varlink.service. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

#include "json-util.h"
#include "utf8.h"
#include "methods.h"
#include "transaction.h"
#include "varlink-protocol.h"

static const MethodDef method_table[] = {
        { "org.varlink.service.GetInfo",                  method_get_info,                  METHOD_PRIV_READ,  0 },
        { "org.varlink.service.GetInterfaceDescription",  method_get_interface_description, METHOD_PRIV_READ,  0 },
        { "io.apctl.Host.List",         method_host_list,         METHOD_PRIV_READ,  0 },
        { "io.apctl.Host.Reserve",      method_host_reserve,      METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Host.Release",      method_host_release,      METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Guest.Define",      method_guest_define,      METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Guest.Undefine",    method_guest_undefine,    METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Guest.Modify",      method_guest_modify,      METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Guest.Start",       method_guest_start,       METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Guest.Stop",        method_guest_stop,        METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Guest.Attach",      method_guest_attach,      METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Guest.Detach",      method_guest_detach,      METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Guest.Import",      method_guest_import,      METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Guest.Export",      method_guest_export,      METHOD_PRIV_READ,  0 },
        { "io.apctl.Guest.Show",        method_guest_show,        METHOD_PRIV_READ,  0 },
        { "io.apctl.Guest.List",        method_guest_list,        METHOD_PRIV_READ,  0 },
        { "io.apctl.Guest.Check",       method_guest_check,       METHOD_PRIV_READ,  0 },
        { "io.apctl.Events.Subscribe",  method_events_subscribe,  METHOD_PRIV_READ,  METHOD_MORE_ALLOWED | METHOD_MORE_REQUIRED },
        { "io.apctl.Status",            method_status,            METHOD_PRIV_READ,  0 },
        { "io.apctl.Reconcile",         method_reconcile,         METHOD_PRIV_ADMIN, METHOD_MUTATES },
        { "io.apctl.Policy.Reload",     method_policy_reload,     METHOD_PRIV_ADMIN, 0 },
        { "io.apctl.Policy.Show",       method_policy_show,       METHOD_PRIV_READ,  0 },
};

const MethodDef *method_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(method_table); i++)
                if (streq(method_table[i].name, name))
                        return &method_table[i];
        return NULL;
}

static bool peer_is_admin(const Manager *m, const PeerCredentials *peer) {
        return peer->uid == 0 || (m->config.admin_uid != (uid_t) -1 && peer->uid == m->config.admin_uid);
}

static int method_check_access(Manager *m, Call *c) {
        const MethodDef *d = c->def;
        bool mutating = d->flags & METHOD_MUTATES;

        /* --admin-uid stands for root in access decisions (placement rules still apply to both). */
        if (m->config.admin_uid != (uid_t) -1 && c->peer.uid == m->config.admin_uid)
                return 0;
        if (m->policy.may_call) {
                json_object *name = json_object_object_get(c->parameters, "name");
                const char *guest = json_object_is_type(name, json_type_string) ? json_object_get_string(name) : NULL;
                char reason[512] = "";
                int r = m->policy.may_call(m->policy.userdata, &c->peer, d->name, mutating, guest, reason,
                                           sizeof(reason));
                if (r == -EACCES || r == -EPERM) {
                        call_error(c, VARLINK_ERROR_PERMISSION_DENIED, EPERM, "%s is not allowed for uid %u: %s",
                                   d->name, c->peer.uid, reason[0] ? reason : "denied by policy");
                        return -EPERM;
                }
                if (r < 0) {
                        call_error(c, APCTL_ERROR_INTERNAL, -r, "policy check for %s failed", d->name);
                        return r;
                }
                return 0;
        }
        if (d->privilege == METHOD_PRIV_ADMIN && !peer_is_admin(m, &c->peer)) {
                call_error(c, VARLINK_ERROR_PERMISSION_DENIED, EPERM,
                           "%s changes the configuration and needs root (caller uid %u)", d->name, c->peer.uid);
                return -EPERM;
        }
        return 0;
}

static void method_run(Manager *m, Call *c) {
        /* Handlers always end the call themselves (reply, error, or a transaction that will). */
        (void) c->def->handler(m, c);
}

void method_dispatch(Manager *m, Call *c) {
        const MethodDef *d = method_find(c->method);

        if (!d) {
                const char *dot = strrchr(c->method, '.');
                bool known_iface = dot && (strneq(c->method, "io.apctl.", 9) || strneq(c->method, "org.varlink.service.", 20));
                call_error(c, known_iface ? VARLINK_ERROR_METHOD_NOT_FOUND : VARLINK_ERROR_INTERFACE_NOT_FOUND,
                           EOPNOTSUPP, "no method '%s'", c->method);
                return;
        }
        c->def = d;
        if (c->more && !(d->flags & METHOD_MORE_ALLOWED)) {
                call_error(c, VARLINK_ERROR_INVALID_PARAMETER, EINVAL, "%s does not stream; call it without 'more'",
                           d->name);
                return;
        }
        if (!c->more && (d->flags & METHOD_MORE_REQUIRED)) {
                call_error(c, VARLINK_ERROR_EXPECTED_MORE, EINVAL, "%s streams replies; call it with \"more\": true",
                           d->name);
                return;
        }
        if (method_check_access(m, c) < 0)
                return;
        if ((d->flags & METHOD_MUTATES) && transaction_busy(m)) {
                transaction_enqueue(m, c);
                return;
        }
        method_run(m, c);
}

void method_run_queued(Manager *m) {
        while (m->n_queued > 0 && !transaction_busy(m)) {
                Call *c = m->queued[0];
                memmove(m->queued, m->queued + 1, (m->n_queued - 1) * sizeof(Call *));
                m->n_queued--;
                if (call_is_orphaned(c) && !c->oneway) {
                        call_free(c);
                        continue;
                }
                method_run(m, c);
        }
}

int call_dispatch_parameters(Call *c, const JsonField *table, void *base) {
        JsonError e = {};
        int r = json_dispatch(c->parameters, table, base, &e);

        if (r < 0) {
                json_object *p = json_object_new_object();
                if (p && e.field[0])
                        (void) json_add_string(p, "parameter", e.field);
                call_error_with(c, VARLINK_ERROR_INVALID_PARAMETER, -r, p, "%s: %s", c->method, e.message);
        }
        return r;
}

int call_error_parameter_errno(Call *c, int err, const char *parameter, const char *fmt, ...) {
        json_object *p = json_object_new_object();
        char text[512];
        va_list ap;

        va_start(ap, fmt);
        utf8_vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (p)
                (void) json_add_string(p, "parameter", parameter);
        (void) call_error_with(c, VARLINK_ERROR_INVALID_PARAMETER, err, p, "%s", text);
        return -err;
}

int method_get_info(Manager *m, Call *c) {
        _cleanup_json_ json_object *p = json_object_new_object(), *ifaces = json_object_new_array();

        if (call_dispatch_parameters(c, (const JsonField[]) { {} }, NULL) < 0)
                return -EINVAL;
        if (!p || !ifaces || json_add_string(p, "vendor", "apctl") < 0 || json_add_string(p, "product", "apctld") < 0 ||
            json_add_string(p, "version", PACKAGE_VERSION) < 0 ||
            json_add_string(p, "url", "https://github.com/apctl/apctl") < 0 ||
            json_append(ifaces, json_object_new_string("org.varlink.service")) < 0 ||
            json_append(ifaces, json_object_new_string("io.apctl")) < 0 ||
            json_add(p, "interfaces", TAKE_PTR(ifaces)) < 0)
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        return call_reply(c, TAKE_PTR(p));
}

typedef struct InterfaceParams {
        char *interface;        /* owned */
} InterfaceParams;

int method_get_interface_description(Manager *m, Call *c) {
        static const JsonField fields[] = {
                { "interface", json_type_string, json_dispatch_string, offsetof(InterfaceParams, interface), JSON_FIELD_REQUIRED },
                {}
        };
        _cleanup_free_ char *iface = NULL;
        InterfaceParams p = {};
        json_object *reply;

        if (call_dispatch_parameters(c, fields, &p) < 0) {
                free(p.interface);
                return -EINVAL;
        }
        iface = p.interface;
        if (!streq(iface, "io.apctl") && !streq(iface, "org.varlink.service"))
                return call_error(c, VARLINK_ERROR_INTERFACE_NOT_FOUND, EOPNOTSUPP, "no interface '%s'", iface);
        reply = json_object_new_object();
        if (!reply || json_add_string(reply, "description", streq(iface, "io.apctl") ? apctl_interface_description :
                                                            varlink_service_interface_description) < 0) {
                json_object_put(reply);
                return call_error(c, APCTL_ERROR_INTERNAL, ENOMEM, "out of memory");
        }
        return call_reply(c, reply);
}
