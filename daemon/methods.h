/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The method table: every method's name, handler, required privilege and
 * flags, in one place. method_dispatch() checks the privilege, the policy
 * hook and the flags, queues mutating calls behind a transaction in
 * flight, and runs the handler. Handlers own the call: they reply, fail,
 * or hand it to a transaction that replies later.
 */
#pragma once

#include "manager.h"
#include "server.h"

typedef enum MethodPrivilege {
        METHOD_PRIV_READ,       /* whom the policy lets read (anyone when no policy hook is set) */
        METHOD_PRIV_ADMIN,      /* root, the admin uid, or whom the policy allows the change */
} MethodPrivilege;

enum {
        METHOD_MUTATES = 1u << 0,       /* serialised with transactions */
        METHOD_MORE_ALLOWED = 1u << 1,  /* may stream replies */
        METHOD_MORE_REQUIRED = 1u << 2, /* only makes sense with "more" */
};

typedef int (*MethodHandler)(Manager *m, Call *c);

struct MethodDef {
        const char *name;               /* borrowed: static string */
        MethodHandler handler;
        MethodPrivilege privilege;
        unsigned flags;
};

const MethodDef *method_find(const char *name);
/* Takes ownership of c. */
void method_dispatch(Manager *m, Call *c);
/* Run calls that waited for the transaction to finish. */
void method_run_queued(Manager *m);

/* The varlink interface descriptions (interface.c). */
extern const char apctl_interface_description[];
extern const char varlink_service_interface_description[];

/* Handlers, one file per object. */
int method_get_info(Manager *m, Call *c);
int method_get_interface_description(Manager *m, Call *c);
int method_host_list(Manager *m, Call *c);
int method_host_reserve(Manager *m, Call *c);
int method_host_release(Manager *m, Call *c);
int method_guest_define(Manager *m, Call *c);
int method_guest_undefine(Manager *m, Call *c);
int method_guest_modify(Manager *m, Call *c);
int method_guest_start(Manager *m, Call *c);
int method_guest_stop(Manager *m, Call *c);
int method_guest_attach(Manager *m, Call *c);
int method_guest_detach(Manager *m, Call *c);
int method_guest_show(Manager *m, Call *c);
int method_guest_list(Manager *m, Call *c);
int method_guest_import(Manager *m, Call *c);
int method_guest_export(Manager *m, Call *c);
int method_guest_check(Manager *m, Call *c);
int method_events_subscribe(Manager *m, Call *c);
int method_status(Manager *m, Call *c);
int method_reconcile(Manager *m, Call *c);
int method_policy_reload(Manager *m, Call *c);
int method_policy_show(Manager *m, Call *c);

/* The parameters of a Status reply, built afresh (never from the cache); NULL on ENOMEM. */
json_object *method_status_build(Manager *m);
/* How many Status replies were sent from the cache (tests show it is used). */
unsigned long method_status_cache_hits(void);

/* Decode c's parameters through a field table; on failure replies InvalidParameter and returns < 0. */
int call_dispatch_parameters(Call *c, const JsonField *table, void *base);
/*
 * End c with InvalidParameter naming the offending field in the error's
 * "parameter" (as a field table's failure does), with errno err; returns -err.
 */
int call_error_parameter_errno(Call *c, int err, const char *parameter, const char *fmt, ...) _printf_(4, 5);
/* The same with EINVAL. */
#define call_error_parameter(c, parameter, ...) call_error_parameter_errno((c), EINVAL, (parameter), __VA_ARGS__)
