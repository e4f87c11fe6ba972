/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apctl matrix: the adapter x domain grid of owners, one character per
 * APQN, so a whole host fits on one screen: adapters down, domains across
 * (only domains some adapter has), a legend naming each guest's letter.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "host-view.h"
#include "json-util.h"
#include "table.h"

#define GUEST_LETTERS 26        /* A-Z; later guests share '#' */

typedef struct GuestSymbol {
        const char *name;       /* borrowed from the reply */
        bool running;
} GuestSymbol;

typedef struct Grid {
        const HostQueue *cell[AP_ID_MAX + 1][AP_ID_MAX + 1]; /* borrowed: [adapter][domain], NULL if no queue */
        ApMask domains;         /* columns: every domain some card has */
        GuestSymbol guests[(AP_ID_MAX + 1) * (AP_ID_MAX + 1)];
        size_t n_guests;
} Grid;

static void help(void) {
        printf("Usage: apctl matrix [OPTIONS]\n\n"
               "Show who owns each APQN: adapters down, domains across (hex).\n"
               "  H  the host         .  free            -  no such queue\n"
               "  A  a running guest  a  a defined guest that is not running (letters in the legend)\n\n%s",
               cli_common_help);
}

static int guest_cmp(const void *a, const void *b) {
        return strcmp(((const GuestSymbol *) a)->name, ((const GuestSymbol *) b)->name);
}

static void grid_build(Grid *g, const HostView *v) {
        for (size_t i = 0; i < v->n_queues; i++) {
                const HostQueue *q = &v->queues[i];
                bool known = false;

                g->cell[q->adapter][q->domain] = q;
                ap_mask_set(&g->domains, q->domain);
                if (!q->guest)
                        continue;
                for (size_t j = 0; j < g->n_guests && !known; j++)
                        known = streq(g->guests[j].name, q->guest);
                if (!known)
                        g->guests[g->n_guests++] = (GuestSymbol) { q->guest, q->owner == HOST_OWNER_GUEST_RUNNING };
        }
        /* Letters follow the names, so the same guests get the same letters every time. */
        qsort(g->guests, g->n_guests, sizeof(g->guests[0]), guest_cmp);
}

static char guest_symbol(const Grid *g, const char *name, bool running) {
        for (size_t i = 0; i < g->n_guests && i < GUEST_LETTERS; i++)
                if (streq(g->guests[i].name, name))
                        return (char) ((running ? 'A' : 'a') + i);
        return '#';
}

static char cell_symbol(const Grid *g, const HostQueue *q, const char **ret_color) {
        static const char *const colors[_HOST_OWNER_MAX] = {
                [HOST_OWNER_FREE] = ANSI_GREY,
                [HOST_OWNER_HOST] = ANSI_BLUE,
                [HOST_OWNER_GUEST_DEFINED] = ANSI_YELLOW,
                [HOST_OWNER_GUEST_RUNNING] = ANSI_GREEN,
        };

        if (!q) {
                *ret_color = ANSI_GREY;
                return '-';
        }
        *ret_color = colors[q->owner];
        switch (q->owner) {
        case HOST_OWNER_HOST:
                return 'H';
        case HOST_OWNER_FREE:
                return '.';
        default:
                return guest_symbol(g, q->guest, q->owner == HOST_OWNER_GUEST_RUNNING);
        }
}

static void print_grid(const Grid *g, const HostView *v, bool color) {
        static const char hex[] = "0123456789abcdef";

        if (v->n_cards == 0) {
                fputs(host_view_empty_text(v), stdout);
                return;
        }
        for (unsigned line = 0; line < 2; line++) {
                printf("    ");
                AP_MASK_FOREACH(d, &g->domains)
                        putchar(hex[line == 0 ? d >> 4 : d & 15]);
                putchar('\n');
        }
        for (size_t i = 0; i < v->n_cards; i++) {
                unsigned a = v->cards[i].adapter;
                const char *last = NULL;

                printf("%02x  ", a);
                AP_MASK_FOREACH(d, &g->domains) {
                        const char *c;
                        char s = cell_symbol(g, g->cell[a][d], &c);

                        /* One escape per run of equal colors keeps colored lines short. */
                        if (color && c != last)
                                fputs(c, stdout);
                        last = c;
                        putchar(s);
                }
                if (color && last)
                        fputs(ANSI_RESET, stdout);
                putchar('\n');
        }
        printf("\nH host  . free  - no queue  A-Z running guest  a-z defined guest, not running\n");
        for (size_t i = 0; i < g->n_guests && i < GUEST_LETTERS; i++)
                printf("%c %s (%s)\n", g->guests[i].running ? 'A' + (int) i : 'a' + (int) i, g->guests[i].name,
                       g->guests[i].running ? "running" : "not running");
        if (g->n_guests > GUEST_LETTERS)
                printf("# %zu more guests; 'apctl list --owner guest' names them\n", g->n_guests - GUEST_LETTERS);
}

/* Append v (NULL for JSON null) to array; consumes v. */
static int append_nullable(json_object *array, json_object *v, bool want) {
        if (want && !v)
                return -ENOMEM;
        if (json_object_array_add(array, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* {"adapter": 5, "owners": [...], "guests": [...]}: one entry per column, null where there is no queue or guest. */
static json_object *row_json(const Grid *g, unsigned adapter) {
        _cleanup_json_ json_object *row = json_object_new_object(), *owners = json_object_new_array(),
                                   *guests = json_object_new_array();

        if (!row || !owners || !guests)
                return NULL;
        AP_MASK_FOREACH(d, &g->domains) {
                const HostQueue *q = g->cell[adapter][d];

                if (append_nullable(owners, q ? json_object_new_string(host_owner_to_string(q->owner)) : NULL, q) < 0 ||
                    append_nullable(guests, q && q->guest ? json_object_new_string(q->guest) : NULL,
                                    q && q->guest) < 0)
                        return NULL;
        }
        if (json_add_int(row, "adapter", adapter) < 0 || json_add(row, "owners", TAKE_PTR(owners)) < 0 ||
            json_add(row, "guests", TAKE_PTR(guests)) < 0)
                return NULL;
        return TAKE_PTR(row);
}

static int print_json(const Cli *cli, const Grid *g, const HostView *v) {
        _cleanup_json_ json_object *root = json_object_new_object(), *domains = json_object_new_array(),
                                   *rows = json_object_new_array(), *legend = json_object_new_array();

        if (!root || !domains || !rows || !legend)
                return -ENOMEM;
        AP_MASK_FOREACH(d, &g->domains)
                if (json_append(domains, json_object_new_int(d)) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < v->n_cards; i++)
                if (json_append(rows, row_json(g, v->cards[i].adapter)) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < g->n_guests; i++) {
                _cleanup_json_ json_object *o = json_object_new_object();
                char sym[2] = { guest_symbol(g, g->guests[i].name, g->guests[i].running), 0 };

                if (!o || json_add_string(o, "symbol", sym) < 0 || json_add_string(o, "guest", g->guests[i].name) < 0 ||
                    json_add_bool(o, "running", g->guests[i].running) < 0 || json_append(legend, TAKE_PTR(o)) < 0)
                        return -ENOMEM;
        }
        if (json_add(root, "domains", TAKE_PTR(domains)) < 0 || json_add(root, "rows", TAKE_PTR(rows)) < 0 ||
            json_add(root, "legend", TAKE_PTR(legend)) < 0)
                return -ENOMEM;
        return cli_print_json(cli, root) == CLI_EXIT_OK ? 0 : -ENOMEM;
}

int verb_matrix(Cli *cli, int argc, char **argv) {
        _cleanup_json_ json_object *reply = NULL;
        _cleanup_(host_view_done) HostView v = {};
        _cleanup_free_ Grid *g = NULL;
        int r;

        r = cli_parse_common_options(cli, argc, argv, help);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if (optind < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
        r = cli_call(cli, "io.apctl.Host.List", NULL, &reply);
        if (r != CLI_EXIT_OK)
                return r;
        r = host_view_from_json(reply, &v);
        if (r < 0)
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld's Host.List reply is not shaped as apctl expects: %s",
                                strerror(-r));
        g = calloc(1, sizeof(*g));
        if (!g)
                return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        grid_build(g, &v);
        if (cli->json) {
                r = print_json(cli, g, &v);
                if (r < 0)
                        return cli_fail(cli, CLI_EXIT_FAILURE, "out of memory");
        } else
                print_grid(g, &v, cli_use_color(cli));
        return CLI_EXIT_OK;
}
