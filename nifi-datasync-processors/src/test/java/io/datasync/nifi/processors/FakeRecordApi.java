package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import okhttp3.HttpUrl;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A paginating REST API over an in-memory record list, for MockWebServer: filters by
 * {@code since} (inclusive), pages by the configured style, and can be told to answer with
 * scripted responses first (errors, rate limits).
 */
final class FakeRecordApi extends Dispatcher {

    enum Paging { NONE, LINK, NEXT_URL, CURSOR, PAGE, OFFSET, STARTING_AFTER, LOOPING_CURSOR, KEYSET, CURSOR_BACK_TO_PAGE_2_AFTER_5 }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final List<ObjectNode> records = new CopyOnWriteArrayList<>();
    private final Deque<MockResponse> scripted = new ConcurrentLinkedDeque<>();
    final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final Paging paging;
    volatile boolean newestFirst;
    volatile String requiredAuthorization;
    /** Like HubSpot search's 10,000: a request reaching past this many matching records is refused with 400; 0 for none. */
    volatile int resultCap;

    FakeRecordApi(final Paging paging) {
        this.paging = paging;
    }

    void add(final String id, final String updatedAt) {
        final ObjectNode record = MAPPER.createObjectNode();
        record.put("id", id);
        record.put("updated_at", updatedAt);
        record.put("plan", "gold");
        records.add(record);
    }

    void addMany(final int count, final String prefix, final String updatedAt) {
        for (int i = 0; i < count; i++) {
            add(prefix + i, updatedAt);
        }
    }

    /** A new version of a record: its watermark changes, and it moves in the sorted list. */
    void update(final String id, final String updatedAt) {
        for (final ObjectNode record : records) {
            if (record.get("id").asText().equals(id)) {
                records.remove(record);
                final ObjectNode updated = record.deepCopy();
                updated.put("updated_at", updatedAt);
                records.add(updated);
                return;
            }
        }
        throw new IllegalArgumentException("no record " + id);
    }

    /** The table as it is now: id to its current watermark. */
    java.util.Map<String, String> table() {
        final java.util.Map<String, String> table = new java.util.HashMap<>();
        records.forEach(record -> table.put(record.get("id").asText(), record.get("updated_at").asText()));
        return table;
    }

    void enqueueFirst(final MockResponse response) {
        scripted.add(response);
    }

    @Override
    public MockResponse dispatch(final RecordedRequest request) {
        requests.add(request);
        final MockResponse next = scripted.poll();
        if (next != null) {
            return next;
        }
        if (requiredAuthorization != null && !requiredAuthorization.equals(request.getHeader("Authorization"))) {
            return new MockResponse().setResponseCode(401);
        }
        final HttpUrl url = request.getRequestUrl();
        final String since = url.queryParameter("since");
        final String until = url.queryParameter("until");
        final int limit = url.queryParameter("limit") == null ? 100 : Integer.parseInt(url.queryParameter("limit"));
        Comparator<ObjectNode> order = Comparator.comparing((ObjectNode r) -> Instant.parse(r.get("updated_at").asText()))
                .thenComparing(r -> r.get("id").asText());
        if (newestFirst) {
            order = order.reversed();
        }
        final List<ObjectNode> matching = new ArrayList<>();
        for (final ObjectNode record : records) {
            final Instant updated = Instant.parse(record.get("updated_at").asText());
            if ((since == null || !updated.isBefore(Instant.parse(since))) && (until == null || updated.isBefore(Instant.parse(until)))) {
                matching.add(record);
            }
        }
        matching.sort(order);

        final int start = switch (paging) {
            case NONE, KEYSET -> 0;
            case OFFSET -> intParameter(url, "offset", 0);
            case PAGE -> (intParameter(url, "page", 1) - 1) * limit;
            case CURSOR, LOOPING_CURSOR, CURSOR_BACK_TO_PAGE_2_AFTER_5 -> url.queryParameter("after") == null ? 0 : Integer.parseInt(url.queryParameter("after").substring(1));
            case LINK, NEXT_URL -> intParameter(url, "page_info", 0);
            case STARTING_AFTER -> {
                final String after = url.queryParameter("starting_after");
                int index = 0;
                if (after != null) {
                    while (index < matching.size() && !matching.get(index).get("id").asText().equals(after)) {
                        index++;
                    }
                    index++;
                }
                yield index;
            }
        };
        if (resultCap > 0 && start + limit > resultCap) {
            return new MockResponse().setResponseCode(400).setBody("{\"message\":\"results past " + resultCap + " cannot be paged\"}");
        }
        final int end = paging == Paging.NONE ? matching.size() : Math.min(matching.size(), start + limit);
        final ArrayNode data = MAPPER.createArrayNode();
        for (int i = Math.min(start, end); i < end; i++) {
            data.add(matching.get(i));
        }
        final boolean more = end < matching.size();
        final ObjectNode body = MAPPER.createObjectNode();
        body.set("data", data);
        final MockResponse response = new MockResponse().setHeader("Content-Type", "application/json");
        final String nextUrl = url.newBuilder().setQueryParameter("page_info", Integer.toString(end)).build().toString();
        if (paging == Paging.CURSOR_BACK_TO_PAGE_2_AFTER_5 && more) {
            // The fifth page of every query hands out the cursor of its second page again.
            body.put("next_cursor", start == 4 * limit ? "c" + limit : "c" + end);
        } else if (paging == Paging.LOOPING_CURSOR) {
            // after=null -> c1, c1 -> c2, c2 -> c1 again: a cursor cycle.
            body.put("next_cursor", start == 2 ? "c1" : "c" + (start + 1));
        } else if (more) {
            body.put("next_cursor", "c" + end);
            body.put("next_url", nextUrl.substring(nextUrl.indexOf("/items")));
            if (paging == Paging.LINK) {
                response.setHeader("Link", "<" + nextUrl + ">; rel=\"next\"");
            }
        } else {
            body.putNull("next_cursor");
        }
        return response.setBody(body.toString());
    }

    private static int intParameter(final HttpUrl url, final String name, final int otherwise) {
        final String value = url.queryParameter(name);
        return value == null ? otherwise : Integer.parseInt(value);
    }
}
