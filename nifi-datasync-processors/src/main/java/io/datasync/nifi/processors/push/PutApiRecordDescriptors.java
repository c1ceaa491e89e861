package io.datasync.nifi.processors.push;

import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.JsonPointerValidator;
import io.datasync.nifi.processors.http.AbstractHttpApiProcessor;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.Validator;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;

import java.util.List;
import java.util.Set;

/**
 * What {@link io.datasync.nifi.processors.PutApiRecord} offers in the UI: the attributes it writes, its counters, property descriptors, their
 * allowable values and its relationships; the HTTP properties it shares with IncrementalApiFetch come from
 * {@link AbstractHttpApiProcessor}.
 */
public abstract class PutApiRecordDescriptors extends AbstractHttpApiProcessor {

    public static final String RECORD_COUNT = "record.count";
    public static final String MIME_TYPE = "mime.type";
    public static final String STATUS_CODE = "putapi.status.code";
    public static final String REASON = "putapi.reason";
    public static final String ERROR_CODE = "putapi.error.code";
    public static final String BATCHES = "putapi.batches";

    protected static final String HEADER_PREFIX = "header.";

    public static final String COUNTER_BATCHES = "PutApiRecord batches sent";
    public static final String COUNTER_ACCEPTED = "PutApiRecord records accepted";
    public static final String COUNTER_REJECTED = "PutApiRecord records rejected";
    public static final String COUNTER_RETRY = "PutApiRecord records to retry";
    public static final String COUNTER_RATE_LIMIT_WAITS = "PutApiRecord rate-limit waits";

    static final Validator RETRYABLE_CODES_VALIDATOR = StandardValidators.NON_BLANK_VALIDATOR;

    public static final PropertyDescriptor RECORD_READER = new PropertyDescriptor.Builder()
            .name("Record Reader")
            .description("Reads the records to send.")
            .identifiesControllerService(RecordReaderFactory.class)
            .required(true)
            .build();

    public static final PropertyDescriptor RECORD_WRITER = new PropertyDescriptor.Builder()
            .name("Record Writer")
            .description("Writes the records of 'success', 'failure' and 'retry' as they were read.")
            .identifiesControllerService(RecordSetWriterFactory.class)
            .required(true)
            .build();

    public static final PropertyDescriptor ENDPOINT_URL = new PropertyDescriptor.Builder()
            .name("Endpoint URL")
            .description("URL the batches are sent to (the bulk endpoint). Redirects are followed only within its origin and Allowed Origins.")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.URL_VALIDATOR)
            .build();

    public static final PropertyDescriptor HTTP_METHOD = new PropertyDescriptor.Builder()
            .name("HTTP Method")
            .description("Method of the batch requests.")
            .required(true)
            .allowableValues(PushMethod.class)
            .defaultValue(PushMethod.POST)
            .build();

    public static final PropertyDescriptor REQUEST_BODY_TEMPLATE = new PropertyDescriptor.Builder()
            .name("Request Body Template")
            .description("JSON body of a batch request. {{records}} is replaced by the JSON array of the batch's records, {{keys}} by the "
                    + "JSON array of their item keys (for endpoints that take a list of addresses), {{count}} by their number and "
                    + "{{idempotencyKey}} by the batch's key (as a JSON string); write them without quotes.")
            .required(true)
            .defaultValue("{{records}}")
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor BATCH_SIZE = new PropertyDescriptor.Builder()
            .name("Batch Size")
            .description("Most records in one request. Batches are consecutive records of one FlowFile, so the same FlowFile always gives the "
                    + "same batches and the same idempotency keys.")
            .required(true)
            .defaultValue("100")
            .addValidator(StandardValidators.createLongValidator(1, 100_000, true))
            .build();

    public static final PropertyDescriptor IDEMPOTENCY_KEY_HEADER = new PropertyDescriptor.Builder()
            .name("Idempotency Key Header")
            .description("Header that carries each batch's idempotency key: the SHA-256 (hex) of the method, the URL and the batch's records "
                    + "in canonical JSON. Leave empty for APIs that do not honour such a header (their upserts must then be idempotent themselves).")
            .required(false)
            .defaultValue("Idempotency-Key")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor ERRORS_POINTER = new PropertyDescriptor.Builder()
            .name("Errors Pointer")
            .description("JSON Pointer to the array of per-item errors in a 2xx response. Leave empty for an all-or-nothing endpoint, where a "
                    + "2xx accepts the whole batch. When set, a response without that array, with an error that names no item or an item not "
                    + "in the batch, accepts no record of the batch (see the usage documentation).")
            .required(false)
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .build();

    public static final PropertyDescriptor ITEM_KEY_POINTER = new PropertyDescriptor.Builder()
            .name("Item Key Pointer")
            .description("JSON Pointer, within a record as sent, to the key the API names items by (e.g. /email_address): matched with the "
                    + "keys in the errors, and sent as {{keys}}. When the Errors Pointer is set or the template uses {{keys}}, a record without "
                    + "a key there is not sent; it goes to 'failure'.")
            .required(true)
            .defaultValue("/email")
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .build();

    public static final PropertyDescriptor ERROR_ITEM_KEY_POINTER = new PropertyDescriptor.Builder()
            .name("Error Item Key Pointer")
            .description("JSON Pointer, within one error, to the key of the item it concerns.")
            .required(true)
            .defaultValue("/email")
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .dependsOn(ERRORS_POINTER)
            .build();

    public static final PropertyDescriptor ERROR_REASON_POINTER = new PropertyDescriptor.Builder()
            .name("Error Reason Pointer")
            .description("JSON Pointer, within one error, to its message; written to putapi.reason.")
            .required(false)
            .defaultValue("/error")
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .dependsOn(ERRORS_POINTER)
            .build();

    public static final PropertyDescriptor ERROR_CODE_POINTER = new PropertyDescriptor.Builder()
            .name("Error Code Pointer")
            .description("JSON Pointer, within one error, to its code; written to putapi.error.code and compared with Retryable Error Codes.")
            .required(false)
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .dependsOn(ERRORS_POINTER)
            .build();

    public static final PropertyDescriptor RETRYABLE_ERROR_CODES = new PropertyDescriptor.Builder()
            .name("Retryable Error Codes")
            .description("Comma-separated error codes that mean the item may succeed later (e.g. a lock or a temporary limit); such items go to "
                    + "'retry', all other rejected items to 'failure'.")
            .required(false)
            .addValidator(RETRYABLE_CODES_VALIDATOR)
            .dependsOn(ERRORS_POINTER)
            .build();

    public static final PropertyDescriptor KEY_MATCHING = new PropertyDescriptor.Builder()
            .name("Key Matching")
            .description("How the keys named in errors are matched to the records' keys (both trimmed).")
            .required(true)
            .allowableValues(KeyMatching.class)
            .defaultValue(KeyMatching.IGNORE_CASE)
            .dependsOn(ERRORS_POINTER)
            .build();

    public static final PropertyDescriptor ALLOWED_ORIGINS = new PropertyDescriptor.Builder()
            .name("Allowed Origins")
            .description("Origins besides the Endpoint URL's own that redirects may lead to, comma-separated. Credentials and the records go "
                    + "to them too. A redirect anywhere else is refused: nothing is sent there and the batch goes to 'failure'.")
            .required(false)
            .addValidator(ALLOWED_ORIGINS_VALIDATOR)
            .build();

    public static final PropertyDescriptor MAX_RESPONSE_SIZE = new PropertyDescriptor.Builder()
            .name("Maximum Response Size")
            .description("Largest response body read; a larger one is cut off and the batch goes to 'retry'.")
            .required(true)
            .defaultValue("8 MB")
            .addValidator(StandardValidators.createDataSizeBoundsValidator(1, 1L << 30))
            .build();

    public static final PropertyDescriptor MAX_RATE_LIMIT_WAIT = new PropertyDescriptor.Builder()
            .name("Maximum Rate Limit Wait")
            .description("Longest wait honoured within a trigger when a 429 or 503 asks to retry later (Retry-After, RateLimit-Reset, "
                    + "X-RateLimit-Reset). When asked to wait longer, the batch and the rest of the FlowFile go to 'retry' (penalized) and the "
                    + "processor yields.")
            .required(true)
            .defaultValue("60 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor MAX_RETRIES = new PropertyDescriptor.Builder()
            .name("Maximum Retries")
            .description("Retries of a batch within a trigger after 5xx, 408, timeouts or broken connections, each with the same idempotency "
                    + "key; then the batch and the rest of the FlowFile go to 'retry'.")
            .required(true)
            .defaultValue("3")
            .addValidator(StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR)
            .build();

    public static final Relationship REL_SUCCESS = new Relationship.Builder()
            .name("success")
            .description("Records the API accepted.")
            .build();

    public static final Relationship REL_FAILURE = new Relationship.Builder()
            .name("failure")
            .description("Records the API rejected (one FlowFile per reason, in putapi.reason), records without an item key, and batches the "
                    + "API refused as a whole (4xx) or answered with a response that does not say which records it accepted.")
            .build();

    public static final Relationship REL_RETRY = new Relationship.Builder()
            .name("retry")
            .description("Records that may succeed when sent again: items with a retryable error code, and batches that met 5xx, timeouts, "
                    + "rate limits, 401/403/404/409 or a cut-off response, together with the FlowFile's batches not sent after them. Penalized.")
            .build();

    protected static final List<PropertyDescriptor> PROPERTY_DESCRIPTORS = List.of(
            RECORD_READER, RECORD_WRITER, ENDPOINT_URL, HTTP_METHOD, REQUEST_BODY_TEMPLATE, BATCH_SIZE, IDEMPOTENCY_KEY_HEADER,
            ITEM_KEY_POINTER, ERRORS_POINTER, ERROR_ITEM_KEY_POINTER, ERROR_REASON_POINTER, ERROR_CODE_POINTER, RETRYABLE_ERROR_CODES,
            KEY_MATCHING,
            AUTHENTICATION_STRATEGY, API_KEY_NAME, API_KEY, USERNAME, PASSWORD, BEARER_TOKEN, OAUTH2_ACCESS_TOKEN_PROVIDER,
            ALLOWED_ORIGINS, MAX_RESPONSE_SIZE, SSL_CONTEXT_SERVICE, PROXY_CONFIGURATION_SERVICE, CONNECT_TIMEOUT, READ_TIMEOUT,
            REQUEST_RATE_LIMIT, MAX_RATE_LIMIT_WAIT, MAX_RETRIES, INITIAL_RETRY_BACKOFF, MAX_RETRY_BACKOFF);

    protected static final Set<Relationship> RELATIONSHIPS = Set.of(REL_SUCCESS, REL_FAILURE, REL_RETRY);

    public enum PushMethod implements DescribedEnum {
        POST("POST", "Most bulk endpoints (Mailchimp batch subscribe, Klaviyo bulk jobs, suppression lists)."),
        PUT("PUT", "Upsert endpoints that take PUT (SendGrid marketing contacts)."),
        PATCH("PATCH", "Partial-update endpoints.");

        private final Described described;

        PushMethod(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum KeyMatching implements DescribedEnum {
        IGNORE_CASE("Ignore Case", "Keys match regardless of case, as e-mail addresses do at ESPs."),
        EXACT("Exact", "Keys match only with the same case (ids).");

        private final Described described;

        KeyMatching(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }
}
