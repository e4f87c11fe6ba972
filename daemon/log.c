/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Journal or stderr logging with structured fields. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

static LogTarget log_target = LOG_TARGET_AUTO;
static int log_max_level = LOG_INFO;

void log_set_target(LogTarget t) {
        log_target = t;
}

void log_set_max_level(int prio) {
        log_max_level = prio;
}

static LogTarget log_resolve_target(void) {
        if (log_target != LOG_TARGET_AUTO)
                return log_target;
        /* Under systemd stderr is connected to the journal; elsewhere use the journal only if it runs. */
        if (getenv("JOURNAL_STREAM") || access("/run/systemd/journal/socket", W_OK) == 0)
                log_target = LOG_TARGET_JOURNAL;
        else
                log_target = LOG_TARGET_STDERR;
        return log_target;
}

int log_full(int prio, int err, const char *message_id, const char *guest, const char *apqn, const char *mdev,
             const char *fmt, ...) {
        char msg[1024], f[8][160];
        struct iovec iov[8];
        size_t n = 0, len;
        va_list ap;

        if (err < 0)
                err = -err;
        if (prio > log_max_level)
                return -err;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        len = strlen(msg);
        if (err && len < sizeof(msg) - 1)
                snprintf(msg + len, sizeof(msg) - len, ": %s", strerror(err));

        switch (log_resolve_target()) {
        case LOG_TARGET_NULL:
                break;
        case LOG_TARGET_STDERR:
                fprintf(stderr, "apctld: %s%s%s\n", msg, guest ? " guest=" : "", guest ?: "");
                break;
        default:
#define FIELD(...) do { snprintf(f[n], sizeof(f[n]), __VA_ARGS__); iov[n] = (struct iovec) { f[n], strlen(f[n]) }; n++; } while (0)
                FIELD("PRIORITY=%d", prio);
                FIELD("SYSLOG_IDENTIFIER=apctld");
                if (message_id)
                        FIELD("MESSAGE_ID=%s", message_id);
                if (guest)
                        FIELD("GUEST=%s", guest);
                if (apqn)
                        FIELD("APQN=%s", apqn);
                if (mdev)
                        FIELD("MDEV=%s", mdev);
                if (err)
                        FIELD("ERRNO=%d", err);
#undef FIELD
                {
                        char m[1100];
                        struct iovec all[9];
                        snprintf(m, sizeof(m), "MESSAGE=%s", msg);
                        memcpy(all, iov, n * sizeof(struct iovec));
                        all[n] = (struct iovec) { m, strlen(m) };
                        if (sd_journal_sendv(all, n + 1) < 0)
                                fprintf(stderr, "apctld: %s\n", msg);
                }
                break;
        }
        return -err;
}
