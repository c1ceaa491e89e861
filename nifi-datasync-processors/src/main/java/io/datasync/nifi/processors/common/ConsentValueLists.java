package io.datasync.nifi.processors.common;

import io.datasync.nifi.consent.ConsentVocabulary;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.processor.util.StandardValidators;

import java.util.Optional;

/**
 * The consent value lists, the same properties on ConsentFilter and ProfileMerge, so that both read a status value
 * the same way: set them alike on both.
 */
public final class ConsentValueLists {

    public static final PropertyDescriptor GRANT_VALUES = new PropertyDescriptor.Builder()
            .name("Grant Values")
            .description("Comma-separated consent status values that grant consent. Compared case-insensitively, with spaces, hyphens and "
                    + "underscores alike (opted-in = opted in = OPTED_IN). A value on no list is unrecognised: no decision, and reported.")
            .required(true)
            .defaultValue(String.join(", ", ConsentVocabulary.DEFAULT_GRANTS))
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor DENIAL_VALUES = new PropertyDescriptor.Builder()
            .name("Denial Values")
            .description("Comma-separated consent status values that deny consent (reason DENIED), including deliverability states that mean "
                    + "the address must not be mailed (cleaned, bounced, held, complained).")
            .required(true)
            .defaultValue(String.join(", ", ConsentVocabulary.DEFAULT_DENIALS))
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor WITHDRAWAL_VALUES = new PropertyDescriptor.Builder()
            .name("Withdrawal Values")
            .description("Comma-separated consent status values that withdraw consent given before (reason WITHDRAWN). A denial like the others.")
            .required(true)
            .defaultValue(String.join(", ", ConsentVocabulary.DEFAULT_WITHDRAWALS))
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor NO_DECISION_VALUES = new PropertyDescriptor.Builder()
            .name("No-Decision Values")
            .description("Comma-separated consent status values that state no decision (pending double opt-in, unknown). They never outrank a "
                    + "grant or a denial, whatever their date; listing them keeps them from being reported as unrecognised.")
            .required(true)
            .defaultValue(String.join(", ", ConsentVocabulary.DEFAULT_NO_DECISIONS))
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    private ConsentValueLists() {
    }

    /**
     * @throws IllegalArgumentException when a value is on two lists
     */
    public static ConsentVocabulary vocabulary(final PropertyContext context) {
        return new ConsentVocabulary(ConsentVocabulary.parseList(context.getProperty(GRANT_VALUES).getValue()),
                ConsentVocabulary.parseList(context.getProperty(DENIAL_VALUES).getValue()),
                ConsentVocabulary.parseList(context.getProperty(WITHDRAWAL_VALUES).getValue()),
                ConsentVocabulary.parseList(context.getProperty(NO_DECISION_VALUES).getValue()));
    }

    /** The validation failure of lists that share a value, if they do. */
    public static Optional<ValidationResult> validate(final PropertyContext context) {
        try {
            vocabulary(context);
            return Optional.empty();
        } catch (final IllegalArgumentException e) {
            return Optional.of(new ValidationResult.Builder().subject(GRANT_VALUES.getName()).valid(false).explanation(e.getMessage()).build());
        }
    }
}
