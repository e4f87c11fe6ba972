/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The intent journal: before its first kernel write a transaction records
 * what the kernel looked like before and what it should look like after,
 * in a file of its own, journal-<id>.json, in the runtime directory.
 *
 * The journal describes kernel state, and kernel state (mdevs, masks) does
 * not survive a reboot. So an entry need only outlive a crash of apctld,
 * not a power loss: it is written to a temporary file and renamed into
 * place, without fsync (the page cache outlives the process), in a
 * directory that is emptied at boot (/run/apctl, tmpfs), so that no entry
 * from an earlier boot is ever replayed against a kernel that has
 * forgotten it.
 *
 * The commit point of a transaction:
 * - when it also changes the desired state (Define, Modify, Attach, Detach,
 *   Host.Reserve/Release), its id goes into the state file's "committed"
 *   list in the same durable write as the new desired state;
 * - when it changes only the kernel (Guest.Start/Stop, autostart, the host
 *   masks re-applied by reconcile), the removal of its entry: the state
 *   file is not written at all.
 * At start-up an entry left behind by a crash is rolled forward if the
 * state lists its id as committed, and back otherwise. More than one entry
 * exists only while a kernel write hangs past its timeout and other
 * transactions go on.
 */
#pragma once

#include <stdint.h>

#include "guest.h"
#include "json-util.h"

#define JOURNAL_PREFIX "journal-"
#define JOURNAL_SUFFIX ".json"
#define JOURNAL_ENTRIES_MAX 64

typedef enum JournalKind {
        JOURNAL_MDEV,           /* one guest's mdev */
        JOURNAL_HOST,           /* apmask/aqmask */
} JournalKind;

/* What one mdev should be: absent, or present with this config. */
typedef struct MdevTarget {
        bool exists;
        ApConfig config;
} MdevTarget;

typedef struct HostTarget {
        ApMask apmask;
        ApMask aqmask;
} HostTarget;

typedef struct JournalEntry {
        uint64_t id;                            /* random, names the file and the commit marker */
        JournalKind kind;
        char method[64];                        /* for logs */
        char guest[GUEST_NAME_MAX + 1];
        char uuid[UUID_STRING_LEN + 1];
        MdevTarget mdev_before, mdev_after;
        HostTarget host_before, host_after;
} JournalEntry;

int journal_new_id(uint64_t *ret);
/* Atomic against a crash of apctld, not durable: see above. */
int journal_write(const char *dir, const JournalEntry *j);
/*
 * Every entry in dir, oldest first is not promised. Unreadable entries are
 * reported through e (file name in e->field) and make the call fail with
 * -EBADMSG after the readable ones were returned.
 */
int journal_read_all(const char *dir, JournalEntry **ret, size_t *ret_n, JsonError *e);
/* The commit point of a kernel-only transaction, or the end of any other; a missing entry is not an error. */
int journal_remove(const char *dir, uint64_t id);
/* Whether any entry file exists (tests, status). */
bool journal_any(const char *dir);
