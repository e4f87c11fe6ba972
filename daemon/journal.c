/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The intent journal file: one pending transaction, written before the kernel is touched. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "fileio.h"
#include "journal.h"
#include "json-ap.h"
#include "json-writer.h"
#include "macro.h"

#define JOURNAL_VERSION 1

static void journal_name(uint64_t id, char buf[static 64]) {
        snprintf(buf, 64, JOURNAL_PREFIX "%016" PRIx64 JOURNAL_SUFFIX, id);
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

/*
 * Written straight as text, not through a json-c tree: before every kernel
 * transaction, on the path to its reply (a tree and its serialization were
 * a quarter of apctld's instructions per guest start).
 */
int journal_write(const char *dir, const JournalEntry *j) {
        _cleanup_(json_writer_done) JsonWriter w = {};
        _cleanup_free_ char *text = NULL;
        char name[64], idhex[17];
        size_t len, allocated;
        int r;

        r = json_writer_init(&w, 1024);
        if (r < 0)
                return r;
        snprintf(idhex, sizeof(idhex), "%016" PRIx64, j->id);
        json_writer_object_begin(&w);
        json_writer_member_int(&w, "version", JOURNAL_VERSION);
        json_writer_member_string(&w, "id", idhex);
        json_writer_member_string(&w, "kind", j->kind == JOURNAL_MDEV ? "mdev" : "host");
        json_writer_member_string(&w, "method", j->method);
        if (j->kind == JOURNAL_MDEV) {
                json_writer_member_string(&w, "guest", j->guest);
                json_writer_member_string(&w, "uuid", j->uuid);
                write_mdev_target(&w, "before", &j->mdev_before);
                write_mdev_target(&w, "after", &j->mdev_after);
        } else {
                write_host_target(&w, "before", &j->host_before);
                write_host_target(&w, "after", &j->host_after);
        }
        json_writer_object_end(&w);
        r = json_writer_finish(&w, &text, &len, &allocated);
        if (r < 0)
                return r;
        journal_name(j->id, name);
        /* len counts the NUL; the file does not hold it. */
        return write_file_replace(dir, name, text, len - 1, 0600);
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

static int journal_read_file(const char *dir, const char *name, JournalEntry *ret, JsonError *e) {
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

static bool is_journal_name(const char *name) {
        size_t n = strlen(name), p = strlen(JOURNAL_PREFIX), s = strlen(JOURNAL_SUFFIX);

        return n == p + 16 + s && strneq(name, JOURNAL_PREFIX, p) && streq(name + n - s, JOURNAL_SUFFIX);
}

int journal_read_all(const char *dir, JournalEntry **ret, size_t *ret_n, JsonError *e) {
        _cleanup_free_ JournalEntry *entries = NULL;
        size_t n = 0;
        bool bad = false;
        struct dirent *de;
        DIR *d = opendir(dir);

        if (!d)
                return negative_errno();
        while ((de = readdir(d))) {
                JournalEntry j;
                JsonError je = {};

                if (!is_journal_name(de->d_name))
                        continue;
                if (n >= JOURNAL_ENTRIES_MAX || journal_read_file(dir, de->d_name, &j, &je) < 0) {
                        if (!bad)
                                json_error_set(e, de->d_name, "%s", n >= JOURNAL_ENTRIES_MAX ? "too many journal entries" :
                                               je.message[0] ? je.message : "unreadable");
                        bad = true;
                        continue;
                }
                if (!entries && !(entries = calloc(JOURNAL_ENTRIES_MAX, sizeof(JournalEntry)))) {
                        closedir(d);
                        return -ENOMEM;
                }
                entries[n++] = j;
        }
        closedir(d);
        *ret = TAKE_PTR(entries);
        *ret_n = n;
        return bad ? -EBADMSG : 0;
}

int journal_remove(const char *dir, uint64_t id) {
        char name[64];

        journal_name(id, name);
        return remove_file(dir, name);
}

bool journal_any(const char *dir) {
        struct dirent *de;
        bool found = false;
        DIR *d = opendir(dir);

        if (!d)
                return false;
        while (!found && (de = readdir(d)))
                found = is_journal_name(de->d_name);
        closedir(d);
        return found;
}
