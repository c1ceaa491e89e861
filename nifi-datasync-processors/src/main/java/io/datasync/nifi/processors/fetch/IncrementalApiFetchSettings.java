package io.datasync.nifi.processors.fetch;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.fetch.OriginPolicy;
import io.datasync.nifi.fetch.PageFetcher;
import io.datasync.nifi.fetch.PageParser;
import io.datasync.nifi.fetch.PageProgress;
import io.datasync.nifi.fetch.Paginator;
import io.datasync.nifi.fetch.Paginators;
import io.datasync.nifi.fetch.RecordSelector;
import io.datasync.nifi.fetch.RequestBuilder;
import io.datasync.nifi.fetch.ResponseSizeLimit;
import io.datasync.nifi.fetch.RunNavigator;
import io.datasync.nifi.fetch.RunPlanner;
import io.datasync.nifi.fetch.UrlRedactor;
import io.datasync.nifi.fetch.Watermark;
import io.datasync.nifi.fetch.WatermarkFormat;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.CursorSource;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.HttpMethod;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.InvalidRecordHandling;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.PaginationStrategy;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.ParameterFormat;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WatermarkType;
import io.datasync.nifi.processors.http.HttpApiClients;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.DataUnit;
import org.apache.nifi.processor.ProcessContext;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.ALLOWED_ORIGINS;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.CURSOR_PARAMETER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.CURSOR_POINTER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.CURSOR_SOURCE;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.ENDPOINT_URL;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.FIRST_PAGE_NUMBER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.HEADER_PREFIX;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.HTTP_METHOD;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.INITIAL_WATERMARK;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.INVALID_RECORD_HANDLING;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.LOOKBACK_WINDOW;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.MAX_PAGES_PER_TRIGGER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.MAX_RATE_LIMIT_WAIT;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.MAX_RESPONSE_SIZE;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.MAX_RETRIES;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.MAX_RUN_SPAN;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.MAX_TRACKED_KEYS;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.NEXT_URL_POINTER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.OFFSET_PARAMETER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.PAGE_PARAMETER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.PAGE_SIZE;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.PAGE_SIZE_PARAMETER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.PAGINATION_STRATEGY;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.QUERY_PREFIX;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.RECORDS_POINTER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.RECORD_KEY_POINTER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.REQUEST_BODY_TEMPLATE;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.SETTLE_DELAY;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.UPPER_BOUND_PARAMETER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WATERMARK_PARAMETER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WATERMARK_PARAMETER_FORMAT;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WATERMARK_POINTER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WATERMARK_TYPE;

/**
 * Everything {@link io.datasync.nifi.processors.IncrementalApiFetch} derives from its configuration, built once per scheduling: the HTTP
 * client and fetcher, the credentials, and the plain-Java pieces of {@code io.datasync.nifi.fetch} that build
 * requests, parse pages, select records and steer the run.
 */
public final class IncrementalApiFetchSettings {
    public final HttpClient httpClient;
    public final PageFetcher fetcher;
    public final PageFetcher.Authorizer authorizer;
    public final UrlRedactor redactor;
    public final Paginator paginator;
    public final RequestBuilder requests;
    public final RunPlanner planner;
    public final PageProgress progress;
    final WatermarkFormat watermarkFormat;
    final Duration lookback;
    public final Duration maxRateLimitWait;
    final int maxTrackedKeys;
    public final int maxPagesPerTrigger;
    public final int maxRetries;
    public final String unauthorizedAdvice;
    public final boolean routeInvalid;

    /** Read once per schedule (@OnScheduled), as every processor of the bundle reads its settings. */
    public static IncrementalApiFetchSettings from(final ProcessContext context, final ComponentLog logger, final PageFetcher.Sleeper sleeper,
                                                   final Clock clock, final ObjectMapper mapper) {
        return new IncrementalApiFetchSettings(context, logger, sleeper, clock, mapper);
    }

    private IncrementalApiFetchSettings(final ProcessContext context, final ComponentLog logger, final PageFetcher.Sleeper sleeper, final Clock clock,
                                final ObjectMapper mapper) {
        final WatermarkType watermarkType = context.getProperty(WATERMARK_TYPE).asAllowableValue(WatermarkType.class);
        watermarkFormat = watermarkType.format();
        final WatermarkFormat parameterFormat = watermarkFormat.isTimestamp()
                ? context.getProperty(WATERMARK_PARAMETER_FORMAT).asAllowableValue(ParameterFormat.class).resolve(watermarkFormat)
                : WatermarkFormat.NUMBER;
        final String initial = context.getProperty(INITIAL_WATERMARK).evaluateAttributeExpressions().getValue();
        final Watermark initialWatermark = initial == null || initial.isBlank() ? null : watermarkFormat.parseLenient(initial);
        lookback = watermarkFormat.isTimestamp() ? HttpApiClients.period(context, LOOKBACK_WINDOW) : Duration.ZERO;
        final Duration settleDelay = watermarkFormat.isTimestamp() ? HttpApiClients.period(context, SETTLE_DELAY) : Duration.ZERO;
        final Duration maxRunSpan = watermarkFormat.isTimestamp() && context.getProperty(MAX_RUN_SPAN).isSet() ? HttpApiClients.period(context, MAX_RUN_SPAN) : null;
        final String upperBoundParameter = watermarkFormat.isTimestamp() ? context.getProperty(UPPER_BOUND_PARAMETER).getValue() : null;
        maxRateLimitWait = HttpApiClients.period(context, MAX_RATE_LIMIT_WAIT);
        maxTrackedKeys = context.getProperty(MAX_TRACKED_KEYS).asInteger();
        maxPagesPerTrigger = context.getProperty(MAX_PAGES_PER_TRIGGER).asInteger();
        maxRetries = context.getProperty(MAX_RETRIES).asInteger();
        routeInvalid = context.getProperty(INVALID_RECORD_HANDLING).asAllowableValue(InvalidRecordHandling.class) == InvalidRecordHandling.ROUTE_TO_FAILURE;
        final String endpointUrl = context.getProperty(ENDPOINT_URL).evaluateAttributeExpressions().getValue();
        final HttpMethod method = context.getProperty(HTTP_METHOD).asAllowableValue(HttpMethod.class);
        final String bodyTemplate = method == HttpMethod.POST ? context.getProperty(REQUEST_BODY_TEMPLATE).evaluateAttributeExpressions().getValue() : null;
        final String watermarkParameter = context.getProperty(WATERMARK_PARAMETER).getValue();
        final String pageSizeParameter = context.getProperty(PAGE_SIZE_PARAMETER).getValue();
        final int pageSize = context.getProperty(PAGE_SIZE).asInteger();

        final PaginationStrategy strategy = context.getProperty(PAGINATION_STRATEGY).asAllowableValue(PaginationStrategy.class);
        String capturePointer = null;
        JsonPointer lastRecordPointer = null;
        paginator = switch (strategy) {
            case NONE, KEYSET -> Paginators.none();
            case LINK_HEADER -> Paginators.linkHeader();
            case NEXT_URL -> {
                capturePointer = context.getProperty(NEXT_URL_POINTER).getValue();
                yield Paginators.nextUrl();
            }
            case CURSOR -> {
                final String pointer = context.getProperty(CURSOR_POINTER).getValue();
                final boolean fromLastRecord = context.getProperty(CURSOR_SOURCE).asAllowableValue(CursorSource.class) == CursorSource.LAST_RECORD;
                if (fromLastRecord) {
                    lastRecordPointer = JsonPointer.compile(pointer);
                } else {
                    capturePointer = pointer;
                }
                yield Paginators.cursor(context.getProperty(CURSOR_PARAMETER).getValue());
            }
            case PAGE_NUMBER -> Paginators.pageNumber(context.getProperty(PAGE_PARAMETER).getValue(), context.getProperty(FIRST_PAGE_NUMBER).asLong());
            case OFFSET -> Paginators.offset(context.getProperty(OFFSET_PARAMETER).getValue());
        };
        final boolean watermarkSendable = watermarkParameter != null || (bodyTemplate != null && bodyTemplate.contains("{{watermark}}"));
        final RunNavigator.Kind kind = switch (strategy) {
            case KEYSET -> RunNavigator.Kind.KEYSET;
            case OFFSET -> RunNavigator.Kind.OFFSET_WITH_OVERLAP;
            case LINK_HEADER, NEXT_URL, CURSOR -> RunNavigator.Kind.SERVER_DRIVEN;
            case NONE, PAGE_NUMBER -> RunNavigator.Kind.COUNTED;
        };
        final RunNavigator navigator = new RunNavigator(kind, watermarkSendable, pageSize);
        final String recordsPointer = context.getProperty(RECORDS_POINTER).getValue();
        final PageParser parser = new PageParser(mapper, recordsPointer == null ? "" : recordsPointer, capturePointer);
        final RecordSelector selector = new RecordSelector(context.getProperty(WATERMARK_POINTER).getValue(), context.getProperty(RECORD_KEY_POINTER).getValue(), watermarkFormat);

        final Map<String, String> queryParameters = new LinkedHashMap<>();
        final Map<String, String> headers = new LinkedHashMap<>();
        // Sensitive query parameters (API key, sensitive query.*): stripped from stored next URLs, added again to each request.
        final Map<String, String> secretQueryParameters = new LinkedHashMap<>();
        final List<String> secrets = new ArrayList<>();
        final List<String> sensitiveNames = new ArrayList<>();
        for (final Map.Entry<PropertyDescriptor, String> property : context.getProperties().entrySet()) {
            final PropertyDescriptor descriptor = property.getKey();
            if (!descriptor.isDynamic() || property.getValue() == null) {
                continue;
            }
            final String value = context.getProperty(descriptor).evaluateAttributeExpressions().getValue();
            final String name = descriptor.getName();
            if (name.startsWith(QUERY_PREFIX)) {
                queryParameters.put(name.substring(QUERY_PREFIX.length()), value);
                if (descriptor.isSensitive()) {
                    sensitiveNames.add(name.substring(QUERY_PREFIX.length()));
                    secretQueryParameters.put(name.substring(QUERY_PREFIX.length()), value);
                }
            } else if (name.startsWith(HEADER_PREFIX)) {
                headers.put(name.substring(HEADER_PREFIX.length()), value);
            }
            if (descriptor.isSensitive()) {
                secrets.add(value);
            }
        }

        final HttpApiClients.Authentication authentication = HttpApiClients.authentication(context);
        authorizer = authentication.authorizer();
        secrets.addAll(authentication.secrets());
        final String keyQueryName = authentication.keyQueryName();
        final String keyQueryValue = authentication.keyQueryValue();
        if (keyQueryName != null) {
            sensitiveNames.add(keyQueryName);
        }
        if (keyQueryName != null) {
            secretQueryParameters.put(keyQueryName, keyQueryValue);
        }
        unauthorizedAdvice = switch (authentication.strategy()) {
            case OAUTH2 -> "The token was revoked or lacks the scopes needed, or the provider keeps a cached token the API no longer "
                    + "accepts: check the client's grants and scopes, then disable and enable the OAuth2 Access Token Provider so that "
                    + "it fetches a new token.";
            case NONE -> "The API requires credentials: set an Authentication Strategy.";
            default -> "Update the credentials (" + authentication.strategy().getDisplayName() + ") in the processor's properties or parameter context.";
        };
        redactor = new UrlRedactor(sensitiveNames, secrets);

        httpClient = HttpApiClients.httpClient(context, logger);
        final OriginPolicy originPolicy = new OriginPolicy(endpointUrl, OriginPolicy.parseAllowList(context.getProperty(ALLOWED_ORIGINS).getValue()));
        final ResponseSizeLimit sizeLimit = new ResponseSizeLimit(context.getProperty(MAX_RESPONSE_SIZE).asDataSize(DataUnit.B).longValue());
        planner = new RunPlanner(initialWatermark, lookback, watermarkFormat.isTimestamp(), settleDelay, maxRunSpan);
        final String numberPlaceholder = switch (strategy) {
            case PAGE_NUMBER -> "page";
            case OFFSET -> "offset";
            default -> null;
        };
        requests = new RequestBuilder(endpointUrl, bodyTemplate, headers, queryParameters, secretQueryParameters, keyQueryName, keyQueryValue,
                originPolicy, paginator, parameterFormat, watermarkParameter, upperBoundParameter, pageSizeParameter, pageSize, numberPlaceholder);
        progress = new PageProgress(parser, selector, navigator, paginator, originPolicy, requests::storable, lastRecordPointer, routeInvalid,
                lookback);
        fetcher = HttpApiClients.fetcher(context, httpClient, maxRetries, maxRateLimitWait, sizeLimit, originPolicy, sleeper, clock);
    }
}
