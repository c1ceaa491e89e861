package io.datasync.nifi.processors.common;

import io.datasync.nifi.common.PathListSplitter;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.record.path.exception.RecordPathException;

import java.util.List;

/**
 * Validates a comma-separated list of RecordPaths, split as the processors split it at run time
 * ({@link PathListSplitter}: at top-level commas only, so {@code concat(/first, /last)} stays one path): at least
 * one path, and every path compiles.
 */
public final class RecordPathListValidator implements Validator {

    private final String emptyExplanation;

    /** @param emptyExplanation what the user is told when the list holds no path */
    public RecordPathListValidator(final String emptyExplanation) {
        this.emptyExplanation = emptyExplanation;
    }

    @Override
    public ValidationResult validate(final String subject, final String input, final ValidationContext context) {
        final List<String> paths = PathListSplitter.split(input);
        if (paths.isEmpty()) {
            return new ValidationResult.Builder().subject(subject).input(input).valid(false).explanation(emptyExplanation).build();
        }
        for (final String path : paths) {
            try {
                RecordPath.compile(path);
            } catch (final RecordPathException e) {
                return new ValidationResult.Builder().subject(subject).input(input).valid(false)
                        .explanation("'" + path + "' is not a valid RecordPath: " + e.getMessage()).build();
            }
        }
        return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
    }
}
