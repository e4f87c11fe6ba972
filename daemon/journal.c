/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The intent journal: pending transactions in slot files kept open, written before the kernel is touched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fileio.h"
#include "journal.h"
#include "json-ap.h"
#include "json-writer.h"
#include "macro.h"

#define JOURNAL_VERSION 1

/*
 * A slot's header, as text so that a slot reads well in a pager:
 * "APCTLJ1 <length: 8 hex digits> <FNV-1a 64 of the text: 16 hex digits>\n".
 */
#define SLOT_MAGIC "APCTLJ1 "
#define SLOT_HEADER_SIZE 34
#define SLOT_SIZE_MAX (SLOT_HEADER_SIZE + JOURNAL_ENTRY_SIZE_MAX)

typedef enum SlotState {
        SLOT_CLOSED,            /* no file (or not opened yet) */
        SLOT_UNUSABLE,          /* unreadable, foreign, or not known to be empty (open or not): never written */
        SLOT_FREE,              /* an empty file (journal.h says why it must be) */
        SLOT_BUSY,              /* holds the entry of id */
} SlotState;

typedef struct JournalSlot {
        int fd;                 /* owned; negative when closed */
        SlotState state;
        uint64_t id;            /* SLOT_BUSY: its entry's */
} JournalSlot;

struct Journal {
        char *dir;              /* owned */
        int dir_fd;             /* owned */
        JournalSlot slots[JOURNAL_ENTRIES_MAX];
        /* Old-style entries read at start-up and not resolved yet: journal_remove() unlinks their files. */
        uint64_t legacy_ids[JOURNAL_ENTRIES_MAX];
        size_t n_legacy;
};

typedef enum SlotContent {
        SLOT_CONTENT_NONE,      /* empty, or zeros over the start of an old entry: no entry */
        SLOT_CONTENT_TORN,      /* a prefix of an entry: its write was cut short */
        SLOT_CONTENT_ENTRY,
} SlotContent;

static void journal_name(uint64_t id, char buf[static 64]) {
        snprintf(buf, 64, JOURNAL_PREFIX "%016" PRIx64 JOURNAL_SUFFIX, id);
}

static void slot_name(size_t index, char buf[static 64]) {
        snprintf(buf, 64, JOURNAL_SLOT_PREFIX "%02zu", index);
}

/* The slot index a file name stands for, or -1: exactly two decimal digits, below JOURNAL_ENTRIES_MAX. */
static int slot_index(const char *name) {
        const char *p;
        int index;

        if (!strneq(name, JOURNAL_SLOT_PREFIX, strlen(JOURNAL_SLOT_PREFIX)))
                return -1;
        p = name + strlen(JOURNAL_SLOT_PREFIX);
        if (strlen(p) != 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
                return -1;
        index = (p[0] - '0') * 10 + (p[1] - '0');
        return index < JOURNAL_ENTRIES_MAX ? index : -1;
}

/*
 * The check tells a whole entry from a prefix of it that a crash left
 * (over nothing, or an older apctld's zeros): no adversary, so a fast
 * non-cryptographic hash does, and 64 bits make a false match negligible.
 */
static uint64_t fnv1a64(const char *p, size_t len) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char) p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

int journal_new_id(uint64_t *ret) {
        uint64_t id;

        do {
                if (getrandom(&id, sizeof(id), 0) != sizeof(id))
                        return -EIO;
        } while (id == 0);
        *ret = id;
        return 0;
}

static void write_mdev_target(JsonWriter *w, const char *key, const MdevTarget *t) {
        json_writer_key(w, key);
        json_writer_object_begin(w);
        json_writer_member_bool(w, "exists", t->exists);
        json_writer_member_ap_config(w, "config", &t->config);
        json_writer_object_end(w);
}

static void write_host_target(JsonWriter *w, const char *key, const HostTarget *t) {
        json_writer_key(w, key);
        json_writer_object_begin(w);
        json_writer_member_mask(w, "apmask", &t->apmask);
        json_writer_member_mask(w, "aqmask", &t->aqmask);
        json_writer_object_end(w);
}

int journal_open(const char *dir, Journal **ret) {
        _cleanup_(journal_closep) Journal *j = calloc(1, sizeof(Journal));

        if (!j)
                return -ENOMEM;
        j->dir_fd = -EBADF;
        for (size_t i = 0; i < JOURNAL_ENTRIES_MAX; i++)
                j->slots[i].fd = -EBADF;
        j->dir = strdup(dir);
        if (!j->dir)
                return -ENOMEM;
        j->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (j->dir_fd < 0)
                return negative_errno();
        /* Held until journal_close(): a second apctld here would write into our slots and clear our entries. */
        if (flock(j->dir_fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : negative_errno();
        *ret = TAKE_PTR(j);
        return 0;
}

Journal *journal_close(Journal *j) {
        if (!j)
                return NULL;
        for (size_t i = 0; i < JOURNAL_ENTRIES_MAX; i++)
                safe_close(j->slots[i].fd);
        safe_close(j->dir_fd);
        free(j->dir);
        free(j);
        return NULL;
}

/* A free slot: an open one, or a new file in the lowest unused place. */
static int slot_get_free(Journal *j, JournalSlot **ret) {
        JournalSlot *closed = NULL;
        char name[64];
        int fd;

        for (size_t i = 0; i < JOURNAL_ENTRIES_MAX; i++) {
                if (j->slots[i].state == SLOT_FREE) {
                        *ret = &j->slots[i];
                        return 0;
                }
                if (!closed && j->slots[i].state == SLOT_CLOSED)
                        closed = &j->slots[i];
        }
        if (!closed)
                return -ENOSPC;
        slot_name(closed - j->slots, name);
        /* O_EXCL: a file journal_read_all() did not find free (unread, or not apctld's) is never overwritten. */
        fd = openat(j->dir_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        *closed = (JournalSlot) { .fd = fd, .state = SLOT_FREE };
        *ret = closed;
        return 0;
}

/*
 * Empties the slot file: one ftruncate(), which has happened or not, with
 * nothing in between (a write of zeros can stop part-way). When it reports
 * a failure, the file's size says which: a failure after the size changed
 * (a file system that fails the rest of a truncate) has still removed the
 * entry, and must not be taken for a removal that did not happen.
 */
static int slot_clear(JournalSlot *slot) {
        struct stat st;
        int r;

        if (ftruncate(slot->fd, 0) >= 0)
                return 0;
        r = negative_errno();
        if (fstat(slot->fd, &st) >= 0 && st.st_size == 0)
                return 0;
        return r;
}

/*
 * Header and text at offset 0 of the empty file, the rest once more after a
 * short write (whose cause, ENOSPC say, the second call then reports).
 */
static int slot_write(int fd, const char *header, const char *text, size_t len) {
        size_t done = 0, total = SLOT_HEADER_SIZE + len;
        unsigned calls = 0;

        while (done < total) {
                struct iovec iov[2];
                int n_iov = 0;
                ssize_t n;

                if (done < SLOT_HEADER_SIZE)
                        iov[n_iov++] = (struct iovec) { (char *) header + done, SLOT_HEADER_SIZE - done };
                if (len > 0) {
                        size_t skip = done > SLOT_HEADER_SIZE ? done - SLOT_HEADER_SIZE : 0;
                        iov[n_iov++] = (struct iovec) { (char *) text + skip, len - skip };
                }
                n = pwritev(fd, iov, n_iov, done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                done += n;
                if (done < total && (n == 0 || ++calls == 2))
                        return -EIO;
        }
        return 0;
}

/*
 * Written straight as text, not through a json-c tree: before every kernel
 * transaction, on the path to its reply (a tree and its serialization were
 * a quarter of apctld's instructions per guest start).
 */
int journal_write(Journal *j, const JournalEntry *entry) {
        _cleanup_(json_writer_done) JsonWriter w = {};
        _cleanup_free_ char *text = NULL;
        char idhex[17], header[SLOT_HEADER_SIZE + 1];
        size_t len, allocated;
        JournalSlot *slot;
        struct stat st;
        int r;

        r = json_writer_init(&w, 1024);
        if (r < 0)
                return r;
        snprintf(idhex, sizeof(idhex), "%016" PRIx64, entry->id);
        json_writer_object_begin(&w);
        json_writer_member_int(&w, "version", JOURNAL_VERSION);
        json_writer_member_string(&w, "id", idhex);
        json_writer_member_string(&w, "kind", entry->kind == JOURNAL_MDEV ? "mdev" : "host");
        json_writer_member_string(&w, "method", entry->method);
        if (entry->kind == JOURNAL_MDEV) {
                json_writer_member_string(&w, "guest", entry->guest);
                json_writer_member_string(&w, "uuid", entry->uuid);
                write_mdev_target(&w, "before", &entry->mdev_before);
                write_mdev_target(&w, "after", &entry->mdev_after);
        } else {
                write_host_target(&w, "before", &entry->host_before);
                write_host_target(&w, "after", &entry->host_after);
        }
        json_writer_object_end(&w);
        r = json_writer_finish(&w, &text, &len, &allocated);
        if (r < 0)
                return r;
        /* len counts the NUL; the slot does not hold it. */
        len--;
        if (len > JOURNAL_ENTRY_SIZE_MAX)
                return -E2BIG;
        r = slot_get_free(j, &slot);
        if (r < 0)
                return r;
        /*
         * Unlinked or replaced, the file would take our entries where no
         * start-up looks; not empty, our entry would lie over bytes that are
         * not ours (journal.h): both mean someone else changed the runtime
         * directory, and apctld writes no entry it could not find again. The
         * slot is not used again; the next entry takes a new file.
         */
        if (fstat(slot->fd, &st) < 0)
                return negative_errno();
        if (st.st_nlink == 0 || st.st_size != 0) {
                slot->state = SLOT_UNUSABLE;
                return -ESTALE;
        }
        snprintf(header, sizeof(header), SLOT_MAGIC "%08zx %016" PRIx64 "\n", len, fnv1a64(text, len));
        /* Header and text in one call: see journal.h for why that is safe against a crash. */
        r = slot_write(slot->fd, header, text, len);
        if (r < 0) {
                /* No kernel write follows; emptied, the slot takes the next entry; else it is used no more. */
                if (slot_clear(slot) < 0)
                        slot->state = SLOT_UNUSABLE;
                return r;
        }
        slot->state = SLOT_BUSY;
        slot->id = entry->id;
        return 0;
}

static const JsonField config_fields[] = {
        { "adapters", json_type_array, json_parse_ap_mask, offsetof(ApConfig, apm), JSON_FIELD_REQUIRED },
        { "domains", json_type_array, json_parse_ap_mask, offsetof(ApConfig, aqm), JSON_FIELD_REQUIRED },
        { "control_domains", json_type_array, json_parse_ap_mask, offsetof(ApConfig, adm), JSON_FIELD_REQUIRED },
        {}
};

static int parse_config(const char *name, json_object *v, void *dest, JsonError *e) {
        return json_dispatch(v, config_fields, dest, e);
}

static const JsonField mdev_target_fields[] = {
        { "exists", json_type_boolean, json_dispatch_bool, offsetof(MdevTarget, exists), JSON_FIELD_REQUIRED },
        { "config", json_type_object, parse_config, offsetof(MdevTarget, config), JSON_FIELD_REQUIRED },
        {}
};

static const JsonField host_target_fields[] = {
        { "apmask", json_type_array, json_parse_ap_mask, offsetof(HostTarget, apmask), JSON_FIELD_REQUIRED },
        { "aqmask", json_type_array, json_parse_ap_mask, offsetof(HostTarget, aqmask), JSON_FIELD_REQUIRED },
        {}
};

typedef struct JournalJson {
        int64_t version;
        char *id;               /* owned */
        char *kind;             /* owned */
        char *method;           /* owned */
        char *guest;            /* owned */
        char *uuid;             /* owned */
        json_object *before;    /* ref held */
        json_object *after;     /* ref held */
} JournalJson;

static const JsonField journal_fields[] = {
        { "version", json_type_int, json_dispatch_int64, offsetof(JournalJson, version), JSON_FIELD_REQUIRED },
        { "id", json_type_string, json_dispatch_string, offsetof(JournalJson, id), JSON_FIELD_REQUIRED },
        { "kind", json_type_string, json_dispatch_string, offsetof(JournalJson, kind), JSON_FIELD_REQUIRED },
        { "method", json_type_string, json_dispatch_string, offsetof(JournalJson, method), JSON_FIELD_REQUIRED },
        { "guest", json_type_string, json_dispatch_string, offsetof(JournalJson, guest), 0 },
        { "uuid", json_type_string, json_dispatch_string, offsetof(JournalJson, uuid), 0 },
        { "before", json_type_object, json_dispatch_object_ref, offsetof(JournalJson, before), JSON_FIELD_REQUIRED },
        { "after", json_type_object, json_dispatch_object_ref, offsetof(JournalJson, after), JSON_FIELD_REQUIRED },
        {}
};

static int journal_from_json(json_object *o, JournalEntry *ret, JsonError *e) {
        JournalJson j = {};
        JournalEntry entry = {};
        int r;

        r = json_dispatch(o, journal_fields, &j, e);
        if (r < 0)
                goto out;
        r = -EBADMSG;
        if (j.version != JOURNAL_VERSION) {
                json_error_set(e, "version", "unsupported journal version %" PRId64, j.version);
                goto out;
        }
        {
                char *end;
                errno = 0;
                entry.id = strtoull(j.id, &end, 16);
                if (errno || *end || end == j.id || strlen(j.id) != 16 || entry.id == 0) {
                        json_error_set(e, "id", "invalid journal id '%s'", j.id);
                        goto out;
                }
        }
        snprintf(entry.method, sizeof(entry.method), "%s", j.method);
        if (streq(j.kind, "mdev")) {
                entry.kind = JOURNAL_MDEV;
                if (!j.guest || !j.uuid || !uuid_is_valid(j.uuid) || strlen(j.guest) > GUEST_NAME_MAX) {
                        json_error_set(e, "uuid", "mdev journal entry without a valid guest and UUID");
                        goto out;
                }
                strcpy(entry.guest, j.guest);
                strcpy(entry.uuid, j.uuid);
                if (json_dispatch(j.before, mdev_target_fields, &entry.mdev_before, e) < 0 ||
                    json_dispatch(j.after, mdev_target_fields, &entry.mdev_after, e) < 0)
                        goto out;
        } else if (streq(j.kind, "host")) {
                entry.kind = JOURNAL_HOST;
                if (json_dispatch(j.before, host_target_fields, &entry.host_before, e) < 0 ||
                    json_dispatch(j.after, host_target_fields, &entry.host_after, e) < 0)
                        goto out;
        } else {
                json_error_set(e, "kind", "unknown journal entry kind '%s'", j.kind);
                goto out;
        }
        *ret = entry;
        r = 0;
out:
        free(j.id);
        free(j.kind);
        free(j.method);
        free(j.guest);
        free(j.uuid);
        json_object_put(j.before);
        json_object_put(j.after);
        return r;
}

/* An old-style entry file, journal-<id>.json. */
static int legacy_read(const char *dir, const char *name, JournalEntry *ret, JsonError *e) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *o = NULL;
        char path[4096];
        size_t len;
        int r;

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
                return -ENAMETOOLONG;
        r = read_file(path, 1 << 16, &text, &len);
        if (r < 0)
                return r;
        r = json_parse_limited(text, len, 8, &o, e);
        if (r < 0)
                return r;
        return journal_from_json(o, ret, e);
}

static bool is_legacy_name(const char *name) {
        size_t n = strlen(name), p = strlen(JOURNAL_PREFIX), s = strlen(JOURNAL_SUFFIX);

        return n == p + 16 + s && strneq(name, JOURNAL_PREFIX, p) && streq(name + n - s, JOURNAL_SUFFIX);
}

static bool is_hex_digit(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Whether c may stand at position i of a header ("APCTLJ1 llllllll cccccccccccccccc\n"). */
static bool header_char_ok(size_t i, char c) {
        if (i < strlen(SLOT_MAGIC))
                return c == SLOT_MAGIC[i];
        if (i == 16)
                return c == ' ';
        if (i == SLOT_HEADER_SIZE - 1)
                return c == '\n';
        return is_hex_digit(c);
}

static uint64_t parse_hex(const char *p, size_t n) {
        uint64_t v = 0;

        for (size_t i = 0; i < n; i++)
                v = v << 4 | (uint64_t) (p[i] <= '9' ? p[i] - '0' : p[i] - 'a' + 10);
        return v;
}

/*
 * What a slot holds (SlotContent), its entry in *ret and the bytes read in
 * *ret_size; -EBADMSG (e says why) for what apctld did not write. apctld
 * writes an entry into an empty file and removes it by emptying the file,
 * so a slot holds nothing, a prefix of an entry (torn), or a whole entry.
 * An older apctld zeroed entries from their first byte on and wrote new
 * ones over the zeros: zeros over the start of a header (all of it, or the
 * first bytes of it when that removal was cut short) are a removal and
 * read as no entry; a prefix of a header followed by zeros is torn.
 */
static int slot_read(int fd, JournalEntry *ret, size_t *ret_size, JsonError *e) {
        _cleanup_free_ char *buf = malloc(SLOT_SIZE_MAX);
        _cleanup_json_ json_object *o = NULL;
        size_t n = 0, head, zeros, end, len;
        JournalEntry entry;
        int r;

        if (!buf)
                return -ENOMEM;
        while (n < SLOT_SIZE_MAX) {
                ssize_t k = pread(fd, buf + n, SLOT_SIZE_MAX - n, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                n += k;
        }
        /* The header's place: zeros, then header bytes as far as they were written, then zeros or the end. */
        head = n < SLOT_HEADER_SIZE ? n : SLOT_HEADER_SIZE;
        for (zeros = 0; zeros < head && !buf[zeros]; zeros++)
                ;
        for (end = zeros; end < head && buf[end]; end++)
                if (!header_char_ok(end, buf[end])) {
                        json_error_set(e, "", "not a journal slot (no header)");
                        return -EBADMSG;
                }
        for (size_t i = end; i < head; i++)
                if (buf[i]) {
                        json_error_set(e, "", "not a journal slot (a broken header)");
                        return -EBADMSG;
                }
        if (n == 0 || zeros > 0) {
                *ret_size = n;
                return SLOT_CONTENT_NONE;
        }
        if (end < SLOT_HEADER_SIZE) {
                *ret_size = n;
                return SLOT_CONTENT_TORN;
        }
        len = parse_hex(buf + strlen(SLOT_MAGIC), 8);
        if (len > JOURNAL_ENTRY_SIZE_MAX) {
                json_error_set(e, "", "journal entry of %zu bytes, more than the %d allowed", len,
                               JOURNAL_ENTRY_SIZE_MAX);
                return -EBADMSG;
        }
        if (n < SLOT_HEADER_SIZE + len || fnv1a64(buf + SLOT_HEADER_SIZE, len) != parse_hex(buf + 17, 16)) {
                *ret_size = n;
                return SLOT_CONTENT_TORN;
        }
        r = json_parse_limited(buf + SLOT_HEADER_SIZE, len, 8, &o, e);
        if (r < 0)
                return r;
        r = journal_from_json(o, &entry, e);
        if (r < 0)
                return r;
        *ret = entry;
        *ret_size = n;
        return SLOT_CONTENT_ENTRY;
}

/* The first problem found names its file; each unreadable file counts. */
static void report_bad(JsonError *e, bool *bad, const char *name, int r, const JsonError *why) {
        if (!*bad)
                json_error_set(e, name, "%s", why && why->message[0] ? why->message : strerror(-r));
        *bad = true;
}

/* One slot file found by journal_read_all(); its entry in entries[*n]. */
static void read_one_slot(Journal *j, size_t index, const char *name, JournalEntry *entries, size_t *n,
                          size_t *n_torn, bool *bad, JsonError *e) {
        JournalSlot *slot = &j->slots[index];
        JsonError why = {};
        size_t size = 0;
        int r;

        if (slot->state == SLOT_CLOSED) {
                /* O_NOFOLLOW: never through a link; a directory or device is not a slot either. */
                int fd = openat(j->dir_fd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                struct stat st;

                /* Unusable from here on, opened or not: the place of a file apctld cannot read. */
                *slot = (JournalSlot) { .fd = fd, .state = SLOT_UNUSABLE };
                if (fd < 0) {
                        report_bad(e, bad, name, negative_errno(), NULL);
                        return;
                }
                if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                        json_error_set(&why, "", "not a regular file");
                        report_bad(e, bad, name, -EBADMSG, &why);
                        return;
                }
        }
        if (slot->state != SLOT_UNUSABLE || slot->fd < 0)
                return;         /* read before, or not readable */
        r = slot_read(slot->fd, &entries[*n], &size, &why);
        if (r < 0) {
                report_bad(e, bad, name, r, &why);
                return;
        }
        if (r == SLOT_CONTENT_TORN)
                (*n_torn)++;
        /* Emptied before it is used: a new entry must never lie over old bytes (journal.h). */
        if (r != SLOT_CONTENT_ENTRY && size > 0 && slot_clear(slot) < 0)
                return; /* stays unusable */
        if (r == SLOT_CONTENT_ENTRY) {
                if (*n >= JOURNAL_ENTRIES_MAX) {
                        json_error_set(&why, "", "too many journal entries");
                        report_bad(e, bad, name, -EBADMSG, &why);
                        return;
                }
                slot->state = SLOT_BUSY;
                slot->id = entries[(*n)++].id;
                return;
        }
        slot->state = SLOT_FREE;
}

int journal_read_all(Journal *j, JournalEntry **ret, size_t *ret_n, size_t *ret_n_torn, JsonError *e) {
        _cleanup_free_ JournalEntry *entries = calloc(JOURNAL_ENTRIES_MAX + 1, sizeof(JournalEntry));
        size_t n = 0, n_torn = 0;
        bool bad = false;
        struct dirent *de;
        JournalSlot *spare;
        DIR *d;
        int fd;

        if (!entries)
                return -ENOMEM;
        fd = openat(j->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -ENOMEM;
        }
        j->n_legacy = 0;
        while ((de = readdir(d))) {
                int index = slot_index(de->d_name);

                if (index >= 0) {
                        read_one_slot(j, index, de->d_name, entries, &n, &n_torn, &bad, e);
                } else if (strneq(de->d_name, JOURNAL_SLOT_PREFIX, strlen(JOURNAL_SLOT_PREFIX))) {
                        JsonError why = {};
                        json_error_set(&why, "", "not a journal slot apctld knows (%s00 to %s%02d)",
                                       JOURNAL_SLOT_PREFIX, JOURNAL_SLOT_PREFIX, JOURNAL_ENTRIES_MAX - 1);
                        report_bad(e, &bad, de->d_name, -EBADMSG, &why);
                } else if (is_legacy_name(de->d_name)) {
                        JsonError why = {};
                        int r = -EBADMSG;

                        if (n >= JOURNAL_ENTRIES_MAX)
                                json_error_set(&why, "", "too many journal entries");
                        else
                                r = legacy_read(j->dir, de->d_name, &entries[n], &why);
                        if (r < 0) {
                                report_bad(e, &bad, de->d_name, r, &why);
                                continue;
                        }
                        j->legacy_ids[j->n_legacy++] = entries[n++].id;
                }
        }
        closedir(d);
        /* The first transaction then creates no file. */
        (void) slot_get_free(j, &spare);
        *ret = TAKE_PTR(entries);
        *ret_n = n;
        *ret_n_torn = n_torn;
        return bad ? -EBADMSG : 0;
}

int journal_remove(Journal *j, uint64_t id) {
        char name[64];
        int r;

        for (size_t i = 0; i < JOURNAL_ENTRIES_MAX; i++) {
                JournalSlot *slot = &j->slots[i];

                if (slot->state != SLOT_BUSY || slot->id != id)
                        continue;
                r = slot_clear(slot);
                if (r < 0)
                        return r;
                slot->state = SLOT_FREE;
                slot->id = 0;
                return 0;
        }
        for (size_t i = 0; i < j->n_legacy; i++) {
                if (j->legacy_ids[i] != id)
                        continue;
                journal_name(id, name);
                if (unlinkat(j->dir_fd, name, 0) < 0 && errno != ENOENT)
                        return negative_errno();
                j->legacy_ids[i] = j->legacy_ids[--j->n_legacy];
                return 0;
        }
        return 0;
}

const char *journal_strerror(int r) {
        if (r == -ESTALE)
                return "a journal slot file was removed, replaced or written behind apctld's back";
        return strerror(-r);
}

bool journal_any(const char *dir) {
        struct dirent *de;
        bool found = false;
        DIR *d = opendir(dir);

        if (!d)
                return false;
        while (!found && (de = readdir(d))) {
                if (slot_index(de->d_name) >= 0) {
                        JournalEntry entry;
                        JsonError e = {};
                        size_t size;
                        /* O_NONBLOCK: a FIFO in a slot's place must not hang the caller. */
                        _cleanup_close_ int fd = openat(dirfd(d), de->d_name,
                                                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                        int r = fd < 0 ? negative_errno() : slot_read(fd, &entry, &size, &e);

                        found = r < 0 || r == SLOT_CONTENT_ENTRY;
                } else
                        found = is_legacy_name(de->d_name) ||
                                strneq(de->d_name, JOURNAL_SLOT_PREFIX, strlen(JOURNAL_SLOT_PREFIX));
        }
        closedir(d);
        return found;
}
