/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The --adapter/--domain/--control-domain/--apqn options that host and
 * guest verbs share, parsed into masks and sent as the id arrays apctld
 * takes.
 */
#pragma once

#include <getopt.h>
#include <json-c/json.h>

#include "cli.h"

typedef struct CliResources {
        bool adapters_set, domains_set, control_domains_set;
        ApMask adapters, domains, control_domains;
} CliResources;

#define CLI_RESOURCE_OPTIONS                                                    \
        { "adapter", required_argument, NULL, 'a' },                            \
        { "adapters", required_argument, NULL, 'a' },                           \
        { "domain", required_argument, NULL, 'd' },                             \
        { "domains", required_argument, NULL, 'd' },                            \
        { "apqn", required_argument, NULL, 'q' },                               \
        { "apqns", required_argument, NULL, 'q' }
#define CLI_CONTROL_DOMAIN_OPTIONS                                              \
        { "control-domain", required_argument, NULL, 'c' },                     \
        { "control-domains", required_argument, NULL, 'c' }

/* 1 when c was one of these options, 0 when not, CLI_EXIT_USAGE negated (message printed) when bad. */
int cli_resource_option(const Cli *cli, int c, const char *arg, CliResources *res);
bool cli_resources_any(const CliResources *res);
/* Adds "adapters", "domains", "control_domains" for the masks that were given. */
int cli_resources_to_json(const CliResources *res, json_object *params);

extern const char cli_resource_help[];
