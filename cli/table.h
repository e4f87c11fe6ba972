/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Column tables for human output: cells are collected, widths computed,
 * and rows printed with two spaces between columns, the last column not
 * padded (so no line ends in blanks). A cell may carry an ANSI color that
 * does not count towards its width.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "macro.h"

#define TABLE_COLUMNS_MAX 12

typedef struct TableCell {
        char *text;             /* owned */
        const char *color;      /* borrowed: static ANSI sequence, or NULL */
} TableCell;

typedef struct Table {
        size_t n_columns;
        TableCell *cells;       /* owned: n_rows x n_columns, row 0 the header */
        size_t n_cells;
        size_t allocated;
} Table;

/* Headers are copied; at most TABLE_COLUMNS_MAX. */
int table_new(Table **ret, size_t n_columns, const char *const *headers);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);

/* Append the next cell, row by row; text is copied, NULL prints as "-". */
int table_add(Table *t, const char *text, const char *color);
int table_add_printf(Table *t, const char *color, const char *fmt, ...) _printf_(3, 4);

/* Rows added so far, the header excluded. */
size_t table_rows(const Table *t);
/* Print; with color false, cell colors are ignored. */
int table_print(const Table *t, FILE *f, bool color);

/* ANSI colors the verbs use. */
#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"
#define ANSI_GREY "\033[2m"
#define ANSI_RED "\033[31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_BLUE "\033[34m"
