/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A strict scanner for the vfio-ap hostdevs of a libvirt domain XML document. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-xml.h"
#include "macro.h"

#define ATTRS_MAX 32
#define ATTR_VALUE_MAX 256

typedef struct Attr {
        const char *name;       /* borrowed: points into the document */
        size_t name_len;
        char value[ATTR_VALUE_MAX];     /* entity references resolved */
} Attr;

/* Where the element being opened sits: the path the hook cares about, one step per level. */
typedef enum Place {
        PLACE_OTHER,            /* anywhere we do not look into */
        PLACE_DOMAIN,           /* <domain> */
        PLACE_DEVICES,          /* <domain><devices> */
        PLACE_AP_HOSTDEV,       /* ...<hostdev> of model vfio-ap */
        PLACE_AP_SOURCE,        /* ...<hostdev><source> */
} Place;

typedef struct Scanner {
        const char *text;       /* borrowed */
        size_t len, pos;
        unsigned line;
        DomainXmlError *error;  /* borrowed, may be NULL */
        struct {
                const char *name;       /* borrowed */
                size_t name_len;
                Place place;
        } stack[DOMAIN_XML_DEPTH_MAX];
        unsigned depth;
        bool root_seen;
        bool ap_hostdev_has_uuid;       /* of the vfio-ap hostdev being read */
        DomainXml out;
} Scanner;

static int fail(Scanner *s, int err, const char *fmt, ...) _printf_(3, 4);
static int fail(Scanner *s, int err, const char *fmt, ...) {
        va_list ap;

        if (s->error) {
                s->error->line = s->line;
                va_start(ap, fmt);
                vsnprintf(s->error->message, sizeof(s->error->message), fmt, ap);
                va_end(ap);
        }
        return err;
}

static bool at(const Scanner *s, const char *lit) {
        size_t n = strlen(lit);

        return s->len - s->pos >= n && memcmp(s->text + s->pos, lit, n) == 0;
}

static void advance(Scanner *s, size_t n) {
        for (size_t i = 0; i < n && s->pos < s->len; i++, s->pos++)
                if (s->text[s->pos] == '\n')
                        s->line++;
}

/* Skip up to and including end; the construct named what is unterminated otherwise. */
static int skip_past(Scanner *s, const char *end, const char *what) {
        const char *p = memmem(s->text + s->pos, s->len - s->pos, end, strlen(end));

        if (!p)
                return fail(s, -EBADMSG, "unterminated %s", what);
        advance(s, (size_t) (p - (s->text + s->pos)) + strlen(end));
        return 0;
}

static void skip_space(Scanner *s) {
        while (s->pos < s->len && strchr(" \t\r\n", s->text[s->pos]))
                advance(s, 1);
}

static bool name_start(char c) {
        return isalpha((unsigned char) c) || c == '_' || c == ':' || (unsigned char) c >= 0x80;
}

static bool name_char(char c) {
        return name_start(c) || isdigit((unsigned char) c) || c == '-' || c == '.';
}

static int read_name(Scanner *s, const char **ret, size_t *ret_len) {
        size_t start = s->pos;

        if (s->pos >= s->len || !name_start(s->text[s->pos]))
                return fail(s, -EBADMSG, "expected a name");
        while (s->pos < s->len && name_char(s->text[s->pos]))
                s->pos++;
        *ret = s->text + start;
        *ret_len = s->pos - start;
        return 0;
}

static bool name_is(const char *name, size_t len, const char *lit) {
        return len == strlen(lit) && memcmp(name, lit, len) == 0;
}

/* One entity reference at s->pos ('&'), appended to out as UTF-8 (only ASCII kept exactly). */
static int read_reference(Scanner *s, char *out, size_t *n, size_t max) {
        static const struct { const char *ref; char c; } named[] = {
                { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&apos;", '\'' },
        };
        unsigned long code;
        char *end;

        for (size_t i = 0; i < ELEMENTSOF(named); i++)
                if (at(s, named[i].ref)) {
                        if (*n + 1 >= max)
                                return fail(s, -EBADMSG, "attribute value longer than %d bytes", ATTR_VALUE_MAX - 1);
                        out[(*n)++] = named[i].c;
                        s->pos += strlen(named[i].ref);
                        return 0;
                }
        if (!at(s, "&#"))
                return fail(s, -EBADMSG, "unknown entity reference (only &lt; &gt; &amp; &quot; &apos; and &#N;)");
        errno = 0;
        code = at(s, "&#x") ? strtoul(s->text + s->pos + 3, &end, 16) : strtoul(s->text + s->pos + 2, &end, 10);
        if (errno || end >= s->text + s->len || *end != ';' || end == s->text + s->pos + 2 || code == 0 ||
            code > 0x10ffff)
                return fail(s, -EBADMSG, "bad character reference");
        if (*n + 1 >= max)
                return fail(s, -EBADMSG, "attribute value longer than %d bytes", ATTR_VALUE_MAX - 1);
        /* Nothing the hook reads is outside ASCII; keep a placeholder for the rest. */
        out[(*n)++] = code < 0x80 ? (char) code : '?';
        advance(s, (size_t) (end + 1 - (s->text + s->pos)));
        return 0;
}

static int read_attr_value(Scanner *s, Attr *a) {
        size_t n = 0;
        char quote;
        int r;

        if (s->pos >= s->len || (s->text[s->pos] != '"' && s->text[s->pos] != '\''))
                return fail(s, -EBADMSG, "attribute '%.*s' has no quoted value", (int) a->name_len, a->name);
        quote = s->text[s->pos++];
        for (;;) {
                char c;

                if (s->pos >= s->len)
                        return fail(s, -EBADMSG, "unterminated value of attribute '%.*s'", (int) a->name_len, a->name);
                c = s->text[s->pos];
                if (c == quote) {
                        s->pos++;
                        break;
                }
                if (c == '<')
                        return fail(s, -EBADMSG, "'<' in the value of attribute '%.*s'", (int) a->name_len, a->name);
                if (c == '&') {
                        r = read_reference(s, a->value, &n, sizeof(a->value));
                        if (r < 0)
                                return r;
                        continue;
                }
                if (n + 1 >= sizeof(a->value))
                        return fail(s, -EBADMSG, "attribute '%.*s' longer than %d bytes", (int) a->name_len, a->name,
                                    ATTR_VALUE_MAX - 1);
                a->value[n++] = c;
                advance(s, 1);
        }
        a->value[n] = '\0';
        return 0;
}

static const char *attr_get(const Attr *attrs, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (name_is(attrs[i].name, attrs[i].name_len, name))
                        return attrs[i].value;
        return NULL;
}

static bool uuid_valid(const char *u) {
        if (strlen(u) != DOMAIN_XML_UUID_LEN)
                return false;
        for (size_t i = 0; i < DOMAIN_XML_UUID_LEN; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? u[i] != '-' : !isxdigit((unsigned char) u[i]))
                        return false;
        }
        return true;
}

static int add_ap_uuid(Scanner *s, const char *uuid) {
        char lower[DOMAIN_XML_UUID_LEN + 1];
        void *p;

        if (!uuid_valid(uuid))
                return fail(s, -EINVAL, "vfio-ap hostdev address uuid '%s' is not a UUID", uuid);
        for (size_t i = 0; i <= DOMAIN_XML_UUID_LEN; i++)
                lower[i] = (char) tolower((unsigned char) uuid[i]);
        for (size_t i = 0; i < s->out.n_ap_uuids; i++)
                if (streq(s->out.ap_uuids[i], lower))
                        return 0;
        if (s->out.n_ap_uuids >= DOMAIN_XML_AP_HOSTDEVS_MAX)
                return fail(s, -E2BIG, "more than %d vfio-ap hostdevs", DOMAIN_XML_AP_HOSTDEVS_MAX);
        p = realloc(s->out.ap_uuids, (s->out.n_ap_uuids + 1) * sizeof(*s->out.ap_uuids));
        if (!p)
                return -ENOMEM;
        s->out.ap_uuids = p;
        memcpy(s->out.ap_uuids[s->out.n_ap_uuids++], lower, sizeof(lower));
        return 0;
}

/* The place of a new element named name under parent, given its attributes. */
static int element_place(Scanner *s, Place parent, const char *name, size_t len, const Attr *attrs, size_t n,
                         Place *ret) {
        const char *mode, *type, *model, *uuid;

        *ret = PLACE_OTHER;
        switch (parent) {
        case PLACE_DOMAIN:
                if (name_is(name, len, "devices"))
                        *ret = PLACE_DEVICES;
                return 0;
        case PLACE_DEVICES:
                if (!name_is(name, len, "hostdev"))
                        return 0;
                mode = attr_get(attrs, n, "mode");
                type = attr_get(attrs, n, "type");
                model = attr_get(attrs, n, "model");
                if (mode && type && model && streq(mode, "subsystem") && streq(type, "mdev") &&
                    streq(model, "vfio-ap")) {
                        *ret = PLACE_AP_HOSTDEV;
                        s->ap_hostdev_has_uuid = false;
                }
                return 0;
        case PLACE_AP_HOSTDEV:
                if (name_is(name, len, "source"))
                        *ret = PLACE_AP_SOURCE;
                return 0;
        case PLACE_AP_SOURCE:
                if (!name_is(name, len, "address"))
                        return 0;
                uuid = attr_get(attrs, n, "uuid");
                if (!uuid)
                        return fail(s, -EINVAL, "vfio-ap hostdev <address> without a uuid attribute");
                s->ap_hostdev_has_uuid = true;
                return add_ap_uuid(s, uuid);
        default:
                return 0;
        }
}

static int close_element(Scanner *s) {
        if (s->stack[s->depth - 1].place == PLACE_AP_HOSTDEV && !s->ap_hostdev_has_uuid)
                return fail(s, -EINVAL, "vfio-ap hostdev without <source><address uuid='...'/>");
        s->depth--;
        return 0;
}

/* The attributes of a start tag, up to (not including) its '>' or '/>'. */
static int read_attributes(Scanner *s, const char *tag, size_t tag_len, Attr attrs[static ATTRS_MAX],
                           size_t *ret_n) {
        size_t n = 0;
        int r;

        for (;;) {
                bool spaced = s->pos < s->len && strchr(" \t\r\n", s->text[s->pos]);

                skip_space(s);
                if (at(s, "/>") || at(s, ">"))
                        break;
                if (!spaced)
                        return fail(s, -EBADMSG, "expected space, '>' or '/>' in <%.*s>", (int) tag_len, tag);
                if (n >= ATTRS_MAX)
                        return fail(s, -EBADMSG, "more than %d attributes in <%.*s>", ATTRS_MAX, (int) tag_len, tag);
                r = read_name(s, &attrs[n].name, &attrs[n].name_len);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n; i++)
                        if (attrs[i].name_len == attrs[n].name_len &&
                            memcmp(attrs[i].name, attrs[n].name, attrs[n].name_len) == 0)
                                return fail(s, -EBADMSG, "attribute '%.*s' given twice in <%.*s>",
                                            (int) attrs[n].name_len, attrs[n].name, (int) tag_len, tag);
                skip_space(s);
                if (!at(s, "="))
                        return fail(s, -EBADMSG, "attribute '%.*s' without '='", (int) attrs[n].name_len,
                                    attrs[n].name);
                s->pos++;
                skip_space(s);
                r = read_attr_value(s, &attrs[n]);
                if (r < 0)
                        return r;
                n++;
        }
        *ret_n = n;
        return 0;
}

static int read_start_tag(Scanner *s) {
        Attr attrs[ATTRS_MAX];
        size_t n = 0;
        const char *name;
        size_t len;
        Place place;
        bool empty;
        int r;

        s->pos++;       /* '<' */
        r = read_name(s, &name, &len);
        if (r < 0)
                return r;
        r = read_attributes(s, name, len, attrs, &n);
        if (r < 0)
                return r;
        empty = at(s, "/>");
        s->pos += empty ? 2 : 1;

        if (s->depth == 0) {
                if (s->root_seen)
                        return fail(s, -EBADMSG, "a second root element <%.*s>", (int) len, name);
                if (!name_is(name, len, "domain"))
                        return fail(s, -EBADMSG, "the root element is <%.*s>, not <domain>", (int) len, name);
                s->root_seen = true;
                place = PLACE_DOMAIN;
        } else {
                r = element_place(s, s->stack[s->depth - 1].place, name, len, attrs, n, &place);
                if (r < 0)
                        return r;
        }
        if (s->depth >= DOMAIN_XML_DEPTH_MAX)
                return fail(s, -EBADMSG, "elements nested deeper than %d", DOMAIN_XML_DEPTH_MAX);
        s->stack[s->depth].name = name;
        s->stack[s->depth].name_len = len;
        s->stack[s->depth].place = place;
        s->depth++;
        return empty ? close_element(s) : 0;
}

static int read_end_tag(Scanner *s) {
        const char *name;
        size_t len;
        int r;

        s->pos += 2;    /* "</" */
        r = read_name(s, &name, &len);
        if (r < 0)
                return r;
        skip_space(s);
        if (!at(s, ">"))
                return fail(s, -EBADMSG, "expected '>' after </%.*s", (int) len, name);
        s->pos++;
        if (s->depth == 0)
                return fail(s, -EBADMSG, "</%.*s> closes nothing", (int) len, name);
        if (s->stack[s->depth - 1].name_len != len || memcmp(s->stack[s->depth - 1].name, name, len) != 0)
                return fail(s, -EBADMSG, "</%.*s> closes <%.*s>", (int) len, name,
                            (int) s->stack[s->depth - 1].name_len, s->stack[s->depth - 1].name);
        return close_element(s);
}

/* Character data between tags: only checked for stray '&' (the hook reads no text). */
static int read_text(Scanner *s) {
        char scratch[8];

        while (s->pos < s->len && s->text[s->pos] != '<') {
                if (s->text[s->pos] == '&') {
                        size_t n = 0;
                        int r = read_reference(s, scratch, &n, sizeof(scratch));
                        if (r < 0)
                                return r;
                        continue;
                }
                if (s->depth == 0 && !strchr(" \t\r\n", s->text[s->pos]))
                        return fail(s, -EBADMSG, "text outside the root element");
                advance(s, 1);
        }
        return 0;
}

static int scan(Scanner *s) {
        int r;

        while (s->pos < s->len) {
                if (s->text[s->pos] == '\0')
                        return fail(s, -EBADMSG, "NUL byte in the document");
                if (at(s, "<!--"))
                        r = skip_past(s, "-->", "comment");
                else if (at(s, "<![CDATA[")) {
                        if (s->depth == 0)
                                return fail(s, -EBADMSG, "CDATA outside the root element");
                        r = skip_past(s, "]]>", "CDATA section");
                } else if (at(s, "<!"))
                        return fail(s, -EBADMSG, "DOCTYPE and other declarations are not accepted");
                else if (at(s, "<?"))
                        r = skip_past(s, "?>", "processing instruction");
                else if (at(s, "</"))
                        r = read_end_tag(s);
                else if (at(s, "<"))
                        r = read_start_tag(s);
                else
                        r = read_text(s);
                if (r < 0)
                        return r;
        }
        if (s->depth > 0)
                return fail(s, -EBADMSG, "document ends inside <%.*s>", (int) s->stack[s->depth - 1].name_len,
                            s->stack[s->depth - 1].name);
        if (!s->root_seen)
                return fail(s, -EBADMSG, "no <domain> element");
        return 0;
}

int domain_xml_parse(const char *text, size_t len, DomainXml *ret, DomainXmlError *e) {
        Scanner *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (Scanner) { .text = text, .len = len, .line = 1, .error = e };
        if (len > DOMAIN_XML_SIZE_MAX) {
                r = fail(s, -E2BIG, "document larger than %u bytes", DOMAIN_XML_SIZE_MAX);
                free(s);
                return r;
        }
        r = scan(s);
        if (r < 0)
                domain_xml_done(&s->out);
        else
                *ret = s->out;
        free(s);
        return r;
}

void domain_xml_done(DomainXml *d) {
        free(d->ap_uuids);
        *d = (DomainXml) {};
}
