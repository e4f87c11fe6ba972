/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Structured logging: to the journal with MESSAGE_ID for key events and
 * GUEST=, APQN=, MDEV= fields, or to stderr when the journal is absent
 * (tests, containers). Logged once, where the decision is made.
 */
#pragma once

#include <syslog.h>

#include "macro.h"

/* journalctl MESSAGE_ID=... finds these; stable, documented in apctld(8). */
#define APCTLD_MESSAGE_STARTED          "6b0d7f2c1a9e4c3f8e5b2d1a0c9f8e71"
#define APCTLD_MESSAGE_TXN_COMMITTED    "0f5e3c8a7b2d4e6f9a1c3b5d7e9f1a23"
#define APCTLD_MESSAGE_TXN_ROLLED_BACK  "9c2e4a6b8d0f4e1a3c5b7d9f0e2a4c68"
#define APCTLD_MESSAGE_TXN_TIMEOUT      "3a7c9e1b5d2f4a6c8e0b3d5f7a9c1e45"
#define APCTLD_MESSAGE_RECOVERED        "7e1a3c5b9d2f4e6a8c0b2d4f6a8c0e97"
#define APCTLD_MESSAGE_DRIFT            "5d8f2a4c6e0b4d3f9a1c5e7b3d9f2a16"

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_STDERR,
        LOG_TARGET_NULL,
} LogTarget;

void log_set_target(LogTarget t);
void log_set_max_level(int prio);

/* Any of message_id, guest, apqn, mdev may be NULL. Returns -abs(err) when err != 0, else 0. */
int log_full(int prio, int err, const char *message_id, const char *guest, const char *apqn, const char *mdev,
             const char *fmt, ...) _printf_(7, 8);

#define log_info(...) log_full(LOG_INFO, 0, NULL, NULL, NULL, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, NULL, NULL, NULL, NULL, __VA_ARGS__)
#define log_error_errno(err, ...) log_full(LOG_ERR, (err), NULL, NULL, NULL, NULL, __VA_ARGS__)
#define log_debug(...) log_full(LOG_DEBUG, 0, NULL, NULL, NULL, NULL, __VA_ARGS__)
