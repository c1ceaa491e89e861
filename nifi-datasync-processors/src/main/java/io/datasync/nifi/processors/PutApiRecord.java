package io.datasync.nifi.processors;

import io.datasync.nifi.fetch.PageFetcher;
import io.datasync.nifi.processors.common.PiiSafeErrors;
import io.datasync.nifi.processors.common.RecordJson;
import io.datasync.nifi.processors.push.PutApiRecordDescriptors;
import io.datasync.nifi.processors.push.PutApiRecordSettings;
import io.datasync.nifi.push.Batches;
import io.datasync.nifi.push.IdempotencyKey;
import io.datasync.nifi.push.ItemResults;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.nifi.annotation.behavior.DynamicProperty;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.SupportsSensitiveDynamicProperties;
import org.apache.nifi.annotation.behavior.SystemResource;
import org.apache.nifi.annotation.behavior.SystemResourceConsideration;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.documentation.UseCase;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

@Tags({"http", "rest", "api", "put", "push", "bulk", "batch", "record", "esp", "email", "idempotent", "json"})
@CapabilityDescription("Sends the records of a FlowFile to a REST endpoint in batches (a bulk upsert or a suppression list of an email "
        + "service provider, a CRM import). Each batch is one JSON request built from the Request Body Template, with an idempotency key "
        + "derived from the batch's content, so a batch sent again after a retry or a NiFi restart is recognised by the API and applied "
        + "once. Reads the per-item results of the response: records the API rejected go to 'failure' with its reason, records that may "
        + "succeed later to 'retry', the rest to 'success'. A response that does not say which records were accepted never lets a record "
        + "pass as accepted. Shares IncrementalApiFetch's HTTP core: authentication strategies, same-origin redirects, request budget, "
        + "429/Retry-After and RateLimit headers, retries with backoff, timeouts and a response size limit.")
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@SupportsSensitiveDynamicProperties
@DynamicProperty(name = "header.<header name>", value = "header value", description = "Adds the HTTP header <header name> to every request "
        + "(e.g. header.revision for Klaviyo's API revision).", expressionLanguageScope = ExpressionLanguageScope.ENVIRONMENT)
// Not @SupportsBatching: the batches reach the API before the session commits, and framework batching would widen the
// window in which a crash makes NiFi send them again. The content-derived idempotency keys make such a re-send harmless for
// APIs that honour them; the project's rule is still to batch only where no external write precedes the commit.
@WritesAttributes({
        @WritesAttribute(attribute = PutApiRecord.RECORD_COUNT, description = "Number of records in the FlowFile"),
        @WritesAttribute(attribute = PutApiRecord.MIME_TYPE, description = "The Record Writer's MIME type"),
        @WritesAttribute(attribute = PutApiRecord.STATUS_CODE, description = "HTTP status of the last response for the FlowFile's records, "
                + "absent when none was sent"),
        @WritesAttribute(attribute = PutApiRecord.REASON, description = "On 'failure' and 'retry': why; the API's own reason for items it rejected"),
        @WritesAttribute(attribute = PutApiRecord.ERROR_CODE, description = "On 'failure' and 'retry': the API's error code for the items, when it gives one"),
        @WritesAttribute(attribute = PutApiRecord.BATCHES, description = "Number of requests that carried the FlowFile's records")
})
@SeeAlso(classNames = {"io.datasync.nifi.processors.IncrementalApiFetch", "io.datasync.nifi.processors.ConsentFilter",
        "org.apache.nifi.processors.standard.InvokeHTTP"})
@UseCase(
        description = "Upsert audience members into a Mailchimp-style list: batches of up to 500 members with per-member errors.",
        keywords = {"mailchimp", "audience", "members", "batch subscribe"},
        configuration = """
                Set "Endpoint URL" to https://<dc>.api.mailchimp.com/3.0/lists/<list id> and "HTTP Method" to POST.
                Set "Request Body Template" to {"members": {{records}}, "update_existing": true} and "Batch Size" to 500.
                Set "Item Key Pointer" to /email_address, "Errors Pointer" to /errors, "Error Item Key Pointer" to /email_address, \
                "Error Reason Pointer" to /error and "Error Code Pointer" to /error_code; keep "Key Matching" at "Ignore Case".
                Set "Authentication Strategy" to "HTTP Basic" with any user name and the API key as password (a sensitive parameter).
                Connect 'success' onward, 'retry' back to PutApiRecord and 'failure' to review.
                """
)
@UseCase(
        description = "Add unsubscribed addresses to SendGrid's global suppression list, which takes a list of addresses.",
        keywords = {"suppression", "unsubscribe", "sendgrid"},
        configuration = """
                Set "Endpoint URL" to https://api.sendgrid.com/v3/asm/suppressions/global and "Request Body Template" to \
                {"recipient_emails": {{keys}}}, with "Item Key Pointer" set to the address field of the records (e.g. /email).
                Clear "Errors Pointer": the endpoint answers all-or-nothing, so a 2xx accepts the whole batch.
                Set "Authentication Strategy" to "Bearer Token" with the API key as token (a sensitive parameter).
                """
)
@SystemResourceConsideration(resource = SystemResource.MEMORY, description = "Holds the records of one FlowFile (and their JSON form) "
        + "while its batches are sent, and one response (at most Maximum Response Size): memory grows with the records per FlowFile, not "
        + "with the Batch Size. Split large FlowFiles upstream, e.g. with QueryDatabaseTableRecord's Max Rows Per Flow File.")
public class PutApiRecord extends PutApiRecordDescriptors {


    private static final ObjectMapper MAPPER = new ObjectMapper();


    /** How the processor waits for backoffs and rate limits; tests record the waits instead of sleeping. */
    volatile PageFetcher.Sleeper sleeper = Thread::sleep;

    /** The time Retry-After dates are measured against. */
    volatile Clock clock = Clock.systemUTC();

    private volatile PutApiRecordSettings settings;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTY_DESCRIPTORS;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return RELATIONSHIPS;
    }

    @Override
    protected PropertyDescriptor getSupportedDynamicPropertyDescriptor(final String propertyDescriptorName) {
        final PropertyDescriptor.Builder builder = new PropertyDescriptor.Builder()
                .name(propertyDescriptorName)
                .required(false)
                .dynamic(true)
                .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT);
        if (propertyDescriptorName.startsWith(HEADER_PREFIX) && propertyDescriptorName.length() > HEADER_PREFIX.length()) {
            builder.addValidator(StandardValidators.NON_EMPTY_VALIDATOR);
        } else {
            builder.addValidator((subject, input, context) -> new ValidationResult.Builder().subject(subject).input(input).valid(false)
                    .explanation("dynamic property names must start with '" + HEADER_PREFIX + "' (a request header)").build());
        }
        return builder.build();
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        settings = PutApiRecordSettings.from(context, getLogger(), sleeper, clock);
    }

    @OnStopped
    public void onStopped() {
        final PutApiRecordSettings current = settings;
        settings = null;
        if (current != null) {
            current.httpClient.shutdownNow();
        }
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        final FlowFile original = session.get();
        if (original == null) {
            return;
        }
        final PutApiRecordSettings config = settings;
        final List<Record> records = new ArrayList<>();
        final RecordSchema[] schema = new RecordSchema[1];
        try (InputStream in = session.read(original);
             RecordReader reader = config.readerFactory.createRecordReader(original, in, getLogger())) {
            schema[0] = reader.getSchema();
            Record record;
            while ((record = reader.nextRecord()) != null) {
                records.add(record);
            }
        } catch (final Exception e) {
            getLogger().error("Cannot read the records of {} ({}); routing to failure", original, PiiSafeErrors.describe(e), PiiSafeErrors.redacted(e));
            session.transfer(session.putAttribute(original, REASON, "records could not be read: " + PiiSafeErrors.describe(e)), REL_FAILURE);
            return;
        }

        final Outputs outputs = new Outputs();
        final List<ObjectNode> json = new ArrayList<>(records.size());
        final List<Integer> sendable = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            final ObjectNode node = RecordJson.toJson(records.get(i));
            json.add(node);
            if (config.keysRequired && config.itemKey(node) == null) {
                outputs.add(Target.failure("the record has no item key at " + config.itemKeyPointer, null), records.get(i), false);
            } else {
                sendable.add(i);
            }
        }

        boolean stopped = false;
        String stopReason = null;
        int lastStatus = 0;
        int batches = 0;
        long sendMillis = 0;
        final LoggingListener listener = new LoggingListener(config.shownUrl);
        for (final int[] range : Batches.ranges(sendable.size(), config.batchSize)) {
            final List<Integer> batch = sendable.subList(range[0], range[1]);
            if (stopped) {
                for (final int index : batch) {
                    outputs.add(Target.retry("not sent: " + stopReason, null), records.get(index), false);
                }
                continue;
            }
            final List<JsonNode> batchJson = new ArrayList<>(batch.size());
            for (final int index : batch) {
                batchJson.add(json.get(index));
            }
            final String key = IdempotencyKey.of(config.method.name(), config.endpointUrl, batchJson);
            final PageFetcher.PageRequest request = config.request(batchJson, key);
            final PageFetcher.Outcome outcome;
            try {
                outcome = config.fetcher.fetch(request, config.authorizer, listener);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProcessException("Interrupted while sending a batch; the FlowFile stays queued");
            } catch (final ProcessException e) {
                // Token providers report a failure to obtain a token this way.
                getLogger().error("No credentials for {} ({}); the records of {} go to retry", config.shownUrl, config.redactor.scrub(PiiSafeErrors.describe(e)), original);
                stopped = true;
                stopReason = "no credentials";
                for (final int index : batch) {
                    outputs.add(Target.retry(stopReason, null), records.get(index), false);
                }
                continue;
            }
            batches++;
            session.adjustCounter(COUNTER_BATCHES, 1, false);
            final BatchOutcome routed = route(outcome, batch, json, config);
            lastStatus = routed.status();
            sendMillis += routed.millis();
            for (int i = 0; i < batch.size(); i++) {
                outputs.add(routed.targets().get(i), records.get(batch.get(i)), routed.sent());
            }
            if (routed.stopReason() != null) {
                stopped = true;
                stopReason = routed.stopReason();
                getLogger().warn("Sending to {} stopped at batch {} of {}: {}; the batch and the rest go to retry",
                        config.shownUrl, batches, original, config.redactor.scrub(stopReason));
            }
        }
        if (listener.rateLimitWaits > 0) {
            session.adjustCounter(COUNTER_RATE_LIMIT_WAITS, listener.rateLimitWaits, false);
        }

        try {
            outputs.write(session, original, schema[0], config, lastStatus, batches, sendMillis);
        } catch (final Exception e) {
            throw new ProcessException("Cannot write the results of " + original + ": " + PiiSafeErrors.describe(e), PiiSafeErrors.redacted(e));
        }
        session.remove(original);
        if (stopped) {
            context.yield();
        }
    }

    /** Where a record goes, and why. */
    record Target(Relationship relationship, String reason, String code) {
        static final Target SUCCESS = new Target(REL_SUCCESS, null, null);

        static Target failure(final String reason, final String code) {
            return new Target(REL_FAILURE, reason, code);
        }

        static Target retry(final String reason, final String code) {
            return new Target(REL_RETRY, reason, code);
        }
    }

    /**
     * @param targets one per record of the batch
     * @param sent whether the API received the batch (for the provenance SEND event)
     * @param stopReason set when the remaining batches must not be sent now
     */
    private record BatchOutcome(List<Target> targets, boolean sent, int status, long millis, String stopReason) {
    }

    private BatchOutcome route(final PageFetcher.Outcome outcome, final List<Integer> batch, final List<ObjectNode> json, final PutApiRecordSettings config) {
        final int size = batch.size();
        switch (outcome) {
            case PageFetcher.RateLimited limited -> {
                final String reason = "rate limited (HTTP " + limited.status() + "), asked to wait " + limited.requestedWait().toSeconds() + " s";
                return new BatchOutcome(same(Target.retry(reason, null), size), false, limited.status(), 0, reason);
            }
            case PageFetcher.Refused refused -> {
                getLogger().error("A batch to {} was redirected elsewhere and not followed: {}. Nothing was sent there. If that origin is trusted "
                        + "with the credentials and records, add it to Allowed Origins.", config.shownUrl, config.redactor.scrub(refused.reason()));
                return new BatchOutcome(same(Target.failure("redirect refused: " + config.redactor.scrub(refused.reason()), null), size),
                        false, 0, 0, null);
            }
            case PageFetcher.Failed failed -> {
                final int status = failed.status();
                final String reason = config.redactor.scrub(failed.reason());
                if (status == 0 || status >= 500 || status == 408 || status == 401 || status == 403 || status == 404 || status == 409) {
                    if (status == 401 || status == 403 || status == 404) {
                        getLogger().error("{} refused the batch ({}); check the Endpoint URL and the credentials. The records go to retry",
                                config.shownUrl, reason);
                    }
                    return new BatchOutcome(same(Target.retry(reason, null), size), status != 0, status, 0, reason);
                }
                return new BatchOutcome(same(Target.failure("the API refused the whole batch: " + reason, null), size), true, status, 0, null);
            }
            case PageFetcher.Success success -> {
                if (config.itemResults == null) {
                    return new BatchOutcome(same(Target.SUCCESS, size), true, success.status(), success.elapsedMillis(),
                            null);
                }
                final List<String> keys = new ArrayList<>(size);
                for (final int index : batch) {
                    keys.add(config.itemKey(json.get(index)));
                }
                final ItemResults.Result result = ItemResults.read(success.body(), keys, config.itemResults, MAPPER);
                if (result instanceof ItemResults.Unusable unusable) {
                    getLogger().error("The response of {} to a batch does not say which records were accepted: {}; the batch goes to {}",
                            config.shownUrl, unusable.reason(), unusable.retryable() ? "retry" : "failure");
                    final String reason = "response unusable: " + unusable.reason();
                    return new BatchOutcome(same(unusable.retryable() ? Target.retry(reason, null) : Target.failure(reason, null), size),
                            true, success.status(), success.elapsedMillis(), unusable.retryable() ? reason : null);
                }
                final List<Target> targets = new ArrayList<>(size);
                for (final ItemResults.Verdict verdict : ((ItemResults.PerItem) result).verdicts()) {
                    targets.add(switch (verdict.disposition()) {
                        case ACCEPTED -> Target.SUCCESS;
                        case REJECTED -> Target.failure(verdict.reason(), verdict.code());
                        case RETRY -> Target.retry(verdict.reason(), verdict.code());
                    });
                }
                return new BatchOutcome(targets, true, success.status(), success.elapsedMillis(), null);
            }
        }
    }

    private static List<Target> same(final Target target, final int size) {
        final List<Target> targets = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            targets.add(target);
        }
        return targets;
    }

    /** The records of one FlowFile grouped by where they go; written at the end of the trigger. */
    private final class Outputs {
        private final Map<Target, List<Record>> groups = new LinkedHashMap<>();
        private final Set<Target> sent = new LinkedHashSet<>();

        void add(final Target target, final Record record, final boolean wasSent) {
            groups.computeIfAbsent(target, t -> new ArrayList<>()).add(record);
            if (wasSent) {
                sent.add(target);
            }
        }

        void write(final ProcessSession session, final FlowFile original, final RecordSchema readSchema, final PutApiRecordSettings config,
                   final int lastStatus, final int batches, final long sendMillis) throws Exception {
            if (groups.isEmpty()) {
                // An empty FlowFile: nothing to send, nothing lost.
                FlowFile empty = session.create(original);
                empty = session.putAttribute(empty, RECORD_COUNT, "0");
                session.transfer(empty, REL_SUCCESS);
                return;
            }
            for (final Map.Entry<Target, List<Record>> group : groups.entrySet()) {
                final Target target = group.getKey();
                final List<Record> records = group.getValue();
                FlowFile child = session.create(original);
                final Map<String, String> attributes = new HashMap<>();
                final WriteResult[] result = new WriteResult[1];
                final String[] mimeType = new String[1];
                try (OutputStream out = session.write(child)) {
                    final RecordSchema writeSchema = config.writerFactory.getSchema(original.getAttributes(), readSchema);
                    try (RecordSetWriter writer = config.writerFactory.createWriter(getLogger(), writeSchema, out, original)) {
                        writer.beginRecordSet();
                        for (final Record record : records) {
                            writer.write(record);
                        }
                        result[0] = writer.finishRecordSet();
                        mimeType[0] = writer.getMimeType();
                    }
                }
                attributes.putAll(result[0].getAttributes());
                attributes.put(RECORD_COUNT, Integer.toString(result[0].getRecordCount()));
                attributes.put(MIME_TYPE, mimeType[0]);
                attributes.put(BATCHES, Integer.toString(batches));
                if (lastStatus != 0) {
                    attributes.put(STATUS_CODE, Integer.toString(lastStatus));
                }
                if (target.reason() != null) {
                    attributes.put(REASON, target.reason());
                }
                if (target.code() != null) {
                    attributes.put(ERROR_CODE, target.code());
                }
                child = session.putAllAttributes(child, attributes);
                if (sent.contains(target)) {
                    session.getProvenanceReporter().send(child, config.shownUrl, sendMillis);
                }
                if (target.relationship() == REL_SUCCESS) {
                    session.adjustCounter(COUNTER_ACCEPTED, records.size(), false);
                } else if (target.relationship() == REL_FAILURE) {
                    session.adjustCounter(COUNTER_REJECTED, records.size(), false);
                } else {
                    session.adjustCounter(COUNTER_RETRY, records.size(), false);
                    child = session.penalize(child);
                }
                session.transfer(child, target.relationship());
            }
        }
    }

    /** Counts rate-limit waits and logs retries without record data. */
    private final class LoggingListener implements PageFetcher.Listener {
        private final String shownUrl;
        private int rateLimitWaits;

        LoggingListener(final String shownUrl) {
            this.shownUrl = shownUrl;
        }

        @Override
        public void retrying(final String reason, final int attempt, final Duration delay) {
            getLogger().warn("Batch to {} failed ({}); retry {} with the same idempotency key in {} ms", shownUrl, reason, attempt, delay.toMillis());
        }

        @Override
        public void rateLimited(final int status, final Duration wait) {
            rateLimitWaits++;
            getLogger().info("Rate limited by {} (HTTP {}); waiting {} ms", shownUrl, status, wait.toMillis());
        }

        @Override
        public void refreshingCredentials() {
            getLogger().info("Credentials refused by {}; asking the token provider again", shownUrl);
        }
    }
}
