/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writing one-line JSON straight to a stream, for outputs too large to
 * build as a json-c tree first (apctl list --json on a z16: 5,100 queues).
 */
#pragma once

#include <stdio.h>

/* s as a JSON string literal: quotes, backslash and control characters escaped. */
void json_stream_string(FILE *f, const char *s);
/* "key": (with the comma before it unless first) */
void json_stream_key(FILE *f, const char *key, int first);
