package io.datasync.nifi.fetch;

import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the request for the position a run has reached: the first request of a run (or of a keyset or
 * resumed query) from the endpoint with the watermark, upper bound, page size and paging parameters, a next
 * URL as the API handed it out, and the JSON body from the Request Body Template. Credentials that travel in
 * the query (an API key, sensitive query parameters) are kept out of stored next URLs and added again to
 * each request.
 *
 * @param endpointUrl the collection's URL, without watermark, paging or credential parameters
 * @param bodyTemplate the POST body template, or null for GET
 * @param headers headers sent with every request (besides the credentials)
 * @param queryParameters parameters of the first request of a query
 * @param secretQueryParameters sensitive query parameters, the API key in the query among them
 * @param apiKeyQueryName the query parameter carrying the API key, or null
 * @param apiKeyQueryValue the API key sent in that parameter, or null
 * @param originPolicy where a stored next URL may lead
 * @param paginator the paging parameters of a position
 * @param parameterFormat how watermarks are written in the request
 * @param watermarkParameter the query parameter of the lower bound, or null
 * @param upperBoundParameter the query parameter of the upper bound, or null
 * @param pageSizeParameter the query parameter of the page size, or null
 * @param pageSize the records asked for per page
 * @param numberPlaceholder the body placeholder that carries the position's number ("page" or "offset"), or null
 */
public record RequestBuilder(String endpointUrl, String bodyTemplate, Map<String, String> headers, Map<String, String> queryParameters,
                             Map<String, String> secretQueryParameters, String apiKeyQueryName, String apiKeyQueryValue,
                             OriginPolicy originPolicy, Paginator paginator, WatermarkFormat parameterFormat, String watermarkParameter,
                             String upperBoundParameter, String pageSizeParameter, int pageSize, String numberPlaceholder) {

    /**
     * @throws IllegalArgumentException when the run's stored next URL leads outside the allowed origins
     */
    public PageFetcher.PageRequest build(final FetchState.Run run) {
        final PagePosition position = run.next();
        String url;
        if (position.url() != null) {
            url = position.url();
            if (!originPolicy.check(URI.create(url)).isAllowed()) {
                throw new IllegalArgumentException("the stored next URL leads outside the allowed origins");
            }
            final Map<String, String> secrets = new LinkedHashMap<>(secretQueryParameters);
            if (apiKeyQueryName != null) {
                secrets.remove(apiKeyQueryName);
            }
            url = RequestTemplates.withParameters(url, secrets);
        } else {
            final Map<String, String> parameters = new LinkedHashMap<>(queryParameters);
            if (watermarkParameter != null && run.lower() != null) {
                parameters.put(watermarkParameter, parameterFormat.format(run.lower()));
            }
            if (upperBoundParameter != null && run.upper() != null) {
                parameters.put(upperBoundParameter, parameterFormat.format(upperBoundSent(run.upper())));
            }
            if (pageSizeParameter != null) {
                parameters.put(pageSizeParameter, Integer.toString(pageSize));
            }
            parameters.putAll(paginator.parameters(position));
            url = RequestTemplates.withParameters(endpointUrl, parameters);
        }
        if (apiKeyQueryName != null) {
            url = RequestTemplates.withParameters(url, Map.of(apiKeyQueryName, apiKeyQueryValue));
        }
        String body = null;
        if (bodyTemplate != null) {
            final Map<String, String> values = new HashMap<>();
            values.put("watermark", run.lower() == null ? "null" : parameterFormat.formatJson(run.lower()));
            values.put("cursor", RequestTemplates.jsonString(position.cursor()));
            values.put("page", "null");
            values.put("offset", "null");
            if (numberPlaceholder != null) {
                values.put(numberPlaceholder, position.number() == null ? "null" : Long.toString(position.number()));
            }
            values.put("pageSize", Integer.toString(pageSize));
            values.put("upperBound", run.upper() == null ? "null" : parameterFormat.formatJson(upperBoundSent(run.upper())));
            body = RequestTemplates.renderBody(bodyTemplate, values);
        }
        return new PageFetcher.PageRequest(URI.create(url), headers, body);
    }

    /** Next URLs are kept in state without the API key and sensitive query.* values; they are added again to each request. */
    public PagePosition storable(final PagePosition position) {
        if (secretQueryParameters.isEmpty() || position.url() == null) {
            return position;
        }
        String url = position.url();
        for (final String name : secretQueryParameters.keySet()) {
            url = RequestTemplates.withoutParameter(url, name);
        }
        return PagePosition.ofUrl(url);
    }

    /** One second above the bound: after rounding down it is still above it, so inclusive and exclusive APIs both return the bound. */
    private static Watermark upperBoundSent(final Watermark upper) {
        return Watermark.ofInstant(upper.toInstant().plusSeconds(1));
    }
}
