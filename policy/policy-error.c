/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Load errors: the stable name of each code (for JSON errors and the test
 * corpora) and the one function that fills a PolicyError as "file:line:
 * message".
 */
#include <stdarg.h>
#include <stdio.h>

#include "policy-internal.h"
#include "utf8.h"

static const char *const error_code_names[_POLICY_ERROR_MAX] = {
        [POLICY_ERROR_NONE] = "none",
        [POLICY_ERROR_IO] = "io",
        [POLICY_ERROR_NOT_REGULAR] = "not-regular",
        [POLICY_ERROR_NOT_OWNER] = "not-owner",
        [POLICY_ERROR_WRITABLE] = "writable",
        [POLICY_ERROR_FILE_TOO_BIG] = "file-too-big",
        [POLICY_ERROR_TOO_MANY_FILES] = "too-many-files",
        [POLICY_ERROR_LINE_TOO_LONG] = "line-too-long",
        [POLICY_ERROR_CONTROL_CHAR] = "control-char",
        [POLICY_ERROR_SECTION_SYNTAX] = "section-syntax",
        [POLICY_ERROR_UNKNOWN_SECTION] = "unknown-section",
        [POLICY_ERROR_SECTION_NEEDS_NAME] = "section-needs-name",
        [POLICY_ERROR_SECTION_TAKES_NO_NAME] = "section-takes-no-name",
        [POLICY_ERROR_BAD_RULE_NAME] = "bad-rule-name",
        [POLICY_ERROR_KEY_OUTSIDE_SECTION] = "key-outside-section",
        [POLICY_ERROR_ASSIGNMENT_SYNTAX] = "assignment-syntax",
        [POLICY_ERROR_UNKNOWN_KEY] = "unknown-key",
        [POLICY_ERROR_EMPTY_VALUE] = "empty-value",
        [POLICY_ERROR_DUPLICATE_KEY] = "duplicate-key",
        [POLICY_ERROR_TOO_MANY_SECTIONS] = "too-many-sections",
        [POLICY_ERROR_TOO_MANY_ENTRIES] = "too-many-entries",
        [POLICY_ERROR_EMPTY_ENTRY] = "empty-entry",
        [POLICY_ERROR_DUPLICATE_ENTRY] = "duplicate-entry",
        [POLICY_ERROR_BAD_BOOLEAN] = "bad-boolean",
        [POLICY_ERROR_BAD_NUMBER] = "bad-number",
        [POLICY_ERROR_BAD_ID_LIST] = "bad-id-list",
        [POLICY_ERROR_BAD_APQN] = "bad-apqn",
        [POLICY_ERROR_BAD_MODE] = "bad-mode",
        [POLICY_ERROR_BAD_GENERATION] = "bad-generation",
        [POLICY_ERROR_BAD_OPERATION] = "bad-operation",
        [POLICY_ERROR_BAD_USER] = "bad-user",
        [POLICY_ERROR_UNKNOWN_USER] = "unknown-user",
        [POLICY_ERROR_BAD_GROUP] = "bad-group",
        [POLICY_ERROR_UNKNOWN_GROUP] = "unknown-group",
        [POLICY_ERROR_BAD_PATTERN] = "bad-pattern",
        [POLICY_ERROR_BAD_UNLISTED] = "bad-unlisted",
        [POLICY_ERROR_DUPLICATE_SECTION] = "duplicate-section",
        [POLICY_ERROR_ACCESS_NEEDS_ALLOW] = "access-needs-allow",
        [POLICY_ERROR_ACCESS_NEEDS_PEERS] = "access-needs-peers",
        [POLICY_ERROR_ACCESS_NEEDS_GUESTS] = "access-needs-guests",
        [POLICY_ERROR_ACCESS_GUESTS_UNUSED] = "access-guests-unused",
        [POLICY_ERROR_GUEST_RULE_EMPTY] = "guest-rule-empty",
        [POLICY_ERROR_HOST_EMPTY] = "host-empty",
        [POLICY_ERROR_RESERVED_CONFLICT] = "reserved-conflict",
        [POLICY_ERROR_DUPLICATE_RESERVATION] = "duplicate-reservation",
};

_public_ const char *policy_error_code_to_string(PolicyErrorCode code) {
        if ((unsigned) code >= _POLICY_ERROR_MAX)
                return NULL;
        return error_code_names[code];
}

int policy_error_set(PolicyError *error, int err, const char *file, unsigned line, PolicyErrorCode code,
                     const char *format, ...) {
        va_list ap;

        if (!error)
                return err;

        *error = (PolicyError) { .code = code, .line = line };
        utf8_snprintf(error->file, sizeof(error->file), "%s", file ?: "");

        va_start(ap, format);
        utf8_vsnprintf(error->message, sizeof(error->message), format, ap);
        va_end(ap);

        if (file && line > 0)
                utf8_snprintf(error->text, sizeof(error->text), "%s:%u: %s", file, line, error->message);
        else if (file)
                utf8_snprintf(error->text, sizeof(error->text), "%s: %s", file, error->message);
        else
                utf8_snprintf(error->text, sizeof(error->text), "%s", error->message);
        return err;
}
