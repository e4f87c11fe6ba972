/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel backend: every read and write apctld makes to the AP bus and
 * vfio_ap goes through this ops table. Two implementations: sysfs
 * (kernel-sysfs.c, the real s390 kernel or apctl's simulator, under a
 * configurable root) and an in-memory fake (kernel-fake.c) that enforces
 * the kernel's rules for unit tests.
 *
 * Write ops may block (queue resets, mask edits, removing an mdev a guest
 * holds); they are only called from the worker thread. load() and the
 * read ops may be called from either thread; implementations must be safe
 * for one reader and one writer at a time.
 */
#pragma once

#include "ap-mask.h"
#include "kernel-state.h"
#include "macro.h"

typedef enum KernelMaskKind {
        KERNEL_APMASK,
        KERNEL_AQMASK,
} KernelMaskKind;

typedef enum KernelAssignKind {
        KERNEL_ASSIGN_ADAPTER,
        KERNEL_ASSIGN_DOMAIN,
        KERNEL_ASSIGN_CONTROL_DOMAIN,
        _KERNEL_ASSIGN_MAX,
} KernelAssignKind;

/* What mdev_read() reads: the assigned config, the guest matrix, or both. */
typedef enum KernelMdevRead {
        KERNEL_MDEV_READ_ASSIGNED = 1 << 0,     /* assigned, assigned_partial */
        KERNEL_MDEV_READ_GUEST = 1 << 1,        /* guest_apm, guest_aqm, guest_matrix_partial */
        KERNEL_MDEV_READ_ALL = KERNEL_MDEV_READ_ASSIGNED | KERNEL_MDEV_READ_GUEST,
} KernelMdevRead;

/*
 * The attribute files of one mdev a job keeps open from their first use to
 * the job's end, so that an attribute costs one open() per job, not one
 * per write or read. sysfs store() ignores the file position: each write()
 * on a kept file is one store() call with its own result, exactly as
 * through a fresh open(); a pread() at offset 0 runs show() afresh. Owned
 * by the job's thread (never shared); the backend opens lazily (one
 * without files ignores them), kernel_mdev_files_close() closes. Calls
 * that are one-offs pass NULL. A file kept across the mdev's removal by
 * another party fails every read and write with -ENODEV where a fresh
 * open() fails with -ENOENT: to see the mdev as it is now after a
 * failure, close them first (worker_apply()).
 */
#define KERNEL_MDEV_FILES_MAX 12
typedef struct KernelMdevFiles {
        int fd[KERNEL_MDEV_FILES_MAX];  /* owned; < 0: not open */
} KernelMdevFiles;

void kernel_mdev_files_init(KernelMdevFiles *f);
/* Closes every file; f can be used again (for another mdev, or after the mdev went). */
void kernel_mdev_files_close(KernelMdevFiles *f);

typedef struct KernelBackend KernelBackend;

typedef struct KernelBackendOps {
        const char *name;
        /* A complete snapshot, sorted. */
        int (*load)(KernelBackend *b, KernelState *ret);
        /*
         * What of one mdev (KernelMdevRead) into ret, the rest of it
         * empty; -ENOENT when it does not exist. With only the guest
         * matrix asked for, any failure to read it is returned (a kernel
         * before 6.0 has no guest_matrix).
         */
        int (*mdev_read)(KernelBackend *b, KernelMdevFiles *files, const char *uuid, KernelMdevRead what,
                         MdevState *ret);
        int (*masks_read)(KernelBackend *b, ApMask *ret_apmask, ApMask *ret_aqmask);
        /* One queue's state and driver; -ENOENT when it does not exist. */
        int (*queue_read)(KernelBackend *b, unsigned adapter, unsigned domain, ApQueue *ret);
        /* Absolute-form write of apmask or aqmask. */
        int (*mask_write)(KernelBackend *b, KernelMaskKind which, const ApMask *m);
        /* files: the new mdev's, to be opened when first used. */
        int (*mdev_create)(KernelBackend *b, KernelMdevFiles *files, const char *uuid);
        /* Closes files first: nothing of the mdev stays open across its removal. */
        int (*mdev_remove)(KernelBackend *b, KernelMdevFiles *files, const char *uuid);
        int (*mdev_assign)(KernelBackend *b, KernelMdevFiles *files, const char *uuid, KernelAssignKind kind,
                           unsigned id, bool assign);
        /* The atomic ap_config write; -EOPNOTSUPP when the kernel lacks it. */
        int (*mdev_set_config)(KernelBackend *b, KernelMdevFiles *files, const char *uuid, const ApConfig *c);
        /* Force a synchronous bus rescan (write to `scans`). */
        int (*rescan)(KernelBackend *b);
        void (*free)(KernelBackend *b);
} KernelBackendOps;

struct KernelBackend {
        unsigned n_ref;                 /* atomic: the manager, and each worker thread while it runs */
        const KernelBackendOps *ops;    /* borrowed: static table */
        void *data;                     /* owned by the implementation */
};

const char *kernel_assign_kind_to_string(KernelAssignKind k);

KernelBackend *kernel_backend_ref(KernelBackend *b);
/* Drops a reference; the last one frees. Returns NULL. */
KernelBackend *kernel_backend_free(KernelBackend *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(KernelBackend *, kernel_backend_free);

/* sysfs backend; root is "/sys" on a real system. */
int kernel_sysfs_new(const char *root, KernelBackend **ret);
