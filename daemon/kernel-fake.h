/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An in-memory AP bus + vfio_ap for unit tests. It enforces the rules of
 * shared/docs/kernel-abi.md that apctld depends on (-EADDRINUSE for a shared
 * APQN, -EADDRNOTAVAIL for an APQN still reserved by apmask/aqmask, -EBUSY
 * from in_use when a mask write would take an APQN from an mdev, -ENODEV
 * above the max ids), recomputes driver bindings and guest matrices, and
 * counts write steps so a test can make step N fail or block.
 */
#pragma once

#include "kernel-backend.h"

int kernel_fake_new(KernelBackend **ret);
/* A second backend on the same fake kernel: a "restarted daemon" sees what the first one left. */
int kernel_fake_share(KernelBackend *b, KernelBackend **ret);

/* Test controls; all take the fake's lock. */
int kernel_fake_add_card(KernelBackend *b, unsigned id, unsigned hwtype, ApMode mode, const ApMask *domains);
int kernel_fake_remove_card(KernelBackend *b, unsigned id);
int kernel_fake_set_card_config(KernelBackend *b, unsigned id, bool config);
void kernel_fake_set_ap_config_supported(KernelBackend *b, bool supported);
void kernel_fake_set_matrix_present(KernelBackend *b, bool present);
void kernel_fake_set_bindings_complete(KernelBackend *b, bool complete);

/* Step n (1-based, counted over write ops from now on) fails with -err; 0 disarms. */
void kernel_fake_fail_step(KernelBackend *b, unsigned n, int err);
/* Two steps fail (e.g. a forward write and then the first write of its rollback). */
void kernel_fake_fail_steps(KernelBackend *b, unsigned first, unsigned second, int err);
/* Step n blocks until kernel_fake_release() is called; 0 disarms. */
void kernel_fake_block_step(KernelBackend *b, unsigned n);
void kernel_fake_release(KernelBackend *b);
/*
 * The next full load takes its copy of the kernel, then waits for
 * kernel_fake_release_load(): writes meanwhile make its result stale.
 * kernel_fake_wait_load_held() waits (up to timeout_usec) until a load does.
 */
void kernel_fake_hold_load(KernelBackend *b);
bool kernel_fake_wait_load_held(KernelBackend *b, uint64_t timeout_usec);
void kernel_fake_release_load(KernelBackend *b);
/* Write ops since the last kernel_fake_reset_steps() / arm. */
unsigned kernel_fake_steps(KernelBackend *b);
void kernel_fake_reset_steps(KernelBackend *b);
/* Backends sharing this fake kernel (a test waits for a dead manager's thread to let go). */
unsigned kernel_fake_users(KernelBackend *b);
/* Called (on the writer's thread) after every successful write; for change notification. */
void kernel_fake_set_change_callback(KernelBackend *b, void (*cb)(void *userdata), void *userdata);
