package io.datasync.nifi.processors.common;

import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.PhoneNormalizer;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import java.util.List;

/**
 * What CustomerDedup and AuditProfileStore share about linking customers: the normaliser properties AuditProfileStore
 * derives its own from (with {@code fromPropertyDescriptor}), so that both link the same emails and phones, and the
 * schema of the merge records both write. CustomerDedup inherits them through {@code CustomerDedupDescriptors}, so
 * {@code CustomerDedup.PHONE_ACCEPTANCE} and {@code CustomerDedup.PhoneAcceptance} still name them.
 */
public abstract class IdentityMatchingDescriptors extends AbstractProcessor {

    public static final String MERGE_OLD_ID_FIELD = "old_customer_id";
    public static final String MERGE_SURVIVING_ID_FIELD = "surviving_customer_id";
    public static final String MERGE_REASON_FIELD = "reason";
    public static final RecordSchema MERGE_SCHEMA = new SimpleRecordSchema(List.of(
            new RecordField(MERGE_OLD_ID_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(MERGE_SURVIVING_ID_FIELD, RecordFieldType.STRING.getDataType(), false),
            new RecordField(MERGE_REASON_FIELD, RecordFieldType.STRING.getDataType(), true)));

    public enum PhoneAcceptance implements DescribedEnum {
        POSSIBLE("Possible Numbers", "Numbers of a length some number of their country has link, even when libphonenumber's metadata "
                + "does not list their range as assigned (new ranges, stale metadata)."),
        VALID("Valid Numbers", "Only numbers in a range libphonenumber's metadata lists as assigned link.");

        private final Described described;

        PhoneAcceptance(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public static final PropertyDescriptor EMAIL_RECORD_PATHS = new PropertyDescriptor.Builder()
            .name("Email Record Paths")
            .description("Comma-separated RecordPaths, written exactly as in the match rules, whose values are e-mail addresses: "
                    + "trimmed and lower-cased before matching.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    public static final PropertyDescriptor GMAIL_RULES = new PropertyDescriptor.Builder()
            .name("Apply Gmail Address Rules")
            .description("Whether gmail.com and googlemail.com addresses lose the dots of the local part and any +tag, "
                    + "as Gmail delivers them to the same mailbox.")
            .allowableValues("true", "false")
            .defaultValue("true")
            .required(true)
            .dependsOn(EMAIL_RECORD_PATHS)
            .build();

    public static final PropertyDescriptor PHONE_RECORD_PATHS = new PropertyDescriptor.Builder()
            .name("Phone Record Paths")
            .description("Comma-separated RecordPaths, written exactly as in the match rules, whose values are phone numbers: "
                    + "converted to E.164 with libphonenumber; which numbers may link is set by Phone Number Acceptance.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .required(false)
            .build();

    public static final PropertyDescriptor DEFAULT_PHONE_REGION = new PropertyDescriptor.Builder()
            .name("Default Phone Region")
            .description("Two-letter region code (ISO 3166-1) used for phone numbers written without a country code, such as GB, DE, US, FR.")
            .addValidator(new PhoneRegionValidator())
            .defaultValue("US")
            .required(true)
            .dependsOn(PHONE_RECORD_PATHS)
            .build();

    public static final PropertyDescriptor PHONE_ACCEPTANCE = new PropertyDescriptor.Builder()
            .name("Phone Number Acceptance")
            .description("Which phone numbers may link records. Measured on generated multinational data (see the additional details), "
                    + "Possible Numbers links numbers that Valid Numbers leaves unlinked, without merging different people.")
            .allowableValues(PhoneAcceptance.class)
            .defaultValue(PhoneAcceptance.POSSIBLE)
            .required(true)
            .dependsOn(PHONE_RECORD_PATHS)
            .build();

    public static final PropertyDescriptor BLOCKED_VALUES = new PropertyDescriptor.Builder()
            .name("Blocked Values")
            .description("Comma-separated placeholder values that never link records, compared case-insensitively with both the raw "
                    + "and the normalised value. An entry with * matches any run of characters (noreply@*, *@mailinator.com); "
                    + BlockedValues.REPEATED_DIGITS + " blocks numbers whose digits (after a prefix of up to 3) are one digit repeated, "
                    + BlockedValues.SEQUENTIAL_DIGITS + " those that are one ascending or descending run. Empty values never link. "
                    + "The default covers common placeholders; setting the property replaces it.")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .defaultValue(String.join(",", BlockedValues.DEFAULTS))
            .required(false)
            .build();

    public static final PropertyDescriptor MAX_CLUSTER_SIZE = new PropertyDescriptor.Builder()
            .name("Maximum Cluster Size")
            .description("A key shared by more records than this within one FlowFile is treated as suspicious (a placeholder, a "
                    + "shared office number) and links nothing; the records carrying it are flagged in the Suspect Flag Field. With a "
                    + "Distributed Map Cache Client the cache also counts, per key, how many other keys have joined a customer through "
                    + "it across FlowFiles and nodes; a key whose count exceeds this links nothing more either.")
            .addValidator(StandardValidators.createLongValidator(2, Integer.MAX_VALUE, true))
            .defaultValue("50")
            .required(true)
            .build();

    private static final class PhoneRegionValidator implements Validator {
        @Override
        public ValidationResult validate(final String subject, final String input, final ValidationContext context) {
            final boolean valid = PhoneNormalizer.isSupportedRegion(input);
            return new ValidationResult.Builder().subject(subject).input(input).valid(valid)
                    .explanation(valid ? null : "not a region code known to libphonenumber (examples: GB, DE, US, FR)").build();
        }
    }
}
