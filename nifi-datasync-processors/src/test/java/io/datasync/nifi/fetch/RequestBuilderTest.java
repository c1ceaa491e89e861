package io.datasync.nifi.fetch;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestBuilderTest {

    private static final String ENDPOINT = "https://api.example.com/customers";
    // 2024-01-01T00:00:00Z and 2024-01-02T00:00:00Z in epoch seconds
    private static final long LOWER = 1_704_067_200L;
    private static final long UPPER = 1_704_153_600L;

    private static FetchState.Run run(final PagePosition next) {
        return new FetchState.Run("r", Watermark.ofInstant(Instant.ofEpochSecond(LOWER)), Watermark.ofInstant(Instant.ofEpochSecond(UPPER)),
                null, null, 0, next, Set.of(), 0);
    }

    private static RequestBuilder builder(final String bodyTemplate, final Map<String, String> secrets, final String apiKeyName,
                                          final String apiKey, final Paginator paginator, final String numberPlaceholder) {
        final Map<String, String> query = new LinkedHashMap<>();
        query.put("status", "active");
        query.putAll(secrets);
        final Map<String, String> secretQuery = new LinkedHashMap<>(secrets);
        if (apiKeyName != null) {
            secretQuery.put(apiKeyName, apiKey);
        }
        return new RequestBuilder(ENDPOINT, bodyTemplate, Map.of("X-Tenant", "t1"), query, secretQuery, apiKeyName, apiKey,
                new OriginPolicy(ENDPOINT, List.of()), paginator, WatermarkFormat.EPOCH_SECONDS, "updated_since", "updated_before", "limit", 50,
                numberPlaceholder);
    }

    private static int occurrences(final String text, final String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    @Test
    void firstRequestCarriesTheBoundsThePageSizeAndTheQueryParameters() {
        final PageFetcher.PageRequest request = builder(null, Map.of(), null, null, Paginators.none(), null).build(run(PagePosition.start()));
        final String query = request.uri().getRawQuery();
        assertTrue(request.uri().toString().startsWith(ENDPOINT + "?"), request.uri().toString());
        assertTrue(query.contains("status=active"), query);
        assertTrue(query.contains("updated_since=" + LOWER), query);
        // One second above the run's bound, so that APIs with an exclusive upper bound still return records at the bound.
        assertTrue(query.contains("updated_before=" + (UPPER + 1)), query);
        assertTrue(query.contains("limit=50"), query);
        assertEquals(Map.of("X-Tenant", "t1"), request.headers());
        assertNull(request.body());
    }

    @Test
    void storedNextUrlsLoseTheSecretsWhichEachRequestAddsAgain() {
        final RequestBuilder builder = builder(null, Map.of("token", "s3cret"), "api_key", "k3y", Paginators.nextUrl(), null);
        final PagePosition stored = builder.storable(PagePosition.ofUrl(ENDPOINT + "?page=2&token=s3cret&api_key=k3y"));
        assertFalse(stored.url().contains("s3cret"), stored.url());
        assertFalse(stored.url().contains("k3y"), stored.url());
        assertTrue(stored.url().contains("page=2"), stored.url());

        final String sent = builder.build(run(stored)).uri().toString();
        assertEquals(1, occurrences(sent, "token=s3cret"), sent);
        assertEquals(1, occurrences(sent, "api_key=k3y"), sent);
        assertTrue(sent.contains("page=2"), sent);
        // A next URL is followed as given: the bounds are not added to it again.
        assertFalse(sent.contains("updated_since"), sent);
    }

    @Test
    void positionsWithoutAUrlAreKeptAsTheyAre() {
        final RequestBuilder builder = builder(null, Map.of("token", "s3cret"), null, null, Paginators.cursor("after"), null);
        final PagePosition cursor = PagePosition.ofCursor("c2");
        assertEquals(cursor, builder.storable(cursor));
    }

    @Test
    void aStoredNextUrlOutsideTheAllowedOriginsIsRefused() {
        final RequestBuilder builder = builder(null, Map.of(), null, null, Paginators.nextUrl(), null);
        assertThrows(IllegalArgumentException.class, () -> builder.build(run(PagePosition.ofUrl("https://elsewhere.example.com/customers?page=2"))));
    }

    @Test
    void theBodyTemplateGetsJsonValuesAndOnlyTheStrategysNumber() {
        final String template = "{\"since\": {{watermark}}, \"until\": {{upperBound}}, \"after\": {{cursor}}, \"page\": {{page}}, "
                + "\"offset\": {{offset}}, \"size\": {{pageSize}}}";
        final String body = builder(template, Map.of(), null, null, Paginators.offset("offset"), "offset").build(run(PagePosition.ofNumber(40))).body();
        assertEquals("{\"since\": " + LOWER + ", \"until\": " + (UPPER + 1) + ", \"after\": null, \"page\": null, \"offset\": 40, \"size\": 50}", body);
    }
}
