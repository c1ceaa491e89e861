package io.datasync.nifi.processors;

import io.datasync.nifi.common.BatchedKeyReader;
import io.datasync.nifi.common.SqlIdentifiers;
import io.datasync.nifi.consent.EvidenceReader;
import io.datasync.nifi.consent.TcfPurposeMapping;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors;
import io.datasync.nifi.processors.consentfilter.ConsentFilterRun;
import io.datasync.nifi.processors.consentfilter.ConsentFilterSettings;
import io.datasync.nifi.processors.common.ConsentValueLists;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.SupportsBatching;
import org.apache.nifi.annotation.behavior.SystemResource;
import org.apache.nifi.annotation.behavior.SystemResourceConsideration;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.documentation.UseCase;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.migration.PropertyConfiguration;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Set;

@Tags({"consent", "gdpr", "ccpa", "privacy", "record", "filter", "anonymize", "tcf", "gpc", "suppression", "audit"})
@CapabilityDescription("Decides for every subject (all its records in a FlowFile get one decision) whether it may be used for the configured "
        + "purposes, from consent held in the records, in a consent store (a Record Lookup Service, one lookup per subject, or a database table "
        + "or view read through a Database Connection Pooling Service, one query per batch of subjects), and in consent signals carried "
        + "by the records (IAB TCF v2.2 TC string, IAB US Privacy string, Global Privacy Control). The newest grant or denial wins; pending or "
        + "unknown values never hide one; on equal timestamps, and against undated denials, the denial wins. Missing consent is handled by a jurisdiction policy and fails closed by default. Allowed records go to 'success'; "
        + "the others are routed to 'excluded', dropped, or anonymised and routed to 'anonymized', each with a reason code. Optionally one small "
        + "record per withdrawn or denied subject goes to 'suppression', and one audit record (subject key, reason code, purpose) per "
        + "disallowed record to 'exclusions'. A FlowFile is either fully split into its outputs or routed whole to "
        + "'failure' or 'retry'.")
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@WritesAttributes({
    @WritesAttribute(attribute = ConsentFilter.ATTR_RECORD_COUNT, description = "The number of records in the outgoing FlowFile."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_MIME_TYPE, description = "The MIME type given by the Record Writer."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_ALLOWED_COUNT, description = "Records of the incoming FlowFile that were allowed (written to every output)."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_EXCLUDED_COUNT, description = "Records of the incoming FlowFile routed to 'excluded'."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_ANONYMIZED_COUNT, description = "Records of the incoming FlowFile anonymised and routed to 'anonymized'."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_DROPPED_COUNT, description = "Records of the incoming FlowFile that were not written anywhere (Drop action)."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_SUPPRESSION_COUNT, description = "Suppression records written for the incoming FlowFile."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_EXCLUSION_COUNT, description = "Exclusion audit records written for the incoming FlowFile."),
    @WritesAttribute(attribute = ConsentFilter.ATTR_ERROR, description = "On 'failure' or 'retry': why the FlowFile could not be processed. Never holds record content.")
})
@SeeAlso(classNames = {"org.apache.nifi.lookup.db.DatabaseRecordLookupService", "org.apache.nifi.processors.standard.LookupRecord",
    "org.apache.nifi.processors.standard.PutDatabaseRecord"})
@UseCase(
        description = "Send only customers who opted in (GDPR) to email marketing, reading consent from a PostgreSQL consent table.",
        keywords = {"gdpr", "opt-in", "consent", "email marketing"},
        configuration = """
                Add a DBCPConnectionPool for the database and a DatabaseRecordLookupService with "Table Name" = consent,
                "Lookup Key Column" = subject_key and "Cache Size" = 0 (consent must be read fresh).
                Set "Purposes" to email_marketing.
                Set "Subject Key Record Path" to toLowerCase(trim(/email)) and "Consent Lookup Service" to the lookup service.
                Leave "Default Policy" at "Require Consent" and "Disallowed Record Action" at "Route to excluded".
                Connect 'success' to the campaign load, 'retry' back to ConsentFilter, and 'excluded' and 'failure' to review or auto-terminate.
                """)
@UseCase(
        description = "Honour CCPA opt-outs and Global Privacy Control for US customers while keeping other records, anonymised, for analytics.",
        keywords = {"ccpa", "opt-out", "gpc", "anonymize", "hmac"},
        configuration = """
                Set "Purposes" to email_marketing, "Jurisdiction Record Path" to /state_code, "Opt-Out Jurisdictions" to US-CA, US-CO, US-CT, US-VA.
                Set "GPC Record Path" to /gpc and "US Privacy Record Path" to /us_privacy.
                Set "Disallowed Record Action" to "Anonymize", "Anonymized Fields" to /email, /phone, "Anonymization Method" to "HMAC-SHA256"
                and "Hash Key" to a secret of at least 32 random characters (a sensitive parameter).
                Set "Write Suppression Records" to true and send 'suppression' to the suppression-list table.
                """)
// Batching is safe: the consent store is only read, and everything written (outputs, counts) is in the session.
@SupportsBatching
@SystemResourceConsideration(resource = SystemResource.MEMORY, description = "Holds, for the FlowFile being processed, the consent "
        + "evidence and the decision of every distinct subject in it (and, with a database store, the stored row of each subject), "
        + "so memory grows with the number of distinct subjects per FlowFile, per concurrent task. When a first pass over the FlowFile "
        + "is needed (a subject key with a database store, a jurisdiction or consent in the records), a FlowFile of at most Records Held "
        + "in Memory records whose estimated parsed size fits in an eighth of the heap keeps its parsed records between the two passes; "
        + "larger FlowFiles are streamed twice.")
public class ConsentFilter extends ConsentFilterDescriptors {

    private volatile ConsentFilterSettings settings;
    private volatile Set<Relationship> relationships = RELATIONSHIPS;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTY_DESCRIPTORS;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return relationships;
    }

    @Override
    public void onPropertyModified(final PropertyDescriptor descriptor, final String oldValue, final String newValue) {
        if (WRITE_EXCLUSIONS.equals(descriptor)) {
            relationships = Boolean.parseBoolean(newValue) ? RELATIONSHIPS_WITH_EXCLUSIONS : RELATIONSHIPS;
        }
    }

    @Override
    public void migrateProperties(final PropertyConfiguration config) {
        // every record of a subject now gets the subject's one decision, which includes what this switched on
        config.removeProperty(OBSOLETE_SHARE_RESTRICTIONS);
    }

    @Override
    protected Collection<ValidationResult> customValidate(final ValidationContext context) {
        final List<ValidationResult> results = new ArrayList<>();
        ConsentValueLists.validate(context).ifPresent(results::add);
        final boolean hasSubjectKey = context.getProperty(SUBJECT_KEY_PATH).isSet();
        final boolean database = context.getProperty(CONSENT_STORE_TYPE).asAllowableValue(ConsentStoreType.class) == ConsentStoreType.DATABASE;
        if (!database && context.getProperty(LOOKUP_SERVICE).isSet() && !hasSubjectKey) {
            results.add(new ValidationResult.Builder().subject(SUBJECT_KEY_PATH.getName()).valid(false)
                    .explanation("the Consent Lookup Service is queried with the subject key, so the Subject Key Record Path is required").build());
        }
        if (database) {
            if (!hasSubjectKey) {
                results.add(new ValidationResult.Builder().subject(SUBJECT_KEY_PATH.getName()).valid(false)
                        .explanation("the consent table is queried with the subject keys, so the Subject Key Record Path is required").build());
            }
            // the store fields name columns here, so they must be identifiers as well
            for (final PropertyDescriptor column : List.of(STORE_STATUS_FIELD, STORE_TIMESTAMP_FIELD, STORE_PURPOSES_FIELD)) {
                final String problem = SqlIdentifiers.checkColumn(context.getProperty(column).getValue());
                if (problem != null) {
                    results.add(new ValidationResult.Builder().subject(column.getName()).valid(false)
                            .explanation("with the Database store type it names a column, which " + problem).build());
                }
            }
        }
        if (context.getProperty(TC_STRING_PATH).isSet() && context.getProperty(TCF_PURPOSE_MAPPING).isSet() && context.getProperty(PURPOSES).isSet()) {
            try {
                final TcfPurposeMapping mapping = TcfPurposeMapping.parse(context.getProperty(TCF_PURPOSE_MAPPING).getValue());
                final boolean coversAPurpose = Arrays.stream(context.getProperty(PURPOSES).getValue().split(",")).map(String::trim).anyMatch(mapping::covers);
                if (!coversAPurpose) {
                    results.add(new ValidationResult.Builder().subject(TCF_PURPOSE_MAPPING.getName()).valid(false)
                            .explanation("maps none of the configured Purposes, so the TC string would never count").build());
                }
            } catch (final IllegalArgumentException e) {
                // reported by the property's own validator
            }
        }
        for (final PropertyDescriptor keyedOutput : List.of(WRITE_SUPPRESSION, WRITE_EXCLUSIONS)) {
            if (context.getProperty(keyedOutput).asBoolean() && !hasSubjectKey) {
                results.add(new ValidationResult.Builder().subject(SUBJECT_KEY_PATH.getName()).valid(false)
                        .explanation("the records of " + keyedOutput.getName() + " carry the subject key, so the Subject Key Record Path "
                                + "is required").build());
            }
        }
        return results;
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        settings = ConsentFilterSettings.from(context);
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) {
        FlowFile original = session.get();
        if (original == null) {
            return;
        }
        final ConsentFilterRun run = new ConsentFilterRun(settings, session, original, getLogger());
        try {
            run.process();
        } catch (final ConsentFilterRun.ConsentLookupFailure e) {
            run.discardOutputs();
            // the lookup service's message can quote the key (an email), so only the type is reported
            getLogger().warn("Consent lookup failed for {} ({}); routing to retry", original, e.causeType());
            original = session.putAttribute(original, ATTR_ERROR, "Consent lookup failed: " + e.causeType());
            original = session.penalize(original);
            session.transfer(original, REL_RETRY);
            return;
        } catch (final BatchedKeyReader.AmbiguousKeyException e) {
            run.discardOutputs();
            getLogger().error("Cannot apply consent to {}: {}; routing to failure", original, e.getMessage());
            original = session.putAttribute(original, ATTR_ERROR, e.getMessage());
            original = session.penalize(original);
            session.transfer(original, REL_FAILURE);
            return;
        } catch (final EvidenceReader.MalformedSignalException e) {
            run.discardOutputs();
            getLogger().error("Cannot apply consent to {}: {}; routing to failure", original, e.getMessage());
            original = session.putAttribute(original, ATTR_ERROR, e.getMessage() + " (Malformed Signal Handling is Route to failure)");
            original = session.penalize(original);
            session.transfer(original, REL_FAILURE);
            return;
        } catch (final IOException | MalformedRecordException | SchemaNotFoundException | RuntimeException e) {
            run.discardOutputs();
            // reader and writer messages can quote record content, so only the type is reported
            final String errorType = PiiSafeErrors.describe(e);
            getLogger().error("Cannot apply consent to {} ({}); routing to failure", original, errorType, PiiSafeErrors.redacted(e));
            original = session.putAttribute(original, ATTR_ERROR, "Records could not be read or written: " + errorType);
            original = session.penalize(original);
            session.transfer(original, REL_FAILURE);
            return;
        }
        run.complete();
    }
}
