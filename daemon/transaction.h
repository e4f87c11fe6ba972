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
        json_object *event;             /* owned: event to emit on success (may be NULL) */
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
