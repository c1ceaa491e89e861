package io.datasync.nifi.processors;

import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.lookup.LookupFailureException;
import org.apache.nifi.lookup.RecordLookupService;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A consent store for tests, shaped like the records the stock DatabaseRecordLookupService returns
 * for one row of the consent table. Counts lookups and can be told to fail like a database that is down.
 */
class InMemoryConsentLookupService extends AbstractControllerService implements RecordLookupService {

    private final Map<String, Record> rows = new HashMap<>();
    private final List<Object> lookedUpKeys = new ArrayList<>();
    private boolean failing;

    void put(final String key, final Map<String, Object> values) {
        final List<RecordField> fields = new ArrayList<>();
        values.forEach((name, value) -> fields.add(new RecordField(name,
                value instanceof java.sql.Timestamp ? RecordFieldType.TIMESTAMP.getDataType() : RecordFieldType.STRING.getDataType())));
        rows.put(key, new MapRecord(new SimpleRecordSchema(fields), new LinkedHashMap<>(values)));
    }

    void setFailing(final boolean failing) {
        this.failing = failing;
    }

    List<Object> lookedUpKeys() {
        return lookedUpKeys;
    }

    @Override
    public Optional<Record> lookup(final Map<String, Object> coordinates) throws LookupFailureException {
        final Object key = coordinates.get("key");
        lookedUpKeys.add(key);
        if (failing) {
            // like DatabaseRecordLookupService, the message quotes the key
            throw new LookupFailureException("Error executing SQL statement for value " + key);
        }
        return Optional.ofNullable(rows.get(String.valueOf(key)));
    }

    @Override
    public Set<String> getRequiredKeys() {
        return Set.of("key");
    }
}
