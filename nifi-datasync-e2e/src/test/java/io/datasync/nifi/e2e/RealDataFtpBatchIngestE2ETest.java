package io.datasync.nifi.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22 on the committed ftp-batch-ingest template in a real NiFi:
 * <ol>
 *   <li>a write that cannot succeed (a CHECK constraint every row violates) is parked at once, not retried, and no
 *       e-mail address or phone number of the run reaches NiFi's logs or bulletins although the driver's error is
 *       logged and raised as a bulletin;</li>
 *   <li>generated multi-country drops (US with state, DE, FR, GB, BR; national and international phone forms;
 *       placeholder phones and placeholder e-mail addresses shared by several people; a person's second record, with a
 *       second e-mail linked only through the phone, in another drop; people stored as two customers whose link
 *       arrives only in a later drop; drops with shuffled names): nothing parked, each person exactly one profile
 *       holding all of the person's source ids and nobody else's, every stored phone the E.164 truth (a placeholder
 *       kept in phone_as_written), the written country (ISO 3166-2 included) stored whole, tags a sorted set, every
 *       identifier naming a stored profile, no e-mail in logs or bulletins.</li>
 * </ol>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealDataFtpBatchIngestE2ETest {

    private static final String NAME = RealDataFtpBatchIngestE2ETest.class.getSimpleName();
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(180);
    private static final Instant BASE_TIME = Instant.parse("2026-03-01T08:00:00Z");

    private static long classStart;
    private static NiFiInstance nifi;
    private static NiFiRestClient client;
    private static final List<AutoCloseable> peers = new ArrayList<>();
    private static final Set<String> runEmails = new TreeSet<>();
    private static final Set<String> runPhones = new TreeSet<>();

    @BeforeAll
    static void startNiFi() {
        classStart = System.nanoTime();
        nifi = NiFiInstance.create("real-data");
        client = SecuredStart.startAsAdministrator(nifi);
    }

    @AfterAll
    static void stopEverything() {
        TemplateAssertions.stopAll(nifi, peers, NAME, classStart);
    }

    @Test
    @Order(2)
    void aWriteThatCannotSucceedIsParkedAtOnceAndLeaksNoPersonalData() {
        final Drops data = Drops.generate(7L, 30);
        final Run run = startRun("real-data-failing-write", data, postgres ->
                // Every profile row violates it; the server's DETAIL would quote the whole row.
                postgres.execute("ALTER TABLE customer_profiles ADD CONSTRAINT forced_failure CHECK (email IS NULL)"));
        try {
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> processor(run.groupId, "Classify profiles write failure").path("flowFilesOut").asInt() > 0,
                    "a failed profile write classified");
            final long start = System.nanoTime();
            // Parked FlowFiles stay queued: wait until every drop that reached the write has been classified (bounded).
            NiFiRestClient.waitUntil(Duration.ofSeconds(60), () -> processor(run.groupId, "Fetch CSV drop").path("flowFilesOut").asInt() == data.files.size()
                    && processor(run.groupId, "Upsert profiles").path("flowFilesIn").asInt() == processor(run.groupId, "Classify profiles write failure").path("flowFilesOut").asInt()
                    && client.groupStatus(run.groupId).path("activeThreadCount").asInt() == 0
                    && processor(run.groupId, "Upsert profiles").path("flowFilesIn").asInt() == data.files.size(),
                    "every drop's failed write parked");
            E2eMetrics.record(NAME, "failedWritesParkedSecondsAfterTheFirst", Long.toString(Duration.ofNanos(System.nanoTime() - start).toSeconds()));

            assertEquals(0, run.postgres.count("customer_profiles"));
            assertEquals(0, processor(run.groupId, "Retry profiles write").path("flowFilesIn").asInt(), "a constraint violation is not retried");
            assertTrue(client.groupStatus(run.groupId).path("flowFilesQueued").asInt() >= data.files.size(), "the failed FlowFiles wait in the parked queue");
            final List<String> bulletins = TemplateAssertions.warningBulletins(client);
            assertTrue(bulletins.stream().anyMatch(b -> b.startsWith("Upsert profiles") && b.contains("forced_failure")),
                    "the failure is reported, by constraint name: " + bulletins);
            assertNoPersonalDataInLogsOrBulletins(data);
        } finally {
            stop(run);
        }
    }

    @Test
    @Order(1)
    void multiCountryDropsGiveOneProfilePerPersonWithE164Phones() {
        final Drops data = Drops.generate(22L, 80);
        final long start = System.nanoTime();
        final Run run = startRun("real-data-multi-country", data, postgres -> {
        });
        try {
            // Before the late drop, each late-linked person is two customers: two profiles.
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> run.postgres.count("customer_profiles") >= data.people.size() + data.lateLinked.size(),
                    "a profile per customer before the late drop");
            client.waitUntilQuiet(run.groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
            assertEquals(data.people.size() + data.lateLinked.size(), run.postgres.count("customer_profiles"),
                    "the late-linked people are still two customers each");
            run.ftp.drop(data.lateFile, data.lateContent, Duration.ofMinutes(1));
            NiFiRestClient.waitUntil(RUN_TIMEOUT, () -> run.postgres.count("customer_profiles") == data.people.size()
                    && processor(run.groupId, "Fetch CSV drop").path("flowFilesOut").asInt() == data.files.size() + 1, "the late links applied");
            client.waitUntilQuiet(run.groupId, 3, Duration.ofSeconds(2), Duration.ofSeconds(120));
            assertTrue(processor(run.groupId, "Fold merged customers").path("flowFilesIn").asInt() > 0, "the late drop merged stored customers");
            final double seconds = Duration.ofNanos(System.nanoTime() - start).toMillis() / 1000.0;
            E2eMetrics.record(NAME, "multiCountryRun", String.format(Locale.ROOT, "%d records in %d drops, %d people, %.1f s",
                    data.recordCount(), data.files.size(), data.people.size(), seconds));

            TemplateAssertions.assertNothingQueued(client, run.groupId);
            final List<Map<String, Object>> rows = run.postgres.query(
                    "SELECT customer_id, subject_key, phone, phone_as_written, country, tags, source_ids FROM customer_profiles");
            assertEquals(data.people.size(), rows.size(), "one profile per person");
            final Map<String, Person> personOfSourceId = new HashMap<>();
            data.people.forEach(person -> person.sourceIds.forEach(id -> personOfSourceId.put(id, person)));
            final Set<Person> seen = new HashSet<>();
            for (final Map<String, Object> row : rows) {
                final List<String> sourceIds = List.of(((String) row.get("source_ids")).split("\\|"));
                final Set<Person> owners = new HashSet<>();
                sourceIds.forEach(id -> owners.add(personOfSourceId.get(id.substring(id.indexOf(':') + 1))));
                assertEquals(1, owners.size(), "a profile holds the records of exactly one person: " + sourceIds);
                final Person person = owners.iterator().next();
                assertTrue(seen.add(person), "a person with two profiles");
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
            assertEquals(List.of(), run.postgres.query("SELECT i.customer_id FROM customer_identifiers i WHERE NOT EXISTS "
                    + "(SELECT 1 FROM customer_profiles p WHERE p.customer_id = i.customer_id)"), "every identifier names a stored profile");
            assertEquals(List.of(), run.postgres.query("SELECT * FROM customer_profiles_retired_but_stored"), "no retired id stored again");
            final long sharedSubjects = ((Number) run.postgres.query("SELECT count(*) AS n FROM customer_profiles WHERE subject_key IN "
                    + "(SELECT subject_key FROM customer_profiles GROUP BY subject_key HAVING count(*) > 1)").getFirst().get("n")).longValue();
            assertTrue(sharedSubjects >= 2, "people behind one placeholder address are separate profiles: " + sharedSubjects);
            E2eMetrics.record(NAME, "multiCountryMerges", processor(run.groupId, "Fold merged customers").path("flowFilesIn").asInt()
                    + " merge FlowFiles folded; " + data.lateLinked.size() + " late-linked people; " + sharedSubjects + " profiles sharing a placeholder address");
            assertEquals(List.of(), TemplateAssertions.warningBulletins(client));
            assertNoPersonalDataInLogsOrBulletins(data);
        } finally {
            stop(run);
        }
    }

    /** Stops the group and its services, so the next run's services can start, also after a failed assertion. */
    private static void stop(final Run run) {
        client.stopProcessGroup(run.groupId, Duration.ofSeconds(60));
        client.disableControllerServices(run.groupId, Duration.ofSeconds(60));
    }

    private static List<String> sortedSet(final List<String> values) {
        return new ArrayList<>(new TreeSet<>(values));
    }

    private static JsonNode processor(final String groupId, final String name) {
        for (final JsonNode status : client.processorStatuses(groupId)) {
            if (name.equals(status.path("name").asText())) {
                return status;
            }
        }
        throw new AssertionError("no processor " + name);
    }

    /** Every e-mail address (as written and lower-cased) and phone number (as written and E.164) of every run so far. */
    private static void assertNoPersonalDataInLogsOrBulletins(final Drops data) {
        runEmails.addAll(data.emails);
        runPhones.addAll(data.phones);
        final List<String> leaks = new ArrayList<>();
        for (final String value : runEmails) {
            leaks.addAll(nifi.grepLogs(value));
            leaks.addAll(nifi.grepLogs(value.toLowerCase(Locale.ROOT)));
        }
        for (final String value : runPhones) {
            leaks.addAll(nifi.grepLogs(value));
        }
        assertEquals(List.of(), leaks, "personal data in NiFi's logs");
        for (final JsonNode bulletin : client.bulletins()) {
            final String message = bulletin.path("message").asText().toLowerCase(Locale.ROOT);
            for (final String value : runEmails) {
                assertFalse(message.contains(value.toLowerCase(Locale.ROOT)), "an e-mail address in a bulletin");
            }
            for (final String value : runPhones) {
                assertFalse(message.contains(value.toLowerCase(Locale.ROOT)), "a phone number in a bulletin");
            }
        }
    }

    private interface DatabaseSetup {
        void apply(PostgresPeer postgres);
    }

    private static Run startRun(final String groupName, final Drops data, final DatabaseSetup setup) {
        final PostgresPeer postgres = PostgresPeer.start(nifi.runDir().resolve("postgres-" + groupName));
        peers.add(postgres);
        postgres.loadConsent(data.consent);
        setup.apply(postgres);
        final FtpPeer ftp = FtpPeer.start(nifi.runDir().resolve("ftp-" + groupName), "datasync", "ftp-secret-" + System.nanoTime());
        peers.add(ftp);
        // Older than the late drop by minutes: ListFTP lists a file only when its time is newer than the newest it listed.
        data.files.forEach((file, content) -> ftp.drop(file, content, Duration.ofMinutes(10)));
        final Map<String, String> values = TemplateImport.localParameters(nifi, postgres, ftp, null, null, NiFiInstance.freePort());
        values.put("identity.cache.dir", nifi.runDir().resolve("identity-cache-" + groupName).toString());
        final String groupId = TemplateImport.importAndConfigure(client, client.rootGroupId(),
                TemplateImport.templatesDir().resolve(TemplateFlows.FTP_BATCH_INGEST + ".json"), groupName, values);
        assertEquals(Map.of(), client.validationErrors(groupId));
        client.startProcessGroup(groupId);
        return new Run(groupId, postgres, ftp);
    }

    private record Run(String groupId, PostgresPeer postgres, FtpPeer ftp) {
    }

    /** A generated person: the truth the stored profile is checked against. */
    static final class Person {
        final List<String> sourceIds = new ArrayList<>();
        final Set<String> tags = new TreeSet<>();
        String e164;
        String placeholderPhone;
        String countryWritten;

        String storedPhone() {
            return placeholderPhone == null ? e164 : null;
        }
    }

    /**
     * Seeded multi-country CSV drops with their truth. Each person has a country, a number (national significant
     * number plus country code: the E.164 truth is built, not parsed) written in a national form with the country on
     * the first record; a third of them have a second record in another drop with a second e-mail address and the
     * number in an international form, linked to the first only through the phone; one in eight has only a
     * placeholder phone. Tags repeat within a record and across records.
     */
    static final class Drops {
        final List<Person> people = new ArrayList<>();
        final Map<String, String> files = new LinkedHashMap<>();
        /** People whose two first records share nothing; a record of the late drop links them. */
        final List<Person> lateLinked = new ArrayList<>();
        String lateFile;
        String lateContent;
        private final Set<String> consentSubjects = new HashSet<>();
        final List<SampleData.ConsentRow> consent = new ArrayList<>();
        final Set<String> emails = new TreeSet<>();
        final Set<String> phones = new TreeSet<>();
        private int records;

        int recordCount() {
            return records;
        }

        private static final String[] TAGS = {"vip", "newsletter", "outdoor", "kids", "books", "garden"};
        private static final String[] PLACEHOLDERS = {"n/a", "000-000-0000", "0000000000", "unknown"};
        /** Addresses several people give (CustomerDedup's default Blocked Values hold them). */
        private static final String[] PLACEHOLDER_EMAILS = {"test@example.com", "noreply@example.com"};

        static Drops generate(final long seed, final int peopleCount) {
            final Random random = new Random(seed);
            final Drops drops = new Drops();
            final int fileCount = 4;
            final List<List<String>> lines = new ArrayList<>();
            for (int f = 0; f < fileCount; f++) {
                lines.add(new ArrayList<>());
            }
            final Set<String> usedNumbers = new HashSet<>();
            final List<String> lateLines = new ArrayList<>();
            for (int i = 0; i < peopleCount; i++) {
                final Person person = new Person();
                drops.people.add(person);
                final String country = List.of("US", "DE", "FR", "GB", "BR").get(i % 5);
                String[] number;
                do {
                    number = number(country, random);
                } while (looksLikePlaceholder(number[1]) || !usedNumbers.add(number[0] + number[1]));
                person.e164 = "+" + number[0] + number[1];
                person.countryWritten = switch (country) {
                    case "US" -> List.of("US-CA", "US-NY", "US-TX").get(random.nextInt(3));
                    case "DE" -> List.of("DE", "Deutschland").get(random.nextInt(2));
                    case "FR" -> List.of("FR", "France").get(random.nextInt(2));
                    case "GB" -> List.of("GB", "UK", "GB-SCT").get(random.nextInt(3));
                    default -> List.of("BR", "Brasil", "BR-SP").get(random.nextInt(3));
                };
                final boolean placeholder = i % 8 == 7;
                if (placeholder) {
                    person.placeholderPhone = PLACEHOLDERS[random.nextInt(PLACEHOLDERS.length)];
                }
                final String first = "Person" + i;
                final String email = i % 10 == 4 ? PLACEHOLDER_EMAILS[random.nextInt(PLACEHOLDER_EMAILS.length)]
                        : "p" + i + ".first" + seed + "@example.org";
                final boolean lateLink = !placeholder && i % 3 != 0 && i % 7 == 5;
                final int firstFile = random.nextInt(fileCount);
                final String tag1 = TAGS[random.nextInt(TAGS.length)];
                final String tag2 = TAGS[random.nextInt(TAGS.length)];
                person.tags.add(tag1);
                person.tags.add(tag2);
                lines.get(firstFile).add(drops.line(person, "F" + seed + "-" + i + "a", email,
                        placeholder ? person.placeholderPhone : national(country, number[1]), first, person.countryWritten,
                        tag1 + "|" + tag2 + "|" + tag1, BASE_TIME.plusSeconds(i)));
                if (lateLink) {
                    // b: a second address, no phone, in another drop: a customer of its own until the late drop's c
                    // carries that address with the phone of a.
                    drops.lateLinked.add(person);
                    final String second = "p" + i + ".late" + seed + "@example.net";
                    final int secondFile = (firstFile + 1 + random.nextInt(fileCount - 1)) % fileCount;
                    lines.get(secondFile).add(drops.line(person, "F" + seed + "-" + i + "b", second, null, first, person.countryWritten,
                            tag2, BASE_TIME.plusSeconds(5_000 + i)));
                    lateLines.add(drops.line(person, "F" + seed + "-" + i + "c", second, international(number[0], number[1], random), first,
                            null, tag1, BASE_TIME.plusSeconds(20_000 + i)));
                }
                if (!placeholder && i % 3 == 0) {
                    final String second = "p" + i + ".second" + seed + "@example.net";
                    final int secondFile = (firstFile + 1 + random.nextInt(fileCount - 1)) % fileCount;
                    final String tag3 = TAGS[random.nextInt(TAGS.length)];
                    person.tags.add(tag3);
                    lines.get(secondFile).add(drops.line(person, "F" + seed + "-" + i + "b", second,
                            international(number[0], number[1], random), first, null, tag3 + "|" + tag1,
                            BASE_TIME.plusSeconds(10_000 + i)));
                }
            }
            // Shuffled names: the order ListFTP finds them in is not the order they were written in.
            final List<Integer> order = new ArrayList<>();
            for (int f = 0; f < fileCount; f++) {
                order.add(f);
            }
            Collections.shuffle(order, random);
            for (int f = 0; f < fileCount; f++) {
                final StringBuilder csv = new StringBuilder(SampleData.CSV_HEADER).append('\n');
                lines.get(f).forEach(line -> csv.append(line).append('\n'));
                drops.files.put(String.format(Locale.ROOT, "drop-%02d-%d.csv", order.get(f), seed), csv.toString());
            }
            final StringBuilder late = new StringBuilder(SampleData.CSV_HEADER).append('\n');
            lateLines.forEach(line -> late.append(line).append('\n'));
            drops.lateFile = String.format(Locale.ROOT, "drop-late-%d.csv", seed);
            drops.lateContent = late.toString();
            return drops;
        }

        private String line(final Person person, final String sourceId, final String email, final String phone, final String first,
                            final String country, final String tags, final Instant updatedAt) {
            person.sourceIds.add(sourceId);
            emails.add(email);
            if (phone != null && person.placeholderPhone == null) {
                phones.add(phone);
                phones.add(person.e164);
            }
            if (consentSubjects.add(email.toLowerCase(Locale.ROOT))) {
                consent.add(new SampleData.ConsentRow(email.toLowerCase(Locale.ROOT), SampleData.PURPOSE, "GRANTED",
                        BASE_TIME.minus(Duration.ofDays(3)), "web-form"));
            }
            records++;
            return String.join(",", "shop", sourceId, email, phone == null ? "" : phone, first, "Tester", "Town",
                    country == null ? "" : country, tags, "", "12.50", updatedAt.toString());
        }

        /** {country code, national significant number}. */
        private static String[] number(final String country, final Random random) {
            return switch (country) {
                case "US" -> new String[] {"1", List.of("212", "415", "312", "617").get(random.nextInt(4)) + (2 + random.nextInt(8))
                        + digits(random, 2) + digits(random, 4)};
                case "DE" -> new String[] {"49", "30" + (2 + random.nextInt(7)) + digits(random, 6)};
                case "FR" -> new String[] {"33", (1 + random.nextInt(5)) + digits(random, 8)};
                case "GB" -> new String[] {"44", "20" + (3 + random.nextInt(5)) + digits(random, 7)};
                default -> new String[] {"55", "11" + "9" + (6 + random.nextInt(4)) + digits(random, 7)};
            };
        }

        /** National forms: DE 030/2581787, FR 01 11 69 07 87, GB 020 7946 0123, US (415) 239-4817, BR (11) 97315-2048. */
        private static String national(final String country, final String nsn) {
            return switch (country) {
                case "US" -> "(" + nsn.substring(0, 3) + ") " + nsn.substring(3, 6) + "-" + nsn.substring(6);
                case "DE" -> "0" + nsn.substring(0, 2) + "/" + nsn.substring(2);
                case "FR" -> "0" + nsn.charAt(0) + " " + nsn.substring(1, 3) + " " + nsn.substring(3, 5) + " " + nsn.substring(5, 7) + " " + nsn.substring(7);
                case "GB" -> "0" + nsn.substring(0, 2) + " " + nsn.substring(2, 6) + " " + nsn.substring(6);
                default -> "(" + nsn.substring(0, 2) + ") " + nsn.substring(2, 7) + "-" + nsn.substring(7);
            };
        }

        /** International forms: +CC NSN grouped, 00CC NSN, or (GB) +44 (0)20 ... */
        private static String international(final String countryCode, final String nsn, final Random random) {
            return switch (random.nextInt(3)) {
                case 0 -> "+" + countryCode + " " + nsn.substring(0, 3) + " " + nsn.substring(3);
                case 1 -> countryCode.equals("1") || countryCode.equals("55") ? "+" + countryCode + "-" + nsn : "00" + countryCode + " " + nsn;
                default -> countryCode.equals("1") || countryCode.equals("55") ? "+" + countryCode + " " + nsn : "+" + countryCode + " (0)" + nsn;
            };
        }

        /** One digit repeated or one run in the last seven digits: what the Blocked Values treat as a placeholder. */
        private static boolean looksLikePlaceholder(final String nsn) {
            final String tail = nsn.substring(nsn.length() - 7);
            boolean repeated = true;
            boolean up = true;
            boolean down = true;
            for (int i = 1; i < tail.length(); i++) {
                final int step = tail.charAt(i) - tail.charAt(i - 1);
                repeated &= step == 0;
                up &= step == 1;
                down &= step == -1;
            }
            return repeated || up || down;
        }

        private static String digits(final Random random, final int count) {
            final StringBuilder text = new StringBuilder();
            for (int i = 0; i < count; i++) {
                text.append(random.nextInt(10));
            }
            return text.toString();
        }
    }
}
