/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the libvirt hook and the mdevctl callout share: one call to apctld
 * under a deadline that bounds the whole program's run time (libvirt and
 * mdevctl wait for us synchronously), the socket path and deadline from the
 * environment, and bounded reading of stdin.
 */
#pragma once

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define APCTLD_SOCKET_DEFAULT "/run/apctl/apctld.sock"
/* The whole run, every apctld call included; $APCTL_HOOK_TIMEOUT_MSEC overrides it. */
#define APCTLD_DEADLINE_MSEC_DEFAULT 60000u
#define APCTLD_DEADLINE_MSEC_MAX 600000u

typedef struct ApctldCall {
        const char *socket_path;        /* borrowed: $APCTL_SOCKET or the default */
        uint64_t deadline_usec;         /* CLOCK_MONOTONIC */
} ApctldCall;

typedef struct ApctldError {
        char name[96];                  /* the daemon's error name; "" when apctld was not reached */
        char message[512];              /* for humans: the daemon's message, or what went wrong talking to it */
} ApctldError;

/* Socket path and deadline from the environment; -EINVAL names a bad $APCTL_HOOK_TIMEOUT_MSEC in e. */
int apctld_call_init(ApctldCall *ret, ApctldError *e);

/*
 * One call (parameters consumed, may be NULL). 0 with the reply's
 * parameters in *ret_parameters (may be NULL if not wanted); -EREMOTEIO for
 * an error reply (e has its name and message); another negative errno when
 * apctld could not be reached or did not answer in time (e says so).
 */
int apctld_call(const ApctldCall *a, const char *method, json_object *parameters, json_object **ret_parameters,
                ApctldError *e);

/*
 * Whether apctld's socket takes a connection: 0, or the connect error. -ENOENT
 * (no socket) and -ECONNREFUSED (nobody listening) mean apctld does not run
 * on this host; with socket activation the connection itself starts it.
 */
int apctld_probe(const ApctldCall *a);

/* All of fd up to max bytes, NUL-terminated, before the deadline. -E2BIG past max, -ETIMEDOUT. */
int read_all_fd(int fd, size_t max, uint64_t deadline_usec, char **ret, size_t *ret_len);

uint64_t now_usec(void);
