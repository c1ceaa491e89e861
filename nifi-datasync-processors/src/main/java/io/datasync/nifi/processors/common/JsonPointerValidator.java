package io.datasync.nifi.processors.common;

import com.fasterxml.jackson.core.JsonPointer;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;

/** Validates a JSON Pointer (RFC 6901) property, as Jackson will compile it at run time. */
public enum JsonPointerValidator implements Validator {
    /** The empty pointer (the whole document) or one that starts with '/': where records or values may be the body itself. */
    WHOLE_DOCUMENT_ALLOWED(true, "not a JSON Pointer (RFC 6901): it must be empty or start with '/'"),
    /** A pointer to a value inside the document, such as /id or /data/object/id. */
    INSIDE_DOCUMENT(false, "not a JSON Pointer to a value (such as /id or /data/object/id): it must start with '/'");

    private final boolean wholeDocumentAllowed;
    private final String explanation;

    JsonPointerValidator(final boolean wholeDocumentAllowed, final String explanation) {
        this.wholeDocumentAllowed = wholeDocumentAllowed;
        this.explanation = explanation;
    }

    @Override
    public ValidationResult validate(final String subject, final String input, final ValidationContext context) {
        final ValidationResult.Builder result = new ValidationResult.Builder().subject(subject).input(input);
        if (input == null || !(input.startsWith("/") || wholeDocumentAllowed && input.isEmpty())) {
            return result.valid(false).explanation(explanation).build();
        }
        // Jackson compiles any other '~' as a literal one: the pointer would then name a field nobody meant.
        final int badEscape = invalidEscape(input);
        if (badEscape >= 0) {
            return result.valid(false).explanation("not a JSON Pointer (RFC 6901): the '~' at position " + (badEscape + 1)
                    + " must be followed by 0 (for '~') or 1 (for '/'); no other escape exists").build();
        }
        try {
            JsonPointer.compile(input);
        } catch (final IllegalArgumentException e) {
            return result.valid(false).explanation(explanation).build();
        }
        return result.valid(true).build();
    }

    /** The index of the first '~' not followed by '0' or '1', or -1 when every escape is one of RFC 6901's two. */
    private static int invalidEscape(final String pointer) {
        for (int i = pointer.indexOf('~'); i >= 0; i = pointer.indexOf('~', i + 2)) {
            if (i + 1 == pointer.length() || pointer.charAt(i + 1) != '0' && pointer.charAt(i + 1) != '1') {
                return i;
            }
        }
        return -1;
    }
}
