package io.datasync.nifi.e2e;

import java.math.BigDecimal;
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

/**
 * Seeded CSV drops for the end-to-end benchmark, larger than {@link SampleData}'s, in the same format
 * ({@link SampleData#CSV_HEADER}, what ftp-batch-ingest reads), with the consent rows and the counts a correct run
 * must end with.
 * <h2>The records</h2>
 * {@code files x recordsPerFile} rows, spread round-robin over the files (row k in file k mod files), so a customer's
 * rows land in different files. Each row is, with probability {@code duplicateShare}, another row of an earlier
 * customer (picked uniformly), else a new customer. A repeat writes the customer's address in one of three ways: as
 * before, with the case changed, or (Gmail users) with extra dots, a {@code +tag} and googlemail.com. Phones are UK
 * mobiles, in national ({@code 07400 123456}) or international ({@code +447400123456}) form; names, cities, tags,
 * order dates and amounts vary; {@code updated_at} rises by one second per row.
 * <h2>Consent</h2>
 * As in {@link SampleData}: customer index mod 7 = 3 withdrew ({@code WITHDRAWN}), mod 7 = 5 has no consent row,
 * all others {@code GRANTED} for {@value SampleData#PURPOSE}; one row per subject.
 * <h2>What a correct run ends with</h2>
 * One profile per subject with consent whose {@code updated_at} is the latest of its rows ({@link #profileUpdatedAtEpochSum}
 * checks that every profile saw its last row), one suppression row per withdrawn subject, and for the stock flow one
 * row per subject with consent.
 */
public final class BenchmarkData {

    private static final Instant BASE_TIME = Instant.parse("2026-03-02T06:00:00Z");

    private final Map<String, String> files;
    private final List<SampleData.ConsentRow> consentRows;
    private final int recordCount;
    private final int customerCount;
    private final int repeatedRecords;
    private final int subjectsWithConsent;
    private final int withdrawnSubjects;
    private final long profileUpdatedAtEpochSum;
    private final long csvBytes;

    private BenchmarkData(final Map<String, String> files, final List<SampleData.ConsentRow> consentRows, final int recordCount,
                          final int customerCount, final int repeatedRecords, final int subjectsWithConsent, final int withdrawnSubjects,
                          final long profileUpdatedAtEpochSum, final long csvBytes) {
        this.files = files;
        this.consentRows = consentRows;
        this.recordCount = recordCount;
        this.customerCount = customerCount;
        this.repeatedRecords = repeatedRecords;
        this.subjectsWithConsent = subjectsWithConsent;
        this.withdrawnSubjects = withdrawnSubjects;
        this.profileUpdatedAtEpochSum = profileUpdatedAtEpochSum;
        this.csvBytes = csvBytes;
    }

    /** Generates {@code fileCount} drops of {@code recordsPerFile} rows each from {@code seed}. */
    public static BenchmarkData generate(final long seed, final int fileCount, final int recordsPerFile, final double duplicateShare) {
        if (fileCount < 1 || recordsPerFile < 1 || duplicateShare < 0 || duplicateShare >= 1) {
            throw new IllegalArgumentException("Need at least one file and one record per file, and a duplicate share in [0, 1)");
        }
        final Random random = new Random(seed);
        final int total = fileCount * recordsPerFile;
        final List<String> emails = new ArrayList<>();
        final List<String> subjectKeys = new ArrayList<>();
        final List<SampleData.ConsentRow> consent = new ArrayList<>();
        final Map<String, Long> latestBySubject = new HashMap<>();
        final List<StringBuilder> csv = new ArrayList<>();
        for (int f = 0; f < fileCount; f++) {
            csv.add(new StringBuilder(recordsPerFile * 160).append(SampleData.CSV_HEADER).append('\n'));
        }
        int repeated = 0;
        for (int k = 0; k < total; k++) {
            final boolean repeat = k > 0 && random.nextDouble() < duplicateShare;
            final int customer;
            final String email;
            if (repeat) {
                customer = random.nextInt(emails.size());
                email = variant(emails.get(customer), customer, random);
                repeated++;
            } else {
                customer = emails.size();
                final String first = SampleData.FIRST_NAMES[random.nextInt(SampleData.FIRST_NAMES.length)];
                final String last = SampleData.LAST_NAMES[random.nextInt(SampleData.LAST_NAMES.length)];
                email = (first + "." + last + (100 + customer)).toLowerCase(Locale.ROOT) + "@"
                        + SampleData.DOMAINS[customer % SampleData.DOMAINS.length];
                emails.add(email);
                subjectKeys.add(SampleData.subjectKey(email));
                final String status = customer % 7 == 3 ? "WITHDRAWN" : customer % 7 == 5 ? null : "GRANTED";
                if (status != null) {
                    consent.add(new SampleData.ConsentRow(subjectKeys.get(customer), SampleData.PURPOSE, status,
                            BASE_TIME.minus(Duration.ofDays(30)).plusSeconds(customer), "web-form"));
                }
            }
            final String local = emails.get(customer).substring(0, emails.get(customer).indexOf('@'));
            final String[] names = local.replaceAll("[0-9]", "").split("[.]");
            final String digits = String.format(Locale.ROOT, "%06d", customer);
            final String phone = random.nextBoolean() ? "+447400" + digits : "07400 " + digits;
            final String[] city = SampleData.CITIES[random.nextInt(SampleData.CITIES.length)];
            final String tags = random.nextInt(3) == 0
                    ? SampleData.TAGS[random.nextInt(SampleData.TAGS.length)] + "|" + SampleData.TAGS[random.nextInt(SampleData.TAGS.length)]
                    : SampleData.TAGS[random.nextInt(SampleData.TAGS.length)];
            final Instant updatedAt = BASE_TIME.plusSeconds(k);
            final SampleData.SourceRecord record = new SampleData.SourceRecord(SampleData.SOURCE_FTP, "F" + (1_000_000 + k), email, phone,
                    capitalise(names[0]), capitalise(names[names.length - 1]), city[0], city[1], tags,
                    BASE_TIME.minus(Duration.ofDays(1 + random.nextInt(400))), BigDecimal.valueOf(500 + random.nextInt(200_000), 2),
                    updatedAt, subjectKeys.get(customer));
            csv.get(k % fileCount).append(SampleData.csvLine(record)).append('\n');
            latestBySubject.merge(subjectKeys.get(customer), updatedAt.getEpochSecond(), Math::max);
        }

        final Set<String> granted = new HashSet<>();
        int withdrawn = 0;
        for (final SampleData.ConsentRow row : consent) {
            if ("GRANTED".equals(row.status())) {
                granted.add(row.subjectKey());
            } else {
                withdrawn++;
            }
        }
        long epochSum = 0;
        for (final String subject : granted) {
            epochSum += latestBySubject.get(subject);
        }
        final Map<String, String> files = new LinkedHashMap<>();
        long bytes = 0;
        for (int f = 0; f < fileCount; f++) {
            final String content = csv.get(f).toString();
            files.put(String.format(Locale.ROOT, "bench-%03d.csv", f + 1), content);
            bytes += content.length();
        }
        return new BenchmarkData(Collections.unmodifiableMap(files), List.copyOf(consent), total, emails.size(), repeated,
                granted.size(), withdrawn, epochSum, bytes);
    }

    /** A repeat's address: as before (a third), case changed (a third), or the Gmail variant / case changed. */
    private static String variant(final String email, final int customer, final Random random) {
        return switch (random.nextInt(3)) {
            case 0 -> email;
            case 1 -> email.substring(0, 1).toUpperCase(Locale.ROOT) + email.substring(1, email.indexOf('@'))
                    + email.substring(email.indexOf('@')).toUpperCase(Locale.ROOT);
            default -> email.endsWith("@gmail.com") ? SampleData.ftpVariant(email, customer) : email.toUpperCase(Locale.ROOT);
        };
    }

    private static String capitalise(final String name) {
        return name.isEmpty() ? name : name.substring(0, 1).toUpperCase(Locale.ROOT) + name.substring(1);
    }

    /** File name to CSV content. */
    public Map<String, String> files() {
        return files;
    }

    public List<SampleData.ConsentRow> consentRows() {
        return consentRows;
    }

    public int recordCount() {
        return recordCount;
    }

    public int customerCount() {
        return customerCount;
    }

    /** Rows that repeat an earlier customer (same subject key, address as written or varied). */
    public int repeatedRecords() {
        return repeatedRecords;
    }

    /** Profiles the template must write, and rows the stock flow must write: subjects with consent. */
    public int subjectsWithConsent() {
        return subjectsWithConsent;
    }

    /** Suppression rows the template must write. */
    public int withdrawnSubjects() {
        return withdrawnSubjects;
    }

    /** Sum over the subjects with consent of the epoch second of their latest row: what the profiles' updated_at must add up to. */
    public long profileUpdatedAtEpochSum() {
        return profileUpdatedAtEpochSum;
    }

    public long csvBytes() {
        return csvBytes;
    }
}
