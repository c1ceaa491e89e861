package io.datasync.nifi.merge;

import java.math.BigDecimal;
import java.util.Date;
import java.util.List;

/**
 * Keeps the values of the wrong type away from rules that order values ({@code max}, {@code min}):
 * when any candidate of a field is a number, the field is numeric, and only numbers and text that
 * reads as a decimal number (compared by its value) take part; when none is a number but one is a
 * date or timestamp, only dates and timestamps do. Without numbers or dates every value takes part.
 * The rest are the wrong type: they never win, and the caller counts them.
 */
final class TypedCandidates {

    private TypedCandidates() {
    }

    /**
     * @param candidates the field's candidates
     * @param accepted   receives the candidates of the field's type (numeric text as a number)
     * @return the number of candidates of the wrong type (null values are not counted)
     */
    static int filter(final List<Candidate> candidates, final List<Candidate> accepted) {
        boolean numeric = false;
        boolean temporal = false;
        for (final Candidate candidate : candidates) {
            numeric |= candidate.value() instanceof Number;
            temporal |= candidate.value() instanceof Date;
        }
        if (!numeric && !temporal) {
            accepted.addAll(candidates);
            return 0;
        }
        int wrongType = 0;
        for (final Candidate candidate : candidates) {
            final Object value = candidate.value();
            if (value == null) {
                continue;
            }
            if (numeric) {
                if (value instanceof Number) {
                    accepted.add(candidate);
                } else if (value instanceof String text && asDecimal(text) != null) {
                    accepted.add(new Candidate(asDecimal(text), candidate.timestamp(), candidate.origin()));
                } else {
                    wrongType++;
                }
            } else if (value instanceof Date) {
                accepted.add(candidate);
            } else {
                wrongType++;
            }
        }
        return wrongType;
    }

    private static BigDecimal asDecimal(final String text) {
        final String trimmed = text.trim();
        if (trimmed.isEmpty() || trimmed.length() > 100) {
            return null;
        }
        try {
            return new BigDecimal(trimmed);
        } catch (final NumberFormatException e) {
            return null;
        }
    }
}
