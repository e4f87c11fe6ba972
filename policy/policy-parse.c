/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The line reader of the policy format: comments, [section] headers and
 * key = value lines, dispatched through the section and key tables of
 * policy-rules.c; plus the value parsers every key shares (lists, booleans,
 * numbers, id lists).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-parser.h"
#include "utf8.h"

int parser_error(Parser *ps, PolicyErrorCode code, const char *format, ...) {
        char message[sizeof(((PolicyError *) NULL)->message)];
        va_list ap;

        va_start(ap, format);
        utf8_vsnprintf(message, sizeof(message), format, ap);
        va_end(ap);
        return policy_error_set(ps->error, -EINVAL, ps->file, ps->line, code, "%s", message);
}

PolicyOrigin parser_origin(const Parser *ps) {
        return (PolicyOrigin) { .file = ps->file, .line = ps->line };
}

void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* Trim blanks in place; returns the start of the trimmed text. */
static char *strip(char *s) {
        size_t n;

        while (is_blank(*s))
                s++;
        n = strlen(s);
        while (n > 0 && is_blank(s[n - 1]))
                s[--n] = '\0';
        return s;
}

int parser_list(Parser *ps, const char *value, char ***ret, size_t *ret_n) {
        _cleanup_free_ char *copy = strdup(value);
        _cleanup_(strv_freep) char **entries = NULL;
        size_t n = 0;
        char *p, *next;

        if (!copy)
                return -ENOMEM;
        entries = calloc(POLICY_LIST_ENTRIES_MAX + 1, sizeof(char *));
        if (!entries)
                return -ENOMEM;

        for (p = copy; p; p = next) {
                char *entry;

                next = strchr(p, ',');
                if (next)
                        *next++ = '\0';
                entry = strip(p);
                if (*entry == '\0')
                        return parser_error(ps, POLICY_ERROR_EMPTY_ENTRY,
                                            "%s: empty entry in the list (two commas, or a comma at either end)",
                                            ps->key);
                if (n >= POLICY_LIST_ENTRIES_MAX)
                        return parser_error(ps, POLICY_ERROR_TOO_MANY_ENTRIES, "%s: more than %u entries",
                                            ps->key, POLICY_LIST_ENTRIES_MAX);
                for (size_t i = 0; i < n; i++)
                        if (streq(entries[i], entry))
                                return parser_error(ps, POLICY_ERROR_DUPLICATE_ENTRY, "%s: '%s' is listed twice",
                                                    ps->key, entry);
                entries[n] = strdup(entry);
                if (!entries[n])
                        return -ENOMEM;
                n++;
        }

        *ret = TAKE_PTR(entries);
        *ret_n = n;
        return 0;
}

static const struct {
        const char *text;
        bool value;
} boolean_words[] = {
        { "yes", true },
        { "no", false },
        { "true", true },
        { "false", false },
};

int parser_bool(Parser *ps, const char *value, bool *ret) {
        for (size_t i = 0; i < ELEMENTSOF(boolean_words); i++)
                if (streq(value, boolean_words[i].text)) {
                        *ret = boolean_words[i].value;
                        return 0;
                }
        return parser_error(ps, POLICY_ERROR_BAD_BOOLEAN, "%s: '%s' is not a boolean (use yes or no)", ps->key,
                            value);
}

int parser_number(Parser *ps, const char *value, unsigned min, unsigned max, unsigned *ret) {
        unsigned long n = 0;
        size_t len = strlen(value);

        /* Decimal digits only, no sign and no leading zero: a count, not an id. */
        if (len == 0 || len > 10 || strspn(value, "0123456789") != len || (value[0] == '0' && len > 1))
                goto bad;
        n = strtoul(value, NULL, 10);
        if (n < min || n > max)
                goto bad;
        *ret = (unsigned) n;
        return 0;
bad:
        return parser_error(ps, POLICY_ERROR_BAD_NUMBER, "%s: '%s' is not a number from %u to %u", ps->key, value,
                            min, max);
}

int parser_id_list(Parser *ps, const char *value, ApMask *ret) {
        _cleanup_(strv_freep) char **entries = NULL;
        _cleanup_free_ char *joined = NULL;
        ApParseError perr = {};
        size_t n, len = 0;
        ApMask mask;
        int r;

        /* Allow "0-3, 5" for readability; lib's list parser wants "0-3,5". */
        r = parser_list(ps, value, &entries, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                len += strlen(entries[i]) + 1;
        joined = malloc(len + 1);
        if (!joined)
                return -ENOMEM;
        joined[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strcat(joined, ",");
                strcat(joined, entries[i]);
        }

        r = ap_list_parse(joined, AP_ID_MAX, &mask, &perr);
        if (r < 0)
                return parser_error(ps, POLICY_ERROR_BAD_ID_LIST, "%s: '%s' is not a list of ids: %s",
                                    ps->key, value, perr.message);
        *ret = mask;
        return 0;
}

static const SectionType *section_type_find(const char *kind) {
        for (size_t i = 0; i < policy_n_section_types; i++)
                if (streq(policy_section_types[i].kind, kind))
                        return &policy_section_types[i];
        return NULL;
}

static int section_end(Parser *ps) {
        unsigned line = ps->line;
        int r = 0;

        if (ps->section && ps->section->end) {
                /* Completeness errors point at the section header. */
                ps->line = ps->section_line;
                r = ps->section->end(ps);
                ps->line = line;
        }
        ps->section = NULL;
        return r;
}

static int parse_section_header(Parser *ps, char *text) {
        const SectionType *type;
        size_t n_sections;
        char *close, *kind, *name;
        int r;

        /* The last ']', so that a pattern may hold a [...] class. */
        close = strrchr(text, ']');
        if (!close || close[1] != '\0')
                return parser_error(ps, POLICY_ERROR_SECTION_SYNTAX,
                                    "malformed section header '%s': expected [kind] or [kind name]", text);
        *close = '\0';
        kind = strip(text + 1);
        name = kind + strcspn(kind, " \t");
        if (*name) {
                *name++ = '\0';
                name = strip(name);
        }
        if (*kind == '\0' || strpbrk(name, " \t"))
                return parser_error(ps, POLICY_ERROR_SECTION_SYNTAX,
                                    "malformed section header '[%s%s%s]': expected [kind] or [kind name]", kind,
                                    *name ? " " : "", name);

        type = section_type_find(kind);
        if (!type)
                return parser_error(ps, POLICY_ERROR_UNKNOWN_SECTION,
                                    "unknown section [%s] (expected defaults, host, access or guest)", kind);
        if (type->named && *name == '\0')
                return parser_error(ps, POLICY_ERROR_SECTION_NEEDS_NAME, "section [%s] needs a name: [%s %s]",
                                    kind, kind, streq(kind, "guest") ? "PATTERN" : "NAME");
        if (!type->named && *name != '\0')
                return parser_error(ps, POLICY_ERROR_SECTION_TAKES_NO_NAME, "section [%s] takes no name, got '%s'",
                                    kind, name);

        n_sections = ps->policy->n_access + ps->policy->n_guests + ps->policy->n_reservations;
        if (n_sections >= POLICY_SECTIONS_MAX)
                return parser_error(ps, POLICY_ERROR_TOO_MANY_SECTIONS, "more than %u rules", POLICY_SECTIONS_MAX);

        r = section_end(ps);
        if (r < 0)
                return r;
        ps->section = type;
        ps->section_line = ps->line;
        memset(ps->key_lines, 0, sizeof(ps->key_lines));
        return type->begin(ps, name);
}

static int parse_assignment(Parser *ps, char *text) {
        const KeyType *key = NULL;
        char *eq, *name, *value;
        size_t index;

        eq = strchr(text, '=');
        if (!eq)
                return parser_error(ps, POLICY_ERROR_ASSIGNMENT_SYNTAX,
                                    "expected 'key = value', a [section] header or a # comment, got '%s'", text);
        *eq = '\0';
        name = strip(text);
        value = strip(eq + 1);
        if (*name == '\0')
                return parser_error(ps, POLICY_ERROR_ASSIGNMENT_SYNTAX,
                                    "expected 'key = value', a [section] header or a # comment, got '= %s'", value);

        if (!ps->section)
                return parser_error(ps, POLICY_ERROR_KEY_OUTSIDE_SECTION,
                                    "'%s' is set before any [section] header", name);

        for (index = 0; index < ps->section->n_keys; index++)
                if (streq(ps->section->keys[index].name, name)) {
                        key = &ps->section->keys[index];
                        break;
                }
        if (!key) {
                char known[256] = "";

                for (size_t i = 0; i < ps->section->n_keys; i++) {
                        if (i > 0)
                                strncat(known, ", ", sizeof(known) - strlen(known) - 1);
                        strncat(known, ps->section->keys[i].name, sizeof(known) - strlen(known) - 1);
                }
                return parser_error(ps, POLICY_ERROR_UNKNOWN_KEY, "unknown key '%s' in [%s] (known keys: %s)",
                                    name, ps->section->kind, known);
        }
        if (ps->key_lines[index] > 0)
                return parser_error(ps, POLICY_ERROR_DUPLICATE_KEY, "duplicate key '%s' (first set on line %u)",
                                    name, ps->key_lines[index]);
        if (*value == '\0')
                return parser_error(ps, POLICY_ERROR_EMPTY_VALUE, "key '%s' has an empty value", name);

        ps->key_lines[index] = ps->line;
        ps->key = key->name;
        return key->parse(ps, value);
}

static int parse_line(Parser *ps, char *line, size_t len) {
        char *text;

        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) line[i];

                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return parser_error(ps, POLICY_ERROR_CONTROL_CHAR,
                                            "control character 0x%02x in column %zu%s", c, i + 1,
                                            c == '\r' ? " (DOS line ending?)" : "");
        }

        text = strip(line);
        if (*text == '\0' || *text == '#')
                return 0;
        if (*text == '[')
                return parse_section_header(ps, text);
        return parse_assignment(ps, text);
}

int policy_parse_text(Policy *p, const char *file, const char *text, size_t size, const PolicyLoadOptions *opts,
                      PolicyError *error) {
        _cleanup_free_ char *line = malloc(POLICY_LINE_MAX + 1);
        Parser ps = {
                .policy = p,
                .file = file,
                .opts = opts,
                .error = error,
        };
        size_t pos = 0;
        int r;

        if (!line)
                return -ENOMEM;

        while (pos < size) {
                const char *nl = memchr(text + pos, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - (text + pos)) : size - pos;

                ps.line++;
                if (len > POLICY_LINE_MAX)
                        return parser_error(&ps, POLICY_ERROR_LINE_TOO_LONG, "line is longer than %u bytes",
                                            POLICY_LINE_MAX);
                memcpy(line, text + pos, len);
                line[len] = '\0';
                r = parse_line(&ps, line, len);
                if (r < 0)
                        return r;
                pos += len + (nl ? 1 : 0);
        }

        return section_end(&ps);
}
