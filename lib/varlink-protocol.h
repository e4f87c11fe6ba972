/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The apctl wire protocol: varlink framing (one JSON object per message,
 * each terminated by a NUL byte) and the stable error names shared by
 * apctld and every client. man/apctl-protocol.7 documents both.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define VARLINK_MESSAGE_MAX (64u * 1024u)      /* one request, including its NUL */
#define VARLINK_DEPTH_MAX 16                    /* JSON nesting levels */

/* Stable error names: clients branch on these, never on the message text. */
#define VARLINK_ERROR_METHOD_NOT_FOUND      "org.varlink.service.MethodNotFound"
#define VARLINK_ERROR_INTERFACE_NOT_FOUND   "org.varlink.service.InterfaceNotFound"
#define VARLINK_ERROR_INVALID_PARAMETER     "org.varlink.service.InvalidParameter"
#define VARLINK_ERROR_PERMISSION_DENIED     "org.varlink.service.PermissionDenied"
#define VARLINK_ERROR_EXPECTED_MORE         "org.varlink.service.ExpectedMore"
#define APCTL_ERROR_NO_SUCH_GUEST           "io.apctl.NoSuchGuest"
#define APCTL_ERROR_GUEST_EXISTS            "io.apctl.GuestExists"
#define APCTL_ERROR_GUEST_RUNNING           "io.apctl.GuestRunning"
#define APCTL_ERROR_GUEST_NOT_RUNNING       "io.apctl.GuestNotRunning"
#define APCTL_ERROR_CONFLICT                "io.apctl.Conflict"
#define APCTL_ERROR_RESERVED_BY_HOST        "io.apctl.ReservedByHost"
#define APCTL_ERROR_NO_SUCH_DEVICE          "io.apctl.NoSuchDevice"
#define APCTL_ERROR_UNSUPPORTED_CARD        "io.apctl.UnsupportedCard"
#define APCTL_ERROR_BUSY                    "io.apctl.Busy"
#define APCTL_ERROR_KERNEL_TIMEOUT          "io.apctl.KernelTimeout"
#define APCTL_ERROR_KERNEL                  "io.apctl.KernelError"
#define APCTL_ERROR_POLICY_DENIED           "io.apctl.PolicyDenied"
#define APCTL_ERROR_INVALID_POLICY          "io.apctl.InvalidPolicy"
#define APCTL_ERROR_LIMIT                   "io.apctl.LimitExceeded"
#define APCTL_ERROR_INTERNAL                "io.apctl.InternalError"

/* The errno a client sees with each error name, and back. */
int varlink_error_errno(const char *name);
const char *varlink_error_from_errno(int err);

/*
 * Input side of a connection: bytes go in, complete NUL-terminated messages
 * come out. A message longer than max gives -EMSGSIZE, after which the
 * connection must be closed (there is no way to resynchronise reliably).
 */
typedef struct VarlinkReader {
        char *buf;              /* owned */
        size_t size;            /* bytes held */
        size_t allocated;
        size_t consumed;        /* start of the next unreturned message */
        size_t max;             /* message size limit, NUL included */
} VarlinkReader;

void varlink_reader_init(VarlinkReader *r, size_t max);
void varlink_reader_done(VarlinkReader *r);
/* Space for at least want more bytes; returns where to read() into and how much fits. */
int varlink_reader_reserve(VarlinkReader *r, size_t want, char **ret_ptr, size_t *ret_len);
void varlink_reader_commit(VarlinkReader *r, size_t n);
/*
 * Next complete message (without its NUL) in *ret / *ret_len, valid until
 * the next call; 0 when none is complete yet, 1 when one was returned.
 */
int varlink_reader_next(VarlinkReader *r, const char **ret, size_t *ret_len);

/* Output side: serialized messages queued until the socket takes them. */
typedef struct VarlinkWriter {
        char *buf;              /* owned */
        size_t size;
        size_t allocated;
        size_t sent;
        size_t max;             /* queued bytes a slow reader may hold up */
} VarlinkWriter;

void varlink_writer_init(VarlinkWriter *w, size_t max);
void varlink_writer_done(VarlinkWriter *w);
/*
 * The wire form of msg (compact JSON, without the NUL), valid while msg
 * lives and is not changed; NULL on ENOMEM. Text queued from here is byte
 * for byte what varlink_writer_queue() would send for msg.
 */
const char *varlink_message_text(json_object *msg, size_t *ret_len);
/* Appends the wire form of msg and a NUL; -ENOBUFS past max. */
int varlink_writer_queue(VarlinkWriter *w, json_object *msg);
/* The same for a message already in wire form: text[0..len), without its NUL. */
int varlink_writer_queue_text(VarlinkWriter *w, const char *text, size_t len);
/*
 * Queues size bytes the caller serialized (a piece of a streamed message:
 * the caller writes its NUL with the last piece; allocated: the malloc'd
 * buffer's size) and takes buf over: with nothing pending it becomes the
 * output buffer without a copy. -ENOBUFS past max (buf freed either way).
 */
int varlink_writer_adopt(VarlinkWriter *w, char *buf, size_t size, size_t allocated);
/*
 * With nothing pending: hand the (empty) output buffer over for the caller
 * to serialize the next piece into, so a streamed message needs one buffer,
 * not two. *ret_buf is NULL when there is none.
 */
void varlink_writer_take_buffer(VarlinkWriter *w, char **ret_buf, size_t *ret_allocated);
/* Writes what the fd takes; 1 when all was sent, 0 when some is pending. */
int varlink_writer_flush(VarlinkWriter *w, int fd);
static inline bool varlink_writer_pending(const VarlinkWriter *w) {
        return w->sent < w->size;
}

/* Message builders; NULL on ENOMEM. parameters may be NULL and is consumed. */
json_object *varlink_call_new(const char *method, json_object *parameters, bool more);
json_object *varlink_reply_new(json_object *parameters, bool continues);
json_object *varlink_error_new(const char *name, int err, const char *message, json_object *parameters);
