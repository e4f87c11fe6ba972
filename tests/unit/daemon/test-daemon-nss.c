/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apctld's user and group lookups (nss-lookup.h): the answers of
 * getpwnam_r()/getgrnam_r(), computed in a child, and no NSS module left
 * mapped in the process that asked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon-test.h"
#include "nss-lookup.h"

/* Some /proc/self/maps line names an NSS module (libnss_*.so). */
static bool nss_module_mapped(void) {
        char line[512];
        bool found = false;
        FILE *f = fopen("/proc/self/maps", "re");

        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (strstr(line, "/libnss_"))
                        found = true;
        fclose(f);
        return found;
}

static void test_lookups(void) {
        uid_t uid = 4242;
        gid_t gid = 4242;

        CHECK(nss_lookup_user("root", &uid, NULL) == 0);
        CHECK(uid == 0);
        CHECK(nss_lookup_group("root", &gid, NULL) == 0);
        CHECK(gid == 0);
        uid = gid = 4242;
        /* Not in /etc: every module nsswitch.conf names is asked (nss_systemd on Debian), in the child. */
        CHECK(nss_lookup_user("apctl-no-such-user", &uid, NULL) == -ENOENT);
        CHECK(nss_lookup_group("apctl-no-such-group", &gid, NULL) == -ENOENT);
        CHECK(uid == 4242 && gid == 4242);
        tap_case_end("users and groups found, unknown ones -ENOENT with *ret untouched");
        /* On a host whose nsswitch.conf names only "files" this holds either way; on Debian's it would not. */
        CHECK(!nss_module_mapped());
        tap_case_end("no NSS module mapped in the process that asked");
}

int main(void) {
        test_lookups();
        return tap_finish();
}
