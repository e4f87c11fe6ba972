/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Transactions: every mutating method ends here after validating. A change
 * of the desired state alone is persisted and replied at once. A change
 * that needs kernel writes journals its intent, runs the writes on a worker
 * thread with a timeout, rolls back on failure, persists, resyncs the
 * model, emits its event and replies. One transaction at a time; mutating
 * calls that arrive meanwhile wait in a bounded queue. A transaction whose
 * kernel write outlives its timeout is set aside ("stuck"): its guest (or
 * the host masks), and the APQNs it is moving, stay locked until the kernel
 * answers, and other changes go on.
 */
#pragma once

#include "journal.h"
#include "manager.h"
#include "server.h"
#include "worker.h"

/*
 * The event a transaction emits on success, kept as its facts and built
 * only then and only for subscribers (manager_emit_built()): most of the
 * time nobody listens, and a json-c event per guest start was a tenth of
 * its instructions on apctld's loop.
 */
typedef enum SpecEventKind {
        SPEC_EVENT_NONE,
        SPEC_EVENT_GUEST,               /* {guest, uuid, config} */
        SPEC_EVENT_HOST,                /* {adapters, domains}: the host reservation */
} SpecEventKind;

typedef struct SpecEvent {
        SpecEventKind kind;
        const char *type;               /* borrowed: a static string */
        uint64_t time_usec;             /* when the change was asked for, as an event built then said */
        char guest[GUEST_NAME_MAX + 1];
        char uuid[UUID_STRING_LEN + 1];
        ApConfig config;                /* the guest's; for the host only apm and aqm */
} SpecEvent;

/* The event spec describes, as a json-c object (a builder for manager_emit_built()). */
json_object *spec_event_build(const void *spec_event);

typedef struct TransactionSpec {
        /*
         * owned: the desired state once committed. Only the transaction's
         * subject (the guest intent.guest, or the host reservation when
         * host_scope) is taken from it, on top of the desired state as it is
         * at commit time, so transactions that finish out of order (a kernel
         * write that hung past its timeout) do not undo each other.
         */
        DesiredState next;
        bool host_scope;                /* subject: the host reservation; else the guest intent.guest */
        bool kernel;                    /* the kernel must change: intent is valid */
        JournalEntry intent;            /* kind, method, guest, uuid, before and after */
        /* owned: the reply message on success in wire form (reply_text_end()); NULL: empty parameters */
        char *reply;
        size_t reply_len;
        SpecEvent event;                /* to emit on success (kind NONE: none) */
        /*
         * Guest.Stop: on success (only then: a refused, failed or rolled back
         * stop leaves the guest as it was), autostart leaves intent.guest alone.
         */
        bool autostart_skip_on_success;
} TransactionSpec;

void transaction_spec_done(TransactionSpec *s);

bool transaction_busy(const Manager *m);
/* Queue a mutating call behind the transaction in flight (or refuse it). Takes c. */
void transaction_enqueue(Manager *m, Call *c);
/* Takes c and the contents of spec; always ends the call eventually. */
int transaction_commit(Manager *m, Call *c, TransactionSpec *spec);
/* The loop's side of the worker pipe. */
int transaction_worker_event(sd_event_source *s, int fd, uint32_t revents, void *userdata);
/* Start-up: roll an unfinished journal entry back or forward, synchronously. */
int transaction_recover(Manager *m);
/* {method, subject, kernel, timed_out} of the transaction in flight, or NULL. */
json_object *transaction_describe(const Manager *m);
/* The same for each transaction whose kernel write hangs past its timeout (an array). */
json_object *transaction_describe_stuck(const Manager *m);
/* Manager teardown: drop the transaction (a still-running job is left to its thread). */
void transaction_abort_all(Manager *m);
