package io.datasync.nifi.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * sql/06_esp.sql on a real PostgreSQL, no NiFi: the addresses esp-audience-sync pushed a subject under, and the view its
 * suppression reader follows. A withdrawal suppresses every pushed address, including one recorded after the
 * suppression row was first read.
 */
class EspSuppressionAddressTest {

    private static final String INSERT_ADDRESS = "INSERT INTO esp_member_address (subject_key, email) VALUES (?, ?) ON CONFLICT DO NOTHING";

    private static PostgresPeer postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = PostgresPeer.start(Path.of(System.getProperty("nifi.e2e.runs", "target/e2e-runs"), "esp-addresses-" + System.currentTimeMillis()));
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void anAddressPushedAfterTheSuppressionWasReadReStampsItSoItIsReadAgain() {
        final String subject = "johndoe@gmail.com";
        postgres.query(INSERT_ADDRESS + " RETURNING 1", subject, " John.Doe+news@gmail.com ");
        postgres.query("INSERT INTO suppression (subject_key, reason, decided_at) VALUES (?, 'consent_withdrawn', now()) RETURNING 1", subject);
        assertEquals(Set.of(subject, "john.doe+news@gmail.com"), addresses(subject));
        final Instant firstStamp = stamp(subject);

        // the push of a further address, after the suppression row was read: the row comes back with both addresses
        postgres.query(INSERT_ADDRESS + " RETURNING 1", subject, "J.Doe@gmail.com");
        final Instant secondStamp = stamp(subject);
        assertTrue(secondStamp.isAfter(firstStamp), firstStamp + " then " + secondStamp);
        assertEquals(Set.of(subject, "john.doe+news@gmail.com", "j.doe@gmail.com"), addresses(subject));
        for (final Map<String, Object> row : postgres.query("SELECT recorded_at FROM esp_suppression_address WHERE subject_key = ?", subject)) {
            assertEquals(secondStamp, row.get("recorded_at"));
        }

        // pushed again under an address already recorded: nothing inserted, nothing read again
        postgres.query(INSERT_ADDRESS + " RETURNING 1", subject, "j.doe@gmail.com");
        assertEquals(secondStamp, stamp(subject));
    }

    @Test
    void anAddressOfASubjectWithoutWithdrawalSuppressesNothingAndEmptyAddressesAreSkipped() {
        final String subject = "still.consented@example.com";
        postgres.query(INSERT_ADDRESS + " RETURNING 1", subject, "Still.Consented@Example.com");
        postgres.query(INSERT_ADDRESS + " RETURNING 1", subject, "   ");
        assertEquals(List.of(), postgres.query("SELECT 1 FROM suppression WHERE subject_key = ?", subject));
        assertEquals(List.of(), postgres.query("SELECT 1 FROM esp_suppression_address WHERE subject_key = ?", subject));
        assertEquals(Set.of("still.consented@example.com"), new TreeSet<>(postgres.query(
                "SELECT email FROM esp_member_address WHERE subject_key = ?", subject).stream().map(row -> (String) row.get("email")).toList()));
    }

    private static Set<String> addresses(final String subject) {
        final Set<String> addresses = new TreeSet<>();
        for (final Map<String, Object> row : postgres.query("SELECT email_address FROM esp_suppression_address WHERE subject_key = ?", subject)) {
            addresses.add((String) row.get("email_address"));
        }
        return addresses;
    }

    private static Instant stamp(final String subject) {
        return (Instant) postgres.query("SELECT recorded_at FROM suppression WHERE subject_key = ?", subject).get(0).get("recorded_at");
    }
}
