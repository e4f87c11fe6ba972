/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guests autostart leaves alone until the next boot, and their file in the runtime directory. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autostart-done.h"
#include "fileio.h"
#include "macro.h"

/* What autostart_done_save() writes at most (guest names need no escaping); anything larger is not its file. */
#define AUTOSTART_DONE_FILE_MAX (AUTOSTART_DONE_MAX * (GUEST_NAME_MAX + 3) + 64)

void autostart_done_clear(AutostartDone *s) {
        free(s->names);
        *s = (AutostartDone) {};
}

/* Where name is or would go in the sorted list: a lookup at every reconcile for each stopped autostart guest. */
static size_t find_name(const AutostartDone *s, const char *name, bool *ret_found) {
        size_t lo = 0, hi = s->n_names;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(s->names[mid], name);

                if (c == 0) {
                        *ret_found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_found = false;
        return lo;
}

bool autostart_done_contains(const AutostartDone *s, const char *name) {
        bool found;

        (void) find_name(s, name, &found);
        return found;
}

int autostart_done_add(AutostartDone *s, const char *name) {
        char (*names)[GUEST_NAME_MAX + 1];
        bool found;
        size_t i;

        assert(guest_name_is_valid(name));
        i = find_name(s, name, &found);
        if (found)
                return 0;
        if (s->n_names >= AUTOSTART_DONE_MAX)
                return -ENOBUFS;
        names = realloc(s->names, (s->n_names + 1) * sizeof(*names));
        if (!names)
                return -ENOMEM;
        s->names = names;
        memmove(s->names[i + 1], s->names[i], (s->n_names - i) * sizeof(*names));
        snprintf(s->names[i], sizeof(*names), "%s", name);
        s->n_names++;
        return 1;
}

int autostart_done_remove(AutostartDone *s, const char *name) {
        bool found;
        size_t i = find_name(s, name, &found);

        if (!found)
                return 0;
        memmove(s->names[i], s->names[i + 1], (s->n_names - i - 1) * sizeof(*s->names));
        s->n_names--;
        return 1;
}

static const JsonField file_fields[] = {
        { "guests", json_type_array, json_dispatch_object_ref, 0, JSON_FIELD_REQUIRED },
        {}
};

int autostart_done_load(const char *dir, AutostartDone *ret, JsonError *e) {
        _cleanup_free_ char *text = NULL;
        _cleanup_json_ json_object *o = NULL, *guests = NULL;
        _cleanup_(autostart_done_clear) AutostartDone s = {};
        char path[4096];
        size_t len;
        int r;

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, AUTOSTART_DONE_FILE) >= sizeof(path))
                return -ENAMETOOLONG;
        r = read_file(path, AUTOSTART_DONE_FILE_MAX, &text, &len);
        if (r == -EFBIG) {
                json_error_set(e, "", "larger than %d bytes", AUTOSTART_DONE_FILE_MAX);
                return -EBADMSG;
        }
        if (r < 0)
                return r;
        r = json_parse_limited(text, len, 3, &o, e);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object)) {
                json_error_set(e, "", "not a JSON object");
                return -EBADMSG;
        }
        r = json_dispatch(o, file_fields, &guests, e);
        if (r < 0)
                return -EBADMSG;
        if (json_object_array_length(guests) > AUTOSTART_DONE_MAX) {
                json_error_set(e, "guests", "more than %d names", AUTOSTART_DONE_MAX);
                return -EBADMSG;
        }
        for (size_t i = 0; i < json_object_array_length(guests); i++) {
                json_object *v = json_object_array_get_idx(guests, i);
                const char *name = json_object_get_string(v);

                if (!json_object_is_type(v, json_type_string) || !guest_name_is_valid(name)) {
                        json_error_set(e, "guests", "entry %zu is not a guest name", i);
                        return -EBADMSG;
                }
                r = autostart_done_add(&s, name);
                if (r < 0)
                        return r;
        }
        *ret = s;
        s = (AutostartDone) {};
        return 0;
}

int autostart_done_save(const char *dir, const AutostartDone *s) {
        _cleanup_json_ json_object *o = json_object_new_object(), *guests = json_object_new_array();
        const char *text;
        size_t len;

        if (s->n_names == 0)
                return remove_file(dir, AUTOSTART_DONE_FILE);
        if (!o || !guests)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_names; i++)
                if (json_append(guests, json_object_new_string(s->names[i])) < 0)
                        return -ENOMEM;
        if (json_add(o, "guests", TAKE_PTR(guests)) < 0)
                return -ENOMEM;
        text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
        if (!text)
                return -ENOMEM;
        /* The runtime directory does not outlive the boot: no fsync, but never a torn file. */
        return write_file_replace(dir, AUTOSTART_DONE_FILE, text, len, 0644);
}
