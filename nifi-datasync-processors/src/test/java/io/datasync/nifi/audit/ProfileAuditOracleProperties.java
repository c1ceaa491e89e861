package io.datasync.nifi.audit;

import io.datasync.nifi.identity.IdentityMerge;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Generated profile tables (a few people written several ways, placeholders, anonymised rows, every consent state,
 * suppressions) audited by the product and by an oracle written from the issue's rules alone: a duplicate group is the
 * set of ids connected by a shared normalised email (trimmed, lower-cased, Gmail dots and +tags dropped, googlemail =
 * gmail) or phone (E.164 from German national or international writing), placeholders never linking; the survivor is
 * the smallest id; a violation is a profile with an email whose purpose is not GRANTED, or whose subject is suppressed.
 */
class ProfileAuditOracleProperties {

    private static final Instant DECIDED = Instant.parse("2026-06-01T00:00:00Z");
    private static final String[] LOCALS = {"annlee", "bob", "carla.m", "dirk", "eva"};
    private static final String[] DOMAINS = {"gmail.com", "example.org", "shop.example"};
    private static final String[] STATES = {null, "GRANTED", "WITHDRAWN", "PENDING"};
    private static AuditDatabase database;

    @BeforeContainer
    static void start() throws IOException, SQLException {
        database = AuditDatabase.start();
    }

    @AfterContainer
    static void stop() throws IOException {
        if (database != null) {
            database.close();
        }
    }

    /** One generated row: which person, how its email and phone are written, its consent state. */
    record Row(int person, int emailForm, int phoneForm, String consent, boolean suppressed) {
    }

    @Provide
    Arbitrary<List<Row>> tables() {
        final Arbitrary<Row> row = Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 6),
                Arbitraries.integers().between(0, 4), Arbitraries.of(STATES), Arbitraries.of(true, false, false, false))
                .as(Row::new);
        return row.list().ofMinSize(0).ofMaxSize(24);
    }

    @Property(tries = 50)
    void theAuditFindsWhatTheOracleFinds(@ForAll("tables") final List<Row> rows, @ForAll("pageSizes") final int pageSize) throws SQLException {
        database.clear();
        final Map<String, String[]> stored = new TreeMap<>();
        for (int i = 0; i < rows.size(); i++) {
            final Row row = rows.get(i);
            // ids in an order unrelated to the generation order, so the smallest id is not always the first row
            final String id = "c" + Integer.toString((i * 7919 + 13) % 1000 + 1000);
            final String email = email(row.person(), row.emailForm());
            final String phone = phone(row.person(), row.phoneForm());
            database.profile(id, id + "-key", email, phone);
            if (row.consent() != null) {
                database.consent(id + "-key", "email_marketing", row.consent(), DECIDED);
            }
            if (row.suppressed()) {
                database.suppress(id + "-key");
            }
            stored.put(id, new String[] {email, phone, row.consent(), String.valueOf(row.suppressed())});
        }

        final List<IdentityMerge> merges = new ArrayList<>();
        final Map<String, String> violations = new TreeMap<>();
        final AuditReport report;
        try (Connection connection = database.connect()) {
            report = Audits.audit(pageSize, 50, List.of("email_marketing"), Map.of()).run(connection, new ProfileAudit.Findings() {
                @Override
                public void violation(final ConsentCheck.Violation violation) {
                    violations.put(violation.customerId(), violation.reason());
                }

                @Override
                public void merge(final IdentityMerge merge) {
                    merges.add(merge);
                }
            });
        }

        final Map<String, String> expectedMerges = oracleMerges(stored);
        Statistics.label("merges").collect(expectedMerges.isEmpty() ? "none" : "some");
        Statistics.label("violations").collect(oracleViolations(stored).isEmpty() ? "none" : "some");
        final Map<String, String> actualMerges = new TreeMap<>();
        merges.forEach(merge -> actualMerges.put(merge.oldId(), merge.survivingId()));
        assertEquals(expectedMerges, actualMerges);
        assertEquals(expectedMerges.size(), report.duplicates().duplicateIds());
        assertEquals(new HashSet<>(expectedMerges.values()).size(), report.duplicates().groupCount());
        assertEquals(oracleViolations(stored), violations);
        assertEquals(violations.size(), report.violations());
        assertEquals(rows.size(), report.profilesScanned());
    }

    @Provide
    Arbitrary<Integer> pageSizes() {
        return Arbitraries.of(1, 3, 1000);
    }

    /** Email forms: 0 none, 1 canonical, 2 upper case and spaces, 3 Gmail dots and tag, 4 googlemail, 5 placeholder, 6 blank. */
    static String email(final int person, final int form) {
        final String local = LOCALS[person];
        final String domain = DOMAINS[person % DOMAINS.length];
        return switch (form) {
            case 0 -> null;
            case 1 -> local + "@" + domain;
            case 2 -> "  " + (local + "@" + domain).toUpperCase(Locale.ROOT) + " ";
            case 3 -> local.charAt(0) + "." + local.substring(1) + "+promo@" + domain;
            case 4 -> local + "@" + ("gmail.com".equals(domain) ? "googlemail.com" : domain);
            case 5 -> "noreply@" + domain;
            default -> " ";
        };
    }

    /** Phone forms: 0 none, 1 international, 2 national, 3 international with punctuation, 4 placeholder. */
    static String phone(final int person, final int form) {
        final String subscriber = "5550" + (1980 + person * 3);
        return switch (form) {
            case 0 -> null;
            case 1 -> "+49 30 " + subscriber;
            case 2 -> "030 " + subscriber;
            case 3 -> "+49-(30)-" + subscriber.substring(0, 4) + "-" + subscriber.substring(4);
            default -> "0000000000";
        };
    }

    static String oracleEmail(final String raw) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        final String email = raw.trim().toLowerCase(Locale.ROOT);
        if (email.startsWith("noreply@")) {
            return null;
        }
        final int at = email.indexOf('@');
        String local = email.substring(0, at);
        String domain = email.substring(at + 1);
        if (domain.equals("gmail.com") || domain.equals("googlemail.com")) {
            domain = "gmail.com";
            final int plus = local.indexOf('+');
            local = (plus < 0 ? local : local.substring(0, plus)).replace(".", "");
        }
        return local + "@" + domain;
    }

    static String oraclePhone(final String raw) {
        if (raw == null) {
            return null;
        }
        final String digits = raw.replaceAll("[^0-9]", "");
        if (digits.chars().distinct().count() == 1) {
            return null;
        }
        return raw.trim().startsWith("+") ? "+" + digits : "+49" + digits.substring(1);
    }

    /** Old id to surviving id, by brute-force connected components over shared keys. */
    static Map<String, String> oracleMerges(final Map<String, String[]> stored) {
        final Map<String, Set<String>> idsOfKey = new HashMap<>();
        stored.forEach((id, row) -> {
            final String email = oracleEmail(row[0]);
            final String phone = oraclePhone(row[1]);
            if (email != null) {
                idsOfKey.computeIfAbsent("e" + email, k -> new TreeSet<>()).add(id);
            }
            if (phone != null) {
                idsOfKey.computeIfAbsent("p" + phone, k -> new TreeSet<>()).add(id);
            }
        });
        final List<Set<String>> groups = new ArrayList<>();
        for (final Set<String> ids : idsOfKey.values()) {
            if (ids.size() < 2) {
                continue;
            }
            final Set<String> merged = new TreeSet<>(ids);
            groups.removeIf(group -> {
                if (group.stream().anyMatch(merged::contains)) {
                    merged.addAll(group);
                    return true;
                }
                return false;
            });
            groups.add(merged);
        }
        final Map<String, String> merges = new TreeMap<>();
        for (final Set<String> group : groups) {
            final String survivor = ((TreeSet<String>) group).first();
            group.stream().filter(id -> !id.equals(survivor)).forEach(id -> merges.put(id, survivor));
        }
        return merges;
    }

    static Map<String, String> oracleViolations(final Map<String, String[]> stored) {
        final Map<String, String> violations = new TreeMap<>();
        stored.forEach((id, row) -> {
            if (row[0] == null || row[0].isBlank()) {
                return;
            }
            final String consent = row[2];
            final boolean suppressed = Boolean.parseBoolean(row[3]);
            if (consent == null) {
                violations.put(id, "NO_CONSENT_RECORD");
            } else if (!consent.equals("GRANTED")) {
                violations.put(id, consent);
            } else if (suppressed) {
                violations.put(id, "SUPPRESSED");
            }
        });
        return violations;
    }
}
