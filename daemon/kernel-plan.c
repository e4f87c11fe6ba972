/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planning and running ordered kernel writes for mdevs and host masks. */
#include <stdio.h>
#include <string.h>

#include "kernel-plan.h"
#include "macro.h"

static KernelOp *plan_add(KernelPlan *p, KernelOpType type) {
        KernelOp *op = &p->ops[p->n_ops++];

        *op = (KernelOp) { .type = type };
        return op;
}

static void plan_assign_diff(KernelPlan *p, KernelAssignKind kind, const ApMask *cur, const ApMask *want,
                             bool assign) {
        ApMask diff;

        /* assign: ids wanted but missing; unassign: ids present but unwanted. */
        ap_mask_andnot(&diff, assign ? want : cur, assign ? cur : want);
        AP_MASK_FOREACH(id, &diff) {
                KernelOp *op = plan_add(p, assign ? KERNEL_OP_MDEV_ASSIGN : KERNEL_OP_MDEV_UNASSIGN);
                op->assign_kind = kind;
                op->id = id;
        }
}

void kernel_plan_mdev(const char *uuid, const MdevState *cur, const MdevTarget *target, bool use_ap_config,
                      KernelPlan *ret) {
        static const ApConfig empty;
        const ApConfig *have = cur ? &cur->assigned : &empty;
        const ApConfig *want = &target->config;

        ret->n_ops = 0;
        snprintf(ret->uuid, sizeof(ret->uuid), "%s", uuid);
        if (!target->exists) {
                /* remove resets and unlinks every queue itself; no unassigns first. */
                if (cur)
                        plan_add(ret, KERNEL_OP_MDEV_REMOVE);
                return;
        }
        if (!cur)
                plan_add(ret, KERNEL_OP_MDEV_CREATE);
        if (ap_mask_equal(&have->apm, &want->apm) && ap_mask_equal(&have->aqm, &want->aqm) &&
            ap_mask_equal(&have->adm, &want->adm))
                return;
        if (use_ap_config) {
                plan_add(ret, KERNEL_OP_MDEV_SET_CONFIG)->config = *want;
                return;
        }
        /* Removals first so that a shrinking config never trips over a sharing check. */
        plan_assign_diff(ret, KERNEL_ASSIGN_CONTROL_DOMAIN, &have->adm, &want->adm, false);
        plan_assign_diff(ret, KERNEL_ASSIGN_DOMAIN, &have->aqm, &want->aqm, false);
        plan_assign_diff(ret, KERNEL_ASSIGN_ADAPTER, &have->apm, &want->apm, false);
        plan_assign_diff(ret, KERNEL_ASSIGN_ADAPTER, &have->apm, &want->apm, true);
        plan_assign_diff(ret, KERNEL_ASSIGN_DOMAIN, &have->aqm, &want->aqm, true);
        plan_assign_diff(ret, KERNEL_ASSIGN_CONTROL_DOMAIN, &have->adm, &want->adm, true);
}

void kernel_plan_masks(const HostTarget *cur, const HostTarget *target, KernelPlan *ret) {
        ApMask shrink_ap, shrink_aq;

        ret->n_ops = 0;
        ret->uuid[0] = 0;
        /* Step 1: drop bits (never consults in_use). Step 2: set the final masks (may get -EBUSY). */
        ap_mask_and(&shrink_ap, &cur->apmask, &target->apmask);
        ap_mask_and(&shrink_aq, &cur->aqmask, &target->aqmask);
        if (!ap_mask_equal(&shrink_ap, &cur->apmask)) {
                KernelOp *op = plan_add(ret, KERNEL_OP_MASK_WRITE);
                op->mask_kind = KERNEL_APMASK;
                op->mask = shrink_ap;
        }
        if (!ap_mask_equal(&shrink_aq, &cur->aqmask)) {
                KernelOp *op = plan_add(ret, KERNEL_OP_MASK_WRITE);
                op->mask_kind = KERNEL_AQMASK;
                op->mask = shrink_aq;
        }
        if (!ap_mask_equal(&shrink_ap, &target->apmask)) {
                KernelOp *op = plan_add(ret, KERNEL_OP_MASK_WRITE);
                op->mask_kind = KERNEL_APMASK;
                op->mask = target->apmask;
        }
        if (!ap_mask_equal(&shrink_aq, &target->aqmask)) {
                KernelOp *op = plan_add(ret, KERNEL_OP_MASK_WRITE);
                op->mask_kind = KERNEL_AQMASK;
                op->mask = target->aqmask;
        }
}

void kernel_op_describe(const KernelPlan *p, size_t i, char *buf, size_t size) {
        const KernelOp *op = &p->ops[i];
        char hex[AP_MASK_HEX_BUFSZ];

        switch (op->type) {
        case KERNEL_OP_MASK_WRITE:
                snprintf(buf, size, "write %s %s", op->mask_kind == KERNEL_APMASK ? "apmask" : "aqmask",
                         ap_mask_format_hex(&op->mask, hex));
                break;
        case KERNEL_OP_MDEV_CREATE:
                snprintf(buf, size, "create mdev %s", p->uuid);
                break;
        case KERNEL_OP_MDEV_REMOVE:
                snprintf(buf, size, "remove mdev %s", p->uuid);
                break;
        case KERNEL_OP_MDEV_ASSIGN:
        case KERNEL_OP_MDEV_UNASSIGN:
                snprintf(buf, size, "%sassign_%s %u on mdev %s", op->type == KERNEL_OP_MDEV_UNASSIGN ? "un" : "",
                         kernel_assign_kind_to_string(op->assign_kind), op->id, p->uuid);
                break;
        case KERNEL_OP_MDEV_SET_CONFIG:
                snprintf(buf, size, "write ap_config of mdev %s", p->uuid);
                break;
        }
}

static int op_run(KernelBackend *b, KernelMdevFiles *files, const KernelPlan *p, const KernelOp *op) {
        switch (op->type) {
        case KERNEL_OP_MASK_WRITE:
                return b->ops->mask_write(b, op->mask_kind, &op->mask);
        case KERNEL_OP_MDEV_CREATE:
                return b->ops->mdev_create(b, files, p->uuid);
        case KERNEL_OP_MDEV_REMOVE:
                return b->ops->mdev_remove(b, files, p->uuid);
        case KERNEL_OP_MDEV_ASSIGN:
        case KERNEL_OP_MDEV_UNASSIGN:
                return b->ops->mdev_assign(b, files, p->uuid, op->assign_kind, op->id,
                                           op->type == KERNEL_OP_MDEV_ASSIGN);
        case KERNEL_OP_MDEV_SET_CONFIG:
                return b->ops->mdev_set_config(b, files, p->uuid, &op->config);
        }
        return -EINVAL;
}

int kernel_plan_execute(KernelBackend *b, KernelMdevFiles *files, const KernelPlan *p, size_t *ret_failed,
                        int (*after_step)(void *userdata, size_t done), void *userdata) {
        for (size_t i = 0; i < p->n_ops; i++) {
                int r = op_run(b, files, p, &p->ops[i]);
                if (r >= 0 && after_step)
                        r = after_step(userdata, i + 1);
                if (r < 0) {
                        if (ret_failed)
                                *ret_failed = i;
                        return r;
                }
        }
        return 0;
}
