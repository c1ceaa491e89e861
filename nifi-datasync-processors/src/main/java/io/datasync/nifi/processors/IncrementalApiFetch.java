package io.datasync.nifi.processors;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.fetch.FetchState;
import io.datasync.nifi.fetch.LoopGuard;
import io.datasync.nifi.fetch.MalformedPageException;
import io.datasync.nifi.fetch.OriginPolicy;
import io.datasync.nifi.fetch.PageFetcher;
import io.datasync.nifi.fetch.PageParser;
import io.datasync.nifi.fetch.PagePosition;
import io.datasync.nifi.fetch.Paginator;
import io.datasync.nifi.fetch.RecordSelector;
import io.datasync.nifi.fetch.RunNavigator;
import io.datasync.nifi.fetch.TrackedKeys;
import io.datasync.nifi.fetch.UrlRedactor;
import io.datasync.nifi.fetch.Watermark;
import org.apache.nifi.annotation.behavior.DynamicProperties;
import org.apache.nifi.annotation.behavior.DynamicProperty;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.PrimaryNodeOnly;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.behavior.SupportsSensitiveDynamicProperties;
import org.apache.nifi.annotation.behavior.SystemResource;
import org.apache.nifi.annotation.behavior.SystemResourceConsideration;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.configuration.DefaultSchedule;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.MultiProcessorUseCase;
import org.apache.nifi.annotation.documentation.ProcessorConfiguration;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.documentation.UseCase;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.scheduling.SchedulingStrategy;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

@Tags({"http", "rest", "api", "incremental", "watermark", "pagination", "crm", "shop", "source", "json"})
@CapabilityDescription("Pulls records that changed since the last run from a paginated JSON REST API (CRM, shop, marketing tools). "
        + "Each run asks for records from the stored watermark inclusive and suppresses the record versions already emitted at the "
        + "boundary, so records that share a watermark value are neither lost nor repeated across pages and runs; an optional lookback "
        + "window and settle delay catch rows committed late. The new watermark is the largest seen in the completed run, so the API "
        + "need not sort. Pages by keyset (a fresh query from the last record's watermark), Link headers, next URLs, cursors, page "
        + "numbers or offsets (checked by one record of overlap); escapes pagination loops and shifted lists from the last safe "
        + "watermark; follows links and redirects only within the Endpoint URL's origin; waits out rate limits, across triggers and "
        + "nodes; retries transient failures. Emits one FlowFile (a JSON array) per page and commits each page together with the state "
        + "that describes it, so a stop, failure or restart resumes without loss or repetition.")
@InputRequirement(InputRequirement.Requirement.INPUT_FORBIDDEN)
@PrimaryNodeOnly
@TriggerSerially
@DefaultSchedule(strategy = SchedulingStrategy.TIMER_DRIVEN, period = "1 min")
@Stateful(scopes = Scope.CLUSTER, description = "Stores the watermark of the last completed run, the (watermark, record key) pairs already "
        + "emitted that a later request may return again, and the position of the run in progress (next URL, cursor, page or offset, "
        + "the run's bounds and largest watermark so far). Clearing state restarts from the Initial Watermark.")
@SupportsSensitiveDynamicProperties
@DynamicProperties({
        @DynamicProperty(name = "query.<parameter name>", value = "parameter value",
                description = "Adds the query parameter <parameter name> to the first request of each run (and to every request for "
                        + "cursor, page number and offset pagination).",
                expressionLanguageScope = ExpressionLanguageScope.ENVIRONMENT),
        @DynamicProperty(name = "header.<header name>", value = "header value",
                description = "Adds the HTTP header <header name> to every request.",
                expressionLanguageScope = ExpressionLanguageScope.ENVIRONMENT)
})
@WritesAttributes({
        @WritesAttribute(attribute = IncrementalApiFetch.MIME_TYPE, description = "application/json"),
        @WritesAttribute(attribute = IncrementalApiFetch.RECORD_COUNT, description = "Number of records in the FlowFile"),
        @WritesAttribute(attribute = IncrementalApiFetch.WATERMARK_MIN, description = "Smallest watermark among the FlowFile's records"),
        @WritesAttribute(attribute = IncrementalApiFetch.WATERMARK_MAX, description = "Largest watermark among the FlowFile's records"),
        @WritesAttribute(attribute = IncrementalApiFetch.PAGE_NUMBER, description = "Number of the page within its run, from 1"),
        @WritesAttribute(attribute = IncrementalApiFetch.RUN_ID, description = "Identifier shared by all FlowFiles of one run"),
        @WritesAttribute(attribute = IncrementalApiFetch.HTTP_STATUS, description = "HTTP status of the response"),
        @WritesAttribute(attribute = IncrementalApiFetch.SOURCE_URL, description = "URL of the request, with credentials redacted"),
        @WritesAttribute(attribute = IncrementalApiFetch.INVALID_KEY, description = "On 'failure': the key of the record, when it has one"),
        @WritesAttribute(attribute = IncrementalApiFetch.INVALID_REASON, description = "On 'failure': why the record could not be used")
})
@SeeAlso(classNames = {"org.apache.nifi.processors.standard.InvokeHTTP"})
@UseCase(
        description = "Pull customers changed since the last run from a Shopify-style REST API that pages with Link headers.",
        keywords = {"shopify", "link header", "incremental", "customers"},
        configuration = """
                Set "Endpoint URL" to the collection, e.g. https://shop.example.com/admin/api/2024-10/customers.json.
                Set "Records Pointer" to /customers, "Record Key Pointer" to /id, "Watermark Pointer" to /updated_at, \
                "Watermark Type" to "ISO 8601 Timestamp" and "Watermark Parameter" to updated_at_min.
                Set "Pagination Strategy" to "Link Header", "Page Size Parameter" to limit and "Page Size" to 250.
                Set "Authentication Strategy" to "API Key in Header", "API Key Name" to X-Shopify-Access-Token and "API Key" to the token \
                (a sensitive parameter).
                Set "Initial Watermark" to the backfill start, e.g. 2024-01-01T00:00:00Z, and "Settle Delay" to 1 min.
                Connect "success" to the next processor.
                """
)
@UseCase(
        description = "Pull contacts modified since the last run from a HubSpot-style search API (POST body), with keyset pagination "
                + "that cannot skip a contact changed during the run and is not stopped by the 10,000-result cap.",
        keywords = {"hubspot", "search", "keyset", "post"},
        configuration = """
                Set "Endpoint URL" to https://api.hubapi.com/crm/v3/objects/contacts/search and "HTTP Method" to POST.
                Set "Request Body Template" to a search body whose filter is lastmodifieddate GTE {{watermark}}, which sorts by \
                lastmodifieddate ASCENDING, whose "limit" is {{pageSize}}, and which sends no "after".
                Set "Records Pointer" to /results, "Record Key Pointer" to /id, "Watermark Pointer" to /updatedAt, "Watermark Type" to \
                "ISO 8601 Timestamp" and "Watermark Parameter Format" to "Epoch Milliseconds".
                Set "Pagination Strategy" to "Keyset".
                Set "Authentication Strategy" to "Bearer Token" (private app token) or "OAuth2" with an OAuth2 Access Token Provider.
                Set "Request Rate Limit" to 4.
                """
)
@UseCase(
        description = "Pull new objects from a Stripe-style list API that pages with starting_after set to the last record's id.",
        keywords = {"stripe", "starting_after", "cursor", "epoch"},
        configuration = """
                Set "Endpoint URL" to https://api.stripe.com/v1/customers.
                Set "Records Pointer" to /data, "Record Key Pointer" to /id, "Watermark Pointer" to /created, "Watermark Type" to                 "Epoch Seconds" and "Watermark Parameter" to created[gte].
                Set "Pagination Strategy" to "Cursor", "Cursor Source" to "Last Record", "Cursor Pointer" to /id and                 "Cursor Parameter" to starting_after; set "Page Size Parameter" to limit and "Page Size" to 100.
                Set "Authentication Strategy" to "Bearer Token" and "Bearer Token" to the secret key (a sensitive parameter).
                """
)
@MultiProcessorUseCase(
        description = "Keep a golden customer profile per customer from a CRM or shop API: fetch the changed customers, keep only those "
                + "whose consent allows the purpose, link the records of the same person to one customer id, and merge them into one profile.",
        keywords = {"customer", "pipeline", "consent", "deduplicate", "golden record", "incremental", "crm"},
        configurations = {
            @ProcessorConfiguration(
                processorClass = IncrementalApiFetch.class,
                configuration = """
                        Set "Endpoint URL" to the customer collection of the API and "Authentication Strategy" to "Bearer Token" with \
                        "Bearer Token" set to a sensitive parameter.
                        Set "Records Pointer" to the array of customers (e.g. /customers), "Record Key Pointer" to /id, \
                        "Watermark Pointer" to /updated_at, "Watermark Type" to "ISO 8601 Timestamp" and "Watermark Parameter" \
                        to the changed-since parameter of the API (e.g. updated_at_min).
                        Set "Pagination Strategy" to what the API offers ("Link Header", "Cursor" or "Keyset") and "Initial Watermark" \
                        to the start of the backfill.
                        Connect 'success' to ConsentFilter.
                        """
            ),
            @ProcessorConfiguration(
                processorClass = ConsentFilter.class,
                configuration = """
                        Set "Record Reader" to a JsonTreeReader and "Record Writer" to a JsonRecordSetWriter.
                        Set "Purposes" to the purpose of the profiles (e.g. email_marketing) and "Subject Key Record Path" to \
                        toLowerCase(trim(/email)).
                        Set "Consent Lookup Service" to a lookup service on the consent table, and leave "Default Policy" at \
                        "Require Consent" so that customers without consent are kept out.
                        Connect 'success' to CustomerDedup, 'retry' back to ConsentFilter, and 'excluded' and 'failure' to review.
                        """
            ),
            @ProcessorConfiguration(
                processorClass = CustomerDedup.class,
                configuration = """
                        Set "Record Reader" and "Record Writer" to the same JSON services.
                        Keep "Output Mode" at "Annotate" and "Customer ID Field" at customer_id.
                        Set "Email Record Paths" to /email, "Phone Record Paths" to /phone and "Default Phone Region" to the \
                        country of the customers (e.g. DE).
                        Set "Distributed Map Cache Client" to a MapCacheClientService on one MapCacheServer and "Identity Hash Key" \
                        to a sensitive parameter of at least 32 random characters, so ids stay stable across FlowFiles and nodes.
                        Connect 'success' to ProfileMerge, 'merges' to wherever ids get re-pointed, and 'failure' back to \
                        CustomerDedup through a retry.
                        """
            ),
            @ProcessorConfiguration(
                processorClass = ProfileMerge.class,
                configuration = """
                        Set "Record Reader" to a JsonTreeReader and "Record Writer" to a JsonRecordSetWriter.
                        Set "Customer Key Record Path" to /customer_id, "Source Field" to source, "Record Timestamp Field" to \
                        updated_at and "Default Rule" to latest_non_empty.
                        Set "Stored Profile Lookup Service" to a lookup service on the profiles table.
                        Connect 'success' to PutDatabaseRecord (UPSERT on customer_id), 'retry' back to ProfileMerge and 'failure' \
                        to review.
                        """
            )
        }
)
// Not @SupportsBatching: each page is committed with the state that describes it, several times within one trigger, and
// the commit callback records what is now stored; that per-page commit is what lets a stop or failure resume without
// loss or repetition. A source that runs serially on the primary node once a minute gains nothing from batching.
@SystemResourceConsideration(resource = SystemResource.MEMORY, description = "Holds one response page at a time, its body "
        + "(at most Maximum Response Size bytes) and its records as parsed trees, and the (watermark, record key) pairs tracked at the top of the window (at most Maximum "
        + "Tracked Keys, also kept in state): memory grows with the Page Size and with the records sharing the newest watermarks.")
public class IncrementalApiFetch extends IncrementalApiFetchProperties {

    static final String MIME_TYPE = "mime.type";
    static final String RECORD_COUNT = "record.count";
    static final String WATERMARK_MIN = "fetch.watermark.min";
    static final String WATERMARK_MAX = "fetch.watermark.max";
    static final String PAGE_NUMBER = "fetch.page.number";
    static final String RUN_ID = "fetch.run.id";
    static final String HTTP_STATUS = "http.status.code";
    static final String SOURCE_URL = "fetch.source.url";

    static final String QUERY_PREFIX = "query.";
    static final String HEADER_PREFIX = "header.";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        MAPPER.getFactory().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    }

    private static final Set<Relationship> RELATIONSHIPS = Set.of(REL_SUCCESS);
    private static final Set<Relationship> RELATIONSHIPS_WITH_FAILURE = Set.of(REL_SUCCESS, REL_FAILURE);

    static final String INVALID_KEY = "fetch.invalid.key";
    static final String INVALID_REASON = "fetch.invalid.reason";

    private volatile Set<Relationship> relationships = RELATIONSHIPS;

    private volatile IncrementalApiFetchSettings settings;

    /**
     * The state this instance last committed, with the map it wrote. While the stored map is still that
     * map, the next trigger continues with this object instead of parsing state again, and keeps the
     * run's pairs that are remembered in memory only (see TrackedKeys). Cleared before the object is
     * changed and set again once the page that changed it has committed.
     */
    private volatile CommittedState committed;

    private record CommittedState(Map<String, String> stored, FetchState state, boolean timestampWatermark, int maxTrackedKeys) {

        /** Kept across a stop and start of the processor, unless the settings it was read with changed. */
        boolean continues(final Map<String, String> current, final IncrementalApiFetchSettings config) {
            return timestampWatermark == config.watermarkFormat.isTimestamp() && maxTrackedKeys == config.maxTrackedKeys && stored.equals(current);
        }
    }

    /** How the processor waits for backoffs and rate limits; tests record the waits instead of sleeping. */
    volatile PageFetcher.Sleeper sleeper = Thread::sleep;

    /** NiFi counters, adjusted in the session that commits the page they describe; names carry no record data. */
    static final String COUNTER_PAGES = "IncrementalApiFetch pages fetched";
    static final String COUNTER_RECORDS_EMITTED = "IncrementalApiFetch records emitted";
    static final String COUNTER_RECORDS_FAILED = "IncrementalApiFetch records routed to failure";
    static final String COUNTER_RATE_LIMIT_WAITS = "IncrementalApiFetch rate-limit waits";
    static final String COUNTER_RATE_LIMIT_PAUSES = "IncrementalApiFetch rate-limit pauses";
    static final String COUNTER_REQUESTS_RETRIED = "IncrementalApiFetch requests retried";
    static final String COUNTER_RUNS_COMPLETED = "IncrementalApiFetch runs completed";
    static final String COUNTER_RUNS_HALTED = "IncrementalApiFetch runs halted";

    static final String HALT_ADVICE = "Nothing more is fetched until an operator acts: fix the API or the configuration (a Keyset Pagination "
            + "Strategy with a Watermark Parameter recovers from shifting and looping pagination), then stop and start the processor, which "
            + "restarts the run's pagination from its first page (versions emitted near the top of the window are suppressed; older ones of "
            + "this run may be emitted again), or clear its state to start over from the Initial Watermark";

    /** Set when the processor is started: the first trigger restarts a halted run (stopping and starting is the operator's retry). */
    private volatile boolean releaseHalt;

    /** The time rate-limit pauses are measured against; tests move it forward. */
    volatile Clock clock = Clock.systemUTC();

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
        if (descriptor.equals(INVALID_RECORD_HANDLING)) {
            // 'failure' exists only when records go there, so that flows which stop on bad records need no extra connection.
            relationships = InvalidRecordHandling.ROUTE_TO_FAILURE.getValue().equals(newValue) ? RELATIONSHIPS_WITH_FAILURE : RELATIONSHIPS;
        }
    }

    @Override
    protected PropertyDescriptor getSupportedDynamicPropertyDescriptor(final String propertyDescriptorName) {
        final boolean known = (propertyDescriptorName.startsWith(QUERY_PREFIX) && propertyDescriptorName.length() > QUERY_PREFIX.length())
                || (propertyDescriptorName.startsWith(HEADER_PREFIX) && propertyDescriptorName.length() > HEADER_PREFIX.length());
        final PropertyDescriptor.Builder builder = new PropertyDescriptor.Builder()
                .name(propertyDescriptorName)
                .required(false)
                .dynamic(true)
                .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT);
        if (known) {
            builder.addValidator(StandardValidators.NON_EMPTY_VALIDATOR);
        } else {
            builder.addValidator((subject, input, context) -> new ValidationResult.Builder().subject(subject).input(input).valid(false)
                    .explanation("dynamic property names must start with '" + QUERY_PREFIX + "' (query parameter) or '" + HEADER_PREFIX
                            + "' (header)").build());
        }
        return builder.build();
    }

    @Override
    protected Collection<ValidationResult> customValidate(final ValidationContext context) {
        final List<ValidationResult> results = new ArrayList<>();
        final WatermarkType watermarkType = context.getProperty(WATERMARK_TYPE).asAllowableValue(WatermarkType.class);
        final String initial = context.getProperty(INITIAL_WATERMARK).evaluateAttributeExpressions().getValue();
        if (initial != null && !initial.isBlank()) {
            try {
                watermarkType.format().parseLenient(initial);
            } catch (final IllegalArgumentException e) {
                results.add(new ValidationResult.Builder().subject(INITIAL_WATERMARK.getName()).input(initial).valid(false)
                        .explanation("not a valid " + watermarkType.getDisplayName() + " watermark").build());
            }
        }
        final HttpMethod method = context.getProperty(HTTP_METHOD).asAllowableValue(HttpMethod.class);
        final PaginationStrategy strategy = context.getProperty(PAGINATION_STRATEGY).asAllowableValue(PaginationStrategy.class);
        if (strategy == PaginationStrategy.CURSOR && !context.getProperty(CURSOR_PARAMETER).isSet()) {
            final String template = method == HttpMethod.POST ? context.getProperty(REQUEST_BODY_TEMPLATE).getValue() : null;
            if (template == null || !template.contains("{{cursor}}")) {
                results.add(new ValidationResult.Builder().subject(CURSOR_PARAMETER.getName()).valid(false)
                        .explanation("the cursor must be sent back: set a Cursor Parameter, or use POST with {{cursor}} in the Request Body Template")
                        .build());
            }
        }
        if (strategy == PaginationStrategy.KEYSET && !context.getProperty(WATERMARK_PARAMETER).isSet()) {
            final String template = method == HttpMethod.POST ? context.getProperty(REQUEST_BODY_TEMPLATE).getValue() : null;
            if (template == null || !template.contains("{{watermark}}")) {
                results.add(new ValidationResult.Builder().subject(PAGINATION_STRATEGY.getName()).valid(false)
                        .explanation("Keyset pagination sends the last record's watermark with every request: set a Watermark Parameter, "
                                + "or use POST with {{watermark}} in the Request Body Template").build());
            }
        }
        return results;
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        releaseHalt = true;
        settings = new IncrementalApiFetchSettings(context, getLogger(), sleeper, clock, MAPPER);
    }

    @OnStopped
    public void onStopped() {
        final IncrementalApiFetchSettings current = settings;
        settings = null;
        if (current != null) {
            current.httpClient.shutdownNow();
        }
    }

    @Override
    public void onTrigger(final ProcessContext context, final ProcessSession session) throws ProcessException {
        final IncrementalApiFetchSettings config = settings;
        final FetchState state;
        try {
            final Map<String, String> stored = session.getState(Scope.CLUSTER).toMap();
            final CommittedState last = committed;
            state = last != null && last.continues(stored, config)
                    ? last.state()
                    : FetchState.fromMap(stored, config.watermarkFormat.isTimestamp(), config.maxTrackedKeys, MAPPER);
        } catch (final IOException | RuntimeException e) {
            getLogger().error("Stored state could not be read; nothing fetched: {}", e.toString());
            context.yield();
            return;
        }
        final Instant notBefore = state.notBefore();
        if (notBefore != null) {
            if (clock.instant().isBefore(notBefore)) {
                getLogger().debug("Rate limit pause: no request before {}", notBefore);
                context.yield();
                return;
            }
            state.setNotBefore(null);
        }
        if (state.run() != null && state.run().halted() != null) {
            if (!releaseHalt) {
                getLogger().error("Run {} is halted: {}. {}", state.run().id(), state.run().halted(), HALT_ADVICE);
                context.yield();
                return;
            }
            committed = null;
            getLogger().warn("Run {} was halted ({}); restarted by the operator, its pagination starts again from its first page",
                    state.run().id(), state.run().halted());
            state.setRun(state.run().restarted(config.paginator.first()));
        }
        releaseHalt = false;
        if (state.run() == null) {
            committed = null;
            state.setRun(config.planner.start(state.watermark(), config.paginator.first(), Instant.now()));
            getLogger().debug("Run {} starts from lower bound {}", state.run().id(), state.run().lower());
        }

        for (int pagesThisTrigger = 0; pagesThisTrigger < config.maxPagesPerTrigger && isScheduled(); pagesThisTrigger++) {
            final PageStep step = fetchPage(context, session, config, state);
            if (step != PageStep.CONTINUE) {
                if (step == PageStep.STOP_AND_YIELD) {
                    context.yield();
                }
                return;
            }
        }
    }

    private enum PageStep { CONTINUE, RUN_COMPLETE, STOP_AND_YIELD }

    private PageStep fetchPage(final ProcessContext context, final ProcessSession session, final IncrementalApiFetchSettings config, final FetchState state) {
        final FetchState.Run run = state.run();
        final PageFetcher.PageRequest request;
        try {
            request = config.requests.build(run);
        } catch (final IllegalArgumentException e) {
            // Only a stored next URL can fail here (state written before links were checked, or Allowed Origins narrowed since):
            // the run starts its pagination again instead of failing at every trigger; tracked pairs suppress what it emitted.
            getLogger().error("The stored position of run {} is not a usable URL ({}); the run starts its pagination again from its first page",
                    run.id(), config.redactor.scrub(e.getMessage()));
            committed = null;
            state.setRun(run.restarted(config.paginator.first()));
            return PageStep.CONTINUE;
        }
        final String shownUrl = config.redactor.redact(request.uri().toString());

        final PageFetcher.Outcome outcome;
        final LoggingListener listener = new LoggingListener(shownUrl, config.redactor);
        try {
            outcome = config.fetcher.fetch(request, config.authorizer, listener);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return PageStep.STOP_AND_YIELD;
        } catch (final ProcessException e) {
            // Token providers report failure to obtain a token this way.
            getLogger().error("No credentials for {}; run {} paused at page {}, state not advanced: {}",
                    shownUrl, run.id(), run.pages() + 1, config.redactor.scrub(e.getMessage()));
            return PageStep.STOP_AND_YIELD;
        }
        if (listener.rateLimitWaits > 0) {
            session.adjustCounter(COUNTER_RATE_LIMIT_WAITS, listener.rateLimitWaits, false);
        }
        if (listener.retries > 0) {
            session.adjustCounter(COUNTER_REQUESTS_RETRIED, listener.retries, false);
        }

        if (outcome instanceof PageFetcher.RateLimited limited) {
            final Instant until = clock.instant().plus(limited.requestedWait());
            final boolean askedTooLong = limited.requestedWait().compareTo(config.maxRateLimitWait) > 0;
            getLogger().warn("Rate limited by {} (HTTP {}): {}; no request to this API before {} from any node, then run {} resumes at page {}",
                    shownUrl, limited.status(), askedTooLong
                            ? "asked to wait " + limited.requestedWait().toSeconds() + " s, longer than Maximum Rate Limit Wait ("
                            + config.maxRateLimitWait.toSeconds() + " s)"
                            : "still limited after " + (config.maxRetries + 1) + " waits (Maximum Retries " + config.maxRetries + ")",
                    until, run.id(), run.pages() + 1);
            session.adjustCounter(COUNTER_RATE_LIMIT_PAUSES, 1, false);
            pauseUntil(session, state, until, config);
            return PageStep.STOP_AND_YIELD;
        }
        if (outcome instanceof PageFetcher.Refused refused) {
            getLogger().error("Request for page {} of run {} to {} was redirected elsewhere and not followed: {}. Nothing was sent there; "
                            + "state is not advanced. If that origin is trusted with the credentials, add it to Allowed Origins.",
                    run.pages() + 1, run.id(), shownUrl, config.redactor.scrub(refused.reason()));
            return PageStep.STOP_AND_YIELD;
        }
        if (outcome instanceof PageFetcher.Failed failed && failed.status() == 401) {
            getLogger().error("The API refused the credentials for {} (HTTP 401): {}; run {} paused at page {}, state not advanced. {}",
                    shownUrl, config.redactor.scrub(failed.reason()), run.id(), run.pages() + 1, config.unauthorizedAdvice);
            return PageStep.STOP_AND_YIELD;
        }
        if (outcome instanceof PageFetcher.Failed failed) {
            getLogger().error("Fetching {} failed: {}; run {} stopped at page {}, state not advanced",
                    shownUrl, config.redactor.scrub(failed.reason()), run.id(), run.pages() + 1);
            return PageStep.STOP_AND_YIELD;
        }
        final PageFetcher.Success success = (PageFetcher.Success) outcome;

        final PageParser.ParsedPage page;
        final RecordSelector.Selection selection;
        boolean overlapMoved = false;
        try {
            page = config.parser.parse(success.body());
            List<JsonNode> records = page.records();
            if (config.navigator.expectsOverlap(run)) {
                // The page was asked to start with the previous page's last record: it is dropped if it is still there.
                if (!records.isEmpty() && config.selector.isVersion(records.get(0), run.tail().lastWatermark(), run.tail().lastKey())) {
                    records = records.subList(1, records.size());
                } else {
                    overlapMoved = true;
                }
            }
            selection = config.selector.select(records, run.lower(), run.upper(), state.trackedKeys(), config.routeInvalid);
        } catch (final MalformedPageException e) {
            getLogger().error("Malformed page from {}: {}; run {} stopped at page {}, state not advanced{}",
                    shownUrl, e.getMessage(), run.id(), run.pages() + 1, config.routeInvalid ? ""
                            : ". To deliver the other records and route such records to 'failure', set Invalid Record Handling to Route to Failure");
            return PageStep.STOP_AND_YIELD;
        }

        final String captured = config.cursorFromLastRecord ? lastRecordValue(page.records(), config.cursorPointer) : page.captured();
        final Paginator.PageOutcome pageOutcome = new Paginator.PageOutcome(success.uri(), page.records().size(),
                success.headers().allValues("Link"), captured);
        final Optional<PagePosition> proposed = config.paginator.next(run.next(), pageOutcome);
        if (proposed.isPresent() && proposed.get().url() != null) {
            final OriginPolicy.Verdict verdict = config.originPolicy.check(success.uri(), proposed.get().url());
            if (!verdict.isAllowed()) {
                getLogger().error("Page {} of run {} from {} links to a next page that is not followed: {}. Nothing was sent there; the page is "
                                + "not emitted and state is not advanced, so the run stays at this page. If that origin is trusted with the "
                                + "credentials, add it to Allowed Origins.",
                        run.pages() + 1, run.id(), shownUrl, config.redactor.scrub(verdict.reason()));
                return PageStep.STOP_AND_YIELD;
            }
        }
        final RunNavigator.Decision decision = config.navigator.decide(run, selection, page.records().size(), overlapMoved,
                proposed.map(config.requests::storable), config.paginator.first());
        final boolean emitPage = switch (decision) {
            case RunNavigator.Resume resume -> resume.emitPage();
            case RunNavigator.Halt halt -> halt.emitPage();
            default -> true;
        };

        final Watermark runMax = emitPage ? Watermark.max(run.max(), selection.maxWatermark()) : run.max();
        // From here the object differs from what is stored until this page commits.
        committed = null;
        if (emitPage) {
            try {
                state.trackedKeys().addAll(selection.newEntries(), runMax == null ? null : runMax.lookbackFrom(config.lookback));
            } catch (final TrackedKeys.LimitExceededException e) {
                getLogger().error("Page {} of run {} from {} would raise the tracked record keys to {}, above Maximum Tracked Keys ({}); "
                                + "the page is not emitted and state is not advanced. Raise Maximum Tracked Keys or shorten the Lookback Window.",
                        run.pages() + 1, run.id(), shownUrl, e.getRequired(), e.getMaximum());
                return PageStep.STOP_AND_YIELD;
            }
        }

        final long pageNumber = run.pages() + 1;
        final long fingerprint = selection.contentFingerprint() != 0 ? selection.contentFingerprint() : run.lastFingerprint();
        final LoopGuard guard = config.paginator.serverDriven() ? run.loopGuard().after(run.next().fingerprint()) : run.loopGuard();
        final PageStep step;
        switch (decision) {
            case RunNavigator.Continue next -> {
                if (next.warning() != null) {
                    getLogger().warn("Page {} of run {} from {}: {}", pageNumber, run.id(), shownUrl, next.warning());
                }
                state.setRun(run.advanced(runMax, pageNumber, next.next(), guard, fingerprint, next.tail()));
                step = PageStep.CONTINUE;
            }
            case RunNavigator.Advance advance -> {
                state.setRun(run.advanced(runMax, pageNumber, config.paginator.first(), guard, fingerprint, advance.tail()).withLower(advance.lower()));
                step = PageStep.CONTINUE;
            }
            case RunNavigator.Complete complete -> {
                state.setRun(run.advanced(runMax, pageNumber, run.next(), guard, fingerprint, complete.tail()));
                state.completeRun(config.lookback);
                session.adjustCounter(COUNTER_RUNS_COMPLETED, 1, false);
                step = PageStep.RUN_COMPLETE;
            }
            case RunNavigator.Resume resume -> {
                // Nothing is lost: every record below the safe watermark was seen, and the versions at it are tracked.
                getLogger().warn("Page {} of run {} from {}: {}; the run resumes as a fresh query from its last safe watermark {}{}",
                        pageNumber, run.id(), shownUrl, resume.reason(), resume.safe(), resume.emitPage() ? "" : " (this page is not emitted)");
                state.setRun(run.resumedFrom(resume.safe(), config.paginator.first(), pageNumber, runMax, resume.tail()));
                step = PageStep.CONTINUE;
            }
            case RunNavigator.Halt halt -> {
                getLogger().error("Run {} halted at page {} from {}: {}. {}", run.id(), pageNumber, shownUrl, halt.reason(), HALT_ADVICE);
                state.setRun(run.halted(halt.reason(), pageNumber, runMax, halt.tail()));
                session.adjustCounter(COUNTER_RUNS_HALTED, 1, false);
                step = PageStep.STOP_AND_YIELD;
            }
        }

        if (emitPage && !selection.emitted().isEmpty()) {
            emit(session, selection, shownUrl, success, run.id(), pageNumber);
        }
        if (emitPage && !selection.invalid().isEmpty()) {
            routeInvalid(session, selection.invalid(), shownUrl, success, run.id(), pageNumber);
        }
        getLogger().debug("Page {} of run {}: {} records, {} emitted, {} already emitted, {} below window, {} deferred by settle delay",
                pageNumber, run.id(), page.records().size(), selection.emitted().size(), selection.duplicates(), selection.belowWindow(), selection.deferred());

        final boolean pauseTooLong = step == PageStep.CONTINUE && success.pauseBeforeNext().compareTo(config.maxRateLimitWait) > 0;
        if (pauseTooLong) {
            // Stored with the page, so that the next trigger on any node waits too.
            state.setNotBefore(clock.instant().plus(success.pauseBeforeNext()));
            session.adjustCounter(COUNTER_RATE_LIMIT_PAUSES, 1, false);
        }
        session.adjustCounter(COUNTER_PAGES, 1, false);
        final AtomicReference<Throwable> commitFailure = new AtomicReference<>();
        final Map<String, String> staged = state.toMap(MAPPER);
        try {
            session.setState(staged, Scope.CLUSTER);
        } catch (final IOException e) {
            throw new ProcessException("State could not be staged with page " + pageNumber, e);
        }
        session.commitAsync(() -> committed = new CommittedState(staged, state, config.watermarkFormat.isTimestamp(), config.maxTrackedKeys),
                commitFailure::set);
        if (commitFailure.get() != null) {
            // The page and its state were rolled back together; stop, the next trigger re-reads the stored state.
            getLogger().error("Committing page {} of run {} failed; it will be fetched again: {}", pageNumber, run.id(), commitFailure.get().toString());
            return PageStep.STOP_AND_YIELD;
        }

        if (step == PageStep.RUN_COMPLETE) {
            getLogger().info("Run {} complete after {} pages; watermark now {}, {} record keys tracked",
                    run.id(), pageNumber, state.watermark(), state.trackedKeys().size());
            return step;
        }
        if (step == PageStep.CONTINUE && !success.pauseBeforeNext().isZero()) {
            if (pauseTooLong) {
                getLogger().info("Request budget of {} used up (X-RateLimit-Remaining 0) for {} s, longer than Maximum Rate Limit Wait ({} s); "
                                + "no request before {} from any node, then run {} resumes at page {}",
                        shownUrl, success.pauseBeforeNext().toSeconds(), config.maxRateLimitWait.toSeconds(), state.notBefore(), run.id(), pageNumber + 1);
                return PageStep.STOP_AND_YIELD;
            }
            try {
                sleeper.sleep(success.pauseBeforeNext());
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return PageStep.STOP_AND_YIELD;
            }
        }
        return step;
    }

    /**
     * Stores "no request before" with the state as it is (nothing else changes), so that a wait longer than one trigger
     * survives the trigger, a restart and a primary-node change.
     */
    private void pauseUntil(final ProcessSession session, final FetchState state, final Instant until, final IncrementalApiFetchSettings config) {
        committed = null;
        state.setNotBefore(until);
        final Map<String, String> staged = state.toMap(MAPPER);
        try {
            session.setState(staged, Scope.CLUSTER);
        } catch (final IOException e) {
            getLogger().warn("The rate-limit pause could not be stored; the next trigger may call the API early: {}", e.toString());
            return;
        }
        session.commitAsync(() -> committed = new CommittedState(staged, state, config.watermarkFormat.isTimestamp(), config.maxTrackedKeys));
    }

    private void emit(final ProcessSession session, final RecordSelector.Selection selection, final String shownUrl,
                      final PageFetcher.Success success, final String runId, final long pageNumber) {
        FlowFile flowFile = session.create();
        flowFile = session.write(flowFile, out -> {
            try (JsonGenerator generator = MAPPER.createGenerator(out)) {
                generator.writeStartArray();
                for (final JsonNode record : selection.emitted()) {
                    MAPPER.writeTree(generator, record);
                }
                generator.writeEndArray();
            }
        });
        final Map<String, String> attributes = new HashMap<>();
        attributes.put(CoreAttributes.MIME_TYPE.key(), "application/json");
        attributes.put(RECORD_COUNT, Integer.toString(selection.emitted().size()));
        attributes.put(WATERMARK_MIN, selection.minWatermark().canonical());
        attributes.put(WATERMARK_MAX, selection.maxWatermark().canonical());
        attributes.put(PAGE_NUMBER, Long.toString(pageNumber));
        attributes.put(RUN_ID, runId);
        attributes.put(HTTP_STATUS, Integer.toString(success.status()));
        attributes.put(SOURCE_URL, shownUrl);
        flowFile = session.putAllAttributes(flowFile, attributes);
        session.getProvenanceReporter().receive(flowFile, shownUrl, success.elapsedMillis());
        session.transfer(flowFile, REL_SUCCESS);
        session.adjustCounter(COUNTER_RECORDS_EMITTED, selection.emitted().size(), false);
    }

    private void routeInvalid(final ProcessSession session, final List<RecordSelector.Invalid> invalid, final String shownUrl,
                              final PageFetcher.Success success, final String runId, final long pageNumber) {
        for (final RecordSelector.Invalid record : invalid) {
            FlowFile flowFile = session.create();
            flowFile = session.write(flowFile, out -> MAPPER.writeValue(out, record.record()));
            final Map<String, String> attributes = new HashMap<>();
            attributes.put(CoreAttributes.MIME_TYPE.key(), "application/json");
            if (record.key() != null) {
                attributes.put(INVALID_KEY, record.key());
            }
            attributes.put(INVALID_REASON, record.reason());
            attributes.put(PAGE_NUMBER, Long.toString(pageNumber));
            attributes.put(RUN_ID, runId);
            attributes.put(SOURCE_URL, shownUrl);
            flowFile = session.putAllAttributes(flowFile, attributes);
            session.getProvenanceReporter().receive(flowFile, shownUrl, success.elapsedMillis());
            session.transfer(flowFile, REL_FAILURE);
        }
        session.adjustCounter(COUNTER_RECORDS_FAILED, invalid.size(), false);
        getLogger().warn("Page {} of run {} from {}: {} records without a readable watermark or key routed to failure; the first: {}",
                pageNumber, runId, shownUrl, invalid.size(), invalid.get(0).reason());
    }

    private static String lastRecordValue(final List<JsonNode> records, final JsonPointer pointer) {
        if (records.isEmpty()) {
            return null;
        }
        final JsonNode value = records.get(records.size() - 1).at(pointer);
        return value.isValueNode() && !value.isNull() ? value.asText() : null;
    }

    /** Logs waits and retries of one request, with the URL already redacted. */
    private final class LoggingListener implements PageFetcher.Listener {
        private final String shownUrl;
        private final UrlRedactor redactor;
        /** Waits the fetcher made within this request because the API asked it to. */
        private int rateLimitWaits;
        /** Requests retried within this request after a transient failure (5xx, 408, timeout, connection error). */
        private int retries;

        private LoggingListener(final String shownUrl, final UrlRedactor redactor) {
            this.shownUrl = shownUrl;
            this.redactor = redactor;
        }

        @Override
        public void retrying(final String reason, final int attempt, final Duration delay) {
            // INFO, not a warning bulletin: a retried request may well succeed (a flaky API makes a healthy flow show warnings
            // otherwise); it is counted, and a page whose retries run out is an error bulletin.
            retries++;
            getLogger().info("Request to {} failed ({}); retry {} in {} ms", shownUrl, redactor.scrub(reason), attempt, delay.toMillis());
        }

        @Override
        public void rateLimited(final int status, final Duration wait) {
            rateLimitWaits++;
            getLogger().info("Rate limited by {} (HTTP {}); waiting {} ms as asked", shownUrl, status, wait.toMillis());
        }

        @Override
        public void refreshingCredentials() {
            getLogger().info("Request to {} refused with HTTP 401; asking the OAuth2 Access Token Provider for a different token", shownUrl);
        }
    }
}
