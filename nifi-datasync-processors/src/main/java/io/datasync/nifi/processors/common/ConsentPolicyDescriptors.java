package io.datasync.nifi.processors.common;

import io.datasync.nifi.consent.JurisdictionPolicy;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.util.StandardValidators;

/**
 * The consent-policy properties that ConsentFilter offers and AuditProfileStore derives its own from (with
 * {@code fromPropertyDescriptor}), so that both read the consent store and the purposes the same way. ConsentFilter
 * inherits them through {@code ConsentFilterChoices}, so {@code ConsentFilter.DEFAULT_POLICY} and
 * {@code ConsentFilter.DefaultPolicy} still name them.
 */
public abstract class ConsentPolicyDescriptors extends AbstractProcessor {

    public enum DefaultPolicy implements DescribedEnum {
        REQUIRE_CONSENT("Require Consent", "Outside the listed jurisdictions, and when the jurisdiction is unknown, a record needs a grant (fail closed)."),
        ALLOW_UNLESS_DENIED("Allow Unless Denied", "Outside the listed jurisdictions, and when the jurisdiction is unknown, a record is allowed unless "
                + "denied, withdrawn or opted out.");

        private final Described described;

        DefaultPolicy(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }

        public JurisdictionPolicy.Regime regime() {
            return this == REQUIRE_CONSENT ? JurisdictionPolicy.Regime.OPT_IN : JurisdictionPolicy.Regime.OPT_OUT;
        }
    }

    public static final PropertyDescriptor PURPOSES = new PropertyDescriptor.Builder()
            .name("Purposes")
            .description("Comma-separated purposes the output will be used for, e.g. email_marketing, personalisation. Every one must be allowed.")
            .required(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor STORE_STATUS_FIELD = new PropertyDescriptor.Builder()
            .name("Store Status Field")
            .description("Field of the looked-up record (column of the consent table, with the Database store type) holding the subject's overall "
                    + "consent status.")
            .required(true)
            .defaultValue("status")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor STORE_TIMESTAMP_FIELD = new PropertyDescriptor.Builder()
            .name("Store Timestamp Field")
            .description("Field of the looked-up record (column, with the Database store type) holding when its consent was last changed.")
            .required(true)
            .defaultValue("updated_at")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor STORE_PURPOSES_FIELD = new PropertyDescriptor.Builder()
            .name("Store Purposes Field")
            .description("Field of the looked-up record (column, with the Database store type) holding per-purpose consent: a JSON object or map keyed by purpose (values are statuses, or "
                    + "objects with their own status and timestamp fields), or a list of granted purposes. May be absent from the record.")
            .required(true)
            .defaultValue("purposes")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor DEFAULT_POLICY = new PropertyDescriptor.Builder()
            .name("Default Policy")
            .description("How missing consent is treated for jurisdictions on neither list, and when the jurisdiction is unknown.")
            .required(true)
            .allowableValues(DefaultPolicy.class)
            .defaultValue(DefaultPolicy.REQUIRE_CONSENT)
            .build();

    public static final PropertyDescriptor MAX_CONSENT_AGE = new PropertyDescriptor.Builder()
            .name("Maximum Consent Age")
            .description("A grant older than this (e.g. 730 days) counts as expired; an undated grant then counts as expired too. Empty: no limit.")
            .required(false)
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();
}
