/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Printing apctld's Guest objects, and the guest verbs that only read: show and list. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "cli.h"

/* Lower-case 8-4-4-4-12 hex, the form apctld and mdevctl use. */
bool guest_uuid_is_valid(const char *s);

/* "Guest web01 defined: adapters 0x05, domains 0x01-0x03, control domains -; not running." */
int guest_print_summary(const Cli *cli, json_object *guest, const char *done);

int guest_show(Cli *cli, int argc, char **argv);
int guest_list(Cli *cli, int argc, char **argv);
