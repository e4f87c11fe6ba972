/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * run-as: run a command as another uid with given groups, for the
 * daemon-policy scenarios (busybox has no setpriv, and util-linux' is only
 * packed on x86_64). Numeric ids only, so it needs no passwd lookups.
 *
 * usage: run-as UID GID[,SUPPLEMENTARY_GID...] COMMAND [ARG...]
 *   GID is the primary group; the others become the supplementary groups
 *   (none when only GID is given). Exit 2 on usage errors, 126 when the
 *   ids cannot be taken, 127 when COMMAND cannot be run; else COMMAND's.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GROUPS_MAX 32

static int parse_id(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v >= (unsigned long) (unsigned) -1)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

int main(int argc, char *argv[]) {
        gid_t groups[GROUPS_MAX];
        size_t n = 0;
        unsigned uid, id;
        char *list, *save = NULL;

        if (argc < 4) {
                fprintf(stderr, "usage: run-as UID GID[,GID...] COMMAND [ARG...]\n");
                return 2;
        }
        if (parse_id(argv[1], &uid) < 0) {
                fprintf(stderr, "run-as: '%s' is not a uid\n", argv[1]);
                return 2;
        }
        list = argv[2];
        for (char *g = strtok_r(list, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
                if (parse_id(g, &id) < 0 || n == GROUPS_MAX) {
                        fprintf(stderr, "run-as: '%s' is not a gid (or more than %d groups)\n", g, GROUPS_MAX);
                        return 2;
                }
                groups[n++] = id;
        }
        if (n == 0) {
                fprintf(stderr, "run-as: no group given\n");
                return 2;
        }
        /* Groups before the uid: after setuid() there is no right left to change them. */
        if (setgroups(n - 1, groups + 1) < 0 || setgid(groups[0]) < 0 || setuid(uid) < 0) {
                fprintf(stderr, "run-as: cannot become uid %u gid %u: %s\n", uid, (unsigned) groups[0],
                        strerror(errno));
                return 126;
        }
        execvp(argv[3], argv + 3);
        fprintf(stderr, "run-as: cannot run %s: %s\n", argv[3], strerror(errno));
        return 127;
}
