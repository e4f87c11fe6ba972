/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One-line JSON written straight to a stream. */
#include "json-stream.h"

void json_stream_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);   /* UTF-8 passes through: json-c validated what apctld sent */
        }
        fputc('"', f);
}

void json_stream_key(FILE *f, const char *key, int first) {
        if (!first)
                fputc(',', f);
        json_stream_string(f, key);
        fputc(':', f);
}
