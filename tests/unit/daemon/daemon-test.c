/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The apctld unit test harness: environments, socketpair clients, calls with deadlines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon-test.h"
#include "fileio.h"
#include "journal.h"
#include "log.h"
#include "server.h"

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void test_fake_populate(KernelBackend *fake) {
        ApMask d16 = {}, d4 = {};

        ap_mask_set_range(&d16, 0, 15);
        ap_mask_set_range(&d4, 0, 3);
        (void) kernel_fake_add_card(fake, 5, 13, AP_MODE_CCA, &d16);
        (void) kernel_fake_add_card(fake, 6, 12, AP_MODE_EP11, &d16);
        (void) kernel_fake_add_card(fake, 7, 9, AP_MODE_ACCEL, &d4);
}

int test_env_start_manager(TestEnv *env, KernelBackend *b, void (*tweak)(ManagerConfig *c)) {
        ManagerConfig config;
        char sock[128];
        int r;

        manager_config_init(&config);
        snprintf(sock, sizeof(sock), "%s/apctld.sock", env->dir);
        config.state_dir = strdup(env->state_dir);
        config.runtime_dir = strdup(env->runtime_dir);
        config.socket_path = strdup(sock);
        config.admin_uid = 4242;        /* the "admin" test clients use */
        config.use_udev = false;
        config.kernel_timeout_usec = 2 * 1000 * 1000;
        config.idle_timeout_usec = 0;
        if (tweak)
                tweak(&config);
        r = manager_new(env->event, b, &config, &env->m);
        if (r < 0)
                return r;
        return manager_start(env->m, -1);
}

static int env_start_manager(TestEnv *env, void (*tweak)(ManagerConfig *c)) {
        KernelBackend *b;
        int r;

        r = kernel_fake_share(env->fake, &b);
        if (r < 0)
                return r;
        return test_env_start_manager(env, b, tweak);
}

/*
 * A fresh env with its directory below $TMPDIR (prefix.XXXXXX) and the
 * state and runtime directory names in it; logs as APCTLD_TEST_LOG says.
 */
static int env_dirs_make(TestEnv *env, const char *prefix) {
        int n;

        *env = (TestEnv) {};
        log_set_target(getenv("APCTLD_TEST_LOG") ? LOG_TARGET_STDERR : LOG_TARGET_NULL);
        n = snprintf(env->dir, sizeof(env->dir), "%s/%s.XXXXXX", getenv("TMPDIR") ?: "/tmp", prefix);
        if (n < 0 || (size_t) n >= sizeof(env->dir)) {
                env->dir[0] = 0;        /* nothing for test_env_done() to remove */
                return -ENAMETOOLONG;
        }
        if (!mkdtemp(env->dir))
                return -errno;
        snprintf(env->state_dir, sizeof(env->state_dir), "%s/state", env->dir);
        snprintf(env->runtime_dir, sizeof(env->runtime_dir), "%s/run", env->dir);
        return 0;
}

int test_env_start(TestEnv *env, KernelBackend *shared_fake, void (*tweak)(ManagerConfig *c)) {
        int r;

        r = env_dirs_make(env, "apctld-test");
        if (r < 0)
                return r;
        if (shared_fake)
                r = kernel_fake_share(shared_fake, &env->fake);
        else {
                r = kernel_fake_new(&env->fake);
                if (r >= 0)
                        test_fake_populate(env->fake);
        }
        if (r < 0)
                return r;
        r = sd_event_new(&env->event);
        if (r < 0)
                return r;
        return env_start_manager(env, tweak);
}

void test_env_stop_manager(TestEnv *env) {
        env->m = manager_free(env->m);
}

int test_env_restart(TestEnv *env, void (*tweak)(ManagerConfig *c)) {
        test_env_stop_manager(env);
        return env_start_manager(env, tweak);
}

void test_env_done(TestEnv *env) {
        char cmd[128];

        env->m = manager_free(env->m);
        env->fake = kernel_backend_free(env->fake);
        env->event = sd_event_unref(env->event);
        if (env->dir[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->dir);
                (void) system(cmd);
        }
}

int test_client_connect_buffered(TestEnv *env, uid_t uid, int sndbuf, TestClient *ret) {
        PeerCredentials peer = { .uid = uid, .gid = uid, .pid = getpid() };

        return test_client_connect_as(env, &peer, sndbuf, ret);
}

int test_client_connect_as(TestEnv *env, const PeerCredentials *peer, int sndbuf, TestClient *ret) {
        int fds[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0)
                return -errno;
        if (sndbuf > 0)
                (void) setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        r = server_add_client(env->m->server, fds[0], peer);
        if (r < 0) {
                close(fds[1]);
                return r;
        }
        *ret = (TestClient) { .fd = fds[1] };
        return 0;
}

int test_client_connect(TestEnv *env, uid_t uid, TestClient *ret) {
        return test_client_connect_buffered(env, uid, 0, ret);
}

void test_client_close(TestClient *c) {
        if (c->fd >= 0)
                close(c->fd);
        free(c->buf);
        *c = (TestClient) { .fd = -1 };
}

int test_client_send_raw(TestClient *c, const void *data, size_t len) {
        size_t off = 0;

        while (off < len) {
                ssize_t n = send(c->fd, (const char *) data + off, len - off, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN) {
                                struct pollfd p = { .fd = c->fd, .events = POLLOUT };
                                (void) poll(&p, 1, 100);
                                continue;
                        }
                        return -errno;
                }
                off += n;
        }
        return 0;
}

int test_client_try_receive(TestClient *c, json_object **ret) {
        char tmp[65536];
        char *nul;
        ssize_t n;

        for (;;) {
                nul = c->buf ? memchr(c->buf, 0, c->len) : NULL;
                if (nul) {
                        size_t mlen = nul - c->buf;
                        *ret = json_tokener_parse(c->buf);
                        memmove(c->buf, nul + 1, c->len - mlen - 1);
                        c->len -= mlen + 1;
                        return 1;
                }
                n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
                if (n == 0)
                        return -EPIPE;
                if (n < 0)
                        return errno == EAGAIN ? 0 : -errno;
                c->buf = realloc(c->buf, c->len + n);
                memcpy(c->buf + c->len, tmp, n);
                c->len += n;
        }
}

json_object *test_client_receive(TestEnv *env, TestClient *c) {
        uint64_t deadline = now_usec() + TEST_DEADLINE_USEC;
        json_object *msg = NULL;

        while (now_usec() < deadline) {
                int r = test_client_try_receive(c, &msg);
                if (r > 0)
                        return msg;
                if (r < 0)
                        return NULL;
                (void) sd_event_run(env->event, 20 * 1000);
        }
        tap_diag("no message from apctld within %llu ms", TEST_DEADLINE_USEC / 1000ULL);
        return NULL;
}

bool test_client_wait_closed(TestEnv *env, TestClient *c) {
        uint64_t deadline = now_usec() + TEST_DEADLINE_USEC;
        json_object *msg;

        while (now_usec() < deadline) {
                int r = test_client_try_receive(c, &msg);
                if (r > 0) {
                        json_object_put(msg);
                        continue;
                }
                if (r < 0)
                        return true;
                (void) sd_event_run(env->event, 20 * 1000);
        }
        return false;
}

json_object *test_call(TestEnv *env, TestClient *c, const char *method, const char *params) {
        char *msg;
        int r;

        if (asprintf(&msg, "{\"method\":\"%s\"%s%s}", method, params ? ",\"parameters\":" : "", params ?: "") < 0)
                return NULL;
        r = test_client_send_raw(c, msg, strlen(msg) + 1);
        free(msg);
        if (r < 0)
                return NULL;
        return test_client_receive(env, c);
}

const char *reply_error(json_object *reply) {
        json_object *e;

        if (!reply || !json_object_object_get_ex(reply, "error", &e))
                return NULL;
        return json_object_get_string(e);
}

json_object *reply_params(json_object *reply) {
        json_object *p;

        if (!reply || !json_object_object_get_ex(reply, "parameters", &p))
                return NULL;
        return p;
}

const char *reply_message(json_object *reply) {
        json_object *p = reply_params(reply), *msg;

        if (!p || !json_object_object_get_ex(p, "message", &msg))
                return "";
        return json_object_get_string(msg);
}

bool fake_mdev(TestEnv *env, const char *uuid, MdevState *ret) {
        return env->fake->ops->mdev_read(env->fake, NULL, uuid, KERNEL_MDEV_READ_ALL, ret) >= 0;
}

void fake_masks(TestEnv *env, ApMask *apm, ApMask *aqm) {
        (void) env->fake->ops->masks_read(env->fake, apm, aqm);
}

char *state_file(TestEnv *env) {
        char path[160], *text = NULL;

        snprintf(path, sizeof(path), "%s/state.json", env->state_dir);
        if (read_file(path, 1 << 22, &text, NULL) < 0)
                return strdup("");
        return text;
}

bool journal_exists(TestEnv *env) {
        return journal_any(env->runtime_dir);
}

unsigned journal_slots_set_writable(TestEnv *env, bool writable) {
        char prefix[PATH_MAX], link[300], target[PATH_MAX];
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        unsigned n = 0;

        snprintf(prefix, sizeof(prefix), "%s/" JOURNAL_SLOT_PREFIX, env->runtime_dir);
        while (d && (de = readdir(d))) {
                int fd = atoi(de->d_name), other;
                ssize_t len;

                if (de->d_name[0] == '.' || fd == dirfd(d))
                        continue;
                snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
                len = readlink(link, target, sizeof(target) - 1);
                if (len < 0)
                        continue;
                target[len] = 0;
                if (strncmp(target, prefix, strlen(prefix)) != 0)
                        continue;
                other = open(target, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
                if (other >= 0 && dup3(other, fd, O_CLOEXEC) >= 0)
                        n++;
                safe_close(other);
        }
        if (d)
                closedir(d);
        return n;
}

void test_env_settle(TestEnv *env) {
        uint64_t deadline = now_usec() + TEST_DEADLINE_USEC;
        int quiet = 0;

        /* Settled = no job or transaction, and a few loop iterations in a row with nothing to dispatch. */
        while (now_usec() < deadline && quiet < 3) {
                int r = sd_event_run(env->event, env->m->worker_jobs_running > 0 || env->m->txn ? 20 * 1000 : 0);
                if (r > 0 || env->m->worker_jobs_running > 0 || env->m->txn)
                        quiet = 0;
                else
                        quiet++;
        }
}

int test_sysfs_env_prepare(TestEnv *env, const char *python, const char *tree_script) {
        char cmd[PATH_MAX * 3];
        int r;

        r = env_dirs_make(env, "apctld-sysfs");
        if (r < 0)
                return r;
        snprintf(env->sysfs_root, sizeof(env->sysfs_root), "%s/sys", env->dir);
        /* 8 CEX8 adapters x 16 domains, adapters 0-3 free for guests. */
        snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s' 8 16 4", python, tree_script, env->sysfs_root);
        if (system(cmd) != 0)
                return -EIO;
        return sd_event_new(&env->event);
}

/* The files of an mdev directory that apctld reads or writes (as bench/daemon-guest-start.c makes them). */
static const char *const sysfs_mdev_files[] = {
        "assign_adapter", "unassign_adapter", "assign_domain", "unassign_domain", "assign_control_domain",
        "unassign_control_domain", "remove", "matrix", "control_domains", "guest_matrix",
};

static int sysfs_mdev_path(const char *root, const char *uuid, const char *name, char buf[static PATH_MAX]) {
        int n = snprintf(buf, PATH_MAX, "%s/devices/vfio_ap/matrix/%s%s%s", root, uuid, name ? "/" : "", name ?: "");

        return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int test_sysfs_mdev_make(const char *root, const char *uuid) {
        char path[PATH_MAX];
        int r;

        r = sysfs_mdev_path(root, uuid, NULL, path);
        if (r < 0)
                return r;
        if (mkdir(path, 0755) < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(sysfs_mdev_files); i++) {
                int fd;

                r = sysfs_mdev_path(root, uuid, sysfs_mdev_files[i], path);
                if (r < 0)
                        return r;
                fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0)
                        return -errno;
                close(fd);
        }
        return 0;
}

int test_sysfs_mdev_remove(const char *root, const char *uuid) {
        char path[PATH_MAX];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(sysfs_mdev_files); i++) {
                r = sysfs_mdev_path(root, uuid, sysfs_mdev_files[i], path);
                if (r < 0)
                        return r;
                if (unlink(path) < 0 && errno != ENOENT)
                        return -errno;
        }
        r = sysfs_mdev_path(root, uuid, NULL, path);
        if (r < 0)
                return r;
        if (rmdir(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

typedef struct TestSpy {
        KernelBackend *inner;           /* ref held */
        char *sysfs_root;               /* owned; NULL: inner is not on a synthetic tree */
        /* owned: what each kept file of a removed mdev becomes (dup2), recognised by its inode */
        int dead_fd;
        struct stat dead_st;
        atomic_uint remove_after_writes; /* armed by the test, counted down on the writer's thread */
        atomic_uint guest_reads;
        /* Armed by the test, taken on the writer's thread: the errno the next mdev write fails with (0: off) */
        atomic_int fail_write;
        /* The same for the first mdev read after that failed write (the rollback's); set when it fails */
        atomic_int fail_read_after;
        atomic_int fail_read_armed;
} TestSpy;

static TestSpy *spy_of(KernelBackend *b) {
        return b->data;
}

/* Whether files hold a file of a removed mdev: kernfs fails every op on one with -ENODEV. */
static bool spy_files_dead(TestSpy *spy, const KernelMdevFiles *files) {
        struct stat st;

        if (!files)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(files->fd); i++)
                if (files->fd[i] >= 0 && fstat(files->fd[i], &st) >= 0 && st.st_dev == spy->dead_st.st_dev &&
                    st.st_ino == spy->dead_st.st_ino)
                        return true;
        return false;
}

/* Another party removes the mdev right after a write of the job succeeded; the job's files stay open. */
static int spy_after_write(TestSpy *spy, KernelMdevFiles *files, const char *uuid) {
        unsigned n = atomic_load(&spy->remove_after_writes);
        int r;

        if (n == 0)
                return 0;
        atomic_store(&spy->remove_after_writes, n - 1);
        if (n > 1)
                return 0;
        r = spy->inner->ops->mdev_remove(spy->inner, NULL, uuid);
        if (r >= 0 && spy->sysfs_root)
                r = test_sysfs_mdev_remove(spy->sysfs_root, uuid);
        for (size_t i = 0; files && r >= 0 && i < ELEMENTSOF(files->fd); i++)
                if (files->fd[i] >= 0 && dup2(spy->dead_fd, files->fd[i]) < 0)
                        r = -errno;
        return r;
}

/* A write the test made fail: it does not reach inner, and it arms the read failure that follows it. */
static int spy_injected_write_failure(TestSpy *spy) {
        int err = atomic_exchange(&spy->fail_write, 0);

        if (err == 0)
                return 0;
        atomic_store(&spy->fail_read_armed, atomic_exchange(&spy->fail_read_after, 0));
        return -err;
}

static int spy_load(KernelBackend *b, KernelState *ret) {
        KernelBackend *inner = spy_of(b)->inner;

        return inner->ops->load(inner, ret);
}

static int spy_mdev_read(KernelBackend *b, KernelMdevFiles *files, const char *uuid, KernelMdevRead what,
                         MdevState *ret) {
        TestSpy *spy = spy_of(b);
        int err;

        if (what & KERNEL_MDEV_READ_GUEST)
                atomic_fetch_add(&spy->guest_reads, 1);
        if (spy_files_dead(spy, files))
                return -ENODEV;
        err = atomic_exchange(&spy->fail_read_armed, 0);
        if (err != 0)
                return -err;
        return spy->inner->ops->mdev_read(spy->inner, files, uuid, what, ret);
}

static int spy_masks_read(KernelBackend *b, ApMask *ret_apmask, ApMask *ret_aqmask) {
        KernelBackend *inner = spy_of(b)->inner;
        int err = atomic_exchange(&spy_of(b)->fail_read_armed, 0);

        if (err != 0)
                return -err;
        return inner->ops->masks_read(inner, ret_apmask, ret_aqmask);
}

static int spy_queue_read(KernelBackend *b, unsigned adapter, unsigned domain, ApQueue *ret) {
        KernelBackend *inner = spy_of(b)->inner;

        return inner->ops->queue_read(inner, adapter, domain, ret);
}

static int spy_mask_write(KernelBackend *b, KernelMaskKind which, const ApMask *m) {
        KernelBackend *inner = spy_of(b)->inner;

        return inner->ops->mask_write(inner, which, m);
}

static int spy_mdev_create(KernelBackend *b, KernelMdevFiles *files, const char *uuid) {
        TestSpy *spy = spy_of(b);
        int r = spy_injected_write_failure(spy);

        if (r >= 0)
                r = spy->inner->ops->mdev_create(spy->inner, files, uuid);
        if (r >= 0 && spy->sysfs_root)
                r = test_sysfs_mdev_make(spy->sysfs_root, uuid);
        return r;
}

static int spy_mdev_remove(KernelBackend *b, KernelMdevFiles *files, const char *uuid) {
        TestSpy *spy = spy_of(b);
        int r = spy_injected_write_failure(spy);

        if (r >= 0)
                r = spy->inner->ops->mdev_remove(spy->inner, files, uuid);
        if (r >= 0 && spy->sysfs_root)
                r = test_sysfs_mdev_remove(spy->sysfs_root, uuid);
        return r;
}

static int spy_mdev_assign(KernelBackend *b, KernelMdevFiles *files, const char *uuid, KernelAssignKind kind,
                           unsigned id, bool assign) {
        TestSpy *spy = spy_of(b);
        int r;

        if (spy_files_dead(spy, files))
                return -ENODEV;
        r = spy_injected_write_failure(spy);
        if (r < 0)
                return r;
        r = spy->inner->ops->mdev_assign(spy->inner, files, uuid, kind, id, assign);
        return r < 0 ? r : spy_after_write(spy, files, uuid);
}

static int spy_mdev_set_config(KernelBackend *b, KernelMdevFiles *files, const char *uuid, const ApConfig *c) {
        TestSpy *spy = spy_of(b);
        int r;

        if (spy_files_dead(spy, files))
                return -ENODEV;
        r = spy_injected_write_failure(spy);
        if (r < 0)
                return r;
        r = spy->inner->ops->mdev_set_config(spy->inner, files, uuid, c);
        return r < 0 ? r : spy_after_write(spy, files, uuid);
}

static int spy_rescan(KernelBackend *b) {
        KernelBackend *inner = spy_of(b)->inner;

        return inner->ops->rescan(inner);
}

static void spy_free(KernelBackend *b) {
        TestSpy *spy = spy_of(b);

        kernel_backend_free(spy->inner);
        free(spy->sysfs_root);
        safe_close(spy->dead_fd);
        free(spy);
}

static const KernelBackendOps spy_ops = {
        .name = "spy",
        .load = spy_load,
        .mdev_read = spy_mdev_read,
        .masks_read = spy_masks_read,
        .queue_read = spy_queue_read,
        .mask_write = spy_mask_write,
        .mdev_create = spy_mdev_create,
        .mdev_remove = spy_mdev_remove,
        .mdev_assign = spy_mdev_assign,
        .mdev_set_config = spy_mdev_set_config,
        .rescan = spy_rescan,
        .free = spy_free,
};

int test_spy_new(KernelBackend *inner, const char *sysfs_root, KernelBackend **ret) {
        KernelBackend *b = calloc(1, sizeof(*b));
        TestSpy *spy = calloc(1, sizeof(*spy));
        int r = -ENOMEM;

        if (spy)
                spy->dead_fd = -EBADF;
        if (!b || !spy)
                goto fail;
        spy->dead_fd = memfd_create("removed-kernfs-file", MFD_CLOEXEC);
        if (spy->dead_fd < 0 || fstat(spy->dead_fd, &spy->dead_st) < 0) {
                r = -errno;
                goto fail;
        }
        if (sysfs_root && !(spy->sysfs_root = strdup(sysfs_root)))
                goto fail;
        spy->inner = inner;
        atomic_init(&spy->remove_after_writes, 0);
        atomic_init(&spy->guest_reads, 0);
        atomic_init(&spy->fail_write, 0);
        atomic_init(&spy->fail_read_after, 0);
        atomic_init(&spy->fail_read_armed, 0);
        b->n_ref = 1;
        b->ops = &spy_ops;
        b->data = spy;
        *ret = b;
        return 0;
fail:
        if (spy) {
                safe_close(spy->dead_fd);
                free(spy->sysfs_root);
        }
        free(spy);
        free(b);
        kernel_backend_free(inner);
        return r;
}

void test_spy_remove_mdev_after_writes(KernelBackend *spy, unsigned n) {
        atomic_store(&spy_of(spy)->remove_after_writes, n);
}

void test_spy_fail_next_write(KernelBackend *spy, int write_errno, int then_read_errno) {
        atomic_store(&spy_of(spy)->fail_read_after, then_read_errno);
        atomic_store(&spy_of(spy)->fail_write, write_errno);
}

void test_spy_fail_next_read(KernelBackend *spy, int read_errno) {
        atomic_store(&spy_of(spy)->fail_read_armed, read_errno);
}

unsigned test_spy_guest_reads(KernelBackend *spy) {
        return atomic_load(&spy_of(spy)->guest_reads);
}

void test_spy_reset_guest_reads(KernelBackend *spy) {
        atomic_store(&spy_of(spy)->guest_reads, 0);
}
