/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysfs-write: VM helper that writes a value to a file in exactly one
 * write(2) and prints the outcome as a token scenarios can compare: "OK", or
 * the errno name ("EBUSY", "EINVAL", ...). A shell's `echo >` cannot do this:
 * it adds a newline and its error text is not stable across shells.
 *
 * usage: sysfs-write [-n] FILE VALUE
 *   VALUE is written as given, without a newline, except for the escapes
 *   \n \t \\ and \xHH (so a test can send a newline or a NUL byte);
 *   -n appends one newline.
 * Exit status: 0 written completely, 1 refused (or short write: "SHORT n/m"),
 * 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

/* Sysfs attributes take at most a page; leave room for bigger test files. */
#define VALUE_MAX 65536

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

/* Decodes the escapes of VALUE into ret_buf (at least VALUE_MAX bytes). */
static int value_decode(const char *value, bool newline, char *ret_buf, size_t *ret_len)
{
        static const struct {
                char name;
                char byte;
        } simple[] = {
                { 'n', '\n' },
                { 't', '\t' },
                { '\\', '\\' },
        };
        char buf[VALUE_MAX];
        size_t len = 0;

        for (const char *p = value; *p; p++) {
                char byte = *p;

                if (*p == '\\') {
                        bool found = false;

                        p++;
                        for (size_t i = 0; i < ELEMENTSOF(simple); i++)
                                if (*p == simple[i].name) {
                                        byte = simple[i].byte;
                                        found = true;
                                }
                        if (!found && *p == 'x' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
                                byte = (char)(hex_digit(p[1]) << 4 | hex_digit(p[2]));
                                p += 2;
                                found = true;
                        }
                        if (!found)
                                return -EINVAL;
                }
                if (len >= sizeof(buf) - 1)
                        return -E2BIG;
                buf[len++] = byte;
        }
        if (newline)
                buf[len++] = '\n';

        memcpy(ret_buf, buf, len);
        *ret_len = len;
        return 0;
}

static void print_errno(int err)
{
        const char *name = strerrorname_np(err);

        if (name)
                puts(name);
        else
                printf("E%d\n", err);
}

int main(int argc, char **argv)
{
        _cleanup_close_ int fd = -EBADF;
        static char buf[VALUE_MAX];
        bool newline = false;
        size_t len;
        ssize_t n;
        int r;

        if (argc > 1 && strcmp(argv[1], "-n") == 0) {
                newline = true;
                argc--;
                argv++;
        }
        if (argc != 3) {
                fprintf(stderr, "usage: sysfs-write [-n] FILE VALUE\n");
                return 2;
        }

        r = value_decode(argv[2], newline, buf, &len);
        if (r < 0) {
                fprintf(stderr, "sysfs-write: %s: %s\n", argv[2],
                        r == -E2BIG ? "value longer than 64 KiB" :
                        "bad escape (known: \\n \\t \\\\ \\xHH)");
                return 2;
        }

        fd = open(argv[1], O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "sysfs-write: open %s: %m\n", argv[1]);
                print_errno(errno);
                return 1;
        }

        n = write(fd, buf, len);
        if (n < 0) {
                print_errno(errno);
                return 1;
        }
        if ((size_t)n != len) {
                printf("SHORT %zd/%zu\n", n, len);
                return 1;
        }
        puts("OK");
        return 0;
}
