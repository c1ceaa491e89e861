package io.datasync.nifi.processors.dedup;

import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.PhoneNormalizer;
import io.datasync.nifi.processors.common.RecordValueAccessor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The write-back's per-FlowFile memo of phone results: whatever the first pass handed it (from the same normaliser, or
 * wrongly from another one), the write-back decides every record exactly as without the memo.
 */
class PhoneWriteBackMemoTest {

    private static final PhoneNormalizer NORMALIZER = new PhoneNormalizer("GB", true);
    private static final PhoneNormalizer OTHER = new PhoneNormalizer("US", false);
    private static final PhoneWriteBack WRITE_BACK = new PhoneWriteBack(List.of(RecordValueAccessor.compile("/phone")), NORMALIZER,
            BlockedValues.parse("{repeated-digits},{sequential-digits},0,n/a"), RecordValueAccessor.compile("/country"));
    private static final SimpleRecordSchema SCHEMA = new SimpleRecordSchema(List.of(
            new RecordField("phone", RecordFieldType.STRING.getDataType(), true),
            new RecordField("country", RecordFieldType.STRING.getDataType(), true)));

    private static Record record(final String phone, final String country) {
        final Map<String, Object> values = new HashMap<>();
        values.put("phone", phone);
        values.put("country", country);
        return new MapRecord(SCHEMA, values);
    }

    @Provide
    Arbitrary<List<String[]>> phones() {
        final Arbitrary<String> phone = Arbitraries.oneOf(
                Arbitraries.of("+49 30 1234567", "030 1234567", "(0)30-123 4567", "+1 415 555 0100", "415-555-0100", "020 7946 0958",
                        "+44 20 7946 0958", "0049301234567", "1111111", "0", "n/a", "", "  ", "+33 1 23 45 67 89", "01 23 45 67 89",
                        "12345", "+999 1234"),
                Arbitraries.strings().withChars("0123456789 +-()").ofMaxLength(16));
        final Arbitrary<String> country = Arbitraries.of("DE", "US", "GB", "FR", "Germany", "XX", "").injectNull(0.2);
        return net.jqwik.api.Combinators.combine(phone, country).as((p, c) -> new String[] {p, c}).list().ofMaxSize(30);
    }

    @Property(tries = 300)
    void theMemoChangesNoDecision(@ForAll("phones") final List<String[]> records, @ForAll("phones") final List<String[]> firstPass) {
        final PhoneWriteBack.Memo memo = WRITE_BACK.newMemo();
        for (final String[] seen : firstPass) {
            final String region = seen[1] == null ? null : "DE";
            // what the first pass hands over: results of this normaliser, and (to be ignored) of another one
            memo.remember(NORMALIZER, seen[0], region, NORMALIZER.normalize(seen[0], region));
            memo.remember(OTHER, seen[0], null, "+10000000000");
        }
        for (final String[] values : records) {
            final Record record = record(values[0], values[1]);
            assertEquals(WRITE_BACK.of(record), WRITE_BACK.of(record, memo));
            // asked twice, from the memo the second time
            assertEquals(WRITE_BACK.of(record), WRITE_BACK.of(record, memo));
        }
    }
}
