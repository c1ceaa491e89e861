package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The truth checks of issue 22's real-data runs ({@link RealDataDrops}), shared by every template they run through:
 * the stored profiles against the generated people, consent gating, and the privacy of NiFi's logs and bulletins.
 */
final class RealDataAssertions {

    private RealDataAssertions() {
    }

    /**
     * Exactly one profile per person with consent, holding all of the person's source ids and nobody else's; the stored
     * phone the E.164 truth (a placeholder kept in phone_as_written); the written country stored whole; tags and source
     * ids sorted sets; no profile of a withdrawn or unconsented person; one suppression row per withdrawal; every
     * identifier naming a stored profile; no retired id stored again.
     *
     * @return how many profiles share a (placeholder) subject key with another profile
     */
    static long assertProfilesMatchTruth(final PostgresPeer postgres, final RealDataDrops data) {
        final List<Map<String, Object>> rows = postgres.query(
                "SELECT customer_id, subject_key, phone, phone_as_written, country, tags, source_ids FROM customer_profiles");
        assertEquals(data.grantedPeople().size(), rows.size(), "one profile per person with consent");
        final Map<String, RealDataDrops.Person> personOfSourceId = new HashMap<>();
        data.people.forEach(person -> person.sourceIds.forEach(id -> personOfSourceId.put(id, person)));
        final Set<RealDataDrops.Person> seen = new HashSet<>();
        for (final Map<String, Object> row : rows) {
            final List<String> sourceIds = List.of(((String) row.get("source_ids")).split("\\|"));
            final Set<RealDataDrops.Person> owners = new HashSet<>();
            sourceIds.forEach(id -> owners.add(personOfSourceId.get(id.substring(id.indexOf(':') + 1))));
            assertEquals(1, owners.size(), "a profile holds the records of exactly one person: " + sourceIds);
            final RealDataDrops.Person person = owners.iterator().next();
            assertNotNull(person, "a profile of records nobody sent: " + sourceIds);
            assertTrue(person.granted(), "a profile of a person without consent: " + sourceIds);
            assertTrue(seen.add(person), "a person with two profiles: " + person.sourceIds);
            assertEquals(new TreeSet<>(person.sourceIds), new TreeSet<>(sourceIds.stream().map(id -> id.substring(id.indexOf(':') + 1)).toList()),
                    "every record of the person in the profile");
            assertEquals(sortedSet(sourceIds), sourceIds, "source ids a sorted set");
            assertEquals(person.storedPhone(), row.get("phone"), "stored phone of " + person.sourceIds);
            assertEquals(person.placeholderPhone, row.get("phone_as_written"), "phone kept as written for " + person.sourceIds);
            assertEquals(person.countryWritten, row.get("country"), "country stored whole");
            final List<String> tags = List.of(((String) row.get("tags")).split("\\|"));
            assertEquals(sortedSet(tags), tags, "tags a sorted set");
            assertEquals(person.tags, new TreeSet<>(tags));
        }
        for (final RealDataDrops.Person person : data.people) {
            if (!person.granted()) {
                assertEquals(List.of(), postgres.query("SELECT customer_id FROM customer_profiles WHERE subject_key = ?", person.subjectKey),
                        "a profile of a subject without consent");
            }
        }
        final Map<String, String> suppressed = new TreeMap<>();
        postgres.query("SELECT subject_key, reason FROM suppression").forEach(row -> suppressed.put((String) row.get("subject_key"), (String) row.get("reason")));
        final Map<String, String> expectedSuppressed = new TreeMap<>();
        data.withdrawnSubjects().forEach(subject -> expectedSuppressed.put(subject, SampleData.REASON_WITHDRAWN));
        assertEquals(expectedSuppressed, suppressed, "one suppression row per withdrawal, none else");
        assertEquals(List.of(), postgres.query("SELECT i.customer_id FROM customer_identifiers i WHERE NOT EXISTS "
                + "(SELECT 1 FROM customer_profiles p WHERE p.customer_id = i.customer_id)"), "every identifier names a stored profile");
        assertEquals(List.of(), postgres.query("SELECT * FROM customer_profiles_retired_but_stored"), "no retired id stored again");
        return ((Number) postgres.query("SELECT count(*) AS n FROM customer_profiles WHERE subject_key IN "
                + "(SELECT subject_key FROM customer_profiles GROUP BY subject_key HAVING count(*) > 1)").getFirst().get("n")).longValue();
    }

    /** No e-mail address (as written and lower-cased) and no phone number (as written and E.164) in NiFi's logs or bulletins. */
    static void assertNoPersonalDataInLogsOrBulletins(final NiFiInstance nifi, final NiFiRestClient client,
                                                     final Collection<String> emails, final Collection<String> phones) {
        final List<String> leaks = new ArrayList<>();
        for (final String value : emails) {
            leaks.addAll(nifi.grepLogs(value));
            leaks.addAll(nifi.grepLogs(value.toLowerCase(Locale.ROOT)));
        }
        for (final String value : phones) {
            leaks.addAll(nifi.grepLogs(value));
        }
        assertEquals(List.of(), leaks, "personal data in NiFi's logs");
        for (final JsonNode bulletin : client.bulletins()) {
            final String message = bulletin.path("message").asText().toLowerCase(Locale.ROOT);
            for (final String value : emails) {
                assertFalse(message.contains(value.toLowerCase(Locale.ROOT)), "an e-mail address in a bulletin");
            }
            for (final String value : phones) {
                assertFalse(message.contains(value.toLowerCase(Locale.ROOT)), "a phone number in a bulletin");
            }
        }
    }

    static List<String> sortedSet(final List<String> values) {
        return new ArrayList<>(new TreeSet<>(values));
    }
}
