/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Varlink framing buffers, error-name table and message builders. */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "json-util.h"
#include "varlink-protocol.h"

static const struct {
        const char *name;
        int err;
} error_table[] = {
        { VARLINK_ERROR_METHOD_NOT_FOUND,    EOPNOTSUPP },
        { VARLINK_ERROR_INTERFACE_NOT_FOUND, EOPNOTSUPP },
        { VARLINK_ERROR_INVALID_PARAMETER,   EINVAL },
        { VARLINK_ERROR_PERMISSION_DENIED,   EPERM },
        { VARLINK_ERROR_EXPECTED_MORE,       EINVAL },
        { APCTL_ERROR_NO_SUCH_GUEST,         ENOENT },
        { APCTL_ERROR_GUEST_EXISTS,          EEXIST },
        { APCTL_ERROR_GUEST_RUNNING,         EISCONN },
        { APCTL_ERROR_GUEST_NOT_RUNNING,     ENOTCONN },
        { APCTL_ERROR_CONFLICT,              EADDRINUSE },
        { APCTL_ERROR_RESERVED_BY_HOST,      EADDRNOTAVAIL },
        { APCTL_ERROR_NO_SUCH_DEVICE,        ENODEV },
        { APCTL_ERROR_UNSUPPORTED_CARD,      EMEDIUMTYPE },
        { APCTL_ERROR_BUSY,                  EBUSY },
        { APCTL_ERROR_KERNEL_TIMEOUT,        ETIMEDOUT },
        { APCTL_ERROR_KERNEL,                EIO },
        { APCTL_ERROR_POLICY_DENIED,         EACCES },
        { APCTL_ERROR_INVALID_POLICY,        EBADMSG },
        { APCTL_ERROR_LIMIT,                 ENOBUFS },
        { APCTL_ERROR_INTERNAL,              ENOMEM },
};

int varlink_error_errno(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
                if (streq(error_table[i].name, name))
                        return error_table[i].err;
        return EIO;
}

const char *varlink_error_from_errno(int err) {
        if (err < 0)
                err = -err;
        /* The first entry for an errno is its canonical name. */
        for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
                if (error_table[i].err == err)
                        return error_table[i].name;
        return APCTL_ERROR_KERNEL;
}

void varlink_reader_init(VarlinkReader *r, size_t max) {
        *r = (VarlinkReader) { .max = max };
}

void varlink_reader_done(VarlinkReader *r) {
        free(r->buf);
        *r = (VarlinkReader) {};
}

int varlink_reader_reserve(VarlinkReader *r, size_t want, char **ret_ptr, size_t *ret_len) {
        /* Drop consumed messages first so the buffer never exceeds one message plus a read. */
        if (r->consumed > 0) {
                memmove(r->buf, r->buf + r->consumed, r->size - r->consumed);
                r->size -= r->consumed;
                r->consumed = 0;
        }
        if (r->allocated - r->size < want) {
                size_t n = r->size + want;
                char *p = realloc(r->buf, n);
                if (!p)
                        return -ENOMEM;
                r->buf = p;
                r->allocated = n;
        }
        *ret_ptr = r->buf + r->size;
        *ret_len = r->allocated - r->size;
        return 0;
}

void varlink_reader_commit(VarlinkReader *r, size_t n) {
        r->size += n;
}

int varlink_reader_next(VarlinkReader *r, const char **ret, size_t *ret_len) {
        size_t avail = r->size - r->consumed;
        const char *start = r->buf + r->consumed;
        const char *nul = avail ? memchr(start, 0, avail) : NULL;

        if (!nul) {
                if (avail >= r->max)
                        return -EMSGSIZE;
                return 0;
        }
        if ((size_t) (nul - start) + 1 > r->max)
                return -EMSGSIZE;
        *ret = start;
        *ret_len = nul - start;
        r->consumed += (nul - start) + 1;
        return 1;
}

void varlink_writer_init(VarlinkWriter *w, size_t max) {
        *w = (VarlinkWriter) { .max = max };
}

void varlink_writer_done(VarlinkWriter *w) {
        free(w->buf);
        *w = (VarlinkWriter) {};
}

const char *varlink_message_text(json_object *msg, size_t *ret_len) {
        size_t len;
        const char *s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);

        if (!s)
                return NULL;
        *ret_len = len;
        return s;
}

int varlink_writer_queue(VarlinkWriter *w, json_object *msg) {
        size_t len;
        const char *s = varlink_message_text(msg, &len);

        if (!s)
                return -ENOMEM;
        return varlink_writer_queue_text(w, s, len);
}

/* Room for len more bytes at buf + size; -ENOBUFS past max. */
static int writer_reserve(VarlinkWriter *w, size_t len) {
        if (w->sent > 0 && w->sent == w->size)
                w->sent = w->size = 0;
        if (w->size - w->sent + len > w->max)
                return -ENOBUFS;
        if (w->allocated - w->size < len) {
                if (w->sent > 0) {
                        memmove(w->buf, w->buf + w->sent, w->size - w->sent);
                        w->size -= w->sent;
                        w->sent = 0;
                }
                if (w->allocated - w->size < len) {
                        size_t n = w->size + len;
                        if (n < 2 * w->allocated)
                                n = 2 * w->allocated;
                        char *p = realloc(w->buf, n);
                        if (!p)
                                return -ENOMEM;
                        w->buf = p;
                        w->allocated = n;
                }
        }
        return 0;
}

int varlink_writer_queue_text(VarlinkWriter *w, const char *s, size_t len) {
        int r = writer_reserve(w, len + 1);

        if (r < 0)
                return r;
        memcpy(w->buf + w->size, s, len);
        w->buf[w->size + len] = 0;
        w->size += len + 1;
        return 0;
}

int varlink_writer_adopt(VarlinkWriter *w, char *buf, size_t size, size_t allocated) {
        int r;

        if (w->sent == w->size && size <= w->max) {
                /* Nothing pending: buf becomes the output buffer, no copy. */
                free(w->buf);
                *w = (VarlinkWriter) { .buf = buf, .size = size, .allocated = allocated, .max = w->max };
                return 0;
        }
        r = writer_reserve(w, size);
        if (r >= 0) {
                memcpy(w->buf + w->size, buf, size);
                w->size += size;
        }
        free(buf);
        return r;
}

void varlink_writer_take_buffer(VarlinkWriter *w, char **ret_buf, size_t *ret_allocated) {
        assert(w->sent == w->size);
        *ret_buf = w->buf;
        *ret_allocated = w->allocated;
        *w = (VarlinkWriter) { .max = w->max };
}

int varlink_writer_flush(VarlinkWriter *w, int fd) {
        while (w->sent < w->size) {
                ssize_t n = send(fd, w->buf + w->sent, w->size - w->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        return negative_errno();
                }
                w->sent += n;
        }
        w->sent = w->size = 0;
        /* One big reply (a host listing) should not pin its buffer for the connection's life. */
        if (w->allocated > VARLINK_MESSAGE_MAX) {
                free(w->buf);
                w->buf = NULL;
                w->allocated = 0;
        }
        return 1;
}

json_object *varlink_call_new(const char *method, json_object *parameters, bool more) {
        _cleanup_json_ json_object *m = json_object_new_object();
        _cleanup_json_ json_object *p = parameters;

        if (!m || json_add_string(m, "method", method) < 0)
                return NULL;
        if (p && json_add(m, "parameters", TAKE_PTR(p)) < 0)
                return NULL;
        if (more && json_add_bool(m, "more", true) < 0)
                return NULL;
        return TAKE_PTR(m);
}

json_object *varlink_reply_new(json_object *parameters, bool continues) {
        _cleanup_json_ json_object *m = json_object_new_object();
        _cleanup_json_ json_object *p = parameters ?: json_object_new_object();

        if (!m || json_add(m, "parameters", TAKE_PTR(p)) < 0)
                return NULL;
        if (continues && json_add_bool(m, "continues", true) < 0)
                return NULL;
        return TAKE_PTR(m);
}

json_object *varlink_error_new(const char *name, int err, const char *message, json_object *parameters) {
        _cleanup_json_ json_object *m = json_object_new_object();
        _cleanup_json_ json_object *p = parameters ?: json_object_new_object();

        if (!m || !p)
                return NULL;
        if (json_add_string(m, "error", name) < 0 ||
            json_add_int(p, "errno", err < 0 ? -err : err) < 0 ||
            json_add_string(p, "message", message) < 0 ||
            json_add(m, "parameters", TAKE_PTR(p)) < 0)
                return NULL;
        return TAKE_PTR(m);
}
