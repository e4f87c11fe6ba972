/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Column tables for human output. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

int table_new(Table **ret, size_t n_columns, const char *const *headers) {
        Table *t;

        if (n_columns == 0 || n_columns > TABLE_COLUMNS_MAX)
                return -EINVAL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->n_columns = n_columns;
        for (size_t i = 0; i < n_columns; i++)
                if (table_add(t, headers[i], NULL) < 0) {
                        table_free(t);
                        return -ENOMEM;
                }
        *ret = t;
        return 0;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i].text);
        free(t->cells);
        free(t);
        return NULL;
}

int table_add(Table *t, const char *text, const char *color) {
        char *copy = strdup(text ?: "-");

        if (!copy)
                return -ENOMEM;
        if (t->n_cells == t->allocated) {
                size_t n = t->allocated ? 2 * t->allocated : 64;
                TableCell *c = realloc(t->cells, n * sizeof(*c));
                if (!c) {
                        free(copy);
                        return -ENOMEM;
                }
                t->cells = c;
                t->allocated = n;
        }
        t->cells[t->n_cells++] = (TableCell) { .text = copy, .color = color };
        return 0;
}

int table_add_printf(Table *t, const char *color, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return table_add(t, s, color);
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns - 1;
}

int table_print(const Table *t, FILE *f, bool color) {
        size_t width[TABLE_COLUMNS_MAX] = {};

        for (size_t i = 0; i < t->n_cells; i++) {
                size_t n = strlen(t->cells[i].text);
                if (n > width[i % t->n_columns])
                        width[i % t->n_columns] = n;
        }
        for (size_t i = 0; i < t->n_cells; i++) {
                const TableCell *c = &t->cells[i];
                size_t col = i % t->n_columns;
                bool last = col == t->n_columns - 1 || i == t->n_cells - 1;
                const char *on = i < t->n_columns ? ANSI_BOLD : c->color;

                if (color && on)
                        fprintf(f, "%s%s%s", on, c->text, ANSI_RESET);
                else
                        fputs(c->text, f);
                if (last)
                        fputc('\n', f);
                else
                        fprintf(f, "%*s", (int) (width[col] - strlen(c->text) + 2), "");
        }
        return ferror(f) ? -EIO : 0;
}
