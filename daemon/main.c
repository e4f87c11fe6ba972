/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* apctld: command line, signals, sd_notify, socket activation. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "kernel-backend.h"
#include "log.h"
#include "manager.h"
#include "policy-adapter.h"
#ifdef APCTLD_FAKE_KERNEL
#include "kernel-fake.h"
#endif


static void help(void) {
        printf("Usage: apctld [OPTIONS]\n\n"
               "Own AP crypto passthrough on this host: the kernel's AP bus and vfio_ap state,\n"
               "the persisted guest definitions, and the JSON API on a Unix socket.\n\n"
               "  -h --help                  Show this help\n"
               "     --version               Show the version\n"
               "     --socket=PATH           Listen here when not socket-activated (default %s/apctld.sock)\n"
               "     --state-dir=DIR         Desired state (default %s)\n"
               "     --runtime-dir=DIR       Transaction journal; must be emptied at boot (default %s)\n"
               "     --sysfs-root=DIR        Root of sysfs (default /sys)\n"
               "     --admin-uid=UID         Also allow this uid to change the configuration\n"
               "     --kernel-timeout=MSEC   Report a kernel write as timed out after this; 0 never (default 30000)\n"
               "     --idle-timeout=MSEC     Disconnect clients that sent no complete call for this long;\n"
               "                             0 never (default 60000)\n"
               "     --max-clients=N         Concurrent connections of non-root users (default 256);\n"
               "                             root has as many of its own\n"
               "     --max-clients-per-uid=N Concurrent connections of one non-root user\n"
               "                             (default a quarter of --max-clients)\n"
               "     --no-udev               Do not watch uevents (tests)\n"
               "     --log-target=TARGET     journal, stderr, or auto (default)\n"
               "     --debug                 Log debug messages\n"
               "     --policy-dir=DIR        Access and placement policy (default %s/policy.d; built-in if missing)\n"
#ifdef APCTLD_FAKE_KERNEL
               "     --fake-kernel=SPEC      Test build only: an in-memory kernel, SPEC = \"A:TYPE:D1-D2[,...]\"\n"
#endif
               , APCTL_RUNDIR, APCTL_STATEDIR, APCTL_RUNDIR, APCTL_SYSCONFDIR);
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

#ifdef APCTLD_FAKE_KERNEL
/* "5:13:0-15,6:12:0-3": adapter 5 of type 13 with domains 0..15, ... */
static int fake_kernel_from_spec(const char *spec, KernelBackend **ret) {
        _cleanup_(kernel_backend_freep) KernelBackend *b = NULL;
        _cleanup_free_ char *copy = strdup(spec);
        char *save = NULL;
        int r;

        if (!copy)
                return -ENOMEM;
        r = kernel_fake_new(&b);
        if (r < 0)
                return r;
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
                unsigned a, type, d1, d2;
                ApMask doms = {};
                if (sscanf(item, "%u:%u:%u-%u", &a, &type, &d1, &d2) != 4 || a > 255 || d1 > d2 || d2 > 255)
                        return -EINVAL;
                ap_mask_set_range(&doms, d1, d2);
                r = kernel_fake_add_card(b, a, type, AP_MODE_CCA, &doms);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(b);
        return 0;
}
#endif

typedef struct Args {
        ManagerConfig config;
        const char *sysfs_root;         /* borrowed from argv */
        const char *fake_spec;          /* borrowed from argv */
        const char *policy_dir;         /* borrowed from argv; NULL: the default if it exists */
} Args;

/* manager_new() takes the config over and zeroes it; every other exit frees it here. */
static void args_done(Args *a) {
        manager_config_done(&a->config);
}

/* 1: run; 0: exit successfully (--help, --version); <0: bad command line (already reported). */
static int parse_argv(int argc, char *argv[], Args *a) {
        enum { ARG_VERSION = 0x100, ARG_SOCKET, ARG_STATE_DIR, ARG_SYSFS_ROOT, ARG_ADMIN_UID, ARG_KERNEL_TIMEOUT,
               ARG_IDLE_TIMEOUT, ARG_MAX_CLIENTS, ARG_MAX_CLIENTS_PER_UID, ARG_NO_UDEV, ARG_LOG_TARGET, ARG_DEBUG, ARG_FAKE_KERNEL,
               ARG_POLICY_DIR, ARG_RUNTIME_DIR };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "sysfs-root", required_argument, NULL, ARG_SYSFS_ROOT },
                { "admin-uid", required_argument, NULL, ARG_ADMIN_UID },
                { "kernel-timeout", required_argument, NULL, ARG_KERNEL_TIMEOUT },
                { "idle-timeout", required_argument, NULL, ARG_IDLE_TIMEOUT },
                { "max-clients", required_argument, NULL, ARG_MAX_CLIENTS },
                { "max-clients-per-uid", required_argument, NULL, ARG_MAX_CLIENTS_PER_UID },
                { "no-udev", no_argument, NULL, ARG_NO_UDEV },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "debug", no_argument, NULL, ARG_DEBUG },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
#ifdef APCTLD_FAKE_KERNEL
                { "fake-kernel", required_argument, NULL, ARG_FAKE_KERNEL },
#endif
                {}
        };
        unsigned long long v;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("apctld %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_SOCKET:
                        free(a->config.socket_path);
                        a->config.socket_path = strdup(optarg);
                        break;
                case ARG_STATE_DIR:
                        free(a->config.state_dir);
                        a->config.state_dir = strdup(optarg);
                        break;
                case ARG_RUNTIME_DIR:
                        free(a->config.runtime_dir);
                        a->config.runtime_dir = strdup(optarg);
                        break;
                case ARG_SYSFS_ROOT:
                        a->sysfs_root = optarg;
                        break;
                case ARG_ADMIN_UID:
                        if (parse_uint(optarg, (uid_t) -2, &v) < 0) {
                                fprintf(stderr, "apctld: --admin-uid: '%s' is not a uid\n", optarg);
                                return -EINVAL;
                        }
                        a->config.admin_uid = v;
                        break;
                case ARG_KERNEL_TIMEOUT:
                case ARG_IDLE_TIMEOUT:
                        if (parse_uint(optarg, 24ULL * 3600 * 1000, &v) < 0) {
                                fprintf(stderr, "apctld: %s: '%s' is not a number of milliseconds up to one day\n",
                                        c == ARG_KERNEL_TIMEOUT ? "--kernel-timeout" : "--idle-timeout", optarg);
                                return -EINVAL;
                        }
                        if (c == ARG_KERNEL_TIMEOUT)
                                a->config.kernel_timeout_usec = v * 1000;
                        else
                                a->config.idle_timeout_usec = v * 1000;
                        break;
                case ARG_MAX_CLIENTS:
                        if (parse_uint(optarg, 65536, &v) < 0 || v == 0) {
                                fprintf(stderr, "apctld: --max-clients: '%s' is not 1..65536\n", optarg);
                                return -EINVAL;
                        }
                        a->config.max_clients = v;
                        break;
                case ARG_MAX_CLIENTS_PER_UID:
                        if (parse_uint(optarg, 65536, &v) < 0 || v == 0) {
                                fprintf(stderr, "apctld: --max-clients-per-uid: '%s' is not 1..65536\n", optarg);
                                return -EINVAL;
                        }
                        a->config.max_clients_per_uid = v;
                        break;
                case ARG_NO_UDEV:
                        a->config.use_udev = false;
                        break;
                case ARG_LOG_TARGET:
                        if (streq(optarg, "journal"))
                                log_set_target(LOG_TARGET_JOURNAL);
                        else if (streq(optarg, "stderr"))
                                log_set_target(LOG_TARGET_STDERR);
                        else if (streq(optarg, "auto"))
                                log_set_target(LOG_TARGET_AUTO);
                        else {
                                fprintf(stderr, "apctld: --log-target: '%s' is not journal, stderr or auto\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_DEBUG:
                        log_set_max_level(LOG_DEBUG);
                        break;
                case ARG_FAKE_KERNEL:
                        a->fake_spec = optarg;
                        break;
                case ARG_POLICY_DIR:
                        a->policy_dir = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "apctld: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if (!a->config.state_dir)
                a->config.state_dir = strdup(APCTL_STATEDIR);
        if (!a->config.runtime_dir)
                a->config.runtime_dir = strdup(APCTL_RUNDIR);
        if (!a->config.socket_path)
                a->config.socket_path = strdup(APCTL_RUNDIR "/apctld.sock");
        if (!a->config.state_dir || !a->config.runtime_dir || !a->config.socket_path)
                return log_error_errno(ENOMEM, "Out of memory");
#ifdef APCTLD_FAKE_KERNEL
        {
                /*
                 * Test build only (apctld-test, which also drives real sysfs): for the
                 * VM crash scenarios, SIGKILL ourselves after step N of a transaction.
                 */
                const char *kill_at = getenv("APCTLD_TEST_KILL_AFTER_STEP");
                if (kill_at && parse_uint(kill_at, 100000, &v) >= 0)
                        a->config.test_kill_after_step = v;
                /* Drive the simulator as a kernel without ap_config (most deployed ones) is driven. */
                a->config.test_no_ap_config = getenv("APCTLD_TEST_NO_AP_CONFIG") != NULL;
        }
#endif
        return 1;
}

/* The kernel backend the command line asks for; -EINVAL for a bad --fake-kernel spec. */
static int make_backend(Args *a, KernelBackend **ret) {
        int r;

#ifdef APCTLD_FAKE_KERNEL
        if (a->fake_spec) {
                r = fake_kernel_from_spec(a->fake_spec, ret);
                if (r < 0) {
                        fprintf(stderr, "apctld: --fake-kernel: bad spec '%s' (want A:TYPE:D1-D2[,...])\n", a->fake_spec);
                        return -EINVAL;
                }
                a->config.use_udev = false;
                return 0;
        }
#endif
        r = kernel_sysfs_new(a->sysfs_root, ret);
        if (r < 0)
                return log_error_errno(r, "Cannot use sysfs root %s", a->sysfs_root);
        return 0;
}

/* SIGHUP: load the policy again, as io.apctl.Policy.Reload does. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = *(Manager **) userdata;
        char reason[600] = "";

        if (!m || !m->policy.reload) {
                log_info("SIGHUP: no policy to reload");
                return 0;
        }
        if (m->policy.reload(m->policy.userdata, reason, sizeof(reason)) < 0)
                log_full(LOG_ERR, 0, NULL, NULL, NULL, NULL, "SIGHUP: policy not reloaded, the old one stays: %s", reason);
        else
                log_info("SIGHUP: policy reloaded");
        return 0;
}

/*
 * SIGTERM and SIGINT end the loop, SIGHUP reloads the policy of *manager;
 * the watchdog pings when the service has WatchdogSec=.
 */
static int make_event_loop(sd_event **ret, Manager **manager) {
        sigset_t mask;
        int r;

        r = sd_event_default(ret);
        if (r < 0)
                return r;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        r = sd_event_add_signal(*ret, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(*ret, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(*ret, NULL, SIGHUP, on_sighup, manager);
        if (r >= 0)
                r = sd_event_set_watchdog(*ret, true);
        return r < 0 ? r : 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(manager_freep) Manager *m = NULL;
        /* Declared after m: freed first, while the manager it hooks into still exists. */
        _cleanup_(policy_adapter_freep) PolicyAdapter *policy = NULL;
        _cleanup_(kernel_backend_freep) KernelBackend *backend = NULL;
        _cleanup_(args_done) Args a = { .sysfs_root = "/sys" };
        int r, listen_fd = -1, n_fds;

        /*
         * A fixed mmap threshold: big buffers get their own mapping and go
         * back to the kernel when freed. glibc's default raises the
         * threshold after the first such free, so later ones came from the
         * heap and stayed resident for the daemon's lifetime (VmRSS 3.6 ->
         * 4.1 MiB after one Host.List, when its ~570 KiB reply was still
         * built whole; it is streamed now).
         */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);

        manager_config_init(&a.config);
        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        r = make_backend(&a, &backend);
        if (r < 0)
                return r == -EINVAL ? 2 : 1;
        r = make_event_loop(&event, &m);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop"), 1;

        r = manager_new(event, TAKE_PTR(backend), &a.config, &m);
        if (r < 0)
                return log_error_errno(r, "Cannot create the manager"), 1;

        {
                /* Always a policy: without the default directory, the built-in one (group apctl reads). */
                const char *dir = a.policy_dir ?: APCTL_SYSCONFDIR "/policy.d";
                _cleanup_free_ char *why = NULL;

                r = a.policy_dir ? policy_adapter_new(m, dir, 0, &policy, &why)
                                 : policy_adapter_new_optional(m, dir, 0, &policy, &why);
                if (r < 0)
                        return log_full(LOG_ERR, 0, NULL, NULL, NULL, NULL, "Refusing to start: policy %s is unusable: %s",
                                        dir, why ?: strerror(-r)), 1;
        }

        n_fds = sd_listen_fds(true);
        if (n_fds > 1)
                return log_error_errno(EINVAL, "Expected at most one socket from systemd, got %d", n_fds), 1;
        if (n_fds == 1)
                listen_fd = SD_LISTEN_FDS_START;

        r = manager_start(m, listen_fd);
        if (r < 0)
                return 1;
        log_full(LOG_INFO, 0, APCTLD_MESSAGE_STARTED, NULL, NULL, NULL, "apctld %s ready (%s backend, %zu queues, %zu guests)",
                 PACKAGE_VERSION, m->backend->ops->name, m->kernel.n_queues, m->desired.n_guests);
        /* manager_start() sent the status text already: it goes again only when it changes. */
        (void) sd_notify(false, "READY=1");

        r = sd_event_loop(event);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
        if (r < 0)
                return log_error_errno(r, "Event loop failed"), 1;
        return 0;
}
