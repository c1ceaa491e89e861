package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleCrmApiTest {

    private static final String KEY = "test-key";
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");

    private final SampleData data = SampleData.generate(42L, 40);
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper mapper = new ObjectMapper();
    private SampleCrmApi api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void rejectsRequestsWithoutTheApiKey() throws Exception {
        api = SampleCrmApi.start(data, KEY, SampleCrmApi.Faults.none());
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(api.baseUrl() + "/contacts")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, response.statusCode());
    }

    @Test
    void linkPagesCoverEveryVisibleRecordOnceDespiteThrottlingErrorsAndTies() throws Exception {
        api = SampleCrmApi.start(data, KEY, new SampleCrmApi.Faults(Set.of(2), 1, Set.of(4), Duration.ofHours(1)));
        final List<String> seen = new ArrayList<>();
        final List<Integer> statuses = new ArrayList<>();
        boolean tieAcrossPages = false;
        String lastTimestampOfPreviousPage = null;
        String url = api.baseUrl() + "/contacts?updated_since=2026-01-01T00:00:00Z&limit=10";
        for (int guard = 0; url != null && guard < 50; guard++) {
            final HttpResponse<String> response = get(url);
            statuses.add(response.statusCode());
            if (response.statusCode() == 429) {
                assertEquals("1", response.headers().firstValue("Retry-After").orElseThrow());
                continue;
            }
            if (response.statusCode() == 500) {
                continue;
            }
            assertEquals(200, response.statusCode());
            final JsonNode page = mapper.readTree(response.body()).path("data");
            if (lastTimestampOfPreviousPage != null && page.get(0).path("updated_at").asText().equals(lastTimestampOfPreviousPage)) {
                tieAcrossPages = true;
            }
            page.forEach(record -> seen.add(record.path("id").asText() + "@" + record.path("updated_at").asText()));
            lastTimestampOfPreviousPage = page.get(page.size() - 1).path("updated_at").asText();
            final Matcher next = NEXT.matcher(response.headers().firstValue("Link").orElse(""));
            url = next.find() ? next.group(1) : null;
        }
        assertTrue(statuses.contains(429) && statuses.contains(500), "faults injected: " + statuses);
        assertTrue(tieAcrossPages, "some page boundary cuts through equal timestamps");
        final List<String> expected = data.crmRecords().stream().filter(r -> r != data.lateRecord())
                .map(r -> r.sourceId() + "@" + r.updatedAt()).toList();
        assertEquals(expected, seen);
        api.successfulPageCounts().values().forEach(count -> assertEquals(1L, count));
        assertEquals(statuses.size(), api.requests().size());
    }

    @Test
    void cursorPagesAreKeysetBasedAndLateRecordAppearsBehindTheWatermark() throws Exception {
        api = SampleCrmApi.start(data, KEY, new SampleCrmApi.Faults(Set.of(), 1, Set.of(), Duration.ofMillis(1500)));
        final List<String> before = walkCursor();
        assertFalse(before.contains(data.lateRecord().sourceId() + "@" + data.lateRecord().updatedAt()));
        assertEquals(data.crmRecords().size() - 1, before.size());

        NiFiInstance.sleep(1600);
        assertTrue(api.lateRecordVisible());
        final String watermark = data.crmRecords().getLast().updatedAt().toString();
        final JsonNode sinceWatermark = mapper.readTree(get(api.baseUrl() + "/contacts?updated_since=" + watermark + "&limit=100").body()).path("data");
        sinceWatermark.forEach(record -> assertFalse(record.path("id").asText().equals(data.lateRecord().sourceId())
                && record.path("updated_at").asText().equals(data.lateRecord().updatedAt().toString()), "late record hides behind the watermark"));
        final List<String> after = walkCursor();
        assertTrue(after.contains(data.lateRecord().sourceId() + "@" + data.lateRecord().updatedAt()));
    }

    @Test
    void servesGivenContactsInOrderAndPublishedOnesFromTheNextRequestOn() throws Exception {
        final RealDataDrops drops = RealDataDrops.generate(5L, 20, false);
        final List<SampleData.SourceRecord> early = drops.crmRecords(false);
        final List<SampleData.SourceRecord> late = drops.crmRecords(true);
        assertFalse(late.isEmpty(), "the data has a late drop");
        // Shuffled on purpose: the API orders them itself.
        final List<SampleData.SourceRecord> shuffled = new ArrayList<>(early);
        java.util.Collections.shuffle(shuffled, new java.util.Random(3));
        api = SampleCrmApi.serving(shuffled, KEY, SampleCrmApi.Faults.none());
        final List<String> expected = new ArrayList<>(early.stream().map(r -> r.sourceId() + "@" + r.updatedAt()).toList());
        assertEquals(expected, walkCursor());
        final JsonNode first = mapper.readTree(get(api.baseUrl() + "/contacts?updated_since=2026-01-01T00:00:00Z&limit=1").body())
                .path("data").get(0);
        final SampleData.SourceRecord firstRecord = early.getFirst();
        assertEquals(firstRecord.email(), first.path("email").asText());
        assertEquals(firstRecord.country() == null, first.path("country").isMissingNode(), "absent fields omitted");
        assertEquals(0, new java.math.BigDecimal("12.50").compareTo(first.path("lifetime_value").decimalValue()));

        api.publish(late);
        late.forEach(r -> expected.add(r.sourceId() + "@" + r.updatedAt()));
        assertEquals(expected, walkCursor());
        assertThrows(IllegalArgumentException.class,
                () -> SampleCrmApi.serving(early, KEY, new SampleCrmApi.Faults(Set.of(), 1, Set.of(), Duration.ZERO, 2, 0)));
    }

    private List<String> walkCursor() throws IOException, InterruptedException {
        final List<String> seen = new ArrayList<>();
        String url = api.baseUrl() + "/contacts?cursor=&limit=7";
        for (int guard = 0; url != null && guard < 50; guard++) {
            final HttpResponse<String> response = get(url);
            assertEquals(200, response.statusCode());
            final JsonNode body = mapper.readTree(response.body());
            body.path("data").forEach(record -> seen.add(record.path("id").asText() + "@" + record.path("updated_at").asText()));
            final JsonNode cursor = body.path("next_cursor");
            if (cursor.isNull()) {
                assertNull(response.headers().firstValue("Link").orElse(null));
                url = null;
            } else {
                assertNotNull(response.headers().firstValue("Link").orElse(null));
                url = api.baseUrl() + "/contacts?cursor=" + cursor.asText() + "&limit=7";
            }
        }
        return seen;
    }

    @Test
    void outageAnswers503FromItsFirstRequestForItsLength() throws Exception {
        api = SampleCrmApi.start(data, KEY, SampleCrmApi.Faults.none());
        api.unavailableFrom(2, Duration.ofMillis(1500));
        final String url = api.baseUrl() + "/contacts?updated_since=2026-01-01T00:00:00Z&limit=10";
        assertEquals(200, get(url).statusCode());
        final HttpResponse<String> first503 = get(url);
        assertEquals(503, first503.statusCode());
        assertTrue(first503.headers().firstValue("Retry-After").isEmpty(), "no Retry-After");
        assertEquals(503, get(url).statusCode());
        assertNotNull(api.outageStartedAt());
        Thread.sleep(1700);
        assertEquals(200, get(url).statusCode());
        assertEquals(List.of(200, 503, 503, 200), api.requests().stream().map(SampleCrmApi.RecordedRequest::status).toList());
    }

    private HttpResponse<String> get(final String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header(SampleCrmApi.API_KEY_HEADER, KEY).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
