/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Damaged policy files: every good corpus file, with bytes flipped,
 * deleted, duplicated or replaced by characters the format cares about
 * (deterministic, so a failure reproduces). Each load must either succeed
 * or fail with a located message in a known code, and never leave its
 * output written on failure; under ASan/UBSan this also finds memory
 * errors on the error paths.
 *
 * Usage: test-policy-mutations CORPUS_DIR
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-test.h"

#define MUTATIONS_PER_FILE 600

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64: the same damage on every run and every machine. */
static unsigned rng_next(unsigned bound) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (unsigned) (rng_state % bound);
}

static const char interesting[] = "[]=,#-.* \t\n\r\0x0123456789abcdefABCDEFCEX";

static size_t mutate(const char *in, size_t n, char *out) {
        size_t pos = n > 0 ? rng_next((unsigned) n) : 0;
        char c = interesting[rng_next(sizeof(interesting) - 1)];

        switch (rng_next(4)) {
        case 0: /* replace */
                memcpy(out, in, n);
                if (n > 0)
                        out[pos] = c;
                return n;
        case 1: /* delete */
                memcpy(out, in, pos);
                if (n > 0)
                        memcpy(out + pos, in + pos + 1, n - pos - 1);
                return n > 0 ? n - 1 : 0;
        case 2: /* insert */
                memcpy(out, in, pos);
                out[pos] = c;
                memcpy(out + pos + 1, in + pos, n - pos);
                return n + 1;
        default: /* duplicate a stretch, as a bad merge would */
        {
                size_t len = n - pos > 0 ? rng_next((unsigned) (n - pos)) + 1 : 0;

                if (len > 64)
                        len = 64;
                memcpy(out, in, pos + len);
                memcpy(out + pos + len, in + pos, n - pos);
                return n + len;
        }
        }
}

static void mutate_file(const char *name, const char *text, size_t n) {
        PolicyLoadOptions o = test_options_own();
        _cleanup_free_ char *dir = test_scratch_dir(), *path = test_path(dir, name), *buf = malloc(n + 128);
        unsigned accepted = 0, refused = 0;

        REQUIRE(buf);
        for (unsigned i = 0; i < MUTATIONS_PER_FILE; i++) {
                Policy *sentinel = (Policy *) &o, *p = sentinel;
                PolicyError error;
                size_t m = mutate(text, n, buf);
                int r;

                test_write_file(path, 0644, buf, m);
                r = policy_load_file(path, &o, &p, &error);
                if (r == 0) {
                        _cleanup_free_ char *shown = NULL;

                        accepted++;
                        CHECK(p != sentinel && p);
                        /* Whatever parses must also print. */
                        CHECK(policy_format(p, &shown) == 0);
                        policy_free(p);
                        continue;
                }
                refused++;
                if (!CHECK(p == sentinel) | !CHECK(error.code > POLICY_ERROR_NONE && error.code < _POLICY_ERROR_MAX) |
                    !CHECK(strncmp(error.text, path, strlen(path)) == 0) | !CHECK(error.message[0] != '\0'))
                        fprintf(stderr, "  %s mutation %u: r=%d %s\n", name, i, r, error.text);
        }
        printf("%s: %u damaged versions accepted, %u refused\n", name, accepted, refused);
        test_rm_rf(dir);
}

int main(int argc, char **argv) {
        _cleanup_free_ char *good = NULL;
        struct dirent **names;
        unsigned files = 0;
        int n;

        REQUIRE(argc == 2);
        good = test_path(argv[1], "good");
        n = scandir(good, &names, NULL, alphasort);
        REQUIRE(n >= 0);
        for (int i = 0; i < n; i++) {
                size_t len = strlen(names[i]->d_name);

                if (len > 5 && strcmp(names[i]->d_name + len - 5, ".conf") == 0) {
                        _cleanup_free_ char *path = test_path(good, names[i]->d_name), *text = NULL;
                        size_t size = 0;
                        FILE *f = fopen(path, "re");

                        REQUIRE(f);
                        if (getdelim(&text, &size, '\0', f) < 0) {
                                free(text);
                                text = NULL;
                        }
                        fclose(f);
                        if (text && *text) {
                                mutate_file(names[i]->d_name, text, strlen(text));
                                files++;
                        }
                }
                free(names[i]);
        }
        free(names);
        CHECK(files >= 2);
        return test_exit("test-policy-mutations");
}
