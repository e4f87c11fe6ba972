/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The intent journal: before its first kernel write a transaction records
 * what the kernel looked like before and what it should look like after,
 * as one entry in a slot file of the runtime directory, journal-slot-NN
 * (00 to 63).
 *
 * The journal describes kernel state, and kernel state (mdevs, masks) does
 * not survive a reboot. So an entry need only outlive a crash of apctld,
 * not a power loss: no fsync (the page cache outlives the process), in a
 * directory that is emptied at boot (/run/apctl, tmpfs), so that no entry
 * from an earlier boot is ever replayed against a kernel that has
 * forgotten it.
 *
 * A slot file is created once (one at start-up, the others only when that
 * many entries are pending at once) and kept open: an entry costs one
 * pwritev() and its removal one ftruncate() to length 0; no file is
 * created, renamed or unlinked per transaction. A slot holds a header
 * (magic, the length and an FNV-1a checksum of the text that follows) and
 * the entry's JSON text. Why one write is enough without a temporary file
 * and a rename: a crash of the process (SIGKILL at any instant) can cut a
 * write short but not reorder it, and a new entry is only ever written into
 * an empty file, so after a crash a slot holds a prefix of the new bytes and
 * nothing after them. A prefix short of the whole entry fails the header,
 * length or checksum check and reads as a torn entry, which is ignored and
 * emptied: no kernel write follows an entry before its write has returned.
 * A removal is a truncation, which has happened or not (zeros written over
 * the entry could stop part-way and leave the rest of its header). An
 * older apctld did remove entries with zeros, from the first byte on:
 * zeros over the start of a header, cut short or not, read as no entry.
 *
 * Why the file must be empty under a new entry: over an older entry's
 * bytes, a prefix of the new one that ends inside the header or the text
 * reads with old bytes after it. A new header whose length matches the old
 * entry's and that stops before its checksum is followed by the OLD
 * checksum and the OLD text: it reads as the old entry, resolved long ago,
 * and start-up would replay it. So no slot is written unless it is known to
 * be empty: created empty, emptied by each removal, emptied at start-up
 * when it holds no entry but some bytes (torn, or zeros an older apctld
 * left), emptied after a write that failed, and checked empty (fstat)
 * before each write; a slot that cannot be emptied is used no more.
 *
 * The runtime directory is locked (flock) while apctld runs: a second
 * apctld there would write into the same slots and remove the first one's
 * entries.
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
 *
 * apctld before the slots wrote each entry to a file of its own,
 * journal-<id>.json: those are still read at start-up (an upgrade while
 * one was pending) and their files removed once resolved.
 */
#pragma once

#include <stdint.h>

#include "guest.h"
#include "json-util.h"

/* The slot files, journal-slot-00 to journal-slot-63. */
#define JOURNAL_SLOT_PREFIX "journal-slot-"
/* Old-style entry files, journal-<16 hex digits>.json: only read and removed. */
#define JOURNAL_PREFIX "journal-"
#define JOURNAL_SUFFIX ".json"
#define JOURNAL_ENTRIES_MAX 64
/* The JSON text of one entry; the largest possible (every id in every mask) is some 6 KiB. */
#define JOURNAL_ENTRY_SIZE_MAX (16 * 1024)

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

typedef struct Journal Journal;

int journal_new_id(uint64_t *ret);
/*
 * The journal in dir (which must exist), which it keeps locked until
 * journal_close(); -EBUSY when another open journal (another apctld) holds
 * the lock. Nothing is read or written yet.
 */
int journal_open(const char *dir, Journal **ret);
/* Closes the slot files; the entries in them stay (for the next start). */
Journal *journal_close(Journal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(Journal *, journal_close);
/*
 * Every entry in the journal's slots and old-style files, in no particular
 * order; the slots that hold none become free for journal_write(), and a
 * free slot is created if there is none, so that the first entry creates no
 * file. A torn entry (see above) counts in *ret_n_torn and its slot is
 * cleared. Unreadable entries and foreign files are reported through e
 * (the file's name in e->field) and make the call fail with -EBADMSG after
 * the readable ones were returned; their slots are never written.
 * Called once, right after journal_open(): a second call does not return
 * the entries the first one found (their slots are taken by then).
 */
int journal_read_all(Journal *j, JournalEntry **ret, size_t *ret_n, size_t *ret_n_torn, JsonError *e);
/*
 * Into a free slot, creating a slot file when all are taken (never over an
 * existing file: before journal_read_all() none is free). -ESTALE when the
 * slot's file was unlinked, replaced or written behind apctld's back.
 */
int journal_write(Journal *j, const JournalEntry *entry);
/*
 * The commit point of a kernel-only transaction, or the end of any other; an
 * unknown id is not an error. On failure the entry is still there, whole.
 */
int journal_remove(Journal *j, uint64_t id);
/* Why journal_write() failed, for the caller's message: -ESTALE says more than strerror(). */
const char *journal_strerror(int r);
/* Whether dir holds an entry (valid, or unreadable), read afresh (tests). */
bool journal_any(const char *dir);
