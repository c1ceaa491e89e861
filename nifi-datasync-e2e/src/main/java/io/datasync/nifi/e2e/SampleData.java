package io.datasync.nifi.e2e;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Seeded sample data with known truth: a set of true customers, the messy source records that describe them
 * (CRM API contacts and FTP CSV rows), their consent decisions, and what the pipeline must end up with.
 * <h2>How the records are messy</h2>
 * <ul>
 *   <li>every customer has a full CRM contact; every 5th also has a duplicate CRM contact (another id) whose email
 *       differs in case; every 3rd also appears in an FTP CSV drop, with a differently formatted phone and, for
 *       Gmail users, the address written with extra dots and a {@code +tag};</li>
 *   <li>every 4th customer later gets a partial CRM update that carries only some fields (others absent);</li>
 *   <li>one partial update is "late committed": its {@code updated_at} lies in the past, but the CRM API shows it
 *       only after a delay (see {@link #lateRecord()});</li>
 *   <li>CRM timestamps come in groups of three equal values, so page boundaries cut through ties;</li>
 *   <li>consent: every 7th customer (offset 3) withdrew (an older grant, then a newer withdrawal; the table holds
 *       the latest decision), every 7th (offset 5) has no consent row at all; all others granted.</li>
 * </ul>
 * <h2>The truth the assertions use</h2>
 * For each customer whose latest consent for {@value #PURPOSE} is GRANTED, one golden profile whose fields are
 * the most recent non-empty value across all of the customer's records (by {@code updated_at}), except
 * {@code tags} (union, sorted, joined by {@code |}) and {@code last_order_at} (the latest); {@code email} is the
 * customer's address as the most recent record wrote it, lower-cased; {@code phone} is E.164. Withdrawn customers
 * have a suppression row with reason {@value #REASON_WITHDRAWN} and no profile. Customers without consent have
 * neither.
 */
public final class SampleData {

    public static final String PURPOSE = "email_marketing";
    public static final String REASON_WITHDRAWN = "consent_withdrawn";
    public static final String SOURCE_CRM = "crm";
    public static final String SOURCE_FTP = "ftp";
    public static final String CSV_HEADER = "source,source_id,email,phone,first_name,last_name,city,country,tags,last_order_at,lifetime_value,updated_at";

    private static final Instant BASE_TIME = Instant.parse("2026-01-05T08:00:00Z");
    static final String[] FIRST_NAMES = {"Ada", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
        "Kasia", "Liam", "Maya", "Nils", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tara"};
    static final String[] LAST_NAMES = {"Novak", "Moreau", "Schmidt", "Rossi", "Jansen", "Silva", "Nowak", "Larsen", "Keller",
        "Costa", "Fischer", "Dubois", "Berg", "Horvat", "Lindqvist"};
    static final String[][] CITIES = {{"Berlin", "DE"}, {"Lyon", "FR"}, {"Porto", "PT"}, {"Leeds", "GB"}, {"Utrecht", "NL"},
        {"Graz", "AT"}, {"Aarhus", "DK"}, {"Turin", "IT"}};
    static final String[] TAGS = {"vip", "newsletter", "outdoor", "kids", "books", "garden"};
    static final String[] DOMAINS = {"gmail.com", "example.com", "mail.example.org", "example.net"};

    /** A true customer. {@code subjectKey} is the normalised email. */
    public record Customer(int index, String subjectKey, String consentStatus) {
    }

    /** One source record as a source delivers it; null fields are absent (partial update). */
    public record SourceRecord(String source, String sourceId, String email, String phone, String firstName, String lastName,
                               String city, String country, String tags, Instant lastOrderAt, BigDecimal lifetimeValue,
                               Instant updatedAt, String trueSubjectKey) {
    }

    public record ConsentRow(String subjectKey, String purpose, String status, Instant updatedAt, String source) {
    }

    public record ExpectedProfile(String subjectKey, String email, String phone, String firstName, String lastName, String city,
                                  String country, String tags, Instant lastOrderAt, BigDecimal lifetimeValue, Instant updatedAt) {
    }

    public record ExpectedSuppression(String subjectKey, String reason, Instant decidedAt) {
    }

    private final List<Customer> customers = new ArrayList<>();
    private final List<SourceRecord> crmRecords = new ArrayList<>();
    private final List<SourceRecord> ftpRecords = new ArrayList<>();
    private final List<ConsentRow> consentRows = new ArrayList<>();
    private SourceRecord lateRecord;

    private SampleData() {
    }

    /** Generates {@code customerCount} customers (at least 8) and their records from {@code seed}. */
    public static SampleData generate(final long seed, final int customerCount) {
        if (customerCount < 8) {
            throw new IllegalArgumentException("Need at least 8 customers to cover every case");
        }
        final SampleData data = new SampleData();
        data.build(new Random(seed), customerCount);
        return data;
    }

    private void build(final Random random, final int customerCount) {
        final List<SourceRecord> crmUnordered = new ArrayList<>();
        final List<SourceRecord> crmUpdates = new ArrayList<>();
        for (int i = 0; i < customerCount; i++) {
            final String first = FIRST_NAMES[random.nextInt(FIRST_NAMES.length)];
            final String last = LAST_NAMES[random.nextInt(LAST_NAMES.length)];
            final String domain = DOMAINS[i % DOMAINS.length];
            final String email = (first + "." + last + (100 + i)).toLowerCase(Locale.ROOT) + "@" + domain;
            final String subjectKey = subjectKey(email);
            final String digits = String.format(Locale.ROOT, "%03d", i % 1000);
            final String phone = "+447700900" + digits;
            final String[] city = CITIES[random.nextInt(CITIES.length)];
            final String tags = TAGS[random.nextInt(TAGS.length)];
            final Instant lastOrder = BASE_TIME.minus(Duration.ofDays(1 + random.nextInt(300)));
            final BigDecimal value = BigDecimal.valueOf(1000 + random.nextInt(90_000), 2);
            final String consent = i % 7 == 3 ? "WITHDRAWN" : i % 7 == 5 ? null : "GRANTED";
            customers.add(new Customer(i, subjectKey, consent == null ? "MISSING" : consent));

            crmUnordered.add(new SourceRecord(SOURCE_CRM, "C" + (1000 + i), email, phone, first, last, city[0], city[1], tags,
                    lastOrder, value, null, subjectKey));
            if (i % 5 == 0) {
                crmUnordered.add(new SourceRecord(SOURCE_CRM, "C" + (5000 + i), email.toUpperCase(Locale.ROOT), null, first, last,
                        null, null, TAGS[(i + 1) % TAGS.length], null, null, null, subjectKey));
            }
            if (i % 4 == 1) {
                final String[] movedTo = CITIES[(i + 3) % CITIES.length];
                crmUpdates.add(new SourceRecord(SOURCE_CRM, "C" + (1000 + i), email, null, null, null, movedTo[0], movedTo[1], null,
                        null, value.add(BigDecimal.valueOf(2500, 2)), null, subjectKey));
            }
            if (i % 3 == 0) {
                ftpRecords.add(new SourceRecord(SOURCE_FTP, "F" + (7000 + i), ftpVariant(email, i), "07700 900" + digits, first, last,
                        null, null, TAGS[(i + 2) % TAGS.length], lastOrder.plus(Duration.ofDays(1)), null,
                        BASE_TIME.plus(Duration.ofHours(2)).plusSeconds(i), subjectKey));
            }
            if (consent != null) {
                final Instant decided = BASE_TIME.minus(Duration.ofDays(10)).plusSeconds(i * 60L);
                consentRows.add(new ConsentRow(subjectKey, PURPOSE, consent, decided, "web-form"));
            }
        }
        // CRM timestamps: in list order, three records per minute, so ties straddle any page size not divisible by 3.
        final List<SourceRecord> crmAll = new ArrayList<>(crmUnordered);
        crmAll.addAll(crmUpdates);
        for (int k = 0; k < crmAll.size(); k++) {
            crmRecords.add(withUpdatedAt(crmAll.get(k), BASE_TIME.plus(Duration.ofMinutes(k / 3))));
        }
        // The late-committed record: a partial update for the first customer that has consent, timestamped in
        // the middle of the CRM history (older than the newest records), visible only after a delay.
        final Customer target = customers.stream().filter(c -> "GRANTED".equals(c.consentStatus())).findFirst().orElseThrow();
        final SourceRecord targetBase = crmRecords.stream().filter(r -> r.trueSubjectKey().equals(target.subjectKey())).findFirst().orElseThrow();
        final Instant latest = crmRecords.stream().map(SourceRecord::updatedAt).max(Comparator.naturalOrder()).orElseThrow();
        final Instant middle = BASE_TIME.plus(Duration.between(BASE_TIME, latest).dividedBy(2)).plusSeconds(30);
        lateRecord = new SourceRecord(SOURCE_CRM, targetBase.sourceId(), targetBase.email(), null, null, null, null, null, "late",
                null, null, middle, target.subjectKey());
        crmRecords.add(lateRecord);
        crmRecords.sort(Comparator.comparing(SourceRecord::updatedAt).thenComparing(SourceRecord::sourceId));
    }

    private static SourceRecord withUpdatedAt(final SourceRecord r, final Instant updatedAt) {
        return new SourceRecord(r.source(), r.sourceId(), r.email(), r.phone(), r.firstName(), r.lastName(), r.city(), r.country(),
                r.tags(), r.lastOrderAt(), r.lifetimeValue(), updatedAt, r.trueSubjectKey());
    }

    /** The way the FTP source writes an address: Gmail with extra dots and a +tag, others with a capitalised domain. */
    static String ftpVariant(final String email, final int i) {
        final int at = email.indexOf('@');
        final String local = email.substring(0, at);
        final String domain = email.substring(at + 1);
        if (domain.equals("gmail.com")) {
            final String dotted = local.replace(".", "").chars().mapToObj(c -> String.valueOf((char) c))
                    .reduce((a, b) -> a.length() % 3 == 0 ? a + "." + b : a + b).orElse(local);
            return dotted + "+shop" + i + "@googlemail.com";
        }
        return local + "@" + domain.toUpperCase(Locale.ROOT);
    }

    /**
     * The subject key of an address: trimmed and lower-cased; for gmail.com and googlemail.com, dots and any
     * {@code +tag} removed from the local part and the domain written gmail.com.
     */
    public static String subjectKey(final String email) {
        final String lower = email.trim().toLowerCase(Locale.ROOT);
        final int at = lower.lastIndexOf('@');
        String local = lower.substring(0, at);
        String domain = lower.substring(at + 1);
        if (domain.equals("gmail.com") || domain.equals("googlemail.com")) {
            final int plus = local.indexOf('+');
            local = (plus >= 0 ? local.substring(0, plus) : local).replace(".", "");
            domain = "gmail.com";
        }
        return local + "@" + domain;
    }

    // ---------------------------------------------------------------- sources

    public List<Customer> customers() {
        return Collections.unmodifiableList(customers);
    }

    /** CRM contacts ordered by (updated_at, id), including the late record. */
    public List<SourceRecord> crmRecords() {
        return Collections.unmodifiableList(crmRecords);
    }

    /** A CRM contact changed while a sync runs: the row it replaces and its new version. */
    public record Change(SourceRecord replaced, SourceRecord newVersion) {
    }

    /**
     * Changes the second CRM row (an early one, so every later row moves back by one in an API that pages by offset): its
     * contact moves city, with a timestamp newer than every CRM row so far. The truth gains the new version; the replaced
     * row stays part of it, since a sync has already delivered it when the change happens.
     */
    public Change changeDuringSync() {
        final SourceRecord replaced = crmRecords.get(1);
        final Instant latest = crmRecords.stream().map(SourceRecord::updatedAt).max(Comparator.naturalOrder()).orElseThrow();
        String[] city = CITIES[0];
        for (final String[] candidate : CITIES) {
            if (!candidate[0].equals(replaced.city())) {
                city = candidate;
                break;
            }
        }
        final SourceRecord newVersion = new SourceRecord(SOURCE_CRM, replaced.sourceId(), replaced.email(), null, null, null, city[0], city[1],
                null, null, null, latest.plus(Duration.ofMinutes(1)), replaced.trueSubjectKey());
        crmRecords.add(newVersion);
        return new Change(replaced, newVersion);
    }

    /** The CRM record the API shows only after its commit delay. */
    public SourceRecord lateRecord() {
        return lateRecord;
    }

    public List<SourceRecord> ftpRecords() {
        return Collections.unmodifiableList(ftpRecords);
    }

    public List<ConsentRow> consentRows() {
        return Collections.unmodifiableList(consentRows);
    }

    /** The FTP drops: file name to CSV content (header {@value #CSV_HEADER}), split into {@code fileCount} files. */
    public Map<String, String> ftpCsvFiles(final int fileCount) {
        final Map<String, String> files = new LinkedHashMap<>();
        for (int f = 0; f < fileCount; f++) {
            final StringBuilder csv = new StringBuilder(CSV_HEADER).append('\n');
            for (int r = f; r < ftpRecords.size(); r += fileCount) {
                csv.append(csvLine(ftpRecords.get(r))).append('\n');
            }
            files.put(String.format(Locale.ROOT, "contacts-%03d.csv", f + 1), csv.toString());
        }
        return files;
    }

    /**
     * The same drops as {@link #ftpCsvFiles(int)}, record for record and file for file, as XML exports
     * ({@code contacts-NNN.xml}): one {@code <contact>} per record under {@code <contacts>}, elements named as the CSV
     * header's columns, an absent value left out (the XML reader reads it as null, as the CSV reader does an empty cell).
     */
    public Map<String, String> ftpXmlFiles(final int fileCount) {
        final Map<String, String> files = new LinkedHashMap<>();
        for (int f = 0; f < fileCount; f++) {
            final StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<contacts>\n");
            for (int r = f; r < ftpRecords.size(); r += fileCount) {
                xml.append(xmlContact(ftpRecords.get(r)));
            }
            files.put(String.format(Locale.ROOT, "contacts-%03d.xml", f + 1), xml.append("</contacts>\n").toString());
        }
        return files;
    }

    static String xmlContact(final SourceRecord r) {
        final String[] names = CSV_HEADER.split(",");
        final String[] values = {r.source(), r.sourceId(), r.email(), r.phone(), r.firstName(), r.lastName(), r.city(), r.country(), r.tags(),
            r.lastOrderAt() == null ? null : r.lastOrderAt().toString(), r.lifetimeValue() == null ? null : r.lifetimeValue().toPlainString(),
            r.updatedAt().toString()};
        final StringBuilder xml = new StringBuilder("  <contact>\n");
        for (int i = 0; i < names.length; i++) {
            if (values[i] != null && !values[i].isEmpty()) {
                xml.append("    <").append(names[i]).append('>').append(xmlText(values[i])).append("</").append(names[i]).append(">\n");
            }
        }
        return xml.append("  </contact>\n").toString();
    }

    private static String xmlText(final String value) {
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    static String csvLine(final SourceRecord r) {
        return String.join(",", r.source(), r.sourceId(), text(r.email()), text(r.phone()), text(r.firstName()), text(r.lastName()),
                text(r.city()), text(r.country()), text(r.tags()), r.lastOrderAt() == null ? "" : r.lastOrderAt().toString(),
                r.lifetimeValue() == null ? "" : r.lifetimeValue().toPlainString(), r.updatedAt().toString());
    }

    private static String text(final String value) {
        return value == null ? "" : value;
    }

    // ---------------------------------------------------------------- truth

    /** Golden profiles the pipeline must write, by subject key (customers whose consent is GRANTED). */
    public Map<String, ExpectedProfile> expectedProfiles() {
        return expectedProfiles(java.util.Set.of(SOURCE_CRM, SOURCE_FTP));
    }

    /**
     * Golden profiles when only the given sources ({@value #SOURCE_CRM}, {@value #SOURCE_FTP}) are loaded: the
     * customers with consent that these sources know, from these sources' records only.
     */
    public Map<String, ExpectedProfile> expectedProfiles(final java.util.Set<String> sources) {
        final Map<String, ExpectedProfile> expected = new TreeMap<>();
        for (final Customer customer : customers) {
            if (!"GRANTED".equals(customer.consentStatus())) {
                continue;
            }
            final List<SourceRecord> records = new ArrayList<>();
            crmRecords.stream().filter(r -> sources.contains(r.source()) && r.trueSubjectKey().equals(customer.subjectKey())).forEach(records::add);
            ftpRecords.stream().filter(r -> sources.contains(r.source()) && r.trueSubjectKey().equals(customer.subjectKey())).forEach(records::add);
            if (records.isEmpty()) {
                continue;
            }
            records.sort(Comparator.comparing(SourceRecord::updatedAt).thenComparing(SourceRecord::sourceId));
            final TreeSet<String> tags = new TreeSet<>();
            records.stream().map(SourceRecord::tags).filter(t -> t != null && !t.isEmpty()).forEach(t -> tags.addAll(List.of(t.split("\\|"))));
            final String email = latest(records, SourceRecord::email);
            expected.put(customer.subjectKey(), new ExpectedProfile(customer.subjectKey(),
                    email == null ? null : email.toLowerCase(Locale.ROOT),
                    e164(latest(records, SourceRecord::phone)),
                    latest(records, SourceRecord::firstName), latest(records, SourceRecord::lastName),
                    latest(records, SourceRecord::city), latest(records, SourceRecord::country),
                    String.join("|", tags),
                    records.stream().map(SourceRecord::lastOrderAt).filter(t -> t != null).max(Comparator.naturalOrder()).orElse(null),
                    latestValue(records),
                    records.getLast().updatedAt()));
        }
        return expected;
    }

    /** Suppression rows the pipeline must write, by subject key (customers who withdrew consent). */
    public Map<String, ExpectedSuppression> expectedSuppressions() {
        return expectedSuppressions(java.util.Set.of(SOURCE_CRM, SOURCE_FTP));
    }

    /** Suppression rows when only the given sources are loaded: withdrawn customers these sources know. */
    public Map<String, ExpectedSuppression> expectedSuppressions(final java.util.Set<String> sources) {
        final java.util.Set<String> known = new java.util.HashSet<>();
        crmRecords.stream().filter(r -> sources.contains(r.source())).forEach(r -> known.add(r.trueSubjectKey()));
        ftpRecords.stream().filter(r -> sources.contains(r.source())).forEach(r -> known.add(r.trueSubjectKey()));
        final Map<String, ExpectedSuppression> expected = new TreeMap<>();
        for (final ConsentRow row : consentRows) {
            if ("WITHDRAWN".equals(row.status()) && known.contains(row.subjectKey())) {
                expected.put(row.subjectKey(), new ExpectedSuppression(row.subjectKey(), REASON_WITHDRAWN, row.updatedAt()));
            }
        }
        return expected;
    }

    /** Subject keys that must appear nowhere in customer_profiles (withdrawn or no consent). */
    public List<String> subjectsWithoutConsent() {
        return customers.stream().filter(c -> !"GRANTED".equals(c.consentStatus())).map(Customer::subjectKey).toList();
    }

    /** Every email address as any source wrote it: none may appear in NiFi's logs. */
    public List<String> allEmailsAsWritten() {
        final List<String> emails = new ArrayList<>();
        crmRecords.forEach(r -> emails.add(r.email()));
        ftpRecords.forEach(r -> emails.add(r.email()));
        return emails.stream().filter(e -> e != null).distinct().toList();
    }

    private static <T> T latest(final List<SourceRecord> recordsOldestFirst, final Function<SourceRecord, T> field) {
        for (int i = recordsOldestFirst.size() - 1; i >= 0; i--) {
            final T value = field.apply(recordsOldestFirst.get(i));
            if (value != null && !(value instanceof String s && s.isEmpty())) {
                return value;
            }
        }
        return null;
    }

    private static BigDecimal latestValue(final List<SourceRecord> records) {
        final BigDecimal value = latest(records, SourceRecord::lifetimeValue);
        return value == null ? null : value.setScale(2, RoundingMode.UNNECESSARY);
    }

    /** E.164 for the UK numbers this data uses ({@code 07700 900123} and {@code +447700900123} alike). */
    static String e164(final String phone) {
        if (phone == null) {
            return null;
        }
        final String digits = phone.replaceAll("[^0-9+]", "");
        return digits.startsWith("+") ? digits : "+44" + digits.substring(1);
    }
}
