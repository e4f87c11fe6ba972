/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sysfs backend against a synthetic sysfs tree laid out as in
 * shared/docs/kernel-abi.md (what it reads, and which attribute gets which
 * bytes), and the state files: corrupt or unknown-version state stops
 * start-up, a corrupt journal blocks changes until resolved.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon-test.h"
#include "fileio.h"
#include "journal.h"
#include "json-ap.h"
#include "json-writer.h"
#include "kernel-plan.h"
#include "server.h"
#include "varlink-protocol.h"

#define UUID "62177883-f1bb-47f0-914d-32a22e3a8804"
#define MASK_5_6 "0x0600000000000000000000000000000000000000000000000000000000000000"

static char root[64];

static void put(const char *rel, const char *fmt, ...) {
        char path[512], dir[512], *slash, text[512];
        va_list ap;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        *slash = 0;
        (void) mkdir_p(dir, 0755);
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        f = fopen(path, "w");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static void link_driver(const char *dev, const char *driver) {
        char path[512], target[256];

        snprintf(path, sizeof(path), "%s/bus/ap/devices/%s/driver", root, dev);
        snprintf(target, sizeof(target), "../../../../bus/ap/drivers/%s", driver);
        (void) symlink(target, path);
}

static char *get(const char *rel) {
        char path[512], *text = NULL;

        snprintf(path, sizeof(path), "%s/%s", root, rel);
        if (read_file(path, 4096, &text, NULL) < 0)
                return strdup("(missing)");
        return text;
}

static void populate_tree(bool ap_config);

static void build_tree(bool ap_config) {
        snprintf(root, sizeof(root), "/tmp/apctld-sysfs.XXXXXX");
        if (!mkdtemp(root))
                return;
        populate_tree(ap_config);
}

/* The files of a small host below root: two cards, an mdev. */
static void populate_tree(bool ap_config) {        put("bus/ap/apmask", "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
        put("bus/ap/aqmask", "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
        put("bus/ap/ap_adapter_mask", "0x0600000000000000000000000000000000000000000000000000000000000000\n");
        put("bus/ap/ap_usage_domain_mask", "0xffff000000000000000000000000000000000000000000000000000000000000\n");
        put("bus/ap/ap_control_domain_mask", "0xffff000000000000000000000000000000000000000000000000000000000000\n");
        put("bus/ap/ap_max_adapter_id", "255\n");
        put("bus/ap/ap_max_domain_id", "84\n");
        put("bus/ap/bindings", "32/32 (complete)\n");
        put("bus/ap/scans", "");
        put("bus/ap/devices/card05/hwtype", "13\n");
        put("bus/ap/devices/card05/config", "1\n");
        put("bus/ap/devices/card05/chkstop", "0\n");
        put("bus/ap/devices/card05/online", "1\n");
        put("bus/ap/devices/card05/uevent", "DEV_TYPE=000D\nMODALIAS=ap:t0D\nMODE=ep11\n");
        link_driver("card05", "cex4card");
        put("bus/ap/devices/05.0003/config", "1\n");
        put("bus/ap/devices/05.0003/chkstop", "0\n");
        put("bus/ap/devices/05.0003/status", "in use\n");
        link_driver("05.0003", "vfio_ap");
        put("bus/ap/devices/05.0004/config", "0\n");
        put("bus/ap/devices/05.0004/online", "0\n");
        link_driver("05.0004", "cex4queue");
        put("bus/ap/devices/card06/hwtype", "9\n");      /* CEX3: no zcrypt online file here */
        put("bus/ap/devices/card06/config", "1\n");
        put("devices/vfio_ap/matrix/features", ap_config ? "guest_matrix hotplug ap_config\n" : "guest_matrix\n");
        put("devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", "");
        if (ap_config)
                put("devices/vfio_ap/matrix/" UUID "/ap_config", "%s,%s,%s\n", MASK_5_6,
                    "0x1800000000000000000000000000000000000000000000000000000000000000",
                    "0x1000000000000000000000000000000000000000000000000000000000000000");
        put("devices/vfio_ap/matrix/" UUID "/matrix", "05.0003\n05.0004\n06.0003\n06.0004\n");
        put("devices/vfio_ap/matrix/" UUID "/control_domains", "0003\n");
        put("devices/vfio_ap/matrix/" UUID "/guest_matrix", "05.0003\n05.0004\n");
        put("devices/vfio_ap/matrix/" UUID "/remove", "");
        put("devices/vfio_ap/matrix/" UUID "/assign_domain", "");
        put("devices/vfio_ap/matrix/" UUID "/unassign_adapter", "");
        put("devices/vfio_ap/matrix/not-a-uuid/matrix", "");
}

static void drop_tree(void) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        (void) system(cmd);
}

static void test_sysfs_load(bool ap_config) {
        KernelBackend *b = NULL;
        KernelState s = {};
        const ApCard *c;
        const ApQueue *q;
        const MdevState *m;

        build_tree(ap_config);
        CHECK(kernel_sysfs_new(root, &b) >= 0);
        if (CHECK(b && b->ops->load(b, &s) >= 0)) {
                CHECK(!ap_mask_test(&s.apmask, 5) && !ap_mask_test(&s.apmask, 6) && ap_mask_test(&s.apmask, 7));
                CHECK(s.qci_supported && ap_mask_count(&s.qci.apm) == 2);
                CHECK(s.max_adapter == 255 && s.max_domain == 84);
                CHECK(s.bindings_complete && s.bindings_bound == 32 && s.bindings_total == 32);
                CHECK(s.matrix_present && s.ap_config_supported == ap_config);
                CHECK(s.n_cards == 2 && s.n_queues == 2 && s.n_mdevs == 1);
                c = kernel_state_find_card(&s, 5);
                CHECK(c && c->hwtype == 13 && c->mode == AP_MODE_EP11 && c->online && c->config &&
                      c->driver == AP_DRIVER_DEFAULT);
                c = kernel_state_find_card(&s, 6);
                CHECK(c && c->hwtype == 9 && !c->online && c->driver == AP_DRIVER_NONE);
                q = kernel_state_find_queue(&s, 5, 3);
                CHECK(q && q->driver == AP_DRIVER_VFIO_AP && q->config);
                q = kernel_state_find_queue(&s, 5, 4);
                CHECK(q && q->driver == AP_DRIVER_DEFAULT && !q->config);
                m = kernel_state_find_mdev(&s, UUID);
                if (CHECK(m)) {
                        CHECK(ap_mask_count(&m->assigned.apm) == 2 && ap_mask_test(&m->assigned.apm, 6));
                        CHECK(ap_mask_count(&m->assigned.aqm) == 2 && ap_mask_test(&m->assigned.aqm, 4));
                        CHECK(ap_mask_count(&m->assigned.adm) == 1 && ap_mask_test(&m->assigned.adm, 3));
                        CHECK(ap_mask_count(&m->guest_apm) == 1 && ap_mask_test(&m->guest_apm, 5));
                }
        }
        kernel_state_done(&s);
        kernel_backend_free(b);
        drop_tree();
        tap_case_end("sysfs backend reads bus, cards, queues, drivers and mdevs (%s)",
                     ap_config ? "ap_config" : "matrix + control_domains");
}

/*
 * A Guest.Stop of another guest can remove an mdev between the load's
 * readdir() and its reads of the mdev's files: that mdev is left out and
 * the load goes on, also when it was the last directory entry (the load
 * used to fail with -ENOENT then, and an io.apctl.Reconcile with it).
 */
static void test_sysfs_mdev_removed_while_loading(void) {
        static const char *const files[] = {
                "matrix", "control_domains", "guest_matrix", "remove", "assign_domain", "unassign_adapter",
        };
        KernelBackend *b = NULL;
        KernelState s = {};
        char path[512];

        build_tree(false);
        /* What the load finds when the kernel removed the mdev after readdir() listed it. */
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                snprintf(path, sizeof(path), "%s/devices/vfio_ap/matrix/" UUID "/%s", root, files[i]);
                CHECK(unlink(path) >= 0);
        }
        CHECK(kernel_sysfs_new(root, &b) >= 0);
        if (CHECK(b && b->ops->load(b, &s) >= 0))
                CHECK(s.n_mdevs == 0 && s.n_cards == 2 && s.matrix_present);
        kernel_state_done(&s);
        kernel_backend_free(b);
        drop_tree();
        tap_case_end("sysfs backend: an mdev removed while the load reads it is left out, the load succeeds");
}

static void test_sysfs_writes(void) {
        KernelBackend *b = NULL;
        ApMask m = {};
        ApConfig cfg = {};
        char *t;

        build_tree(true);
        CHECK(kernel_sysfs_new(root, &b) >= 0);
        ap_mask_set(&m, 5);
        ap_mask_set(&m, 6);
        CHECK(b->ops->mask_write(b, KERNEL_APMASK, &m) >= 0);
        t = get("bus/ap/apmask");
        CHECK_STREQ(t, MASK_5_6 "\n");
        free(t);
        /* Decimal ids: kstrtoul(…, 0) reads a leading 0 as octal. */
        CHECK(b->ops->mdev_assign(b, NULL, UUID, KERNEL_ASSIGN_DOMAIN, 10, true) >= 0);
        t = get("devices/vfio_ap/matrix/" UUID "/assign_domain");
        CHECK_STREQ(t, "10");
        free(t);
        CHECK(b->ops->mdev_assign(b, NULL, UUID, KERNEL_ASSIGN_ADAPTER, 6, false) >= 0);
        t = get("devices/vfio_ap/matrix/" UUID "/unassign_adapter");
        CHECK_STREQ(t, "6");
        free(t);
        /* Nonexistent attribute: the kernel's errno comes back. */
        CHECK(b->ops->mdev_assign(b, NULL, UUID, KERNEL_ASSIGN_CONTROL_DOMAIN, 1, true) == -ENOENT);
        cfg.apm = m;
        ap_mask_set(&cfg.aqm, 3);
        CHECK(b->ops->mdev_set_config(b, NULL, UUID, &cfg) >= 0);
        t = get("devices/vfio_ap/matrix/" UUID "/ap_config");
        CHECK(strncmp(t, MASK_5_6 ",0x1000", strlen(MASK_5_6) + 7) == 0 && t[strlen(t) - 1] == '\n');
        free(t);
        CHECK(b->ops->mdev_create(b, NULL, "11111111-2222-4333-8444-555555555555") >= 0);
        t = get("devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create");
        CHECK_STREQ(t, "11111111-2222-4333-8444-555555555555");
        free(t);
        CHECK(b->ops->mdev_remove(b, NULL, UUID) >= 0);
        t = get("devices/vfio_ap/matrix/" UUID "/remove");
        CHECK_STREQ(t, "1");
        free(t);
        CHECK(b->ops->rescan(b) >= 0);
        t = get("bus/ap/scans");
        CHECK_STREQ(t, "1");
        free(t);
        kernel_backend_free(b);
        drop_tree();
        tap_case_end("sysfs backend writes each attribute in the kernel's syntax");
}

/*
 * A job's kept files: each attribute is opened once and every op is still
 * its own write() (on plain files the writes land one after the other,
 * where fresh opens would overwrite each other), a failing write is
 * reported as exactly that op, a re-read through a kept file sees the
 * attribute afresh, and `remove` closes the mdev's files first.
 */
static void test_sysfs_kept_files(void) {
        KernelBackend *b = NULL;
        _cleanup_free_ KernelPlan *plan = calloc(1, sizeof(KernelPlan));
        KernelMdevFiles files;
        MdevState md;
        size_t failed = SIZE_MAX;
        char path[512], *t;
        int open_files = 0;

        build_tree(false);
        kernel_mdev_files_init(&files);
        CHECK(kernel_sysfs_new(root, &b) >= 0);
        for (unsigned d = 1; d <= 3; d++)
                CHECK(b->ops->mdev_assign(b, &files, UUID, KERNEL_ASSIGN_DOMAIN, d, true) >= 0);
        t = get("devices/vfio_ap/matrix/" UUID "/assign_domain");
        CHECK_STREQ(t, "123");
        free(t);

        /* unassign_domain fails its writes (ENOSPC): the op that failed, not the one before or after. */
        snprintf(path, sizeof(path), "%s/devices/vfio_ap/matrix/" UUID "/unassign_domain", root);
        CHECK(symlink("/dev/full", path) >= 0);
        snprintf(plan->uuid, sizeof(plan->uuid), UUID);
        plan->ops[0] = (KernelOp) { .type = KERNEL_OP_MDEV_ASSIGN, .assign_kind = KERNEL_ASSIGN_DOMAIN, .id = 4 };
        plan->ops[1] = (KernelOp) { .type = KERNEL_OP_MDEV_UNASSIGN, .assign_kind = KERNEL_ASSIGN_DOMAIN, .id = 5 };
        plan->ops[2] = (KernelOp) { .type = KERNEL_OP_MDEV_ASSIGN, .assign_kind = KERNEL_ASSIGN_DOMAIN, .id = 6 };
        plan->n_ops = 3;
        CHECK(kernel_plan_execute(b, &files, plan, &failed, NULL, NULL) == -ENOSPC);
        CHECK(failed == 1);
        t = get("devices/vfio_ap/matrix/" UUID "/assign_domain");
        CHECK_STREQ(t, "1234");
        free(t);

        if (CHECK(b->ops->mdev_read(b, &files, UUID, KERNEL_MDEV_READ_ALL, &md) >= 0))
                CHECK(ap_mask_count(&md.assigned.aqm) == 2 && ap_mask_count(&md.guest_apm) == 1);
        put("devices/vfio_ap/matrix/" UUID "/matrix", "05.0003\n");
        put("devices/vfio_ap/matrix/" UUID "/guest_matrix", "");
        if (CHECK(b->ops->mdev_read(b, &files, UUID, KERNEL_MDEV_READ_ALL, &md) >= 0))
                CHECK(ap_mask_count(&md.assigned.aqm) == 1 && ap_mask_is_empty(&md.guest_apm));
        /* Only the guest matrix: nothing else is read or filled in. */
        if (CHECK(b->ops->mdev_read(b, &files, UUID, KERNEL_MDEV_READ_GUEST, &md) >= 0))
                CHECK(ap_mask_is_empty(&md.assigned.aqm));

        for (size_t i = 0; i < ELEMENTSOF(files.fd); i++)
                open_files += files.fd[i] >= 0;
        CHECK(open_files == 5);         /* assign_ and unassign_domain, matrix, control_domains, guest_matrix */
        CHECK(b->ops->mdev_remove(b, &files, UUID) >= 0);
        for (size_t i = 0; i < ELEMENTSOF(files.fd); i++)
                CHECK(files.fd[i] < 0);
        kernel_mdev_files_close(&files);
        kernel_backend_free(b);
        drop_tree();
        tap_case_end("sysfs backend: kept files take one open per attribute and one write per op, errors per op");
}

static bool mdev_target_equal(const MdevTarget *a, const MdevTarget *b) {
        return a->exists == b->exists && ap_mask_equal(&a->config.apm, &b->config.apm) &&
               ap_mask_equal(&a->config.aqm, &b->config.aqm) && ap_mask_equal(&a->config.adm, &b->config.adm);
}

static void journal_sample(JournalEntry *mdev, JournalEntry *host) {
        *mdev = (JournalEntry) { .kind = JOURNAL_MDEV };
        snprintf(mdev->method, sizeof(mdev->method), "autostart \"g\\1\"\n");
        snprintf(mdev->guest, sizeof(mdev->guest), "g-1");
        snprintf(mdev->uuid, sizeof(mdev->uuid), UUID);
        mdev->id = 0x0123456789abcdefULL;
        mdev->mdev_before = (MdevTarget) { .exists = true };
        ap_mask_set(&mdev->mdev_before.config.apm, 0);
        ap_mask_set(&mdev->mdev_before.config.adm, 255);
        mdev->mdev_after.exists = true;
        ap_mask_set_range(&mdev->mdev_after.config.apm, 0, 3);
        ap_mask_set_range(&mdev->mdev_after.config.aqm, 0, 7);
        *host = (JournalEntry) { .kind = JOURNAL_HOST };
        snprintf(host->method, sizeof(host->method), "io.apctl.Host.Reserve");
        host->id = 0xfedcba9876543210ULL;
        ap_mask_set_range(&host->host_before.apmask, 4, 255);
        ap_mask_set_range(&host->host_after.apmask, 8, 255);
        ap_mask_set_range(&host->host_after.aqmask, 0, 255);
}

#define JOURNAL_TEST_DIR_MAX 128

/* A fresh journal directory, below $TMPDIR. */
static bool journal_dir_new(char dir[static JOURNAL_TEST_DIR_MAX]) {
        int n = snprintf(dir, JOURNAL_TEST_DIR_MAX, "%s/apctld-journal.XXXXXX", getenv("TMPDIR") ?: "/tmp");

        if (n < 0 || n >= JOURNAL_TEST_DIR_MAX) {
                tap_diag("$TMPDIR is too long for the journal tests");
                return false;
        }
        return mkdtemp(dir) != NULL;
}

static void journal_dir_drop(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;

        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        if (d)
                closedir(d);
        (void) rmdir(dir);
}

/* Files in dir whose names start with prefix. */
static size_t files_named(const char *dir, const char *prefix) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        while (d && (de = readdir(d)))
                n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
        if (d)
                closedir(d);
        return n;
}

/* Open dir's journal and read it: entries, torn count and the result. */
static int journal_reopen(const char *dir, Journal **j, JournalEntry **entries, size_t *n, size_t *n_torn,
                          JsonError *e) {
        int r;

        *j = journal_close(*j);
        free(*entries);
        *entries = NULL;
        *n = *n_torn = 0;
        *e = (JsonError) {};
        r = journal_open(dir, j);
        if (r < 0)
                return r;
        return journal_read_all(*j, entries, n, n_torn, e);
}

/* Slot 00's bytes after a journal on the empty dir wrote entry there (and was closed): malloc'd in *ret. */
static bool slot_bytes_of_entry(const char *dir, const JournalEntry *entry, char **ret, size_t *ret_len) {
        _cleanup_free_ JournalEntry *read = NULL;
        _cleanup_(journal_closep) Journal *j = NULL;
        JsonError e = {};
        size_t n = 0, n_torn = 0;
        char path[256];

        if (journal_reopen(dir, &j, &read, &n, &n_torn, &e) != 0 || n != 0 || journal_write(j, entry) < 0)
                return false;
        j = journal_close(j);
        snprintf(path, sizeof(path), "%s/" JOURNAL_SLOT_PREFIX "00", dir);
        return read_file(path, 1 << 20, ret, ret_len) >= 0;
}

static void put_file(const char *dir, const char *name, const void *data, size_t len) {
        char path[256];
        _cleanup_close_ int fd = -EBADF;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(fd >= 0 && write(fd, data, len) == (ssize_t) len);
}

/* What journal_write() writes, journal_read_all() reads back as it was: both kinds, odd method text too. */
static void test_journal_round_trip(void) {
        JournalEntry mdev, host;
        _cleanup_free_ JournalEntry *read = NULL;
        _cleanup_(journal_closep) Journal *j = NULL;
        JsonError e = {};
        size_t n = 0, n_torn = 0;
        char dir[JOURNAL_TEST_DIR_MAX];

        if (!CHECK(journal_dir_new(dir)))
                return;
        journal_sample(&mdev, &host);
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0 && n == 0);
        CHECK(journal_write(j, &mdev) >= 0);
        CHECK(journal_write(j, &host) >= 0);
        CHECK(journal_any(dir));
        if (CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) >= 0) && CHECK(n == 2)) {
                const JournalEntry *m = read[0].kind == JOURNAL_MDEV ? &read[0] : &read[1];
                const JournalEntry *h = read[0].kind == JOURNAL_MDEV ? &read[1] : &read[0];

                CHECK(m->kind == JOURNAL_MDEV && h->kind == JOURNAL_HOST);
                CHECK(m->id == mdev.id && h->id == host.id);
                CHECK_STREQ(m->method, mdev.method);
                CHECK_STREQ(m->guest, "g-1");
                CHECK_STREQ(m->uuid, UUID);
                CHECK(mdev_target_equal(&m->mdev_before, &mdev.mdev_before));
                CHECK(mdev_target_equal(&m->mdev_after, &mdev.mdev_after));
                CHECK_STREQ(h->method, host.method);
                CHECK(ap_mask_equal(&h->host_before.apmask, &host.host_before.apmask) &&
                      ap_mask_equal(&h->host_before.aqmask, &host.host_before.aqmask));
                CHECK(ap_mask_equal(&h->host_after.apmask, &host.host_after.apmask) &&
                      ap_mask_equal(&h->host_after.aqmask, &host.host_after.aqmask));
        }
        CHECK(journal_remove(j, mdev.id) >= 0);
        CHECK(journal_remove(j, host.id) >= 0);
        CHECK(!journal_any(dir));
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0 && n == 0 && n_torn == 0);
        j = journal_close(j);
        journal_dir_drop(dir);
        tap_case_end("a journal entry reads back as written (mdev and host, escaped method text)");
}

/*
 * A crash cuts the entry's write short: every prefix of a valid entry, over
 * a free slot (zeros, or the end of the file), reads as torn, never as an
 * entry, and the slot is cleared and used again. The whole entry reads.
 */
static void test_journal_torn_entry(void) {
        JournalEntry mdev, host;
        _cleanup_free_ JournalEntry *read = NULL;
        _cleanup_free_ char *whole = NULL, *padded = NULL;
        _cleanup_(journal_closep) Journal *j = NULL;
        JsonError e = {};
        size_t n = 0, n_torn = 0, len = 0;
        char dir[JOURNAL_TEST_DIR_MAX];
        unsigned applied = 0, unreported = 0;

        if (!CHECK(journal_dir_new(dir)))
                return;
        journal_sample(&mdev, &host);
        if (!CHECK(slot_bytes_of_entry(dir, &mdev, &whole, &len) && len > 100))
                goto out;
        padded = calloc(1, 2 * len);
        if (!CHECK(padded))
                goto out;
        for (size_t k = 1; k < len; k++)
                for (int pad = 0; pad < 2; pad++) {
                        memcpy(padded, whole, k);
                        memset(padded + k, 0, 2 * len - k);
                        put_file(dir, JOURNAL_SLOT_PREFIX "00", padded, pad ? 2 * len : k);
                        if (journal_reopen(dir, &j, &read, &n, &n_torn, &e) != 0 || n != 0) {
                                applied++;
                                continue;
                        }
                        unreported += n_torn != 1;
                        /* Cleared: it reads as free now, and takes the next entry. */
                        unreported += journal_any(dir);
                        unreported += journal_write(j, &host) < 0;
                }
        if (!CHECK(applied == 0))
                tap_diag("%u torn prefixes were read as an entry or refused", applied);
        if (!CHECK(unreported == 0))
                tap_diag("%u torn prefixes were not counted, not cleared or not reused", unreported);
        put_file(dir, JOURNAL_SLOT_PREFIX "00", whole, len);
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0 && n == 1 && read[0].id == mdev.id);
out:
        j = journal_close(j);
        journal_dir_drop(dir);
        tap_case_end("every prefix of a journal entry (a write cut short) is ignored as torn, never read as one");
}

/* The size of dir's slot file NN, or -1 when there is none. */
static off_t slot_file_size(const char *dir, unsigned index) {
        char path[256];
        struct stat st;

        snprintf(path, sizeof(path), "%s/" JOURNAL_SLOT_PREFIX "%02u", dir, index);
        return stat(path, &st) < 0 ? -1 : st.st_size;
}

/* Slot 00's bytes, malloc'd, in *ret and *ret_len. */
static bool slot_file_read(const char *dir, char **ret, size_t *ret_len) {
        char path[256];

        snprintf(path, sizeof(path), "%s/" JOURNAL_SLOT_PREFIX "00", dir);
        return read_file(path, 1 << 20, ret, ret_len) >= 0;
}

/*
 * apctld before this one removed an entry by writing zeros over it, header
 * first, and a crash could stop that after any number of bytes (regression:
 * zeros over part of the header read as "a broken header", and apctld
 * refused changes). Zeros over the first k bytes, the rest of the entry
 * still there, read as no entry for every k (the removal had begun: the
 * transaction was resolved); the slot is emptied and takes the next entry.
 */
static void test_journal_removal_cut_short(void) {
        JournalEntry mdev, host;
        _cleanup_free_ JournalEntry *read = NULL;
        _cleanup_free_ char *whole = NULL, *cut = NULL;
        _cleanup_(journal_closep) Journal *j = NULL;
        JsonError e = {};
        size_t n = 0, n_torn = 0, len = 0;
        char dir[JOURNAL_TEST_DIR_MAX];
        unsigned refused = 0, not_emptied = 0, not_reused = 0;

        if (!CHECK(journal_dir_new(dir)))
                return;
        journal_sample(&mdev, &host);
        if (!CHECK(slot_bytes_of_entry(dir, &mdev, &whole, &len) && len > 100) || !CHECK(cut = malloc(len)))
                goto out;
        for (size_t k = 1; k <= len; k++) {
                memcpy(cut, whole, len);
                memset(cut, 0, k);
                put_file(dir, JOURNAL_SLOT_PREFIX "00", cut, len);
                if (journal_reopen(dir, &j, &read, &n, &n_torn, &e) != 0 || n != 0 || n_torn != 0) {
                        if (refused++ == 0)
                                tap_diag("zeros over %zu bytes: %s: %s", k, e.field, e.message);
                        continue;
                }
                not_emptied += slot_file_size(dir, 0) != 0;
                not_reused += journal_write(j, &host) < 0 || files_named(dir, JOURNAL_SLOT_PREFIX) != 1 ||
                              slot_file_size(dir, 0) <= 0;
        }
        if (!CHECK(refused == 0))
                tap_diag("%u removals cut short were read as an entry, torn, or refused", refused);
        CHECK(not_emptied == 0);
        CHECK(not_reused == 0);
out:
        j = journal_close(j);
        journal_dir_drop(dir);
        tap_case_end("a removal cut short at any byte (an older apctld's zeros) reads as free; the slot is reused");
}

/*
 * A new entry must never lie over an older entry's bytes: cut short, its
 * prefix would be read with the old bytes after it, and a new header that
 * stops before its checksum, over an older entry of the same length, reads
 * as that old entry, resolved long ago. So apctld writes entries into empty
 * files only: a removal empties the slot; start-up empties a free slot that
 * holds bytes (a removal cut short over an older, longer entry); a free
 * slot someone else wrote into or unlinked is refused with -ESTALE, not
 * written over. Every prefix of a new entry then lies over nothing, and
 * reads as torn.
 */
static void test_journal_no_old_bytes_under_new_entry(void) {
        static const size_t cuts[] = { 1, 8, 16, 17, 33, 34, 35, 100 };
        JournalEntry mdev, host;
        _cleanup_free_ JournalEntry *read = NULL;
        _cleanup_free_ char *older = NULL, *newer = NULL, *under = NULL, *buf = NULL;
        _cleanup_(journal_closep) Journal *j = NULL;
        JsonError e = {};
        size_t n = 0, n_torn = 0, older_len = 0, newer_len = 0, under_len = 0, len = 0;
        char dir[JOURNAL_TEST_DIR_MAX], path[256];
        unsigned not_emptied = 0, applied = 0;

        if (!CHECK(journal_dir_new(dir)))
                return;
        journal_sample(&mdev, &host);
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0);
        /* The older entry (host: longer) written and removed: nothing of it stays. */
        CHECK(journal_write(j, &host) >= 0);
        CHECK(slot_file_read(dir, &older, &older_len));
        CHECK(journal_remove(j, host.id) >= 0);
        if (!CHECK(slot_file_size(dir, 0) == 0))
                tap_diag("a removed entry left %lld bytes in its slot", (long long) slot_file_size(dir, 0));
        CHECK(journal_write(j, &mdev) >= 0);
        CHECK(slot_file_read(dir, &newer, &newer_len));
        CHECK(journal_remove(j, mdev.id) >= 0);
        j = journal_close(j);
        if (!CHECK(older && newer && older_len > newer_len + 100))
                goto out;
        /* A removal of the older entry cut short: start-up empties the slot before it takes an entry. */
        for (size_t i = 0; i < ELEMENTSOF(cuts); i++) {
                free(buf);
                buf = malloc(older_len);
                if (!CHECK(buf))
                        goto out;
                memcpy(buf, older, older_len);
                memset(buf, 0, cuts[i]);
                put_file(dir, JOURNAL_SLOT_PREFIX "00", buf, older_len);
                not_emptied += journal_reopen(dir, &j, &read, &n, &n_torn, &e) != 0 || n != 0 ||
                               slot_file_size(dir, 0) != 0;
        }
        CHECK(not_emptied == 0);
        /* What lies under the next entry, then every prefix of it over that. */
        CHECK(slot_file_read(dir, &under, &under_len) && under_len == 0);
        free(buf);
        buf = calloc(1, newer_len + older_len);
        if (!CHECK(buf))
                goto out;
        for (size_t k = 1; k < newer_len; k++) {
                memcpy(buf, newer, k);
                len = k;
                if (under_len > k) {
                        memcpy(buf + k, under + k, under_len - k);
                        len = under_len;
                }
                put_file(dir, JOURNAL_SLOT_PREFIX "00", buf, len);
                applied += journal_reopen(dir, &j, &read, &n, &n_torn, &e) != 0 || n != 0 || n_torn != 1;
        }
        CHECK(applied == 0);
        /* Bytes written into the free slot behind apctld's back are not written over. */
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0 && slot_file_size(dir, 0) == 0);
        put_file(dir, JOURNAL_SLOT_PREFIX "00", older, older_len);
        CHECK(journal_write(j, &mdev) == -ESTALE);
        free(buf);
        buf = NULL;
        CHECK(slot_file_read(dir, &buf, &len) && len == older_len && memcmp(buf, older, len) == 0);
        /* Nor is an unlinked slot written: its entries would go where no start-up looks. */
        CHECK(journal_write(j, &mdev) >= 0 && slot_file_size(dir, 1) > 0);
        CHECK(journal_remove(j, mdev.id) >= 0);
        snprintf(path, sizeof(path), "%s/" JOURNAL_SLOT_PREFIX "01", dir);
        CHECK(unlink(path) >= 0);
        CHECK(journal_write(j, &mdev) == -ESTALE);
        CHECK(journal_write(j, &mdev) >= 0 && slot_file_size(dir, 2) > 0);
out:
        j = journal_close(j);
        journal_dir_drop(dir);
        tap_case_end("a new entry never lies over an older entry's bytes: emptied slots, refused if written behind");
}

/*
 * A write cut short without a crash (a full tmpfs) reports why, not EIO:
 * here the file size limit stops the entry part-way; the slot is emptied
 * and takes the next entry.
 */
static void test_journal_write_error_reported(void) {
        JournalEntry mdev, host;
        _cleanup_free_ JournalEntry *read = NULL;
        _cleanup_(journal_closep) Journal *j = NULL;
        JsonError e = {};
        size_t n = 0, n_torn = 0;
        char dir[JOURNAL_TEST_DIR_MAX];
        struct rlimit saved, small;
        int r;

        if (!CHECK(journal_dir_new(dir)))
                return;
        journal_sample(&mdev, &host);
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0);
        (void) signal(SIGXFSZ, SIG_IGN);
        CHECK(getrlimit(RLIMIT_FSIZE, &saved) >= 0);
        small = saved;
        small.rlim_cur = 64;
        CHECK(setrlimit(RLIMIT_FSIZE, &small) >= 0);
        r = journal_write(j, &mdev);
        CHECK(setrlimit(RLIMIT_FSIZE, &saved) >= 0);
        (void) signal(SIGXFSZ, SIG_DFL);
        if (!CHECK(r == -EFBIG))
                tap_diag("got %s", strerror(-r));
        CHECK(slot_file_size(dir, 0) == 0);
        CHECK(journal_write(j, &mdev) >= 0 && files_named(dir, JOURNAL_SLOT_PREFIX) == 1);
        j = journal_close(j);
        journal_dir_drop(dir);
        tap_case_end("a journal write cut short reports the error that stopped it, not EIO");
}

/* journal_any() on a FIFO named like a slot answers rather than blocking in open(). */
static void test_journal_any_fifo(void) {
        char dir[JOURNAL_TEST_DIR_MAX], path[256];

        if (!CHECK(journal_dir_new(dir)))
                return;
        snprintf(path, sizeof(path), "%s/" JOURNAL_SLOT_PREFIX "00", dir);
        CHECK(mkfifo(path, 0600) >= 0);
        /* Blocked, the test dies of the alarm. */
        alarm(10);
        CHECK(journal_any(dir));
        alarm(0);
        journal_dir_drop(dir);
        tap_case_end("journal_any() reports a FIFO in a slot's place without blocking");
}

/* One slot file serves transaction after transaction; pending entries get slots of their own, up to the limit. */
static void test_journal_slot_reuse(void) {
        _cleanup_free_ JournalEntry *read = NULL;
        _cleanup_(journal_closep) Journal *j = NULL;
        JournalEntry mdev, host;
        JsonError e = {};
        size_t n = 0, n_torn = 0;
        unsigned failed = 0;
        char dir[JOURNAL_TEST_DIR_MAX];

        if (!CHECK(journal_dir_new(dir)))
                return;
        journal_sample(&mdev, &host);
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0);
        /* Created at start-up: the first entry creates no file. */
        CHECK(files_named(dir, JOURNAL_SLOT_PREFIX) == 1);
        for (unsigned i = 1; i <= 1000; i++) {
                JournalEntry *x = i % 2 ? &mdev : &host;
                x->id = i;
                failed += journal_write(j, x) < 0 || !journal_any(dir) || journal_remove(j, i) < 0 ||
                          journal_any(dir);
        }
        CHECK(failed == 0);
        CHECK(files_named(dir, JOURNAL_SLOT_PREFIX) == 1);
        /* Three pending at once (two hung writes): three slots, all read back, one cleared of them. */
        for (unsigned i = 1; i <= 3; i++) {
                mdev.id = 100 + i;
                CHECK(journal_write(j, &mdev) >= 0);
        }
        CHECK(files_named(dir, JOURNAL_SLOT_PREFIX) == 3);
        CHECK(journal_remove(j, 102) >= 0);
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0 && n == 2);
        CHECK(n == 2 && read[0].id + read[1].id == 101 + 103);
        /* The limit: as many entries as slots, then ENOSPC. */
        for (unsigned i = 2; i < JOURNAL_ENTRIES_MAX; i++) {
                mdev.id = 200 + i;
                failed += journal_write(j, &mdev) < 0;
        }
        CHECK(failed == 0);
        mdev.id = 999;
        CHECK(journal_write(j, &mdev) == -ENOSPC);
        CHECK(files_named(dir, JOURNAL_SLOT_PREFIX) == JOURNAL_ENTRIES_MAX);
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0 && n == JOURNAL_ENTRIES_MAX);
        j = journal_close(j);
        journal_dir_drop(dir);
        tap_case_end("one slot file serves 1000 transactions; pending entries take slots of their own, up to %d",
                     JOURNAL_ENTRIES_MAX);
}

/* An old-style entry file (apctld before the slots) is read, and removed when resolved. */
static void test_journal_old_style_file(void) {
        _cleanup_free_ JournalEntry *read = NULL;
        _cleanup_free_ char *slot = NULL;
        _cleanup_(journal_closep) Journal *j = NULL;
        JournalEntry mdev, host;
        JsonError e = {};
        size_t n = 0, n_torn = 0, len = 0;
        char dir[JOURNAL_TEST_DIR_MAX], path[256];
        const char *text;

        if (!CHECK(journal_dir_new(dir)))
                return;
        journal_sample(&mdev, &host);
        /* The same JSON text as the old apctld wrote it, in a file of its own; the slot freed. */
        CHECK(slot_bytes_of_entry(dir, &mdev, &slot, &len));
        snprintf(path, sizeof(path), "%s/" JOURNAL_SLOT_PREFIX "00", dir);
        text = slot ? strchr(slot, '\n') : NULL;
        if (CHECK(text))
                put_file(dir, "journal-0123456789abcdef.json", text + 1, len - (text + 1 - slot));
        CHECK(unlink(path) >= 0);
        CHECK(journal_any(dir));
        CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == 0 && n == 1);
        CHECK(n == 1 && read[0].id == mdev.id && mdev_target_equal(&read[0].mdev_after, &mdev.mdev_after));
        CHECK(journal_remove(j, mdev.id) >= 0);
        CHECK(files_named(dir, "journal-0123456789abcdef.json") == 0);
        CHECK(!journal_any(dir));
        j = journal_close(j);
        journal_dir_drop(dir);
        tap_case_end("an old-style journal-<id>.json entry is read, and its file removed once resolved");
}

/* What apctld did not write is reported by file name and its slot is never written. */
static void test_journal_foreign_files(void) {
        static const struct {
                const char *name, *content;
        } cases[] = {
                { JOURNAL_SLOT_PREFIX "00", "hello\n" },
                { JOURNAL_SLOT_PREFIX "01", "APCTLJ1 0000zz00 0000000000000000\n{}" },
                { JOURNAL_SLOT_PREFIX "02", "APCTLJ1 00000002 08f44b07b5901a25\n{}" },
                { JOURNAL_SLOT_PREFIX "64", "" },
                { JOURNAL_SLOT_PREFIX "7", "" },
                { "journal-00000000000000aa.json", "{\"version\":1}" },
        };
        _cleanup_free_ JournalEntry *read = NULL;
        _cleanup_(journal_closep) Journal *j = NULL;
        JsonError e = {};
        size_t n = 0, n_torn = 0;
        char dir[JOURNAL_TEST_DIR_MAX];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                if (!CHECK(journal_dir_new(dir)))
                        return;
                put_file(dir, cases[i].name, cases[i].content, strlen(cases[i].content));
                if (!CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == -EBADMSG && n == 0))
                        tap_diag("%s with '%s' was not refused", cases[i].name, cases[i].content);
                CHECK_STREQ(e.field, cases[i].name);
                CHECK(journal_any(dir));
                j = journal_close(j);
                journal_dir_drop(dir);
        }
        /* A directory in a slot's place. */
        if (!CHECK(journal_dir_new(dir)))
                return;
        snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/");
        {
                char sub[256];
                snprintf(sub, sizeof(sub), "%s" JOURNAL_SLOT_PREFIX "00", dir);
                CHECK(mkdir(sub, 0700) >= 0);
                CHECK(journal_reopen(dir, &j, &read, &n, &n_torn, &e) == -EBADMSG);
                CHECK_STREQ(e.field, JOURNAL_SLOT_PREFIX "00");
                /* Its slot is never taken: the entry goes to another one. */
                {
                        JournalEntry mdev, host;
                        journal_sample(&mdev, &host);
                        CHECK(journal_write(j, &mdev) >= 0);
                }
                CHECK(files_named(dir, JOURNAL_SLOT_PREFIX "01") == 1);
                j = journal_close(j);
                (void) rmdir(sub);
        }
        dir[strlen(dir) - 1] = 0;
        journal_dir_drop(dir);
        tap_case_end("foreign or broken files in the journal's place are reported by name and never overwritten");
}

/*
 * guest_def_equal() decides whether a transaction rewrites the state file:
 * it must say "different" for every field guest_def_to_json() persists,
 * and agree with comparing the persisted forms.
 */
static void test_guest_def_equal(void) {
        GuestDef a = { .name = (char *) "g", .uuid = UUID }, b;
        char other[] = "h";

        ap_mask_set(&a.config.apm, 5);
        ap_mask_set(&a.config.aqm, 3);
        for (int field = 0; field <= 7; field++) {
                _cleanup_json_ json_object *ja = NULL, *jb = NULL;

                b = a;
                switch (field) {
                case 1: b.name = other; break;
                case 2: b.uuid[0] = '7'; break;
                case 3: ap_mask_set(&b.config.apm, 6); break;
                case 4: ap_mask_clear(&b.config.aqm, 3); break;
                case 5: ap_mask_set(&b.config.adm, 0); break;
                case 6: b.autostart = true; break;
                case 7: b.overprovision = true; break;
                }
                ja = guest_def_to_json(&a);
                jb = guest_def_to_json(&b);
                CHECK(guest_def_equal(&a, &b) == (field == 0));
                CHECK(ja && jb && json_object_equal(ja, jb) == guest_def_equal(&a, &b));
        }
        tap_case_end("guest definitions compare equal exactly when their persisted forms do");
}

/* Masks written in place by the writer: every digit count, word boundary, empty and full, as json-c writes them. */
static void test_mask_writer(void) {
        static const int sets[][8] = {
                { -1 }, { 0, -1 }, { 9, 10, -1 }, { 99, 100, -1 }, { 255, -1 },
                { 63, 64, 127, 128, 191, 192, -1 }, { 1, 2, 3, 250, 254, 255, -1 }, { 256 /* all */ },
        };

        for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
                _cleanup_(json_writer_done) JsonWriter w = {};
                _cleanup_json_ json_object *want = NULL;
                _cleanup_free_ char *text = NULL;
                size_t size = 0, allocated;
                ApMask m = {};

                for (size_t k = 0; k < ELEMENTSOF(sets[i]) && sets[i][k] >= 0; k++) {
                        if (sets[i][k] == 256)
                                for (unsigned id = 0; id < AP_MASK_BITS; id++)
                                        ap_mask_set(&m, id);
                        else
                                ap_mask_set(&m, (unsigned) sets[i][k]);
                }
                want = json_from_mask(&m);
                CHECK(json_writer_init(&w, 1) == 0);
                /* Twice in an array: the comma between values too. */
                json_writer_array_begin(&w);
                json_writer_mask(&w, &m);
                json_writer_mask(&w, &m);
                json_writer_array_end(&w);
                if (CHECK(want && json_writer_finish(&w, &text, &size, &allocated) == 0)) {
                        char expect[4096];
                        const char *one = json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN);
                        snprintf(expect, sizeof(expect), "[%s,%s]", one, one);
                        CHECK_STREQ(text, expect);
                        CHECK(size == strlen(expect) + 1);
                }
        }
        tap_case_end("masks written in place are json-c's arrays (digit counts, word edges, empty, full)");
}

/* The text reply_text_*() gives for parameters (from members()), or NULL. */
static char *reply_as_text(void (*members)(JsonWriter *w, const void *data), const void *data, size_t *ret_len) {
        _cleanup_(json_writer_done) JsonWriter w = {};
        char *text = NULL;

        if (json_writer_init(&w, 1) < 0)
                return NULL;
        reply_text_begin(&w);
        members(&w, data);
        if (reply_text_end(&w, &text, ret_len) < 0)
                return NULL;
        return text;
}

static void guest_reply_members(JsonWriter *w, const void *data) {
        guest_def_write_members(w, data);
        json_writer_member_bool(w, "running", true);
}

static void host_reply_members(JsonWriter *w, const void *data) {
        const ApConfig *c = data;

        json_writer_member_mask(w, "adapters", &c->apm);
        json_writer_member_mask(w, "domains", &c->aqm);
}

/* The reply's bytes on the wire, as call_reply() renders parameters through json-c. */
static void check_same_as_json_c(const char *text, size_t len, json_object *parameters) {
        _cleanup_json_ json_object *msg = varlink_reply_new(parameters, false);
        const char *want;
        size_t want_len = 0;

        want = msg ? varlink_message_text(msg, &want_len) : NULL;
        if (!CHECK(text && want && len == want_len && memcmp(text, want, len) == 0))
                tap_diag("  got  %s\n  want %s", text ?: "(null)", want ?: "(null)");
}

/*
 * Transaction replies are written as text (reply_text_*()), no longer as a
 * json-c tree: the bytes on the wire must stay what json-c wrote, for
 * empty and full masks, both flags, and strings that need escaping (a
 * valid guest name needs none; '/' is the one byte the two write
 * differently, and no name or UUID holds it).
 */
static void test_reply_text_matches_json_c(void) {
        static const char *const names[] = {
                "g", "web-01.prod:a_b", "q\"uote\\back\nnl\ttab\rcr\bbs\ffeed\x01\x1f\x7f end", "\xc3\xa9t\xc3\xa9",
        };
        ApConfig host = {};

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                for (int masks = 0; masks < 3; masks++) {
                        GuestDef g = { .name = (char *) names[i], .uuid = UUID, .autostart = i % 2,
                                       .overprovision = masks == 1 };
                        _cleanup_free_ char *text = NULL;
                        json_object *want = NULL;
                        size_t len = 0;

                        for (unsigned id = 0; id < AP_MASK_BITS; id++) {
                                if (masks == 2 || (masks == 1 && id % 37 == 1))
                                        ap_mask_set(&g.config.apm, id);
                                if (masks == 2 || (masks == 1 && (id == 0 || id == 255)))
                                        ap_mask_set(&g.config.aqm, id);
                                if (masks == 2)
                                        ap_mask_set(&g.config.adm, id);
                        }
                        text = reply_as_text(guest_reply_members, &g, &len);
                        want = guest_def_to_json(&g);
                        if (want)
                                (void) json_add_bool(want, "running", true);
                        check_same_as_json_c(text, len, want);
                }
        for (int masks = 0; masks < 2; masks++) {
                _cleanup_free_ char *text = NULL;
                json_object *want = json_object_new_object();
                size_t len = 0;

                if (masks)
                        for (unsigned id = 0; id < AP_MASK_BITS; id += 3) {
                                ap_mask_set(&host.apm, id);
                                ap_mask_set(&host.aqm, AP_MASK_BITS - 1 - id);
                        }
                text = reply_as_text(host_reply_members, &host, &len);
                if (want && (json_add(want, "adapters", json_from_mask(&host.apm)) < 0 ||
                             json_add(want, "domains", json_from_mask(&host.aqm)) < 0))
                        want = NULL;
                check_same_as_json_c(text, len, want);
        }
        tap_case_end("replies written as text are byte for byte json-c's (escapes, empty and full masks)");
}

/* The decimal formatting that replaced snprintf for sysfs ids and JSON numbers: every width, both signs. */
static void test_decimal_format(void) {
        static const uint64_t u[] = { 0, 7, 9, 10, 99, 100, 255, 4294967295ULL, UINT64_MAX };
        static const int64_t s[] = { 0, -1, 10, -10, INT64_MAX, INT64_MIN };
        char buf[DECIMAL_U64_BUFSZ], want[32];

        for (size_t i = 0; i < ELEMENTSOF(u); i++) {
                snprintf(want, sizeof(want), "%llu", (unsigned long long) u[i]);
                CHECK(format_u64(buf, u[i]) == strlen(want));
                CHECK_STREQ(buf, want);
        }
        for (size_t i = 0; i < ELEMENTSOF(s); i++) {
                JsonWriter w;
                char *text = NULL;
                size_t size, allocated;

                snprintf(want, sizeof(want), "%lld", (long long) s[i]);
                CHECK(json_writer_init(&w, 1) == 0);
                json_writer_int(&w, s[i]);
                if (CHECK(json_writer_finish(&w, &text, &size, &allocated) == 0))
                        CHECK_STREQ(text, want);
                free(text);
                json_writer_done(&w);
        }
        tap_case_end("decimal numbers without snprintf: 0, every width, UINT64_MAX, INT64_MIN");
}

static void test_sysfs_partial_matrix_without_ap_config(void) {
        KernelBackend *b = NULL;
        KernelState st = {};
        const MdevState *md;
        char *text = malloc(40 * 16 * 8 + 1), path[512];
        size_t n = 0;
        FILE *f;

        build_tree(false);
        for (unsigned a = 0; a < 40; a++)  /* 5120 bytes: more than a page */
                for (unsigned d = 0; d < 16; d++)
                        n += sprintf(text + n, "%02x.%04x\n", a, d);
        snprintf(path, sizeof(path), "%s/devices/vfio_ap/matrix/" UUID "/matrix", root);
        f = fopen(path, "w");
        if (f) {
                fwrite(text, 1, 4093, f);       /* a page-full read, cut mid-line */
                fclose(f);
        }
        CHECK(kernel_sysfs_new(root, &b) >= 0);
        /* One oversized mdev must not cost the whole model. */
        if (CHECK(b->ops->load(b, &st) >= 0)) {
                md = kernel_state_find_mdev(&st, UUID);
                CHECK(md && md->assigned_partial);
                CHECK(md && ap_mask_count(&md->assigned.apm) == 32);        /* 511 whole lines: adapters 00-1f */
                CHECK(md && ap_mask_count(&md->assigned.aqm) == 16);
                CHECK(st.n_cards == 2);
        }
        kernel_state_done(&st);
        kernel_backend_free(b);
        free(text);
        drop_tree();
        tap_case_end("without ap_config a page-full matrix is read line by line and marked partial");
}

static void test_sysfs_partial_guest_matrix(void) {
        KernelBackend *b = NULL;
        MdevState md;
        char *text = malloc(40 * 16 * 8 + 1), path[512];
        size_t n = 0;
        FILE *f;

        build_tree(true);
        for (unsigned a = 0; a < 40; a++)  /* 5120 bytes: more than a page */
                for (unsigned d = 0; d < 16; d++)
                        n += sprintf(text + n, "%02x.%04x\n", a, d);
        /* What a one-page sysfs read returns: cut in the middle of line 512. */
        snprintf(path, sizeof(path), "%s/devices/vfio_ap/matrix/" UUID "/guest_matrix", root);
        f = fopen(path, "w");
        if (f) {
                fwrite(text, 1, 4093, f);
                fclose(f);
        }
        CHECK(kernel_sysfs_new(root, &b) >= 0);
        if (CHECK(b->ops->mdev_read(b, NULL, UUID, KERNEL_MDEV_READ_ALL, &md) >= 0)) {
                CHECK(md.guest_matrix_partial);
                CHECK(ap_mask_count(&md.guest_apm) == 32 && ap_mask_count(&md.guest_aqm) == 16);
        }
        kernel_backend_free(b);
        free(text);
        drop_tree();
        tap_case_end("a page-full guest_matrix is parsed up to its last whole line and marked partial");
}

static void test_bus_appears_later(void) {
        TestEnv env = {};
        TestClient c;
        ManagerConfig config;
        KernelBackend *b = NULL;
        json_object *r;
        char state[80], sock[96];

        /* apctld on a host whose AP bus module is not loaded yet. */
        snprintf(root, sizeof(root), "/tmp/apctld-sysfs.XXXXXX");
        CHECK(mkdtemp(root) != NULL);
        snprintf(env.dir, sizeof(env.dir), "%s", root);
        snprintf(state, sizeof(state), "%s/state", root);
        snprintf(env.state_dir, sizeof(env.state_dir), "%s", state);
        snprintf(env.runtime_dir, sizeof(env.runtime_dir), "%s/run", root);
        snprintf(sock, sizeof(sock), "%s/sock", root);
        CHECK(sd_event_new(&env.event) >= 0);
        CHECK(kernel_sysfs_new(root, &b) >= 0);
        manager_config_init(&config);
        config.state_dir = strdup(state);
        config.runtime_dir = strdup(env.runtime_dir);
        config.socket_path = strdup(sock);
        config.use_udev = false;
        config.admin_uid = 4242;
        CHECK(manager_new(env.event, b, &config, &env.m) >= 0);
        CHECK(manager_start(env.m, -1) >= 0);
        CHECK(test_client_connect(&env, 4242, &c) >= 0);
        r = test_call(&env, &c, "io.apctl.Status", NULL);
        CHECK(r && strstr(json_object_to_json_string(reply_params(r)), "no-ap-bus"));
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Host.Release", "{\"adapters\":[5]}");
        CHECK_ERROR(r, "io.apctl.NoSuchDevice");
        json_object_put(r);

        /* The bus appears (its uevents would trigger this; here Reconcile re-reads). */
        populate_tree(true);
        r = test_call(&env, &c, "io.apctl.Reconcile", NULL);
        CHECK_OK(r);
        json_object_put(r);
        test_env_settle(&env);
        CHECK(env.m->kernel.bus_present && env.m->kernel.n_cards == 2);
        CHECK(env.m->desired.host_known && ap_mask_test(&env.m->desired.host_apm, 7));
        CHECK(!ap_mask_test(&env.m->desired.host_apm, 5));
        test_client_close(&c);
        env.m = manager_free(env.m);
        env.event = sd_event_unref(env.event);
        drop_tree();
        tap_case_end("without an AP bus apctld starts, says so, and takes the masks over when the bus appears");
}

static void write_state(TestEnv *env, const char *text) {
        CHECK(write_file_atomic(env->state_dir, "state.json", text, strlen(text), 0600) >= 0);
}

static void test_state_files(void) {
        TestEnv env;
        TestClient c;
        json_object *r;

        CHECK(test_env_start(&env, NULL, NULL) >= 0);
        test_env_stop_manager(&env);
        write_state(&env, "{\"format\":\"apctl-state\",\"version\":2,\"generation\":1,\"guests\":[]}");
        CHECK(test_env_restart(&env, NULL) < 0);
        write_state(&env, "{\"format\":\"apctl-state\",\"version\":1,\"generation\":1,\"guests\":[{\"name\":\"a\"}]}");
        CHECK(test_env_restart(&env, NULL) < 0);
        write_state(&env, "{\"format\":\"apctl-state\",\"version\":1,\"generation\":1,\"guests\":[],\"x\":1}");
        CHECK(test_env_restart(&env, NULL) < 0);
        write_state(&env, "{\"format\":\"apctl-state\",\"version\":1");
        CHECK(test_env_restart(&env, NULL) < 0);
        write_state(&env, "{\"format\":\"apctl-state\",\"version\":1,\"generation\":3,\"guests\":[],"
                          "\"host\":{\"adapters\":\"0-4,7-255\",\"domains\":\"0-255\"}}");
        CHECK(test_env_restart(&env, NULL) >= 0);
        CHECK(env.m->desired.generation == 3 && !ap_mask_test(&env.m->desired.host_apm, 5));
        /* Applying the reservation from the state file is reconcile's job. */
        test_env_settle(&env);
        {
                ApMask apm, aqm;
                fake_masks(&env, &apm, &aqm);
                CHECK(!ap_mask_test(&apm, 5) && !ap_mask_test(&apm, 6) && ap_mask_test(&apm, 7));
        }

        /* A journal apctld cannot read: it starts, reports it, and refuses changes. */
        test_env_stop_manager(&env);
        CHECK(write_file_atomic(env.runtime_dir, "journal-00000000000000aa.json", "{\"version\":1}", 13, 0600) >= 0);
        CHECK(test_env_restart(&env, NULL) >= 0);
        CHECK(test_client_connect(&env, 4242, &c) >= 0);
        r = test_call(&env, &c, "io.apctl.Status", NULL);
        CHECK(r && json_object_get_boolean(json_object_object_get(reply_params(r), "recovery_needed")));
        json_object_put(r);
        r = test_call(&env, &c, "io.apctl.Guest.Define", "{\"name\":\"x\"}");
        CHECK_ERROR(r, "io.apctl.Busy");
        json_object_put(r);
        test_client_close(&c);
        test_env_done(&env);
        tap_case_end("bad state files stop start-up; a host reservation in the file is applied; a bad journal blocks changes");
}

int main(void) {
        test_sysfs_load(true);
        test_sysfs_load(false);
        test_sysfs_mdev_removed_while_loading();
        test_sysfs_writes();
        test_sysfs_kept_files();
        test_sysfs_partial_guest_matrix();
        test_sysfs_partial_matrix_without_ap_config();
        test_state_files();
        test_journal_round_trip();
        test_journal_torn_entry();
        test_journal_slot_reuse();
        test_journal_old_style_file();
        test_journal_foreign_files();
        test_journal_removal_cut_short();
        test_journal_no_old_bytes_under_new_entry();
        test_journal_write_error_reported();
        test_journal_any_fifo();
        test_guest_def_equal();
        test_decimal_format();
        test_reply_text_matches_json_c();
        test_mask_writer();
        test_bus_appears_later();
        return tap_finish();
}
