package io.datasync.nifi.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CustomerGroupsTest {

    private static SourceRecord record(final String source) {
        return new SourceRecord(new RecordOrigin(source, 0, 1L), Map.of(), Map.of());
    }

    @Test
    void groupsByTrimmedKeyTextInSortedOrder() {
        final CustomerGroups groups = new CustomerGroups();
        groups.addRecord("b", record("crm"));
        groups.addRecord(" a ", record("shop"));
        groups.addRecord("b ", record("web"));

        assertEquals(List.of("a", "b"), groups.sortedKeys());
        assertEquals(2, groups.size());
        assertEquals(2, groups.get("b").records().size());
        assertFalse(groups.folds());
    }

    @Test
    void keepsTheCanonicalRawKeyWhateverTheOrder() {
        final CustomerGroups textFirst = new CustomerGroups();
        textFirst.addRecord("42", record("crm"));
        textFirst.addRecord(42, record("shop"));
        final CustomerGroups numberFirst = new CustomerGroups();
        numberFirst.addRecord(42, record("shop"));
        numberFirst.addRecord("42", record("crm"));

        assertEquals(numberFirst.get("42").rawKey(), textFirst.get("42").rawKey());
        assertEquals(textFirst.lookupKeys(), numberFirst.lookupKeys());
    }

    @Test
    void foldsRetiredKeysButNotTheCustomersOwn() {
        final CustomerGroups groups = new CustomerGroups();
        groups.addFold("c1", "c9");
        groups.addFold("c1", "c3");
        groups.addFold("c2", "c2");

        assertTrue(groups.folds());
        assertEquals(Set.of("c3", "c9"), groups.get("c1").retiredKeys());
        assertEquals(List.of("c3", "c9"), List.copyOf(groups.get("c1").retiredKeys()));
        assertTrue(groups.get("c2").retiredKeys().isEmpty());
        assertTrue(groups.get("c1").records().isEmpty());
        assertEquals(List.of("c1", "c2", "c3", "c9"), List.copyOf(groups.lookupKeys().keySet()));
    }

    @Test
    void aRetiredKeyThatIsAlsoACustomerIsLookedUpUnderTheCustomersRawKey() {
        final CustomerGroups groups = new CustomerGroups();
        groups.addFold("c1", "7");
        groups.addRecord(7, record("crm"));

        final Map<String, Object> keys = groups.lookupKeys();
        assertEquals(7, keys.get("7"));
        assertEquals("c1", keys.get("c1"));
    }
}
