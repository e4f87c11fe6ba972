/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A guest definition: the desired vfio_ap mdev for one KVM guest. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "ap-mask.h"
#include "json-util.h"
#include "json-writer.h"
#include "kernel-state.h"

#define GUEST_NAME_MAX 64

typedef struct GuestDef {
        char *name;                     /* owned */
        char uuid[UUID_STRING_LEN + 1];
        ApConfig config;                /* adapters, usage domains, control domains */
        bool autostart;
        bool overprovision;             /* allow APQNs the host does not have (yet) */
} GuestDef;

/* 1..64 of [A-Za-z0-9_.:-], not starting with '.' or '-'. */
bool guest_name_is_valid(const char *name);
void guest_def_done(GuestDef *g);
int guest_def_copy(const GuestDef *g, GuestDef *ret);
/* The persisted and reported form. */
json_object *guest_def_to_json(const GuestDef *g);
/* Its members as text, in the same order and form (for replies written without a json-c tree). */
void guest_def_write_members(JsonWriter *w, const GuestDef *g);
/* Whether a and b have the same persisted form (every field guest_def_to_json() writes; keep them in step). */
bool guest_def_equal(const GuestDef *a, const GuestDef *b);
int guest_def_from_json(json_object *o, GuestDef *ret, JsonError *e);
/* A random version-4 UUID in canonical lower-case form. */
int uuid_generate_random(char ret[static UUID_STRING_LEN + 1]);
