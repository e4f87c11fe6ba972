/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The intent journal: before its first kernel write a transaction records
 * what the kernel looked like before and what it should look like after,
 * tagged with the generation the desired state will have once committed.
 * At start-up an entry left behind by a crash is rolled back (the state
 * file still has the old generation) or forward (it already has the new
 * one). One transaction at a time, so one file (journal.json).
 */
#pragma once

#include <stdint.h>

#include "guest.h"
#include "json-util.h"

#define JOURNAL_FILE "journal.json"

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
        uint64_t generation;
        JournalKind kind;
        char method[64];                        /* for logs */
        char guest[GUEST_NAME_MAX + 1];
        char uuid[UUID_STRING_LEN + 1];
        MdevTarget mdev_before, mdev_after;
        HostTarget host_before, host_after;
} JournalEntry;

int journal_write(const char *dir, const JournalEntry *j);
/* -ENOENT when there is none. */
int journal_read(const char *dir, JournalEntry *ret, JsonError *e);
int journal_remove(const char *dir);
