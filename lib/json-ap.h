/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON forms of AP ids and masks used by the protocol and the state file:
 * a set of ids is a JSON array of integers ([0, 5, 26]); clients may also
 * send the human list string ("0-3,5,0x1a") which ap_list_parse() reads.
 */
#pragma once

#include <json-c/json.h>

#include "ap-mask.h"
#include "json-util.h"

json_object *json_from_mask(const ApMask *m);
/* {"adapters":[...],"domains":[...],"control_domains":[...]} */
json_object *json_from_ap_config(const ApConfig *c);
/* JsonFieldParser for an ApMask destination (type json_type_null: array or string). */
int json_parse_ap_mask(const char *name, json_object *v, void *dest, JsonError *e);
