package io.datasync.nifi.processors.push;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.datasync.nifi.fetch.OriginPolicy;
import io.datasync.nifi.fetch.PageFetcher;
import io.datasync.nifi.fetch.RequestTemplates;
import io.datasync.nifi.fetch.ResponseSizeLimit;
import io.datasync.nifi.fetch.UrlRedactor;
import io.datasync.nifi.processors.http.HttpApiClients;
import io.datasync.nifi.processors.push.PutApiRecordDescriptors.KeyMatching;
import io.datasync.nifi.processors.push.PutApiRecordDescriptors.PushMethod;
import io.datasync.nifi.push.ItemResults;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.processor.DataUnit;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.ALLOWED_ORIGINS;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.BATCH_SIZE;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.ENDPOINT_URL;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.ERRORS_POINTER;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.ERROR_CODE_POINTER;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.ERROR_ITEM_KEY_POINTER;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.ERROR_REASON_POINTER;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.HEADER_PREFIX;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.HTTP_METHOD;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.IDEMPOTENCY_KEY_HEADER;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.ITEM_KEY_POINTER;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.KEY_MATCHING;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.MAX_RATE_LIMIT_WAIT;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.MAX_RESPONSE_SIZE;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.MAX_RETRIES;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.RECORD_READER;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.RECORD_WRITER;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.REQUEST_BODY_TEMPLATE;
import static io.datasync.nifi.processors.push.PutApiRecordDescriptors.RETRYABLE_ERROR_CODES;

/** What a trigger of {@link io.datasync.nifi.processors.PutApiRecord} needs, built once per start. */
public final class PutApiRecordSettings {
    public final RecordReaderFactory readerFactory;
    public final RecordSetWriterFactory writerFactory;
    public final HttpClient httpClient;
    public final PageFetcher fetcher;
    public final PageFetcher.Authorizer authorizer;
    public final UrlRedactor redactor;
    public final String endpointUrl;
    public final String shownUrl;
    public final PushMethod method;
    final String bodyTemplate;
    public final int batchSize;
    final String idempotencyHeader;
    public final JsonPointer itemKeyPointer;
    public final boolean keysRequired;
    public final ItemResults.Settings itemResults;
    final Map<String, String> queryParameters = new LinkedHashMap<>();
    final Map<String, String> extraHeaders = new LinkedHashMap<>();

    /** Read once per schedule (@OnScheduled), as every processor of the bundle reads its settings. */
    public static PutApiRecordSettings from(final ProcessContext context, final ComponentLog logger, final PageFetcher.Sleeper sleeper,
                                            final Clock clock) {
        return new PutApiRecordSettings(context, logger, sleeper, clock);
    }

    private PutApiRecordSettings(final ProcessContext context, final ComponentLog logger, final PageFetcher.Sleeper sleeper,
             final Clock clock) {
        readerFactory = context.getProperty(RECORD_READER).asControllerService(RecordReaderFactory.class);
        writerFactory = context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        method = context.getProperty(HTTP_METHOD).asAllowableValue(PushMethod.class);
        bodyTemplate = context.getProperty(REQUEST_BODY_TEMPLATE).evaluateAttributeExpressions().getValue();
        batchSize = context.getProperty(BATCH_SIZE).asInteger();
        idempotencyHeader = context.getProperty(IDEMPOTENCY_KEY_HEADER).getValue();
        final String errorsPointer = context.getProperty(ERRORS_POINTER).getValue();
        itemKeyPointer = JsonPointer.compile(context.getProperty(ITEM_KEY_POINTER).getValue());
        keysRequired = errorsPointer != null || bodyTemplate.contains("{{keys}}");
        if (errorsPointer == null) {
            itemResults = null;
        } else {
            final String reasonPointer = context.getProperty(ERROR_REASON_POINTER).getValue();
            final String codePointer = context.getProperty(ERROR_CODE_POINTER).getValue();
            final String codes = context.getProperty(RETRYABLE_ERROR_CODES).getValue();
            final Set<String> retryable = new LinkedHashSet<>();
            if (codes != null) {
                Arrays.stream(codes.split(",")).map(String::trim).filter(code -> !code.isEmpty()).forEach(retryable::add);
            }
            itemResults = new ItemResults.Settings(JsonPointer.compile(errorsPointer),
                    JsonPointer.compile(context.getProperty(ERROR_ITEM_KEY_POINTER).getValue()),
                    reasonPointer == null ? null : JsonPointer.compile(reasonPointer),
                    codePointer == null ? null : JsonPointer.compile(codePointer),
                    Set.copyOf(retryable),
                    context.getProperty(KEY_MATCHING).asAllowableValue(KeyMatching.class) == KeyMatching.IGNORE_CASE);
        }

        final List<String> secrets = new ArrayList<>();
        final List<String> sensitiveNames = new ArrayList<>();
        for (final Map.Entry<PropertyDescriptor, String> property : context.getProperties().entrySet()) {
            final PropertyDescriptor descriptor = property.getKey();
            if (descriptor.isDynamic() && property.getValue() != null && descriptor.getName().startsWith(HEADER_PREFIX)) {
                final String value = context.getProperty(descriptor).evaluateAttributeExpressions().getValue();
                extraHeaders.put(descriptor.getName().substring(HEADER_PREFIX.length()), value);
                if (descriptor.isSensitive()) {
                    secrets.add(value);
                }
            }
        }
        final HttpApiClients.Authentication authentication = HttpApiClients.authentication(context);
        authorizer = authentication.authorizer();
        secrets.addAll(authentication.secrets());
        if (authentication.keyQueryName() != null) {
            sensitiveNames.add(authentication.keyQueryName());
            queryParameters.put(authentication.keyQueryName(), authentication.keyQueryValue());
        }
        endpointUrl = context.getProperty(ENDPOINT_URL).evaluateAttributeExpressions().getValue();
        redactor = new UrlRedactor(sensitiveNames, secrets);
        shownUrl = redactor.redact(endpointUrl);

        httpClient = HttpApiClients.httpClient(context, logger);
        final OriginPolicy originPolicy = new OriginPolicy(endpointUrl, OriginPolicy.parseAllowList(context.getProperty(ALLOWED_ORIGINS).getValue()));
        final ResponseSizeLimit sizeLimit = new ResponseSizeLimit(context.getProperty(MAX_RESPONSE_SIZE).asDataSize(DataUnit.B).longValue());
        fetcher = HttpApiClients.fetcher(context, httpClient, context.getProperty(MAX_RETRIES).asInteger(),
                HttpApiClients.period(context, MAX_RATE_LIMIT_WAIT), sizeLimit, originPolicy, sleeper, clock);
    }

    /** The record's item key, or null when it has none (absent, null, not a scalar or blank). */
    public String itemKey(final JsonNode record) {
        final String key = ItemResults.scalar(record.at(itemKeyPointer));
        return key == null || key.isBlank() ? null : key;
    }

    public PageFetcher.PageRequest request(final List<JsonNode> batch, final String key) {
        final ArrayNode array = JsonNodeFactory.instance.arrayNode();
        final ArrayNode keys = JsonNodeFactory.instance.arrayNode();
        for (final JsonNode record : batch) {
            array.add(record);
            keys.add(itemKey(record));
        }
        final Map<String, String> values = new HashMap<>();
        values.put("records", array.toString());
        values.put("keys", keys.toString());
        values.put("count", Integer.toString(batch.size()));
        values.put("idempotencyKey", RequestTemplates.jsonString(key));
        final String body = RequestTemplates.renderBody(bodyTemplate, values);
        final Map<String, String> headers = new LinkedHashMap<>();
        if (idempotencyHeader != null) {
            headers.put(idempotencyHeader, key);
        }
        headers.putAll(extraHeaders);
        final String url = queryParameters.isEmpty() ? endpointUrl : RequestTemplates.withParameters(endpointUrl, queryParameters);
        return new PageFetcher.PageRequest(URI.create(url), headers, body, method.name());
    }
}
