/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt hook's domain XML scanner: real domain documents (none, one
 * and two vfio-ap hostdevs among other hostdevs, comments, CDATA, other
 * namespaces, attribute order, quotes and spacing) give exactly the vfio-ap
 * mdev UUIDs; broken documents are refused with the line and the problem.
 *
 * Usage: test-domain-xml DOMAINS_DIR
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-xml.h"
#include "tap.h"

static const char *dir;

static char *slurp(const char *name, size_t *ret_len) {
        char path[512];
        FILE *f;
        char *buf = NULL;
        size_t len = 0;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        buf = malloc(1 << 20);
        if (buf)
                len = fread(buf, 1, (1 << 20) - 1, f);
        fclose(f);
        if (buf)
                buf[len] = '\0';
        *ret_len = len;
        return buf;
}

/* The file parses and yields exactly the UUIDs given (NULL-terminated), in order. */
static void expect_file(const char *name, const char *const *uuids) {
        DomainXml d = {};
        DomainXmlError e = {};
        size_t len = 0, n = 0;
        char *text = slurp(name, &len);
        int r;

        if (!CHECK(text != NULL)) {
                tap_diag("cannot read %s/%s", dir, name);
                return;
        }
        r = domain_xml_parse(text, len, &d, &e);
        if (!CHECK(r == 0))
                tap_diag("%s: line %u: %s", name, e.line, e.message);
        while (uuids[n])
                n++;
        if (CHECK(d.n_ap_uuids == n))
                for (size_t i = 0; i < n; i++)
                        CHECK(strcmp(d.ap_uuids[i], uuids[i]) == 0);
        else
                for (size_t i = 0; i < d.n_ap_uuids; i++)
                        tap_diag("%s: got %s", name, d.ap_uuids[i]);
        domain_xml_done(&d);
        free(text);
}

static void test_documents(void) {
        expect_file("none.xml", (const char *const[]) { NULL });
        expect_file("one-ap.xml", (const char *const[]) { "62177883-f1bb-47f0-914d-32a22e3a8804", NULL });
        /* Upper case folded and duplicates merged; comments, CDATA, metadata, vfio-ccw/pci mdevs ignored. */
        expect_file("two-ap-mixed.xml", (const char *const[]) {
                "aaaaaaaa-0000-4000-8000-00000000000a", "bbbbbbbb-0000-4000-8000-00000000000b", NULL });
        expect_file("unmanaged-ap.xml", (const char *const[]) { "dddddddd-0000-4000-8000-00000000000d", NULL });
        tap_case_end("domain documents: none, one and two vfio-ap hostdevs among other shapes");
}

#define AP_HOSTDEV(uuid) \
        "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='" uuid "'/></source></hostdev>"
#define GOOD_UUID "62177883-f1bb-47f0-914d-32a22e3a8804"

static const struct {
        const char *xml;
        int err;
        const char *message;    /* a part of the message that names the problem */
        unsigned line;
} bad[] = {
        { "", -EBADMSG, "no <domain>", 1 },
        { "<domain><devices></domain>", -EBADMSG, "</domain> closes <devices>", 1 },
        { "<domain>\n<devices>\n" AP_HOSTDEV(GOOD_UUID) "\n</devices>", -EBADMSG, "ends inside <domain>", 4 },
        { "<!DOCTYPE domain [<!ENTITY x 'y'>]><domain/>", -EBADMSG, "DOCTYPE", 1 },
        { "<domain/><domain/>", -EBADMSG, "second root", 1 },
        { "<network/>", -EBADMSG, "not <domain>", 1 },
        { "<domain/>junk", -EBADMSG, "text outside", 1 },
        { "<domain><!-- open comment </domain>", -EBADMSG, "unterminated comment", 1 },
        { "<domain name=x/>", -EBADMSG, "no quoted value", 1 },
        { "<domain a='1' a='2'/>", -EBADMSG, "given twice", 1 },
        { "<domain a='1'b='2'/>", -EBADMSG, "expected space", 1 },
        { "<domain a='<'/>", -EBADMSG, "'<' in the value", 1 },
        { "<domain a='&nbsp;'/>", -EBADMSG, "unknown entity", 1 },
        { "<domain>&bogus;</domain>", -EBADMSG, "unknown entity", 1 },
        { "<domain a='&#xZZ;'/>", -EBADMSG, "bad character reference", 1 },
        { "<domain a='unterminated/>", -EBADMSG, "unterminated value", 1 },
        { "<domain>\n<devices>\n<hostdev mode='subsystem' type='mdev' model='vfio-ap'/>\n</devices></domain>",
          -EINVAL, "without <source>", 3 },
        { "<domain><devices><hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address/></source>"
          "</hostdev></devices></domain>", -EINVAL, "without a uuid", 1 },
        { "<domain><devices>" AP_HOSTDEV("62177883-f1bb-47f0-914d") "</devices></domain>", -EINVAL,
          "is not a UUID", 1 },
        { "<domain><devices>" AP_HOSTDEV("62177883xf1bb-47f0-914d-32a22e3a8804") "</devices></domain>", -EINVAL,
          "is not a UUID", 1 },
};

static void test_bad_documents(void) {
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                DomainXml d = {};
                DomainXmlError e = {};
                int r = domain_xml_parse(bad[i].xml, strlen(bad[i].xml), &d, &e);

                if (!CHECK(r == bad[i].err) || !CHECK(strstr(e.message, bad[i].message) != NULL) ||
                    !CHECK(e.line == bad[i].line))
                        tap_diag("document %zu: r=%d line %u: '%s'", i, r, e.line, e.message);
                CHECK(d.ap_uuids == NULL && d.n_ap_uuids == 0);
        }
        tap_case_end("broken documents refused with the line and a message naming the problem; output untouched");
}

static void test_limits(void) {
        size_t n = 70, len;
        char *deep = malloc(n * 20 + 64), *many, *p;
        DomainXml d = {};
        DomainXmlError e = {};

        /* Nesting deeper than the limit. */
        p = deep;
        p += sprintf(p, "<domain>");
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "<a>");
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, "</a>");
        p += sprintf(p, "</domain>");
        CHECK(domain_xml_parse(deep, strlen(deep), &d, &e) == -EBADMSG);
        CHECK(strstr(e.message, "deeper than") != NULL);
        free(deep);

        /* More vfio-ap hostdevs than the limit, each a different UUID. */
        len = (DOMAIN_XML_AP_HOSTDEVS_MAX + 1) * 160 + 64;
        many = malloc(len);
        p = many;
        p += sprintf(p, "<domain><devices>");
        for (unsigned i = 0; i <= DOMAIN_XML_AP_HOSTDEVS_MAX; i++)
                p += sprintf(p, AP_HOSTDEV("62177883-f1bb-47f0-914d-%012x"), i);
        p += sprintf(p, "</devices></domain>");
        CHECK(domain_xml_parse(many, strlen(many), &d, &e) == -E2BIG);
        CHECK(strstr(e.message, "more than") != NULL);
        /* At the limit it works. */
        p = strstr(many, "</devices>");
        p = p - strlen(AP_HOSTDEV(GOOD_UUID));
        strcpy(p, "</devices></domain>");
        CHECK(domain_xml_parse(many, strlen(many), &d, &e) == 0);
        CHECK(d.n_ap_uuids == DOMAIN_XML_AP_HOSTDEVS_MAX);
        domain_xml_done(&d);
        free(many);

        /* A document larger than the limit is refused before scanning. */
        CHECK(domain_xml_parse("<domain/>", DOMAIN_XML_SIZE_MAX + 1u, &d, &e) == -E2BIG);
        tap_case_end("limits: nesting depth, number of vfio-ap hostdevs, document size");
}

/* Deterministic damage to the good documents: each must parse or fail with a message, never crash. */
static void test_mutations(void) {
        static const char *const files[] = { "none.xml", "one-ap.xml", "two-ap-mixed.xml", "unmanaged-ap.xml" };
        static const char noise[] = "<>&'\"/=!?-[]\0 \n";
        unsigned seed = 12345, parsed = 0, refused = 0;

        for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
                size_t len = 0;
                char *orig = slurp(files[f], &len), *buf;

                if (!CHECK(orig != NULL && len > 0))
                        continue;
                buf = malloc(len + 1);
                for (unsigned i = 0; i < 600 && buf; i++) {
                        DomainXml d = {};
                        DomainXmlError e = {};
                        size_t n = len, at;
                        int r;

                        memcpy(buf, orig, len + 1);
                        seed = seed * 1103515245u + 12345u;
                        at = (seed >> 8) % len;
                        switch (i % 3) {
                        case 0:         /* one byte replaced by markup noise */
                                buf[at] = noise[(seed >> 20) % (sizeof(noise) - 1)];
                                break;
                        case 1:         /* cut short */
                                n = at;
                                break;
                        default:        /* a slice moved over another place */
                                memmove(buf + at / 2, buf + at, len - at);
                                n = len - (at - at / 2);
                                break;
                        }
                        r = domain_xml_parse(buf, n, &d, &e);
                        if (r == 0)
                                parsed++;
                        else if (CHECK(e.message[0] != '\0' && d.ap_uuids == NULL))
                                refused++;
                        else
                                tap_diag("%s mutation %u: r=%d without a message", files[f], i, r);
                        domain_xml_done(&d);
                }
                free(buf);
                free(orig);
        }
        tap_diag("%u damaged documents parsed, %u refused", parsed, refused);
        CHECK(refused > 0);
        tap_case_end("2400 damaged documents: each parses or is refused with a message, nothing crashes");
}

int main(int argc, char *argv[]) {
        if (argc != 2) {
                fprintf(stderr, "usage: %s DOMAINS_DIR\n", argv[0]);
                return 2;
        }
        dir = argv[1];
        test_documents();
        test_bad_documents();
        test_limits();
        test_mutations();
        return tap_finish();
}
