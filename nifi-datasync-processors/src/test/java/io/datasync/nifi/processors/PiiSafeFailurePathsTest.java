package io.datasync.nifi.processors;

import io.datasync.nifi.webhook.TestSignatures;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.Serializer;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.lookup.LookupService;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.provenance.ProvenanceEventRecord;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.util.LogMessage;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives the failure paths of CustomerDedup, ProfileMerge, VerifyWebhookSignature and ConsentFilter
 * with records holding marker values, where every dependency that fails (reader, writer, cache,
 * lookup) quotes the value in its exception message as real ones do, and checks that no marker
 * reaches an attribute, a log message (with its arguments and exception chain: what becomes a
 * bulletin) or a provenance event.
 */
class PiiSafeFailurePathsTest {

    private static final String EMAIL_MARKER = "zq7marker.person@example.org";
    private static final String VALUE_MARKER = "ZQ7MARKERVALUE";
    private static final String ID_MARKER = "zq7markerkey";
    private static final List<String> MARKERS = List.of("zq7marker", "ZQ7MARKER");

    /** A writer that fails on the first record, quoting it, as a strict writer's coercion error does. */
    static final class QuotingFailingWriter extends JsonRecordSetWriter {
        @Override
        public RecordSetWriter createWriter(final ComponentLog logger, final RecordSchema schema, final OutputStream out,
                                           final Map<String, String> variables) throws SchemaNotFoundException, IOException {
            final RecordSetWriter real = super.createWriter(logger, schema, out, variables);
            return (RecordSetWriter) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RecordSetWriter.class}, (proxy, method, args) -> {
                if (method.getName().equals("write") && args != null && args.length == 1 && args[0] instanceof Record record) {
                    throw new IOException("Cannot write value " + record.toMap() + " with the schema");
                }
                try {
                    return method.invoke(real, args);
                } catch (final InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        }
    }

    /** A cache whose errors quote what it was asked for. */
    static final class QuotingFailingCache extends InMemoryMapCacheClient {
        @Override
        public <K, V> V getAndPutIfAbsent(final K key, final V value, final Serializer<K> keySerializer, final Serializer<V> valueSerializer,
                                          final Deserializer<V> valueDeserializer) throws IOException {
            throw new IOException("Connection reset while storing " + key + " for " + EMAIL_MARKER);
        }

        @Override
        public <K, V> Map<K, V> subMap(final Set<K> keys, final Serializer<K> keySerializer, final Deserializer<V> valueDeserializer) throws IOException {
            throw new IOException("Connection reset while reading for " + EMAIL_MARKER);
        }

        @Override
        public <K, V> V get(final K key, final Serializer<K> keySerializer, final Deserializer<V> valueDeserializer) throws IOException {
            throw new IOException("Connection reset while reading for " + EMAIL_MARKER);
        }
    }

    /** A profile store whose error quotes the key, as DatabaseRecordLookupService's does. */
    static final class QuotingFailingLookup extends AbstractControllerService implements LookupService<Record> {
        @Override
        public Optional<Record> lookup(final Map<String, Object> coordinates) throws LookupFailureException {
            throw new LookupFailureException("Error executing SQL statement for value " + coordinates.get("key"));
        }

        @Override
        public Class<?> getValueType() {
            return Record.class;
        }

        @Override
        public Set<String> getRequiredKeys() {
            return Set.of("key");
        }
    }

    private static final String GOOD_RECORDS = "[{\"customer_id\":\"" + ID_MARKER + "\",\"source\":\"crm\",\"updated_at\":\"2024-05-01T10:00:00Z\","
            + "\"email\":\"" + EMAIL_MARKER + "\",\"name\":\"" + VALUE_MARKER + "\",\"lifetime_value\":10.5,\"consent\":\"granted\","
            + "\"consent_at\":\"2024-05-01T10:00:00Z\"},"
            + "{\"customer_id\":\"" + ID_MARKER + "\",\"source\":\"web\",\"updated_at\":\"2024-05-02T10:00:00Z\",\"email\":\"" + EMAIL_MARKER + "\","
            + "\"name\":\"x\",\"lifetime_value\":\"" + VALUE_MARKER + "\",\"consent\":\"granted\",\"consent_at\":\"2024-05-01T10:00:00Z\"}]";
    // Unparseable JSON whose bad token is the marker: Jackson quotes it in its message.
    private static final String UNREADABLE = "[{\"email\":\"" + EMAIL_MARKER + "\",\"name\": " + VALUE_MARKER + "}]";
    private static final String BAD_TIMESTAMP = "[{\"customer_id\":\"" + ID_MARKER + "\",\"source\":\"crm\",\"updated_at\":\"" + VALUE_MARKER + "\"}]";

    private static void assertNoMarker(final TestRunner runner, final String path) {
        final List<String> seen = new ArrayList<>();
        for (final Relationship relationship : runner.getProcessor().getRelationships()) {
            for (final MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
                flowFile.getAttributes().forEach((name, value) -> {
                    // The input's own attributes (HTTP headers) are the sender's, not something the processor wrote.
                    if (!name.startsWith("http.headers.")) {
                        seen.add(relationship.getName() + " attribute " + name + "=" + value);
                    }
                });
            }
        }
        final List<LogMessage> messages = new ArrayList<>();
        messages.addAll(runner.getLogger().getErrorMessages());
        messages.addAll(runner.getLogger().getWarnMessages());
        messages.addAll(runner.getLogger().getInfoMessages());
        messages.addAll(runner.getLogger().getDebugMessages());
        for (final LogMessage message : messages) {
            seen.add("log " + message.getMsg() + " " + Arrays.deepToString(message.getArgs()));
            if (message.getThrowable() != null) {
                final StringWriter trace = new StringWriter();
                message.getThrowable().printStackTrace(new PrintWriter(trace));
                seen.add("log exception " + trace);
            }
        }
        for (final ProvenanceEventRecord event : runner.getProvenanceEvents()) {
            seen.add("provenance " + event.getDetails() + " " + event.getUpdatedAttributes());
        }
        assertFalse(seen.isEmpty(), path + ": nothing observed");
        for (final String text : seen) {
            for (final String marker : MARKERS) {
                assertFalse(text.contains(marker), path + ": a marker value reached " + text);
            }
        }
    }

    private static void assertFailedTo(final TestRunner runner, final Relationship relationship, final String path) {
        assertTrue(runner.getFlowFilesForRelationship(relationship).size() == 1, path + " should route to " + relationship.getName()
                + " but transferred " + runner.getFlowFilesForRelationship(relationship).size());
    }

    private static TestRunner dedup() throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(CustomerDedup.class);
        JsonRecordServices.configure(runner, CustomerDedup.RECORD_READER.getName(), CustomerDedup.RECORD_WRITER.getName());
        runner.setProperty("email", "/email");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/email");
        return runner;
    }

    private static void useService(final TestRunner runner, final String id, final org.apache.nifi.controller.ControllerService service,
                                   final PropertyDescriptor property) throws Exception {
        runner.addControllerService(id, service);
        runner.enableControllerService(service);
        runner.setProperty(property, id);
    }

    @Test
    void customerDedupFailurePaths() throws Exception {
        TestRunner runner = dedup();
        runner.enqueue(UNREADABLE);
        runner.run();
        assertFailedTo(runner, CustomerDedup.REL_FAILURE, "dedup unreadable");
        assertNoMarker(runner, "dedup unreadable");

        runner = dedup();
        useService(runner, "writer", new QuotingFailingWriter(), CustomerDedup.RECORD_WRITER);
        runner.enqueue(GOOD_RECORDS);
        runner.run();
        assertFailedTo(runner, CustomerDedup.REL_FAILURE, "dedup writer");
        assertNoMarker(runner, "dedup writer");

        runner = dedup();
        useService(runner, "cache", new QuotingFailingCache(), CustomerDedup.MAP_CACHE_CLIENT);
        runner.enqueue(GOOD_RECORDS);
        runner.run();
        assertFailedTo(runner, CustomerDedup.REL_FAILURE, "dedup cache");
        assertNoMarker(runner, "dedup cache");
    }

    private static TestRunner merge() throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(runner, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        runner.setProperty(ProfileMerge.CUSTOMER_KEY_PATH, "/customer_id");
        runner.setProperty("lifetime_value", "max");
        return runner;
    }

    @Test
    void profileMergeFailurePaths() throws Exception {
        TestRunner runner = merge();
        runner.enqueue(UNREADABLE);
        runner.run();
        assertFailedTo(runner, ProfileMerge.REL_FAILURE, "merge unreadable");
        assertNoMarker(runner, "merge unreadable");

        runner = merge();
        runner.enqueue(BAD_TIMESTAMP);
        runner.run();
        assertFailedTo(runner, ProfileMerge.REL_FAILURE, "merge bad timestamp");
        assertNoMarker(runner, "merge bad timestamp");

        runner = merge();
        runner.setProperty(ProfileMerge.WRONG_TYPE_VALUES, ProfileMerge.WrongTypeHandling.FAIL.getValue());
        runner.enqueue(GOOD_RECORDS);
        runner.run();
        assertFailedTo(runner, ProfileMerge.REL_FAILURE, "merge wrong type");
        assertNoMarker(runner, "merge wrong type");

        runner = merge();
        useService(runner, "lookup", new QuotingFailingLookup(), ProfileMerge.LOOKUP_SERVICE);
        runner.enqueue(GOOD_RECORDS);
        runner.run();
        assertFailedTo(runner, ProfileMerge.REL_RETRY, "merge lookup");
        assertNoMarker(runner, "merge lookup");

        runner = merge();
        useService(runner, "writer", new QuotingFailingWriter(), ProfileMerge.RECORD_WRITER);
        runner.enqueue(GOOD_RECORDS);
        runner.run();
        assertFailedTo(runner, ProfileMerge.REL_FAILURE, "merge writer");
        assertNoMarker(runner, "merge writer");
    }

    private static TestRunner consent() throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(ConsentFilter.class);
        JsonRecordServices.configure(runner, ConsentFilter.RECORD_READER.getName(), ConsentFilter.RECORD_WRITER.getName());
        runner.setProperty(ConsentFilter.PURPOSES, "email_marketing");
        runner.setProperty(ConsentFilter.CONSENT_STATUS_PATH, "/consent");
        runner.setProperty(ConsentFilter.CONSENT_TIMESTAMP_PATH, "/consent_at");
        return runner;
    }

    @Test
    void consentFilterFailurePaths() throws Exception {
        TestRunner runner = consent();
        runner.enqueue(UNREADABLE);
        runner.run();
        assertFailedTo(runner, ConsentFilter.REL_FAILURE, "consent unreadable");
        assertNoMarker(runner, "consent unreadable");

        runner = consent();
        final InMemoryConsentLookupService store = new InMemoryConsentLookupService();
        store.setFailing(true);
        useService(runner, "store", store, ConsentFilter.LOOKUP_SERVICE);
        runner.setProperty(ConsentFilter.SUBJECT_KEY_PATH, "/email");
        runner.enqueue(GOOD_RECORDS);
        runner.run();
        assertFailedTo(runner, ConsentFilter.REL_RETRY, "consent lookup");
        assertNoMarker(runner, "consent lookup");

        runner = consent();
        useService(runner, "writer", new QuotingFailingWriter(), ConsentFilter.RECORD_WRITER);
        runner.enqueue(GOOD_RECORDS);
        runner.run();
        assertFailedTo(runner, ConsentFilter.REL_FAILURE, "consent writer");
        assertNoMarker(runner, "consent writer");
    }

    @Test
    void verifyWebhookSignatureFailurePaths() throws Exception {
        final String secret = "shpss_marker_test";
        final String body = "{\"id\":1,\"email\":\"" + EMAIL_MARKER + "\",\"updated_at\":\"2024-05-01T10:00:00Z\",\"note\":\"" + VALUE_MARKER + "\"}";

        TestRunner runner = TestRunners.newTestRunner(VerifyWebhookSignature.class);
        runner.setProperty(VerifyWebhookSignature.SECRET, secret);
        runner.enqueue(body.getBytes(StandardCharsets.UTF_8), Map.of("http.headers.X-Shopify-Hmac-Sha256", TestSignatures.shopify("other", body)));
        runner.run();
        assertFailedTo(runner, VerifyWebhookSignature.REL_INVALID, "webhook forged");
        assertNoMarker(runner, "webhook forged");

        runner = TestRunners.newTestRunner(VerifyWebhookSignature.class);
        runner.setProperty(VerifyWebhookSignature.SECRET, secret);
        useService(runner, "cache", new QuotingFailingCache(), VerifyWebhookSignature.DISTRIBUTED_MAP_CACHE);
        runner.enqueue(body.getBytes(StandardCharsets.UTF_8), Map.of("http.headers.X-Shopify-Hmac-Sha256", TestSignatures.shopify(secret, body),
                "http.headers.X-Shopify-Webhook-Id", "w-1"));
        runner.run();
        assertFailedTo(runner, VerifyWebhookSignature.REL_FAILURE, "webhook cache");
        assertNoMarker(runner, "webhook cache");
    }
}
