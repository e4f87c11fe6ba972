/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The words the policy format and the API share: operation names, card
 * mode names, and card generations from the AP bus's hwtype.
 */
#include <errno.h>

#include "policy-internal.h"

static const char *const operation_names[_POLICY_OPERATION_MAX] = {
        [POLICY_OPERATION_READ] = "read",
        [POLICY_OPERATION_GUEST_CHANGE] = "guest-change",
        [POLICY_OPERATION_HOST_CHANGE] = "host-change",
        [POLICY_OPERATION_POLICY_RELOAD] = "policy-reload",
};

_public_ const char *policy_operation_to_string(PolicyOperation op) {
        if ((unsigned) op >= _POLICY_OPERATION_MAX)
                return NULL;
        return operation_names[op];
}

_public_ int policy_operation_from_string(const char *s, PolicyOperation *ret) {
        for (unsigned i = 0; i < _POLICY_OPERATION_MAX; i++)
                if (streq(operation_names[i], s)) {
                        *ret = (PolicyOperation) i;
                        return 0;
                }
        return -EINVAL;
}

/* The sysfs MODE= uevent words. */
static const char *const card_mode_names[_POLICY_CARD_MODE_MAX] = {
        [POLICY_CARD_MODE_UNKNOWN] = "unknown",
        [POLICY_CARD_MODE_ACCEL] = "accel",
        [POLICY_CARD_MODE_CCA] = "cca",
        [POLICY_CARD_MODE_EP11] = "ep11",
};

_public_ const char *policy_card_mode_to_string(PolicyCardMode mode) {
        if ((unsigned) mode >= _POLICY_CARD_MODE_MAX)
                return NULL;
        return card_mode_names[mode];
}

/* "unknown" is what the caller reports, never what a rule may allow. */
_public_ int policy_card_mode_from_string(const char *s, PolicyCardMode *ret) {
        for (unsigned i = POLICY_CARD_MODE_UNKNOWN + 1; i < _POLICY_CARD_MODE_MAX; i++)
                if (streq(card_mode_names[i], s)) {
                        *ret = (PolicyCardMode) i;
                        return 0;
                }
        return -EINVAL;
}

/* hwtype 10 is CEX4 (kernel/include/ap_bus_api.h); each later generation adds one. */
#define HWTYPE_CEX4 10

_public_ unsigned policy_generation_from_hwtype(int hwtype) {
        int generation = hwtype - HWTYPE_CEX4 + (int) POLICY_GENERATION_MIN;

        if (generation < (int) POLICY_GENERATION_MIN || generation > (int) POLICY_GENERATION_MAX)
                return POLICY_GENERATION_UNKNOWN;
        return (unsigned) generation;
}
