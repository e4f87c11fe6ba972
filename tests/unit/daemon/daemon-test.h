/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Harness for apctld unit tests: a Manager on a fresh fake kernel (or a
 * shared one, to play a restart; or the sysfs backend over a synthetic
 * tree, seen through a spy backend if the test wants) with its own
 * temporary state and runtime directories, clients connected through
 * socketpairs with chosen credentials, and calls that run the event loop
 * until the reply arrives or a deadline fails the test. Nothing sleeps:
 * every wait is for a message, with a timeout.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "kernel-fake.h"
#include "manager.h"
#include "tap.h"

#define TEST_DEADLINE_USEC (5ULL * 1000 * 1000)

/* A subscription call, with its terminating NUL as sizeof() counts it. */
#define SUBSCRIBE "{\"method\":\"io.apctl.Events.Subscribe\",\"more\":true}"

typedef struct TestEnv {
        char dir[64];                   /* temporary directory: state/, run/ and the socket */
        char state_dir[96];
        char runtime_dir[96];           /* the journal's */
        char sysfs_root[96];            /* the synthetic sysfs tree (test_sysfs_env_prepare()), or "" */
        KernelBackend *fake;            /* owned: test's handle on the fake kernel (shared with m) */
        sd_event *event;                /* ref held */
        Manager *m;                     /* owned */
} TestEnv;

typedef struct TestClient {
        int fd;                         /* our end of the socketpair */
        char *buf;                      /* owned: bytes received, not yet returned */
        size_t len;
} TestClient;

/* Cards: 5 (CEX7, domains 0-15), 6 (CEX6, domains 0-15), 7 (CEX3, domains 0-3). */
void test_fake_populate(KernelBackend *fake);

/* Before manager_start() the test may change env->m->config through tweak. */
int test_env_start(TestEnv *env, KernelBackend *shared_fake, void (*tweak)(ManagerConfig *c));
/*
 * The manager alone, on env's directories and event loop, over backend b
 * (taken, also on failure); the harness's defaults, then tweak.
 */
int test_env_start_manager(TestEnv *env, KernelBackend *b, void (*tweak)(ManagerConfig *c));
/* Free the manager only (keeps dir and fake): a daemon that died. */
void test_env_stop_manager(TestEnv *env);
/* Start another manager on the same dir and fake kernel: the restart. */
int test_env_restart(TestEnv *env, void (*tweak)(ManagerConfig *c));
void test_env_done(TestEnv *env);

int test_client_connect(TestEnv *env, uid_t uid, TestClient *ret);
/* The same with a small kernel send buffer on apctld's side: a slow reader fills up fast. */
int test_client_connect_buffered(TestEnv *env, uid_t uid, int sndbuf, TestClient *ret);
/* Any credentials, supplementary groups included. */
int test_client_connect_as(TestEnv *env, const PeerCredentials *peer, int sndbuf, TestClient *ret);
void test_client_close(TestClient *c);
int test_client_send_raw(TestClient *c, const void *data, size_t len);
/* The next message if one is there, without running the loop: 1 with it, 0 for none yet, -EPIPE on EOF. */
int test_client_try_receive(TestClient *c, json_object **ret);
/* Next message from the daemon, running the loop meanwhile; NULL on deadline or EOF. */
json_object *test_client_receive(TestEnv *env, TestClient *c);
/* Wait until the daemon closes the connection; false on deadline. */
bool test_client_wait_closed(TestEnv *env, TestClient *c);
/* One call: params is JSON text or NULL. Returns the whole reply message. */
json_object *test_call(TestEnv *env, TestClient *c, const char *method, const char *params);

/*
 * env's directories and event loop over a synthetic sysfs tree at
 * env->sysfs_root, built by python running bench/daemon-sysfs-tree.py (8
 * CEX8 adapters x 16 domains, adapters 0-3 free for guests), without a
 * manager: the test starts one with test_env_start_manager() over
 * kernel_sysfs_new(env->sysfs_root), or a backend that wraps it.
 */
int test_sysfs_env_prepare(TestEnv *env, const char *python, const char *tree_script);
/* The mdev directory the kernel makes on `create` (plain files cannot), with the files apctld uses. */
int test_sysfs_mdev_make(const char *root, const char *uuid);
/* The same gone, as after `remove`; a missing one is not an error. */
int test_sysfs_mdev_remove(const char *root, const char *uuid);

/*
 * A spy backend: passes every op to inner (taken, also on failure) and
 * plays what a synthetic tree of plain files cannot (sysfs_root: inner's
 * tree, or NULL when inner is not the sysfs backend): `create` makes the
 * mdev's directory, `remove` takes it away. After
 * test_spy_remove_mdev_after_writes(b, n), the n-th successful mdev write
 * from then on is followed by the mdev's removal by another party; after
 * it every mdev read and write through files that still hold a file the
 * job kept open fails with -ENODEV, as kernfs answers on a removed
 * attribute (the spy cannot tell which file the op uses: any such one
 * counts). Files closed and opened again answer as usual (-ENOENT from
 * open()). It counts the mdev reads that ask for the guest matrix (only a
 * read after a job's writes does).
 */
int test_spy_new(KernelBackend *inner, const char *sysfs_root, KernelBackend **ret);
void test_spy_remove_mdev_after_writes(KernelBackend *spy, unsigned n);
/*
 * The next mdev write (create, remove, assign, ap_config) fails with
 * write_errno without reaching the kernel, and the first mdev read after it
 * (a rollback's, planning from where the failure left the mdev) with
 * then_read_errno (0: it reads as usual).
 */
void test_spy_fail_next_write(KernelBackend *spy, int write_errno, int then_read_errno);
/* The next mdev or mask read (a job's, planning its first write) fails with read_errno. */
void test_spy_fail_next_read(KernelBackend *spy, int read_errno);
unsigned test_spy_guest_reads(KernelBackend *spy);
void test_spy_reset_guest_reads(KernelBackend *spy);

/* Reply helpers. */
const char *reply_error(json_object *reply);           /* NULL when not an error */
json_object *reply_params(json_object *reply);         /* borrowed */
const char *reply_message(json_object *reply);

/* The fake kernel's view, for asserting on "what the kernel has". */
bool fake_mdev(TestEnv *env, const char *uuid, MdevState *ret);
void fake_masks(TestEnv *env, ApMask *apm, ApMask *aqm);
/* state.json as text ("" when missing), malloc'd. */
char *state_file(TestEnv *env);
bool journal_exists(TestEnv *env);
/*
 * Make apctld's open journal slot files read-only (its writes to them fail
 * with EBADF) or writable again, in place: the same descriptors, found in
 * /proc/self/fd. Returns how many it changed.
 */
unsigned journal_slots_set_writable(TestEnv *env, bool writable);
/* Run the loop until nothing is pending (worker jobs, deferred resyncs) or the deadline. */
void test_env_settle(TestEnv *env);

#define CHECK_ERROR(reply, name)                                                                        \
        ({                                                                                              \
                const char *_e = reply_error(reply);                                                    \
                bool _ok = tap_check(_e && strcmp(_e, (name)) == 0, "error " name, __FILE__, __LINE__); \
                if (!_ok)                                                                               \
                        tap_diag("  got %s", reply ? json_object_to_json_string(reply) : "(no reply)"); \
                _ok;                                                                                    \
        })

#define CHECK_OK(reply)                                                                                 \
        ({                                                                                              \
                bool _ok = tap_check((reply) && !reply_error(reply), "reply without error", __FILE__, __LINE__); \
                if (!_ok)                                                                               \
                        tap_diag("  got %s", (reply) ? json_object_to_json_string(reply) : "(no reply)"); \
                _ok;                                                                                    \
        })
