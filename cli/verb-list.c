/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* apctl list: cards and queues with type, mode, state, driver and owner, filtered. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "host-view.h"
#include "json-stream.h"
#include "json-util.h"
#include "table.h"

typedef enum OwnerFilter {
        OWNER_ANY,
        OWNER_HOST,
        OWNER_FREE,
        OWNER_GUEST,
} OwnerFilter;

typedef struct ListFilter {
        bool adapters_set, domains_set;
        ApMask adapters, domains;
        const char *guest;      /* borrowed: argv */
        const char *mode;       /* borrowed: argv */
        OwnerFilter owner;
} ListFilter;

static const char *const owner_filter_names[] = {
        [OWNER_HOST] = "host",
        [OWNER_FREE] = "free",
        [OWNER_GUEST] = "guest",
};

static const char *const mode_names[] = { "accel", "cca", "ep11" };

static void help(void) {
        printf("Usage: apctl list [OPTIONS]\n\n"
               "List the host's AP cards and queues: id, type, mode, state, driver and owner.\n\n"
               "  -a --adapter=LIST       Only these adapters (0-3,5,0x1a)\n"
               "  -d --domain=LIST        Only queues of these domains\n"
               "  -g --guest=NAME         Only queues a guest has (running or defined)\n"
               "  -o --owner=OWNER        Only queues owned by host, free or guest\n"
               "  -m --mode=MODE          Only cards in mode accel, cca or ep11\n%s",
               cli_common_help);
}

static bool card_matches(const ListFilter *f, const HostCard *c) {
        if (f->adapters_set && !ap_mask_test(&f->adapters, c->adapter))
                return false;
        return !f->mode || streq(f->mode, c->mode);
}

static bool queue_matches(const ListFilter *f, const HostQueue *q) {
        if (f->domains_set && !ap_mask_test(&f->domains, q->domain))
                return false;
        if (f->guest && !(q->guest && streq(q->guest, f->guest)))
                return false;
        switch (f->owner) {
        case OWNER_HOST:
                return q->owner == HOST_OWNER_HOST;
        case OWNER_FREE:
                return q->owner == HOST_OWNER_FREE;
        case OWNER_GUEST:
                return q->owner == HOST_OWNER_GUEST_DEFINED || q->owner == HOST_OWNER_GUEST_RUNNING;
        default:
                return true;
        }
}

static bool filter_on_queues(const ListFilter *f) {
        return f->domains_set || f->guest || f->owner != OWNER_ANY;
}

/* "host", "free", the guest's name, or "NAME (stopped)" for a guest that is only defined. */
static const char *owner_text(const HostQueue *q, char *buf, size_t size) {
        switch (q->owner) {
        case HOST_OWNER_GUEST_RUNNING:
                return q->guest;
        case HOST_OWNER_GUEST_DEFINED:
                snprintf(buf, size, "%s (stopped)", q->guest);
                return buf;
        default:
                return host_owner_to_string(q->owner);
        }
}

static const char *owner_color(HostOwner o) {
        static const char *const colors[_HOST_OWNER_MAX] = {
                [HOST_OWNER_FREE] = ANSI_GREY,
                [HOST_OWNER_HOST] = ANSI_BLUE,
                [HOST_OWNER_GUEST_DEFINED] = ANSI_YELLOW,
                [HOST_OWNER_GUEST_RUNNING] = ANSI_GREEN,
        };
        return colors[o];
}

/* A card's owner: its queues' common owner, "mixed", or "-" without queues. */
static const char *card_owner_text(const HostCard *c, char *buf, size_t size, HostOwner *ret_owner) {
        *ret_owner = HOST_OWNER_FREE;
        if (c->n_queues == 0)
                return "-";
        for (size_t i = 1; i < c->n_queues; i++)
                if (c->queues[i].owner != c->queues[0].owner ||
                    !streq(c->queues[i].guest ?: "", c->queues[0].guest ?: ""))
                        return "mixed";
        *ret_owner = c->queues[0].owner;
        return owner_text(&c->queues[0], buf, size);
}

static int print_table(const HostView *v, const ListFilter *f, bool color) {
        static const char *const headers[] = { "ID", "TYPE", "MODE", "STATE", "DRIVER", "OWNER" };
        _cleanup_(table_freep) Table *t = NULL;
        char type[16], owner[CLI_GUEST_NAME_MAX + 16];
        int r = table_new(&t, ELEMENTSOF(headers), headers);

        for (size_t i = 0; r >= 0 && i < v->n_cards; i++) {
                const HostCard *c = &v->cards[i];
                const char *state = device_state_name(c->config, c->online, c->chkstop);
                size_t shown = 0;
                HostOwner co;
                const char *ot;

                if (!card_matches(f, c))
                        continue;
                for (size_t j = 0; j < c->n_queues; j++)
                        shown += queue_matches(f, &c->queues[j]);
                if (filter_on_queues(f) && shown == 0)
                        continue;
                card_type_name(c->hwtype, c->mode, type);
                ot = card_owner_text(c, owner, sizeof(owner), &co);
                if ((r = table_add_printf(t, NULL, "%02x", c->adapter)) < 0 || (r = table_add(t, type, NULL)) < 0 ||
                    (r = table_add(t, c->mode, NULL)) < 0 ||
                    (r = table_add(t, state, streq(state, "online") ? NULL : ANSI_RED)) < 0 ||
                    (r = table_add(t, c->driver, NULL)) < 0 ||
                    (r = table_add(t, ot, streq(ot, "mixed") || streq(ot, "-") ? NULL : owner_color(co))) < 0)
                        break;
                for (size_t j = 0; j < c->n_queues; j++) {
                        const HostQueue *q = &c->queues[j];

                        if (!queue_matches(f, q))
                                continue;
                        state = device_state_name(q->config, q->online, q->chkstop);
                        if ((r = table_add_printf(t, NULL, "%02x.%04x", q->adapter, q->domain)) < 0 ||
                            (r = table_add(t, type, NULL)) < 0 || (r = table_add(t, c->mode, NULL)) < 0 ||
                            (r = table_add(t, state, streq(state, "online") ? NULL : ANSI_RED)) < 0 ||
                            (r = table_add(t, q->driver, NULL)) < 0 ||
                            (r = table_add(t, owner_text(q, owner, sizeof(owner)), owner_color(q->owner))) < 0)
                                break;
                }
        }
        if (r < 0)
                return r;
        if (table_rows(t) == 0) {
                fputs(v->n_cards > 0 ? "No card or queue matches.\n" : host_view_empty_text(v), stdout);
                return 0;
        }
        return table_print(t, stdout, color);
}

static json_object *queue_json(const HostCard *c, const HostQueue *q) {
        _cleanup_json_ json_object *o = json_object_new_object();
        char apqn[APQN_BUFSZ];

        if (!o || json_add_string(o, "apqn", apqn_format((Apqn) { q->adapter, q->domain }, apqn)) < 0 ||
            json_add_int(o, "adapter", q->adapter) < 0 || json_add_int(o, "domain", q->domain) < 0 ||
            json_add_string(o, "state", device_state_name(q->config, q->online, q->chkstop)) < 0 ||
            json_add_string(o, "driver", q->driver) < 0 ||
            json_add_string(o, "owner", host_owner_to_string(q->owner)) < 0 ||
            (q->guest ? json_add_string(o, "guest", q->guest) : json_object_object_add(o, "guest", NULL)) < 0)
                return NULL;
        return TAKE_PTR(o);
}

/*
 * The one-line form, written as it is computed: on a z16 this is most of
 * what `apctl list --json` costs, and scripts get this form. It must stay
 * the same document as print_json() builds (the tests compare them).
 */
static void print_json_short(const HostView *v, const ListFilter *f) {
        char type[16], apqn[APQN_BUFSZ];
        bool first_card = true;

        fputs("{\"cards\":[", stdout);
        for (size_t i = 0; i < v->n_cards; i++) {
                const HostCard *c = &v->cards[i];
                bool first_queue = true;
                size_t shown = 0;

                if (!card_matches(f, c))
                        continue;
                for (size_t j = 0; j < c->n_queues; j++)
                        shown += queue_matches(f, &c->queues[j]);
                if (filter_on_queues(f) && shown == 0)
                        continue;
                printf("%s{\"adapter\":%u,\"id\":\"%02x\",\"type\":", first_card ? "" : ",", c->adapter,
                       c->adapter);
                json_stream_string(stdout, card_type_name(c->hwtype, c->mode, type));
                printf(",\"hwtype\":%u", c->hwtype);
                json_stream_key(stdout, "mode", false);
                json_stream_string(stdout, c->mode);
                printf(",\"state\":\"%s\"", device_state_name(c->config, c->online, c->chkstop));
                json_stream_key(stdout, "driver", false);
                json_stream_string(stdout, c->driver);
                fputs(",\"queues\":[", stdout);
                for (size_t j = 0; j < c->n_queues; j++) {
                        const HostQueue *q = &c->queues[j];

                        if (!queue_matches(f, q))
                                continue;
                        printf("%s{\"apqn\":\"%s\",\"adapter\":%u,\"domain\":%u,\"state\":\"%s\"",
                               first_queue ? "" : ",", apqn_format((Apqn) { q->adapter, q->domain }, apqn),
                               q->adapter, q->domain, device_state_name(q->config, q->online, q->chkstop));
                        json_stream_key(stdout, "driver", false);
                        json_stream_string(stdout, q->driver);
                        printf(",\"owner\":\"%s\",\"guest\":", host_owner_to_string(q->owner));
                        if (q->guest)
                                json_stream_string(stdout, q->guest);
                        else
                                fputs("null", stdout);
                        fputc('}', stdout);
                        first_queue = false;
                }
                fputs("]}", stdout);
                first_card = false;
        }
        fputs("]}\n", stdout);
}

static int print_json(const Cli *cli, const HostView *v, const ListFilter *f) {
        _cleanup_json_ json_object *root = json_object_new_object(), *cards = json_object_new_array();
        char type[16], id[4];

        if (!root || !cards)
                return -ENOMEM;
        for (size_t i = 0; i < v->n_cards; i++) {
                const HostCard *c = &v->cards[i];
                _cleanup_json_ json_object *o = json_object_new_object(), *queues = json_object_new_array();

                if (!card_matches(f, c))
                        continue;
                if (!o || !queues)
                        return -ENOMEM;
                for (size_t j = 0; j < c->n_queues; j++)
                        if (queue_matches(f, &c->queues[j]) && json_append(queues, queue_json(c, &c->queues[j])) < 0)
                                return -ENOMEM;
                if (filter_on_queues(f) && json_object_array_length(queues) == 0)
                        continue;
                snprintf(id, sizeof(id), "%02x", c->adapter);
                if (json_add_int(o, "adapter", c->adapter) < 0 || json_add_string(o, "id", id) < 0 ||
                    json_add_string(o, "type", card_type_name(c->hwtype, c->mode, type)) < 0 ||
                    json_add_int(o, "hwtype", c->hwtype) < 0 || json_add_string(o, "mode", c->mode) < 0 ||
                    json_add_string(o, "state", device_state_name(c->config, c->online, c->chkstop)) < 0 ||
                    json_add_string(o, "driver", c->driver) < 0 || json_add(o, "queues", TAKE_PTR(queues)) < 0 ||
                    json_append(cards, TAKE_PTR(o)) < 0)
                        return -ENOMEM;
        }
        if (json_add(root, "cards", TAKE_PTR(cards)) < 0)
                return -ENOMEM;
        return cli_print_json(cli, root) == CLI_EXIT_OK ? 0 : -ENOMEM;
}

static int parse_choice(const Cli *cli, const char *option, const char *arg, const char *const *names, size_t n,
                        size_t *ret) {
        for (size_t i = 0; i < n; i++)
                if (names[i] && streq(names[i], arg)) {
                        *ret = i;
                        return 0;
                }
        cli_fail(cli, CLI_EXIT_USAGE, "%s: '%s' is not one of %s", option, arg,
                 names == mode_names ? "accel, cca, ep11" : "host, free, guest");
        return -EINVAL;
}

static int parse_args(Cli *cli, int argc, char **argv, ListFilter *f) {
        static const struct option options[] = {
                CLI_COMMON_OPTIONS,
                { "adapter", required_argument, NULL, 'a' },
                { "adapters", required_argument, NULL, 'a' },
                { "domain", required_argument, NULL, 'd' },
                { "domains", required_argument, NULL, 'd' },
                { "guest", required_argument, NULL, 'g' },
                { "owner", required_argument, NULL, 'o' },
                { "mode", required_argument, NULL, 'm' },
                {}
        };
        size_t i;
        int c, r;

        while ((c = getopt_long(argc, argv, "ha:d:g:o:m:", options, NULL)) >= 0) {
                r = cli_common_option(cli, c, optarg);
                if (r < 0)
                        return CLI_EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'h':
                        help();
                        return -1;
                case 'a':
                        if ((r = cli_parse_id_list(cli, "--adapter", optarg, AP_ID_MAX, &f->adapters)) != 0)
                                return r;
                        f->adapters_set = true;
                        break;
                case 'd':
                        if ((r = cli_parse_id_list(cli, "--domain", optarg, AP_ID_MAX, &f->domains)) != 0)
                                return r;
                        f->domains_set = true;
                        break;
                case 'g':
                        if ((r = cli_check_guest_name(cli, optarg)) != 0)
                                return r;
                        f->guest = optarg;
                        break;
                case 'o':
                        if (parse_choice(cli, "--owner", optarg, owner_filter_names, ELEMENTSOF(owner_filter_names),
                                         &i) < 0)
                                return CLI_EXIT_USAGE;
                        f->owner = (OwnerFilter) i;
                        break;
                case 'm':
                        if (parse_choice(cli, "--mode", optarg, mode_names, ELEMENTSOF(mode_names), &i) < 0)
                                return CLI_EXIT_USAGE;
                        f->mode = mode_names[i];
                        break;
                default:
                        return cli_bad_option(cli, argv);
                }
        }
        if (optind < argc)
                return cli_fail(cli, CLI_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
        return 0;
}

int verb_list(Cli *cli, int argc, char **argv) {
        _cleanup_json_ json_object *reply = NULL;
        _cleanup_(host_view_done) HostView v = {};
        ListFilter f = {};
        int r;

        r = parse_args(cli, argc, argv, &f);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        r = cli_call(cli, "io.apctl.Host.List", NULL, &reply);
        if (r != CLI_EXIT_OK)
                return r;
        r = host_view_from_json(reply, &v);
        if (r < 0)
                return cli_fail(cli, CLI_EXIT_UNAVAILABLE, "apctld's Host.List reply is not shaped as apctl expects: %s",
                                strerror(-r));
        if (cli->json && !cli_json_pretty(cli)) {
                print_json_short(&v, &f);
                return CLI_EXIT_OK;
        }
        r = cli->json ? print_json(cli, &v, &f) : print_table(&v, &f, cli_use_color(cli));
        if (r < 0)
                return cli_fail(cli, CLI_EXIT_FAILURE, "cannot print the list: %s", strerror(-r));
        return CLI_EXIT_OK;
}
