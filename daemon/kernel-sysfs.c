/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sysfs kernel backend: reads and writes the AP bus and vfio_ap
 * attributes of shared/docs/kernel-abi.md under a configurable root, so it
 * drives the real s390 kernel, apctl's simulator modules, or a directory
 * tree built by a test.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "kernel-backend.h"
#include "macro.h"

#define MDEV_TYPE "vfio_ap-passthrough"
/* sysfs shows at most one page per attribute. */
#define SYSFS_PAGE_SIZE 4096
/* Leaves room in PATH_MAX buffers for the longest attribute path below the root. */
#define SYSFS_ROOT_MAX 3000

typedef struct KernelSysfs {
        char bus[SYSFS_ROOT_MAX + 16];          /* <root>/bus/ap */
        char matrix[SYSFS_ROOT_MAX + 32];       /* <root>/devices/vfio_ap/matrix */
        /*
         * Whether vfio_ap's features name ap_config: 1, 0, or -1 until read.
         * Every full load reads it again; an mdev read between loads (two
         * per transaction, on worker threads) takes it from here.
         */
        atomic_int ap_config;
} KernelSysfs;

static KernelSysfs *sysfs_of(KernelBackend *b) {
        return b->data;
}

/* The mdev attributes a job keeps open (KernelMdevFiles), each with the way it is opened. */
typedef enum MdevFile {
        MDEV_FILE_MATRIX,
        MDEV_FILE_CONTROL_DOMAINS,
        MDEV_FILE_GUEST_MATRIX,
        MDEV_FILE_AP_CONFIG_READ,
        MDEV_FILE_AP_CONFIG_WRITE,
        MDEV_FILE_ASSIGN_ADAPTER,               /* + KernelAssignKind */
        MDEV_FILE_UNASSIGN_ADAPTER = MDEV_FILE_ASSIGN_ADAPTER + _KERNEL_ASSIGN_MAX,     /* + KernelAssignKind */
        _MDEV_FILE_MAX = MDEV_FILE_UNASSIGN_ADAPTER + _KERNEL_ASSIGN_MAX,
} MdevFile;

static_assert(_MDEV_FILE_MAX <= KERNEL_MDEV_FILES_MAX, "KernelMdevFiles too small");

static const struct {
        const char *name;
        int flags;
} mdev_files[_MDEV_FILE_MAX] = {
        [MDEV_FILE_MATRIX] = { "matrix", O_RDONLY },
        [MDEV_FILE_CONTROL_DOMAINS] = { "control_domains", O_RDONLY },
        [MDEV_FILE_GUEST_MATRIX] = { "guest_matrix", O_RDONLY },
        [MDEV_FILE_AP_CONFIG_READ] = { "ap_config", O_RDONLY },
        [MDEV_FILE_AP_CONFIG_WRITE] = { "ap_config", O_WRONLY },
        [MDEV_FILE_ASSIGN_ADAPTER + KERNEL_ASSIGN_ADAPTER] = { "assign_adapter", O_WRONLY },
        [MDEV_FILE_ASSIGN_ADAPTER + KERNEL_ASSIGN_DOMAIN] = { "assign_domain", O_WRONLY },
        [MDEV_FILE_ASSIGN_ADAPTER + KERNEL_ASSIGN_CONTROL_DOMAIN] = { "assign_control_domain", O_WRONLY },
        [MDEV_FILE_UNASSIGN_ADAPTER + KERNEL_ASSIGN_ADAPTER] = { "unassign_adapter", O_WRONLY },
        [MDEV_FILE_UNASSIGN_ADAPTER + KERNEL_ASSIGN_DOMAIN] = { "unassign_domain", O_WRONLY },
        [MDEV_FILE_UNASSIGN_ADAPTER + KERNEL_ASSIGN_CONTROL_DOMAIN] = { "unassign_control_domain", O_WRONLY },
};

void kernel_mdev_files_init(KernelMdevFiles *f) {
        for (size_t i = 0; i < ELEMENTSOF(f->fd); i++)
                f->fd[i] = -EBADF;
}

void kernel_mdev_files_close(KernelMdevFiles *f) {
        for (size_t i = 0; i < ELEMENTSOF(f->fd); i++)
                f->fd[i] = safe_close(f->fd[i]);
}

static const char *const assign_names[_KERNEL_ASSIGN_MAX] = {
        [KERNEL_ASSIGN_ADAPTER] = "adapter",
        [KERNEL_ASSIGN_DOMAIN] = "domain",
        [KERNEL_ASSIGN_CONTROL_DOMAIN] = "control_domain",
};

const char *kernel_assign_kind_to_string(KernelAssignKind k) {
        return (unsigned) k < _KERNEL_ASSIGN_MAX ? assign_names[k] : "?";
}

KernelBackend *kernel_backend_ref(KernelBackend *b) {
        __atomic_add_fetch(&b->n_ref, 1, __ATOMIC_SEQ_CST);
        return b;
}

KernelBackend *kernel_backend_free(KernelBackend *b) {
        if (b && __atomic_sub_fetch(&b->n_ref, 1, __ATOMIC_SEQ_CST) == 0) {
                b->ops->free(b);
                free(b);
        }
        return NULL;
}

static int read_mask_attr(const char *dir, const char *name, ApMask *ret) {
        char buf[128];
        int r = read_attr(dir, name, buf, sizeof(buf));

        if (r < 0)
                return r;
        return ap_mask_parse_hex(buf, ret, NULL);
}

static int read_bool_attr(const char *dir, const char *name, bool *ret) {
        unsigned v;
        int r = read_attr_uint(dir, name, &v);

        if (r < 0)
                return r;
        *ret = v != 0;
        return 0;
}

static ApDriver driver_of(const char *devdir) {
        char link[PATH_MAX + 16], target[PATH_MAX];
        const char *base;
        ssize_t n;

        snprintf(link, sizeof(link), "%s/driver", devdir);
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return AP_DRIVER_NONE;
        target[n] = 0;
        base = strrchr(target, '/');
        base = base ? base + 1 : target;
        return streq(base, "vfio_ap") ? AP_DRIVER_VFIO_AP : AP_DRIVER_DEFAULT;
}

/* MODE= from the device's uevent file (cards and queues both carry it). */
static ApMode mode_of(const char *devdir) {
        char path[PATH_MAX + 16];
        _cleanup_free_ char *text = NULL;

        snprintf(path, sizeof(path), "%s/uevent", devdir);
        if (read_file(path, 4096, &text, NULL) < 0)
                return AP_MODE_UNKNOWN;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (strneq(line, "MODE=", 5))
                        return ap_mode_from_string(line + 5);
        return AP_MODE_UNKNOWN;
}

static int load_card(const char *devdir, unsigned id, KernelState *s) {
        ApCard c = { .id = id };
        unsigned hwtype = 0;
        bool v;

        if (read_attr_uint(devdir, "hwtype", &hwtype) >= 0)
                c.hwtype = hwtype > 255 ? 255 : hwtype;
        c.config = read_bool_attr(devdir, "config", &v) >= 0 ? v : true;
        c.chkstop = read_bool_attr(devdir, "chkstop", &v) >= 0 && v;
        c.online = read_bool_attr(devdir, "online", &v) >= 0 && v;
        c.driver = driver_of(devdir);
        c.mode = mode_of(devdir);
        return kernel_state_add_card(s, &c);
}

static void read_queue(const char *devdir, unsigned a, unsigned d, ApQueue *ret) {
        ApQueue q = { .adapter = a, .domain = d };
        bool v;

        q.config = read_bool_attr(devdir, "config", &v) >= 0 ? v : true;
        q.chkstop = read_bool_attr(devdir, "chkstop", &v) >= 0 && v;
        /* Only zcrypt's queue driver has 'online' (kernel-abi.md §1): one bound to vfio_ap is usable when configured. */
        q.online = read_bool_attr(devdir, "online", &v) >= 0 ? v : q.config && !q.chkstop;
        q.driver = driver_of(devdir);
        *ret = q;
}

static int load_queue(const char *devdir, unsigned a, unsigned d, KernelState *s) {
        ApQueue q;

        read_queue(devdir, a, d, &q);
        return kernel_state_add_queue(s, &q);
}

static int load_bus_attrs(KernelSysfs *k, KernelState *s) {
        char buf[128];
        unsigned bound, total;
        int r;

        r = read_mask_attr(k->bus, "apmask", &s->apmask);
        if (r < 0)
                return r;
        r = read_mask_attr(k->bus, "aqmask", &s->aqmask);
        if (r < 0)
                return r;
        s->qci_supported = read_mask_attr(k->bus, "ap_adapter_mask", &s->qci.apm) >= 0 &&
                           read_mask_attr(k->bus, "ap_usage_domain_mask", &s->qci.aqm) >= 0 &&
                           read_mask_attr(k->bus, "ap_control_domain_mask", &s->qci.adm) >= 0;
        if (read_attr_uint(k->bus, "ap_max_adapter_id", &s->max_adapter) < 0)
                s->max_adapter = 63;
        if (read_attr_uint(k->bus, "ap_max_domain_id", &s->max_domain) < 0)
                s->max_domain = 15;
        if (s->max_adapter > AP_ID_MAX)
                s->max_adapter = AP_ID_MAX;
        if (s->max_domain > AP_ID_MAX)
                s->max_domain = AP_ID_MAX;
        if (read_attr(k->bus, "bindings", buf, sizeof(buf)) >= 0 &&
            sscanf(buf, "%u/%u", &bound, &total) == 2) {
                s->bindings_bound = bound;
                s->bindings_total = total;
                s->bindings_complete = strstr(buf, "(complete)") != NULL;
        }
        return 0;
}

static int load_devices(KernelSysfs *k, KernelState *s) {
        char dir[SYSFS_ROOT_MAX + 32], devdir[PATH_MAX];
        DIR *d;
        struct dirent *de;
        int r = 0;

        snprintf(dir, sizeof(dir), "%s/devices", k->bus);
        d = opendir(dir);
        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                unsigned a, q;
                char tail;

                snprintf(devdir, sizeof(devdir), "%s/%s", dir, de->d_name);
                if (sscanf(de->d_name, "card%2x%c", &a, &tail) == 1 && strlen(de->d_name) == 6)
                        r = load_card(devdir, a, s);
                else if (sscanf(de->d_name, "%2x.%4x%c", &a, &q, &tail) == 2 && strlen(de->d_name) == 7 &&
                         q <= AP_ID_MAX)
                        r = load_queue(devdir, a, q, s);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

/*
 * A cut-short matrix text is not a cross product any more, which the strict
 * parser insists on: take what each whole "XX.YYYY" line says.
 */
static void matrix_parse_lines(char *text, ApMask *apm, ApMask *aqm) {
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                Apqn q;
                if (apqn_parse(line, &q, NULL) >= 0) {
                        ap_mask_set(apm, q.adapter);
                        ap_mask_set(aqm, q.domain);
                }
        }
}

/* <matrix>/<uuid>/<name>, joined without snprintf (once per attribute a job opens). */
static int mdev_attr_path(KernelSysfs *k, const char *uuid, const char *name, char buf[static PATH_MAX]) {
        size_t lm = strlen(k->matrix), lu = strlen(uuid), ln = strlen(name);

        if (lm + 1 + lu + 1 + ln + 1 > PATH_MAX)
                return -ENAMETOOLONG;
        memcpy(buf, k->matrix, lm);
        buf[lm] = '/';
        memcpy(buf + lm + 1, uuid, lu);
        buf[lm + 1 + lu] = '/';
        memcpy(buf + lm + 1 + lu + 1, name, ln + 1);
        return 0;
}

/*
 * Open one attribute of an mdev: kept in files (opened at its first use,
 * the fd borrowed by the caller), or a fresh one (the caller's to close);
 * *ret_kept says which.
 */
static int mdev_file_open(KernelSysfs *k, KernelMdevFiles *files, const char *uuid, MdevFile which, bool *ret_kept) {
        char path[PATH_MAX];
        int fd, r;

        if (files && files->fd[which] >= 0) {
                *ret_kept = true;
                return files->fd[which];
        }
        r = mdev_attr_path(k, uuid, mdev_files[which].name, path);
        if (r < 0)
                return r;
        fd = open(path, mdev_files[which].flags | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (files)
                files->fd[which] = fd;
        *ret_kept = files != NULL;
        return fd;
}

static int mdev_file_read(KernelSysfs *k, KernelMdevFiles *files, const char *uuid, MdevFile which, size_t max,
                          char **ret, size_t *ret_len) {
        bool kept;
        int fd = mdev_file_open(k, files, uuid, which, &kept), r;

        if (fd < 0)
                return fd;
        r = read_sysfs_fd(fd, max, ret, ret_len);
        if (!kept)
                safe_close(fd);
        return r;
}

static int mdev_file_write(KernelSysfs *k, KernelMdevFiles *files, const char *uuid, MdevFile which,
                           const char *value) {
        bool kept;
        int fd = mdev_file_open(k, files, uuid, which, &kept), r;

        if (fd < 0)
                return fd;
        r = write_attr_fd(fd, value);
        if (!kept)
                safe_close(fd);
        return r;
}

/* A page-sized read may have been cut mid-line: keep what the whole lines say. */
static void matrix_parse_cut(char *text, ApMask *apm, ApMask *aqm) {
        char *nl = strrchr(text, '\n');

        if (nl)
                nl[1] = 0;
        ap_mask_clear_all(apm);
        ap_mask_clear_all(aqm);
        matrix_parse_lines(text, apm, aqm);
}

static int mdev_read_assigned(KernelSysfs *k, KernelMdevFiles *files, const char *uuid, bool ap_config,
                              MdevState *m) {
        _cleanup_free_ char *text = NULL, *cdoms = NULL;
        size_t len;
        int r;

        /* No access() first: a missing mdev fails its first read with -ENOENT all the same. */
        if (ap_config) {
                r = mdev_file_read(k, files, uuid, MDEV_FILE_AP_CONFIG_READ, AP_CONFIG_BUFSZ + 16, &text, NULL);
                if (r >= 0)
                        return ap_config_parse(text, &m->assigned, NULL);
                /*
                 * Where features lists ap_config every mdev has it: -ENOENT is
                 * the mdev missing (a guest start's first read), not worth a
                 * second lookup of matrix. Other errors try matrix.
                 */
                if (r == -ENOENT)
                        return r;
        }
        r = mdev_file_read(k, files, uuid, MDEV_FILE_MATRIX, 1 << 20, &text, &len);
        if (r < 0)
                return r;
        r = ap_matrix_parse(text, &m->assigned.apm, &m->assigned.aqm, NULL);
        if (r < 0 && len >= SYSFS_PAGE_SIZE - 8) {
                /*
                 * Without ap_config (before 6.10) a big mdev's matrix does not fit in
                 * its page: keep what the whole lines say rather than lose every mdev.
                 */
                matrix_parse_cut(text, &m->assigned.apm, &m->assigned.aqm);
                m->assigned_partial = true;
                r = 0;
        }
        if (r < 0)
                return r;
        r = mdev_file_read(k, files, uuid, MDEV_FILE_CONTROL_DOMAINS, 1 << 16, &cdoms, NULL);
        if (r < 0)
                return r;
        return ap_domain_lines_parse(cdoms, &m->assigned.adm, NULL);
}

static int mdev_read_guest(KernelSysfs *k, KernelMdevFiles *files, const char *uuid, MdevState *m) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = mdev_file_read(k, files, uuid, MDEV_FILE_GUEST_MATRIX, 1 << 20, &text, &len);
        if (r < 0)
                return r;
        m->guest_matrix_partial = len >= SYSFS_PAGE_SIZE - 8;
        if (m->guest_matrix_partial)
                matrix_parse_cut(text, &m->guest_apm, &m->guest_aqm);
        else
                (void) ap_matrix_parse(text, &m->guest_apm, &m->guest_aqm, NULL);
        return 0;
}

static int mdev_read_dir(KernelSysfs *k, KernelMdevFiles *files, const char *uuid, KernelMdevRead what,
                         bool ap_config, MdevState *ret) {
        MdevState m = {};
        int r;

        snprintf(m.uuid, sizeof(m.uuid), "%s", uuid);
        if (what & KERNEL_MDEV_READ_ASSIGNED) {
                r = mdev_read_assigned(k, files, uuid, ap_config, &m);
                if (r < 0)
                        return r;
        }
        if (what & KERNEL_MDEV_READ_GUEST) {
                r = mdev_read_guest(k, files, uuid, &m);
                /* Before 6.0 there is no guest_matrix: only a read of nothing else fails for it. */
                if (r < 0 && what == KERNEL_MDEV_READ_GUEST)
                        return r;
        }
        *ret = m;
        return 0;
}

static int load_matrix(KernelSysfs *k, KernelState *s) {
        char buf[256];
        DIR *d;
        struct dirent *de;
        int r = 0;

        d = opendir(k->matrix);
        if (!d) {
                if (errno == ENOENT)
                        return 0;       /* vfio_ap not loaded */
                return negative_errno();
        }
        s->matrix_present = true;
        s->ap_config_supported = read_attr(k->matrix, "features", buf, sizeof(buf)) >= 0 &&
                                 strstr(buf, "ap_config") != NULL;
        atomic_store(&k->ap_config, s->ap_config_supported);
        while ((de = readdir(d))) {
                MdevState m;

                if (!uuid_is_valid(de->d_name))
                        continue;
                r = mdev_read_dir(k, NULL, de->d_name, KERNEL_MDEV_READ_ALL, s->ap_config_supported, &m);
                if (r == -ENOENT) {
                        /* Removed while we read: not an error of the load, also when it was the last entry. */
                        r = 0;
                        continue;
                }
                if (r < 0)
                        break;
                r = kernel_state_add_mdev(s, &m);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

static int sysfs_load(KernelBackend *b, KernelState *ret) {
        KernelSysfs *k = sysfs_of(b);
        KernelState s = {};
        int r;

        /* No AP bus (module not loaded yet): an empty host; its uevents bring us back. */
        if (access(k->bus, F_OK) < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                *ret = s;
                return 0;
        }
        s.bus_present = true;
        r = load_bus_attrs(k, &s);
        if (r >= 0)
                r = load_devices(k, &s);
        if (r >= 0)
                r = load_matrix(k, &s);
        if (r < 0) {
                kernel_state_done(&s);
                return r;
        }
        kernel_state_sort(&s);
        *ret = s;
        return 0;
}

static int sysfs_mdev_read(KernelBackend *b, KernelMdevFiles *files, const char *uuid, KernelMdevRead what,
                           MdevState *ret) {
        KernelSysfs *k = sysfs_of(b);
        char buf[256];
        int ap_config = atomic_load(&k->ap_config);

        if (ap_config < 0) {
                ap_config = read_attr(k->matrix, "features", buf, sizeof(buf)) >= 0 && strstr(buf, "ap_config");
                atomic_store(&k->ap_config, ap_config);
        }
        return mdev_read_dir(k, files, uuid, what, ap_config, ret);
}

static int sysfs_masks_read(KernelBackend *b, ApMask *ret_apmask, ApMask *ret_aqmask) {
        KernelSysfs *k = sysfs_of(b);
        ApMask apm, aqm;
        int r;

        r = read_mask_attr(k->bus, "apmask", &apm);
        if (r >= 0)
                r = read_mask_attr(k->bus, "aqmask", &aqm);
        if (r < 0)
                return r;
        *ret_apmask = apm;
        *ret_aqmask = aqm;
        return 0;
}

static int sysfs_queue_read(KernelBackend *b, unsigned adapter, unsigned domain, ApQueue *ret) {
        KernelSysfs *k = sysfs_of(b);
        char devdir[PATH_MAX];

        if (adapter > AP_ID_MAX || domain > AP_ID_MAX)
                return -EINVAL;
        snprintf(devdir, sizeof(devdir), "%s/devices/%02x.%04x", k->bus, adapter, domain);
        if (access(devdir, F_OK) < 0)
                return negative_errno();
        read_queue(devdir, adapter, domain, ret);
        return 0;
}

static int sysfs_mask_write(KernelBackend *b, KernelMaskKind which, const ApMask *m) {
        KernelSysfs *k = sysfs_of(b);
        char path[PATH_MAX], hex[AP_MASK_HEX_BUFSZ], value[AP_MASK_HEX_BUFSZ + 1];

        snprintf(path, sizeof(path), "%s/%s", k->bus, which == KERNEL_APMASK ? "apmask" : "aqmask");
        /* The absolute form: immune to the pre-6.10 relative-parser crash (CVE-2024-38661). */
        snprintf(value, sizeof(value), "%s\n", ap_mask_format_hex(m, hex));
        return write_attr(path, value);
}

static int sysfs_mdev_create(KernelBackend *b, KernelMdevFiles *files, const char *uuid) {
        KernelSysfs *k = sysfs_of(b);
        char path[PATH_MAX];

        /* Files of an earlier mdev of this UUID would be dead: the new one's open at their first use. */
        if (files)
                kernel_mdev_files_close(files);
        snprintf(path, sizeof(path), "%s/mdev_supported_types/" MDEV_TYPE "/create", k->matrix);
        return write_attr(path, uuid);
}

static int sysfs_mdev_remove(KernelBackend *b, KernelMdevFiles *files, const char *uuid) {
        KernelSysfs *k = sysfs_of(b);
        char path[PATH_MAX];

        if (files)
                kernel_mdev_files_close(files);
        snprintf(path, sizeof(path), "%s/%s/remove", k->matrix, uuid);
        return write_attr(path, "1");
}

static int sysfs_mdev_assign(KernelBackend *b, KernelMdevFiles *files, const char *uuid, KernelAssignKind kind,
                             unsigned id, bool assign) {
        char value[DECIMAL_U64_BUFSZ];

        if ((unsigned) kind >= _KERNEL_ASSIGN_MAX)
                return -EINVAL;
        /* Decimal without leading zeros: kstrtoul base 0 reads "010" as octal 8. */
        (void) format_u64(value, id);
        return mdev_file_write(sysfs_of(b), files, uuid,
                               (assign ? MDEV_FILE_ASSIGN_ADAPTER : MDEV_FILE_UNASSIGN_ADAPTER) + kind, value);
}

static int sysfs_mdev_set_config(KernelBackend *b, KernelMdevFiles *files, const char *uuid, const ApConfig *c) {
        char value[AP_CONFIG_BUFSZ];
        int r;

        r = mdev_file_write(sysfs_of(b), files, uuid, MDEV_FILE_AP_CONFIG_WRITE, ap_config_format(c, value));
        /* No such attribute: a kernel before 6.10 (a missing mdev said the same before, through access()). */
        return r == -ENOENT ? -EOPNOTSUPP : r;
}

static int sysfs_rescan(KernelBackend *b) {
        KernelSysfs *k = sysfs_of(b);
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/scans", k->bus);
        return write_attr(path, "1");
}

static void sysfs_free(KernelBackend *b) {
        free(b->data);
}

static const KernelBackendOps sysfs_ops = {
        .name = "sysfs",
        .load = sysfs_load,
        .mdev_read = sysfs_mdev_read,
        .masks_read = sysfs_masks_read,
        .queue_read = sysfs_queue_read,
        .mask_write = sysfs_mask_write,
        .mdev_create = sysfs_mdev_create,
        .mdev_remove = sysfs_mdev_remove,
        .mdev_assign = sysfs_mdev_assign,
        .mdev_set_config = sysfs_mdev_set_config,
        .rescan = sysfs_rescan,
        .free = sysfs_free,
};

int kernel_sysfs_new(const char *root, KernelBackend **ret) {
        KernelBackend *b;
        KernelSysfs *k;

        if (strlen(root) > SYSFS_ROOT_MAX)
                return -ENAMETOOLONG;
        b = calloc(1, sizeof(*b));
        k = calloc(1, sizeof(*k));
        if (!b || !k) {
                free(b);
                free(k);
                return -ENOMEM;
        }
        snprintf(k->bus, sizeof(k->bus), "%s/bus/ap", root);
        snprintf(k->matrix, sizeof(k->matrix), "%s/devices/vfio_ap/matrix", root);
        atomic_init(&k->ap_config, -1);
        b->n_ref = 1;
        b->ops = &sysfs_ops;
        b->data = k;
        *ret = b;
        return 0;
}
