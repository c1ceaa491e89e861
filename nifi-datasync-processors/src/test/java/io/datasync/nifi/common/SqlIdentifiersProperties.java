package io.datasync.nifi.common;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SqlIdentifiers against an oracle written from the rule, and the batched statement's shape. */
class SqlIdentifiersProperties {

    /** Oracle: 1 to 63 characters, each an ASCII letter, digit or underscore, the first not a digit. */
    static boolean oracleColumn(final String name) {
        if (name == null || name.isEmpty() || name.length() > 63) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            final boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
            final boolean digit = c >= '0' && c <= '9';
            if (!letter && !(digit && i > 0)) {
                return false;
            }
        }
        return true;
    }

    /** Oracle: a column name, or exactly two of them joined by one dot. */
    static boolean oracleTable(final String name) {
        if (name == null) {
            return false;
        }
        final String[] parts = name.split("\\.", -1);
        return parts.length == 1 ? oracleColumn(parts[0]) : parts.length == 2 && oracleColumn(parts[0]) && oracleColumn(parts[1]);
    }

    @Provide
    Arbitrary<String> names() {
        final Arbitrary<String> nearValid = Arbitraries.strings().withChars("aZ_09.;'\" -/*()é\u0000\n").ofMinLength(0).ofMaxLength(70);
        final Arbitrary<String> any = Arbitraries.strings().ofMaxLength(20);
        final Arbitrary<String> longValid = Arbitraries.strings().withChars("ab_1").ofMinLength(60).ofMaxLength(66);
        return Arbitraries.oneOf(nearValid, any, longValid);
    }

    @Property(tries = 3000)
    void columnCheckAgreesWithOracle(@ForAll("names") final String name) {
        assertEquals(oracleColumn(name), SqlIdentifiers.checkColumn(name) == null, name);
    }

    @Property(tries = 3000)
    void tableCheckAgreesWithOracle(@ForAll("names") final String name) {
        assertEquals(oracleTable(name), SqlIdentifiers.checkTable(name) == null, name);
    }

    @Example
    void regressionCases() {
        for (final String bad : List.of("consent; DROP TABLE consent", "a.b.c", ".a", "a.", "1a", "a-b", "\"a\"", "a b", "ä", "x".repeat(64), "")) {
            assertNotNull(SqlIdentifiers.checkTable(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> new BatchedKeyReader(bad, "k", 1), bad);
            assertThrows(IllegalArgumentException.class, () -> new BatchedKeyReader("t", bad, 1), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> new BatchedKeyReader("t", "k", 0));
    }

    @Example
    void statementBindsEveryKeyAsAParameter() {
        final BatchedKeyReader reader = new BatchedKeyReader("public.consent_lookup", "subject_key", 3);
        assertEquals("SELECT * FROM public.consent_lookup WHERE subject_key IN (?, ?, ?)", reader.sql(3));
        assertEquals("SELECT * FROM public.consent_lookup WHERE subject_key IN (?)", reader.sql(1));
        assertEquals(0, reader.statementsFor(0));
        assertEquals(1, reader.statementsFor(3));
        assertEquals(2, reader.statementsFor(4));
        assertTrue(reader.sql(1000).chars().filter(c -> c == '?').count() == 1000);
    }
}
