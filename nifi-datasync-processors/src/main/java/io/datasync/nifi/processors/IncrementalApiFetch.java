package io.datasync.nifi.processors;

import io.datasync.nifi.fetch.FetchState;
import io.datasync.nifi.fetch.PageFetcher;
import io.datasync.nifi.fetch.PageProgress;
import io.datasync.nifi.fetch.RecordSelector;
import io.datasync.nifi.fetch.RunNavigator;
import io.datasync.nifi.fetch.TrackedKeys;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchListener;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchOutput;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchSettings;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchStateStore;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchValidation;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.scheduling.SchedulingStrategy;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;

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
public class IncrementalApiFetch extends IncrementalApiFetchDescriptors {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        MAPPER.getFactory().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    }

    private volatile Set<Relationship> relationships = RELATIONSHIPS;

    private volatile IncrementalApiFetchSettings settings;

    /** The cluster state, with the FetchState this instance last committed kept in memory. */
    private final IncrementalApiFetchStateStore store = new IncrementalApiFetchStateStore(MAPPER);

    /** How the processor waits for backoffs and rate limits; tests record the waits instead of sleeping. */
    volatile PageFetcher.Sleeper sleeper = Thread::sleep;

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
        return IncrementalApiFetchValidation.dynamicProperty(propertyDescriptorName);
    }

    @Override
    protected Collection<ValidationResult> customValidate(final ValidationContext context) {
        return IncrementalApiFetchValidation.validate(context);
    }

    @OnScheduled
    public void onScheduled(final ProcessContext context) {
        releaseHalt = true;
        settings = IncrementalApiFetchSettings.from(context, getLogger(), sleeper, clock, MAPPER);
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
            state = store.read(session, config);
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
            store.changing();
            getLogger().warn("Run {} was halted ({}); restarted by the operator, its pagination starts again from its first page",
                    state.run().id(), state.run().halted());
            state.setRun(state.run().restarted(config.paginator.first()));
        }
        releaseHalt = false;
        if (state.run() == null) {
            store.changing();
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
            store.changing();
            state.setRun(run.restarted(config.paginator.first()));
            return PageStep.CONTINUE;
        }
        final String shownUrl = config.redactor.redact(request.uri().toString());

        final PageFetcher.Outcome outcome;
        final IncrementalApiFetchListener listener = new IncrementalApiFetchListener(getLogger(), shownUrl, config.redactor);
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
        listener.adjustCounters(session);

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
            try {
                store.pauseUntil(session, state, until, config);
            } catch (final IOException e) {
                getLogger().warn("The rate-limit pause could not be stored; the next trigger may call the API early: {}", e.toString());
            }
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

        final PageProgress.Examined examined = config.progress.examine(state, success.body(), success.uri(), success.headers().allValues("Link"));
        if (examined instanceof PageProgress.Malformed malformed) {
            getLogger().error("Malformed page from {}: {}; run {} stopped at page {}, state not advanced{}",
                    shownUrl, malformed.message(), run.id(), run.pages() + 1, config.routeInvalid ? ""
                            : ". To deliver the other records and route such records to 'failure', set Invalid Record Handling to Route to Failure");
            return PageStep.STOP_AND_YIELD;
        }
        if (examined instanceof PageProgress.LinkRefused refused) {
            getLogger().error("Page {} of run {} from {} links to a next page that is not followed: {}. Nothing was sent there; the page is "
                            + "not emitted and state is not advanced, so the run stays at this page. If that origin is trusted with the "
                            + "credentials, add it to Allowed Origins.",
                    run.pages() + 1, run.id(), shownUrl, config.redactor.scrub(refused.reason()));
            return PageStep.STOP_AND_YIELD;
        }
        final PageProgress.Planned plan = (PageProgress.Planned) examined;
        final RecordSelector.Selection selection = plan.selection();
        final boolean emitPage = plan.emitPage();
        // From here the object differs from what is stored until this page commits.
        store.changing();
        if (emitPage) {
            try {
                config.progress.track(state, plan);
            } catch (final TrackedKeys.LimitExceededException e) {
                getLogger().error("Page {} of run {} from {} would raise the tracked record keys to {}, above Maximum Tracked Keys ({}); "
                                + "the page is not emitted and state is not advanced. Raise Maximum Tracked Keys or shorten the Lookback Window.",
                        run.pages() + 1, run.id(), shownUrl, e.getRequired(), e.getMaximum());
                return PageStep.STOP_AND_YIELD;
            }
        }

        final long pageNumber = run.pages() + 1;
        config.progress.advance(state, plan);
        final PageStep step = switch (plan.decision()) {
            case RunNavigator.Continue next -> {
                if (next.warning() != null) {
                    getLogger().warn("Page {} of run {} from {}: {}", pageNumber, run.id(), shownUrl, next.warning());
                }
                yield PageStep.CONTINUE;
            }
            case RunNavigator.Advance advance -> PageStep.CONTINUE;
            case RunNavigator.Complete complete -> {
                session.adjustCounter(COUNTER_RUNS_COMPLETED, 1, false);
                yield PageStep.RUN_COMPLETE;
            }
            case RunNavigator.Resume resume -> {
                getLogger().warn("Page {} of run {} from {}: {}; the run resumes as a fresh query from its last safe watermark {}{}",
                        pageNumber, run.id(), shownUrl, resume.reason(), resume.safe(), resume.emitPage() ? "" : " (this page is not emitted)");
                yield PageStep.CONTINUE;
            }
            case RunNavigator.Halt halt -> {
                getLogger().error("Run {} halted at page {} from {}: {}. {}", run.id(), pageNumber, shownUrl, halt.reason(), HALT_ADVICE);
                session.adjustCounter(COUNTER_RUNS_HALTED, 1, false);
                yield PageStep.STOP_AND_YIELD;
            }
        };

        if (emitPage && !selection.emitted().isEmpty()) {
            IncrementalApiFetchOutput.emit(MAPPER, session, selection, shownUrl, success, run.id(), pageNumber);
        }
        if (emitPage && !selection.invalid().isEmpty()) {
            IncrementalApiFetchOutput.routeInvalid(getLogger(), MAPPER, session, selection.invalid(), shownUrl, success, run.id(), pageNumber);
        }
        getLogger().debug("Page {} of run {}: {} records, {} emitted, {} already emitted, {} below window, {} deferred by settle delay",
                pageNumber, run.id(), plan.page().records().size(), selection.emitted().size(), selection.duplicates(), selection.belowWindow(), selection.deferred());

        final boolean pauseTooLong = step == PageStep.CONTINUE && success.pauseBeforeNext().compareTo(config.maxRateLimitWait) > 0;
        if (pauseTooLong) {
            // Stored with the page, so that the next trigger on any node waits too.
            state.setNotBefore(clock.instant().plus(success.pauseBeforeNext()));
            session.adjustCounter(COUNTER_RATE_LIMIT_PAUSES, 1, false);
        }
        session.adjustCounter(COUNTER_PAGES, 1, false);
        final Throwable commitFailure;
        try {
            commitFailure = store.commit(session, state, config);
        } catch (final IOException e) {
            throw new ProcessException("State could not be staged with page " + pageNumber, e);
        }
        if (commitFailure != null) {
            // The page and its state were rolled back together; stop, the next trigger re-reads the stored state.
            getLogger().error("Committing page {} of run {} failed; it will be fetched again: {}", pageNumber, run.id(), commitFailure.toString());
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
}
