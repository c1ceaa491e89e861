package io.datasync.nifi.processors.fetch;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.fetch.PageFetcher;
import io.datasync.nifi.fetch.RecordSelector;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.COUNTER_RECORDS_EMITTED;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.COUNTER_RECORDS_FAILED;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.HTTP_STATUS;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.INVALID_KEY;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.INVALID_REASON;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.PAGE_NUMBER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.RECORD_COUNT;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.REL_FAILURE;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.REL_SUCCESS;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.RUN_ID;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.SOURCE_URL;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WATERMARK_MAX;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WATERMARK_MIN;

/**
 * Turns a page's selection into FlowFiles: one JSON array of the emitted records on 'success', and one FlowFile
 * per record set apart on 'failure', each with its attributes, a RECEIVE provenance event and the counters.
 */
public final class IncrementalApiFetchOutput {

    private IncrementalApiFetchOutput() {
    }

    public static void emit(final ObjectMapper mapper, final ProcessSession session, final RecordSelector.Selection selection, final String shownUrl,
                      final PageFetcher.Success success, final String runId, final long pageNumber) {
        FlowFile flowFile = session.create();
        flowFile = session.write(flowFile, out -> {
            try (JsonGenerator generator = mapper.createGenerator(out)) {
                generator.writeStartArray();
                for (final JsonNode record : selection.emitted()) {
                    mapper.writeTree(generator, record);
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

    public static void routeInvalid(final ComponentLog logger, final ObjectMapper mapper, final ProcessSession session, final List<RecordSelector.Invalid> invalid, final String shownUrl,
                              final PageFetcher.Success success, final String runId, final long pageNumber) {
        for (final RecordSelector.Invalid record : invalid) {
            FlowFile flowFile = session.create();
            flowFile = session.write(flowFile, out -> mapper.writeValue(out, record.record()));
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
        logger.warn("Page {} of run {} from {}: {} records without a readable watermark or key routed to failure; the first: {}",
                pageNumber, runId, shownUrl, invalid.size(), invalid.get(0).reason());
    }
}
