/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The part of a libvirt domain XML document the qemu hook needs: the mdev
 * UUIDs of <domain><devices><hostdev mode='subsystem' type='mdev'
 * model='vfio-ap'><source><address uuid='...'/>. A small strict scanner,
 * not a general XML parser: it checks well-formedness (nesting, quoting,
 * entity references, one root), skips comments, processing instructions
 * and CDATA, and refuses DOCTYPE (libvirt never writes one, and it is where
 * entity expansion attacks live).
 */
#pragma once

#include <stddef.h>

#define DOMAIN_XML_SIZE_MAX (16u * 1024u * 1024u)
#define DOMAIN_XML_DEPTH_MAX 64
#define DOMAIN_XML_AP_HOSTDEVS_MAX 256
#define DOMAIN_XML_UUID_LEN 36

typedef struct DomainXml {
        char (*ap_uuids)[DOMAIN_XML_UUID_LEN + 1];      /* owned: lower-case, no duplicates, document order */
        size_t n_ap_uuids;
} DomainXml;

typedef struct DomainXmlError {
        unsigned line;          /* 1-based line of the problem */
        char message[160];
} DomainXmlError;

/* -EBADMSG (not well-formed, or not a <domain>), -EINVAL (a bad vfio-ap hostdev), -E2BIG, -ENOMEM. */
int domain_xml_parse(const char *text, size_t len, DomainXml *ret, DomainXmlError *e);
void domain_xml_done(DomainXml *d);
