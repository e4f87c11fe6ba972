/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ApMask set operations and the parsers and printers of every AP mask,
 * id, matrix and APQN text format (see ap-mask.h and
 * shared/docs/kernel-abi.md).
 */
#include <assert.h>
#include <errno.h>

#include "ap-mask.h"

void ap_mask_clear_all(ApMask *m) {
        for (unsigned i = 0; i < 4; i++)
                m->word[i] = 0;
}

void ap_mask_set(ApMask *m, unsigned id) {
        assert(id <= AP_ID_MAX);
        m->word[id / 64] |= UINT64_C(1) << (id % 64);
}

void ap_mask_clear(ApMask *m, unsigned id) {
        assert(id <= AP_ID_MAX);
        m->word[id / 64] &= ~(UINT64_C(1) << (id % 64));
}

bool ap_mask_test(const ApMask *m, unsigned id) {
        assert(id <= AP_ID_MAX);
        return (m->word[id / 64] >> (id % 64)) & 1;
}
