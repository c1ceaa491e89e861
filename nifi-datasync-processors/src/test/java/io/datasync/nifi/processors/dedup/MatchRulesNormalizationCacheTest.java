package io.datasync.nifi.processors.dedup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.datasync.nifi.identity.BlockedValues;
import io.datasync.nifi.identity.EmailNormalizer;
import io.datasync.nifi.identity.IdentityGraph;
import io.datasync.nifi.identity.KeyHash;
import io.datasync.nifi.identity.KeyHasher;
import io.datasync.nifi.identity.NoneNormalizer;
import io.datasync.nifi.identity.Normalizer;
import io.datasync.nifi.identity.PhoneNormalizer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Regression: the per-batch normalisation cache was keyed by the raw text only, so when two cached normalisers
 * (e-mail and phone) met the same text in one record, the second read the first one's result. Each field must be
 * normalised by its own rule whichever rule runs first.
 */
class MatchRulesNormalizationCacheTest {

    private static final String NAMESPACE = "cache-test";

    @ParameterizedTest(name = "{0} first, text {1}")
    @CsvSource({
            "email, +33612345678",
            "phone, +33612345678",
            "email, ada@example.com",
            "phone, ada@example.com",
            "email, 0612345678",
            "phone, 0612345678"})
    void sameTextInEmailAndPhoneIsNormalizedByEachOwnRule(final String firstRule, final String text) {
        final EmailNormalizer email = new EmailNormalizer(false);
        final PhoneNormalizer phone = new PhoneNormalizer("FR");
        final Map<String, Normalizer> normalizerOfPath = Map.of("/email", email, "/phone", phone);
        final Map<String, String> rules = new LinkedHashMap<>();
        if ("email".equals(firstRule)) {
            rules.put("by_email", "/email");
            rules.put("by_phone", "/phone");
        } else {
            rules.put("by_phone", "/phone");
            rules.put("by_email", "/email");
        }
        final MatchRules matchRules = new MatchRules(rules, normalizerOfPath, List.of(email, phone), NoneNormalizer.INSTANCE,
                BlockedValues.parse(""));

        final Record record = record(text);
        final IdentityGraph graph = new IdentityGraph(1000);
        final MatchRules.Extraction extraction = matchRules.new Extraction(NAMESPACE);
        // Twice, so the second record is served from the cache filled by the first.
        extraction.addKeys(record, graph.addRecord(), graph);
        extraction.addKeys(record, graph.addRecord(), graph);

        // Oracle: each field through its own normaliser, no cache.
        final KeyHasher hasher = new KeyHasher(NAMESPACE);
        final Set<KeyHash> expected = new HashSet<>();
        final String asEmail = email.normalize(text);
        final String asPhone = phone.normalize(text);
        if (asEmail != null) {
            expected.add(hasher.hash("by_email", asEmail));
        }
        if (asPhone != null) {
            expected.add(hasher.hash("by_phone", asPhone));
        }
        assertEquals(expected, new HashSet<>(graph.keys()), "email " + asEmail + ", phone " + asPhone);
    }

    @org.junit.jupiter.api.Test
    void phoneMemoKeepsRegionAndTextApart() {
        // Regression: the write-back memo keyed "region NUL text", so text "FR" NUL "0612345678" read without a region
        // took the result of "0612345678" read in France.
        final PhoneNormalizer phone = new PhoneNormalizer("US");
        final PhoneWriteBack writeBack = new PhoneWriteBack(List.of(), phone, BlockedValues.parse(""), null);
        final PhoneWriteBack.Memo memo = writeBack.newMemo();
        assertEquals(phone.normalize("0612345678", "FR"), memo.normalize("0612345678", "FR"));
        final String hostile = "FR\u00000612345678";
        assertEquals(phone.normalize(hostile, null), memo.normalize(hostile, null));
    }

    private static Record record(final String text) {
        final List<RecordField> fields = List.of(
                new RecordField("email", RecordFieldType.STRING.getDataType()),
                new RecordField("phone", RecordFieldType.STRING.getDataType()));
        final Map<String, Object> values = new LinkedHashMap<>();
        values.put("email", text);
        values.put("phone", text);
        return new MapRecord(new SimpleRecordSchema(fields), values);
    }
}
