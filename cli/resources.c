/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resource options of host and guest verbs. */
#include <errno.h>

#include "json-ap.h"
#include "json-util.h"
#include "resources.h"

const char cli_resource_help[] =
        "  -a --adapter=LIST       Adapters: decimal or 0x hex ids and ranges (5,0x1a-0x1c)\n"
        "  -d --domain=LIST        Usage domains, same form\n"
        "  -q --apqn=LIST          APQNs as lszcrypt prints them (05.001a,06.001a): their adapters x domains\n";

int cli_resource_option(const Cli *cli, int c, const char *arg, CliResources *res) {
        ApMask m, m2;
        int r;

        switch (c) {
        case 'a':
                r = cli_parse_id_list(cli, "--adapter", arg, AP_ID_MAX, &m);
                if (r != 0)
                        return -r;
                ap_mask_or(&res->adapters, &res->adapters, &m);
                res->adapters_set = true;
                return 1;
        case 'd':
                r = cli_parse_id_list(cli, "--domain", arg, AP_ID_MAX, &m);
                if (r != 0)
                        return -r;
                ap_mask_or(&res->domains, &res->domains, &m);
                res->domains_set = true;
                return 1;
        case 'c':
                r = cli_parse_id_list(cli, "--control-domain", arg, AP_ID_MAX, &m);
                if (r != 0)
                        return -r;
                ap_mask_or(&res->control_domains, &res->control_domains, &m);
                res->control_domains_set = true;
                return 1;
        case 'q':
                r = cli_parse_apqn_list(cli, "--apqn", arg, &m, &m2);
                if (r != 0)
                        return -r;
                ap_mask_or(&res->adapters, &res->adapters, &m);
                ap_mask_or(&res->domains, &res->domains, &m2);
                res->adapters_set = res->domains_set = true;
                return 1;
        default:
                return 0;
        }
}

bool cli_resources_any(const CliResources *res) {
        return res->adapters_set || res->domains_set || res->control_domains_set;
}

int cli_resources_to_json(const CliResources *res, json_object *params) {
        if (res->adapters_set && json_add(params, "adapters", json_from_mask(&res->adapters)) < 0)
                return -ENOMEM;
        if (res->domains_set && json_add(params, "domains", json_from_mask(&res->domains)) < 0)
                return -ENOMEM;
        if (res->control_domains_set &&
            json_add(params, "control_domains", json_from_mask(&res->control_domains)) < 0)
                return -ENOMEM;
        return 0;
}
