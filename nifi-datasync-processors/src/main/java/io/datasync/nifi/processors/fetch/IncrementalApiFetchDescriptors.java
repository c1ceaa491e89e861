package io.datasync.nifi.processors.fetch;

import io.datasync.nifi.fetch.WatermarkFormat;
import io.datasync.nifi.processors.common.DescribedEnum.Described;
import io.datasync.nifi.processors.common.DescribedEnum;
import io.datasync.nifi.processors.common.JsonPointerValidator;
import io.datasync.nifi.processors.http.AbstractHttpApiProcessor;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.util.StandardValidators;

import java.util.List;
import java.util.Set;

/**
 * What {@link io.datasync.nifi.processors.IncrementalApiFetch} offers in the UI: its property descriptors, their allowable values and its
 * relationships. Kept apart from the processor so that the processor class reads as the wiring of NiFi to the
 * plain-Java classes of {@code io.datasync.nifi.fetch}; the HTTP properties it shares with PutApiRecord come from
 * {@link AbstractHttpApiProcessor}.
 */
public abstract class IncrementalApiFetchDescriptors extends AbstractHttpApiProcessor {

    /** Attributes written on the FlowFiles. */
    public static final String MIME_TYPE = "mime.type";
    public static final String RECORD_COUNT = "record.count";
    public static final String WATERMARK_MIN = "fetch.watermark.min";
    public static final String WATERMARK_MAX = "fetch.watermark.max";
    public static final String PAGE_NUMBER = "fetch.page.number";
    public static final String RUN_ID = "fetch.run.id";
    public static final String HTTP_STATUS = "http.status.code";
    public static final String SOURCE_URL = "fetch.source.url";

    static final String QUERY_PREFIX = "query.";
    protected static final String HEADER_PREFIX = "header.";

    public static final String INVALID_KEY = "fetch.invalid.key";
    public static final String INVALID_REASON = "fetch.invalid.reason";

    /** NiFi counters, adjusted in the session that commits the page they describe; names carry no record data. */
    protected static final String COUNTER_PAGES = "IncrementalApiFetch pages fetched";
    static final String COUNTER_RECORDS_EMITTED = "IncrementalApiFetch records emitted";
    static final String COUNTER_RECORDS_FAILED = "IncrementalApiFetch records routed to failure";
    protected static final String COUNTER_RATE_LIMIT_WAITS = "IncrementalApiFetch rate-limit waits";
    protected static final String COUNTER_RATE_LIMIT_PAUSES = "IncrementalApiFetch rate-limit pauses";
    static final String COUNTER_REQUESTS_RETRIED = "IncrementalApiFetch requests retried";
    protected static final String COUNTER_RUNS_COMPLETED = "IncrementalApiFetch runs completed";
    protected static final String COUNTER_RUNS_HALTED = "IncrementalApiFetch runs halted";

    public static final PropertyDescriptor ENDPOINT_URL = new PropertyDescriptor.Builder()
            .name("Endpoint URL")
            .description("URL of the collection to pull, without the watermark, paging or credential parameters (those are added).")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.URL_VALIDATOR)
            .build();

    public static final PropertyDescriptor HTTP_METHOD = new PropertyDescriptor.Builder()
            .name("HTTP Method")
            .description("GET for list endpoints; POST for search endpoints that take a JSON body.")
            .required(true)
            .allowableValues(HttpMethod.class)
            .defaultValue(HttpMethod.GET)
            .build();

    public static final PropertyDescriptor REQUEST_BODY_TEMPLATE = new PropertyDescriptor.Builder()
            .name("Request Body Template")
            .description("JSON body sent with POST. The placeholders {{watermark}}, {{upperBound}}, {{cursor}}, {{page}}, {{offset}} and {{pageSize}} "
                    + "are replaced by JSON values (a quoted text or a number, or null when not applicable), so write them without quotes.")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(HTTP_METHOD, HttpMethod.POST)
            .build();

    public static final PropertyDescriptor RECORDS_POINTER = new PropertyDescriptor.Builder()
            .name("Records Pointer")
            .description("JSON Pointer to the array of records in the response body. Leave empty when the body is the array.")
            .required(false)
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .build();

    public static final PropertyDescriptor RECORD_KEY_POINTER = new PropertyDescriptor.Builder()
            .name("Record Key Pointer")
            .description("JSON Pointer, within a record, to the record's unique id. Together with the watermark it identifies a record "
                    + "version already emitted.")
            .required(true)
            .defaultValue("/id")
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .build();

    public static final PropertyDescriptor WATERMARK_POINTER = new PropertyDescriptor.Builder()
            .name("Watermark Pointer")
            .description("JSON Pointer, within a record, to the field that grows when the record changes (last-modified time or id).")
            .required(true)
            .defaultValue("/updated_at")
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .build();

    public static final PropertyDescriptor WATERMARK_TYPE = new PropertyDescriptor.Builder()
            .name("Watermark Type")
            .description("How records carry the watermark.")
            .required(true)
            .allowableValues(WatermarkType.class)
            .defaultValue(WatermarkType.ISO_8601)
            .build();

    public static final PropertyDescriptor WATERMARK_PARAMETER = new PropertyDescriptor.Builder()
            .name("Watermark Parameter")
            .description("Query parameter that asks for records with a watermark at or above a value, e.g. updated_at_min. "
                    + "Leave empty when the watermark goes in the request body ({{watermark}}).")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor WATERMARK_PARAMETER_FORMAT = new PropertyDescriptor.Builder()
            .name("Watermark Parameter Format")
            .description("How the watermark is written in the request (parameter or {{watermark}}). Values are rounded down to this "
                    + "format's precision, so the inclusive lower bound never skips a record.")
            .required(true)
            .allowableValues(ParameterFormat.class)
            .defaultValue(ParameterFormat.SAME_AS_RECORDS)
            .dependsOn(WATERMARK_TYPE, WatermarkType.ISO_8601, WatermarkType.EPOCH_SECONDS, WatermarkType.EPOCH_MILLIS)
            .build();

    public static final PropertyDescriptor INITIAL_WATERMARK = new PropertyDescriptor.Builder()
            .name("Initial Watermark")
            .description("Where the first run starts (backfill start), in the Watermark Type's form; timestamps may also be given as "
                    + "ISO-8601. Leave empty to fetch everything on the first run.")
            .required(false)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor LOOKBACK_WINDOW = new PropertyDescriptor.Builder()
            .name("Lookback Window")
            .description("Each run re-reads this much time below the stored watermark, to catch records committed late with an older "
                    + "timestamp. Versions already emitted inside the window are suppressed, which costs one tracked key each.")
            .required(true)
            .defaultValue("0 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .dependsOn(WATERMARK_TYPE, WatermarkType.ISO_8601, WatermarkType.EPOCH_SECONDS, WatermarkType.EPOCH_MILLIS)
            .build();

    public static final PropertyDescriptor SETTLE_DELAY = new PropertyDescriptor.Builder()
            .name("Settle Delay")
            .description("Records newer than the run's start minus this delay are left for a later run, so that the watermark never "
                    + "passes rows that open transactions may still commit.")
            .required(true)
            .defaultValue("0 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .dependsOn(WATERMARK_TYPE, WatermarkType.ISO_8601, WatermarkType.EPOCH_SECONDS, WatermarkType.EPOCH_MILLIS)
            .build();

    public static final PropertyDescriptor MAX_RUN_SPAN = new PropertyDescriptor.Builder()
            .name("Maximum Run Span")
            .description("Limits one run to this much time above the stored watermark, so that a backfill proceeds in slices that each "
                    + "complete (and commit their watermark) on their own and keep few keys tracked. A slice that ends before now minus the "
                    + "Settle Delay moves the watermark to its end even when it held no records. Needs a starting point (stored watermark or "
                    + "Initial Watermark). Leave empty for runs up to the present.")
            .required(false)
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .dependsOn(WATERMARK_TYPE, WatermarkType.ISO_8601, WatermarkType.EPOCH_SECONDS, WatermarkType.EPOCH_MILLIS)
            .build();

    public static final PropertyDescriptor UPPER_BOUND_PARAMETER = new PropertyDescriptor.Builder()
            .name("Upper Bound Parameter")
            .description("Query parameter that asks for records with a watermark below a value (e.g. updated_at_max). The value sent is one second above the run's bound, so it works "
                    + "whether the API treats it as inclusive or exclusive. A run's upper bound is the end of its slice (Maximum Run Span) or "
                    + "else its start time minus the Settle Delay; records above it are left for a later run.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(WATERMARK_TYPE, WatermarkType.ISO_8601, WatermarkType.EPOCH_SECONDS, WatermarkType.EPOCH_MILLIS)
            .build();

    public static final PropertyDescriptor MAX_TRACKED_KEYS = new PropertyDescriptor.Builder()
            .name("Maximum Tracked Keys")
            .description("Upper bound on the (watermark, key) pairs held in state: the versions emitted at or above the largest watermark "
                    + "seen so far minus the Lookback Window, which a later run may return again. It bounds the records that share the top "
                    + "of the window (one timestamp, or the lookback span), not the records of a run. A page that would exceed it is not "
                    + "emitted: the run stops with an error bulletin and state unchanged, rather than risk duplicates or loss. Keep it well "
                    + "below the state provider's size limit (about 1 MB in ZooKeeper).")
            .required(true)
            .defaultValue("10000")
            .addValidator(StandardValidators.POSITIVE_INTEGER_VALIDATOR)
            .build();

    public static final PropertyDescriptor INVALID_RECORD_HANDLING = new PropertyDescriptor.Builder()
            .name("Invalid Record Handling")
            .description("What happens to a record without a readable watermark or key. Stop Run refuses the whole page (nothing emitted, "
                    + "state not advanced, error bulletin naming the record's key) until the API or the configuration is fixed. Route to "
                    + "Failure sends the record as received to the 'failure' relationship, with its key and the reason in attributes, and "
                    + "goes on with the rest; it does not count towards the watermark.")
            .required(true)
            .allowableValues(InvalidRecordHandling.class)
            .defaultValue(InvalidRecordHandling.STOP)
            .build();

    public static final PropertyDescriptor PAGINATION_STRATEGY = new PropertyDescriptor.Builder()
            .name("Pagination Strategy")
            .description("How the API hands out the next page. A run ends on an empty page or when there is no next page; a short page "
                    + "alone never ends it. For APIs whose list can change during a run, Keyset cannot skip a record and Offset checks each "
                    + "page by one record of overlap; a pagination loop or a shifted list resumes from the last safe watermark, or halts "
                    + "the run with a bulletin when none is known (see the usage documentation).")
            .required(true)
            .allowableValues(PaginationStrategy.class)
            .defaultValue(PaginationStrategy.LINK_HEADER)
            .build();

    public static final PropertyDescriptor PAGE_SIZE_PARAMETER = new PropertyDescriptor.Builder()
            .name("Page Size Parameter")
            .description("Query parameter carrying the page size (limit, per_page, ...). Leave empty to use the API's default or the body.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor PAGE_SIZE = new PropertyDescriptor.Builder()
            .name("Page Size")
            .description("Records asked for per page (Page Size Parameter and {{pageSize}}).")
            .required(true)
            .defaultValue("100")
            .addValidator(StandardValidators.POSITIVE_INTEGER_VALIDATOR)
            .build();

    public static final PropertyDescriptor NEXT_URL_POINTER = new PropertyDescriptor.Builder()
            .name("Next URL Pointer")
            .description("JSON Pointer, in the response body, to the URL of the next page; absent, null or empty ends the run.")
            .required(true)
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .dependsOn(PAGINATION_STRATEGY, PaginationStrategy.NEXT_URL)
            .build();

    public static final PropertyDescriptor CURSOR_SOURCE = new PropertyDescriptor.Builder()
            .name("Cursor Source")
            .description("Where the cursor for the next page is read.")
            .required(true)
            .allowableValues(CursorSource.class)
            .defaultValue(CursorSource.RESPONSE_BODY)
            .dependsOn(PAGINATION_STRATEGY, PaginationStrategy.CURSOR)
            .build();

    public static final PropertyDescriptor CURSOR_POINTER = new PropertyDescriptor.Builder()
            .name("Cursor Pointer")
            .description("JSON Pointer to the cursor: in the response body, or in the page's last record (Cursor Source). Absent, null or "
                    + "empty ends the run.")
            .required(true)
            .addValidator(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED)
            .dependsOn(PAGINATION_STRATEGY, PaginationStrategy.CURSOR)
            .build();

    public static final PropertyDescriptor CURSOR_PARAMETER = new PropertyDescriptor.Builder()
            .name("Cursor Parameter")
            .description("Query parameter that sends the cursor back (after, starting_after, cursor, ...). Leave empty when the cursor goes "
                    + "in the POST body ({{cursor}}).")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(PAGINATION_STRATEGY, PaginationStrategy.CURSOR)
            .build();

    public static final PropertyDescriptor PAGE_PARAMETER = new PropertyDescriptor.Builder()
            .name("Page Parameter")
            .description("Query parameter carrying the page number.")
            .required(true)
            .defaultValue("page")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(PAGINATION_STRATEGY, PaginationStrategy.PAGE_NUMBER)
            .build();

    public static final PropertyDescriptor FIRST_PAGE_NUMBER = new PropertyDescriptor.Builder()
            .name("First Page Number")
            .description("Number of the first page (0 or 1 for most APIs).")
            .required(true)
            .defaultValue("1")
            .addValidator(StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR)
            .dependsOn(PAGINATION_STRATEGY, PaginationStrategy.PAGE_NUMBER)
            .build();

    public static final PropertyDescriptor OFFSET_PARAMETER = new PropertyDescriptor.Builder()
            .name("Offset Parameter")
            .description("Query parameter carrying the offset of the first record of a page; it advances by the records each page returned, less one (the overlap record).")
            .required(true)
            .defaultValue("offset")
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(PAGINATION_STRATEGY, PaginationStrategy.OFFSET)
            .build();

    public static final PropertyDescriptor MAX_PAGES_PER_TRIGGER = new PropertyDescriptor.Builder()
            .name("Maximum Pages Per Trigger")
            .description("Pages fetched in one trigger; an unfinished run continues from its saved position at the next trigger.")
            .required(true)
            .defaultValue("100")
            .addValidator(StandardValidators.POSITIVE_INTEGER_VALIDATOR)
            .build();


    public static final PropertyDescriptor ALLOWED_ORIGINS = new PropertyDescriptor.Builder()
            .name("Allowed Origins")
            .description("Origins besides the Endpoint URL's own (scheme, host and port) that next-page links and redirects may lead to, "
                    + "comma-separated, e.g. https://api2.example.com, https://cdn.example.com:8443. Credentials, API keys and header.* "
                    + "values are sent to them too. A link or redirect to any other origin, or with a scheme other than http or https, "
                    + "is refused: nothing is sent there, the run pauses with an error bulletin and state is not advanced.")
            .required(false)
            .addValidator(ALLOWED_ORIGINS_VALIDATOR)
            .build();

    public static final PropertyDescriptor MAX_RESPONSE_SIZE = new PropertyDescriptor.Builder()
            .name("Maximum Response Size")
            .description("Largest response body read. A body declared larger is refused before it is read; one that grows past it while "
                    + "streaming is cut off there. Either way the run stops at that page with an error bulletin, state is not advanced, "
                    + "and at most this much memory was used. Lower the Page Size if a page legitimately needs more.")
            .required(true)
            .defaultValue("32 MB")
            .addValidator(StandardValidators.createDataSizeBoundsValidator(1, 1L << 30))
            .build();


    public static final PropertyDescriptor MAX_RATE_LIMIT_WAIT = new PropertyDescriptor.Builder()
            .name("Maximum Rate Limit Wait")
            .description("Longest wait honoured within a trigger when a 429 or 503 asks to retry later (Retry-After, RateLimit-Reset, "
                    + "X-RateLimit-Reset). A longer wait is stored in cluster state as \"not before\": no node calls the API before then, and the run "
                    + "resumes from its saved position.")
            .required(true)
            .defaultValue("60 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor MAX_RETRIES = new PropertyDescriptor.Builder()
            .name("Maximum Retries")
            .description("Retries of a request after 5xx, 408, timeouts or broken connections before the run stops (state not advanced).")
            .required(true)
            .defaultValue("3")
            .addValidator(StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR)
            .build();


    public static final Relationship REL_SUCCESS = new Relationship.Builder()
            .name("success")
            .description("One FlowFile per page: a JSON array of the records not emitted before.")
            .build();

    protected static final List<PropertyDescriptor> PROPERTY_DESCRIPTORS = List.of(
            ENDPOINT_URL, HTTP_METHOD, REQUEST_BODY_TEMPLATE, RECORDS_POINTER, RECORD_KEY_POINTER, WATERMARK_POINTER, WATERMARK_TYPE,
            WATERMARK_PARAMETER, WATERMARK_PARAMETER_FORMAT, INITIAL_WATERMARK, LOOKBACK_WINDOW, SETTLE_DELAY, MAX_RUN_SPAN,
            UPPER_BOUND_PARAMETER, MAX_TRACKED_KEYS,
            INVALID_RECORD_HANDLING, PAGINATION_STRATEGY, PAGE_SIZE_PARAMETER, PAGE_SIZE, NEXT_URL_POINTER, CURSOR_SOURCE, CURSOR_POINTER, CURSOR_PARAMETER,
            PAGE_PARAMETER, FIRST_PAGE_NUMBER, OFFSET_PARAMETER, MAX_PAGES_PER_TRIGGER, AUTHENTICATION_STRATEGY, API_KEY_NAME, API_KEY,
            USERNAME, PASSWORD, BEARER_TOKEN, OAUTH2_ACCESS_TOKEN_PROVIDER, ALLOWED_ORIGINS,
            MAX_RESPONSE_SIZE, SSL_CONTEXT_SERVICE, PROXY_CONFIGURATION_SERVICE,
            CONNECT_TIMEOUT, READ_TIMEOUT, REQUEST_RATE_LIMIT, MAX_RATE_LIMIT_WAIT, MAX_RETRIES, INITIAL_RETRY_BACKOFF, MAX_RETRY_BACKOFF);

    public static final Relationship REL_FAILURE = new Relationship.Builder()
            .name("failure")
            .description("With Invalid Record Handling 'Route to Failure': one FlowFile per record without a readable watermark or key, "
                    + "holding the record as received, with fetch.invalid.key and fetch.invalid.reason.")
            .build();

    /** 'failure' exists only with Invalid Record Handling 'Route to Failure'. */
    protected static final Set<Relationship> RELATIONSHIPS = Set.of(REL_SUCCESS);
    protected static final Set<Relationship> RELATIONSHIPS_WITH_FAILURE = Set.of(REL_SUCCESS, REL_FAILURE);


    public enum HttpMethod implements DescribedEnum {
        GET("GET", "Parameters in the query string."),
        POST("POST", "A JSON body built from the Request Body Template.");

        private final Described described;

        HttpMethod(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum WatermarkType implements DescribedEnum {
        ISO_8601("ISO 8601 Timestamp", "Text such as 2024-05-01T10:15:30.123+02:00 (an offset or Z is required; a space instead of the T "
                + "and offsets such as +0200 or +02 are accepted too).", WatermarkFormat.ISO_8601),
        EPOCH_SECONDS("Epoch Seconds", "Seconds since 1970-01-01T00:00:00Z, as a number or numeric text (fractions allowed).", WatermarkFormat.EPOCH_SECONDS),
        EPOCH_MILLIS("Epoch Milliseconds", "Milliseconds since 1970-01-01T00:00:00Z, as a number or numeric text.", WatermarkFormat.EPOCH_MILLIS),
        NUMERIC_ID("Numeric ID", "A whole number that grows with each change, such as an auto-increment id or a change sequence.", WatermarkFormat.NUMBER);

        private final Described described;
        private final WatermarkFormat format;

        WatermarkType(final String displayName, final String description, final WatermarkFormat format) {
            this.described = new Described(displayName, description);
            this.format = format;
        }

        WatermarkFormat format() {
            return format;
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum ParameterFormat implements DescribedEnum {
        SAME_AS_RECORDS("Same As Records", "The Watermark Type's own form.", null),
        ISO_8601("ISO 8601", "UTC text such as 2024-05-01T08:15:30.123Z.", WatermarkFormat.ISO_8601),
        EPOCH_SECONDS("Epoch Seconds", "Whole seconds since the epoch.", WatermarkFormat.EPOCH_SECONDS),
        EPOCH_MILLIS("Epoch Milliseconds", "Whole milliseconds since the epoch.", WatermarkFormat.EPOCH_MILLIS);

        private final Described described;
        private final WatermarkFormat format;

        ParameterFormat(final String displayName, final String description, final WatermarkFormat format) {
            this.described = new Described(displayName, description);
            this.format = format;
        }

        WatermarkFormat resolve(final WatermarkFormat recordFormat) {
            return format == null ? recordFormat : format;
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum PaginationStrategy implements DescribedEnum {
        NONE("None", "One request returns all records."),
        KEYSET("Keyset", "Every page is a fresh query from the last record's watermark (Watermark Parameter or {{watermark}}); the API must "
                + "return records sorted by the watermark, ascending. Cannot skip records when the list changes during a run and is not "
                + "limited by result caps (e.g. HubSpot search's 10,000)."),
        LINK_HEADER("Link Header", "Follow the RFC 8288 Link header with rel=\"next\" (Shopify, GitHub)."),
        NEXT_URL("Next URL Pointer", "Follow a next-page URL found at a JSON Pointer in the body."),
        CURSOR("Cursor", "Send back a cursor token from the body or the last record as a parameter or in the POST body (HubSpot, Stripe)."),
        PAGE_NUMBER("Page Number", "Count page numbers up from the First Page Number until a page is empty."),
        OFFSET("Offset", "Advance an offset by the records each page returned, less one: each page starts with the previous page's last "
                + "record, which shows whether the list shifted; until a page brings nothing new.");

        private final Described described;

        PaginationStrategy(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum InvalidRecordHandling implements DescribedEnum {
        STOP("Stop Run", "Refuse the page: nothing emitted, state not advanced, an error bulletin names the record."),
        ROUTE_TO_FAILURE("Route to Failure", "Send the record as received to 'failure' with its key and the reason, and go on.");

        private final Described described;

        InvalidRecordHandling(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    public enum CursorSource implements DescribedEnum {
        RESPONSE_BODY("Response Body", "The Cursor Pointer points into the response body (e.g. /paging/next/after)."),
        LAST_RECORD("Last Record", "The Cursor Pointer points into the page's last record (e.g. /id for Stripe's starting_after).");

        private final Described described;

        CursorSource(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }
}
