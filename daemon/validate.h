/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checks every change must pass before the kernel is touched: ids within
 * the kernel's limits, APQNs present (unless over-provisioning is allowed),
 * CEX4 or newer, no overlap with another guest (usage APQNs, and control
 * domains over the adapters either guest holds), nothing the host keeps,
 * and the policy hook. Each refusal names the APQN and the other party.
 */
#pragma once

#include "desired-state.h"
#include "kernel-state.h"
#include "policy-hook.h"

typedef struct ValidationError {
        const char *error;      /* borrowed: a stable error name from varlink-protocol.h */
        int err;                /* negative errno */
        char message[512];      /* room for a policy refusal's file:line and reason */
} ValidationError;

/* g is the new definition; a guest of the same name in d is the old one and ignored. */
int validate_guest(const KernelState *k, const DesiredState *d, const GuestDef *g, const PolicyHook *policy,
                   const PeerCredentials *peer, ValidationError *ret);
/*
 * Would two guests' configurations collide: a shared usage APQN, or a
 * control domain of one over a usage APQN of the other? *ret names the APQN.
 */
bool validate_configs_collide(const ApConfig *a, const ApConfig *b, Apqn *ret);

/* A new host reservation against every guest definition. */
int validate_host(const KernelState *k, const DesiredState *d, const ApMask *apm, const ApMask *aqm,
                  ValidationError *ret);
