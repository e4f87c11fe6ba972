/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Turning "the kernel is like this, make it like that" into an ordered list
 * of kernel writes, and running such a list. The same planner serves a
 * transaction, its rollback and crash recovery, so all three agree on how
 * to get anywhere from anywhere.
 */
#pragma once

#include "journal.h"
#include "kernel-backend.h"

typedef enum KernelOpType {
        KERNEL_OP_MASK_WRITE,
        KERNEL_OP_MDEV_CREATE,
        KERNEL_OP_MDEV_REMOVE,
        KERNEL_OP_MDEV_ASSIGN,
        KERNEL_OP_MDEV_UNASSIGN,
        KERNEL_OP_MDEV_SET_CONFIG,
} KernelOpType;

typedef struct KernelOp {
        KernelOpType type;
        KernelMaskKind mask_kind;       /* MASK_WRITE */
        KernelAssignKind assign_kind;   /* (UN)ASSIGN */
        unsigned id;                    /* (UN)ASSIGN */
        ApMask mask;                    /* MASK_WRITE */
        ApConfig config;                /* SET_CONFIG */
} KernelOp;

/* At most: create + 3 x 256 unassigns + 3 x 256 assigns, or two mask writes. */
#define KERNEL_PLAN_OPS_MAX (2 + 6 * 256)

typedef struct KernelPlan {
        char uuid[UUID_STRING_LEN + 1];
        size_t n_ops;
        KernelOp ops[KERNEL_PLAN_OPS_MAX];
} KernelPlan;

/* cur == NULL: the mdev does not exist. */
void kernel_plan_mdev(const char *uuid, const MdevState *cur, const MdevTarget *target, bool use_ap_config,
                      KernelPlan *ret);
/* Clearing bits first, so a release never waits behind an in_use check. */
void kernel_plan_masks(const HostTarget *cur, const HostTarget *target, KernelPlan *ret);

/* "assign_domain 5 on <uuid>": a human description of one op. */
void kernel_op_describe(const KernelPlan *p, size_t i, char *buf, size_t size);

/*
 * Run the plan. Returns 0, or the first failure's negative errno with
 * *ret_failed set to its index: every op is one write with its own result,
 * also where files (the plan's mdev's kept files, or NULL) make several of
 * them go through one open file. after_step, if set, is called after every
 * successful op (test hook: abandon or kill mid-transaction); returning
 * non-zero stops there with that value.
 */
int kernel_plan_execute(KernelBackend *b, KernelMdevFiles *files, const KernelPlan *p, size_t *ret_failed,
                        int (*after_step)(void *userdata, size_t done), void *userdata);
