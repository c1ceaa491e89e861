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
        boolean valid = input != null && (input.startsWith("/") || wholeDocumentAllowed && input.isEmpty());
        if (valid) {
            try {
                JsonPointer.compile(input);
            } catch (final IllegalArgumentException e) {
                valid = false;
            }
        }
        return new ValidationResult.Builder().subject(subject).input(input).valid(valid).explanation(valid ? null : explanation).build();
    }
}
