package io.datasync.nifi.e2e;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark's drops and the counts it checks every round against, recomputed from the CSV text itself. */
class BenchmarkDataTest {

    @Test
    void truthMatchesWhatTheFilesSay() {
        final BenchmarkData data = BenchmarkData.generate(9L, 4, 500, 0.2);
        assertEquals(4, data.files().size());

        final Map<String, Long> latestBySubject = new HashMap<>();
        final Set<String> sourceIds = new HashSet<>();
        int rows = 0;
        int caseVariants = 0;
        int gmailVariants = 0;
        for (final String csv : data.files().values()) {
            final List<String> lines = csv.lines().toList();
            assertEquals(SampleData.CSV_HEADER, lines.getFirst());
            assertEquals(501, lines.size(), "header and 500 rows per file");
            for (final String line : lines.subList(1, lines.size())) {
                final String[] fields = line.split(",", -1);
                assertEquals(12, fields.length, line);
                rows++;
                assertTrue(sourceIds.add(fields[1]), "source ids are unique");
                final String email = fields[2];
                if (!email.equals(email.toLowerCase(java.util.Locale.ROOT))) {
                    caseVariants++;
                }
                if (email.contains("+") && email.endsWith("@googlemail.com")) {
                    gmailVariants++;
                }
                latestBySubject.merge(SampleData.subjectKey(email), Instant.parse(fields[11]).getEpochSecond(), Math::max);
            }
        }
        assertEquals(2000, rows);
        assertEquals(data.recordCount(), rows);
        assertEquals(data.customerCount(), latestBySubject.size(), "one subject key per customer");
        assertEquals(rows - latestBySubject.size(), data.repeatedRecords());
        final double repeatShare = data.repeatedRecords() / (double) rows;
        assertTrue(repeatShare > 0.15 && repeatShare < 0.25, "about 20% repeats: " + repeatShare);
        assertTrue(caseVariants > 0 && gmailVariants > 0, "case and Gmail variants present");

        long grantedSum = 0;
        int granted = 0;
        int withdrawn = 0;
        for (final SampleData.ConsentRow row : data.consentRows()) {
            assertTrue(latestBySubject.containsKey(row.subjectKey()), "consent rows belong to customers of the drops");
            if ("GRANTED".equals(row.status())) {
                granted++;
                grantedSum += latestBySubject.get(row.subjectKey());
            } else {
                assertEquals("WITHDRAWN", row.status());
                withdrawn++;
            }
        }
        assertTrue(data.consentRows().size() < data.customerCount(), "some customers have no consent row");
        assertEquals(granted, data.subjectsWithConsent());
        assertEquals(withdrawn, data.withdrawnSubjects());
        assertEquals(grantedSum, data.profileUpdatedAtEpochSum());
    }

    @Test
    void sameSeedSameFiles() {
        assertEquals(BenchmarkData.generate(3L, 2, 100, 0.2).files(), BenchmarkData.generate(3L, 2, 100, 0.2).files());
    }
}
