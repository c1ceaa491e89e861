package io.datasync.nifi.e2e;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Seeded multi-country customer data with its truth (issue 22), served as CSV drops (ftp-batch-ingest) or as CRM
 * contacts (crm-api-sync, {@link #crmRecords}). Each person has a country (US with a state, DE, FR, GB, BR), a number
 * (national significant number plus country code: the E.164 truth is built, not parsed) written in a national form
 * with the country on the first record; a third of them have a second record in another drop with a second e-mail
 * address and the number in an international form, linked to the first only through the phone; some are two customers
 * (a second address, no phone, in another drop) until a record of the late drop links them; one in eight has only a
 * placeholder phone; one in ten gives a placeholder e-mail address several people share. Tags repeat within a record
 * and across records. Drop names are shuffled, so the order a lister finds them in is not the order they were written in.
 * <p>
 * With {@code consentGaps}, some people whose only record carries their own address withdrew consent (one consent row,
 * WITHDRAWN) and some have no consent row at all; everybody else granted. Without, everybody granted.
 */
public final class RealDataDrops {

    /** The source name the CSV rows carry. */
    public static final String SOURCE = "shop";
    private static final Instant BASE_TIME = Instant.parse("2026-03-01T08:00:00Z");
    private static final String[] TAGS = {"vip", "newsletter", "outdoor", "kids", "books", "garden"};
    private static final String[] PLACEHOLDERS = {"n/a", "000-000-0000", "0000000000", "unknown"};
    /** Addresses several people give (CustomerDedup's default Blocked Values hold them). */
    private static final String[] PLACEHOLDER_EMAILS = {"test@example.com", "noreply@example.com"};
    private static final Comparator<SampleData.SourceRecord> API_ORDER =
            Comparator.comparing(SampleData.SourceRecord::updatedAt).thenComparing(SampleData.SourceRecord::sourceId);

    /** A generated person: the truth a stored profile is checked against. */
    public static final class Person {
        /** Source ids without the source prefix, e.g. {@code F22-7a}. */
        public final List<String> sourceIds = new ArrayList<>();
        public final Set<String> tags = new TreeSet<>();
        public String e164;
        public String placeholderPhone;
        public String countryWritten;
        /** The first record's address, lower-cased: the subject whose consent decides. */
        public String subjectKey;
        /** GRANTED, WITHDRAWN, or null (no consent row). */
        public String consent = "GRANTED";

        /** The phone a profile must store: the E.164 truth, or nothing for a placeholder (kept as written instead). */
        public String storedPhone() {
            return placeholderPhone == null ? e164 : null;
        }

        public boolean granted() {
            return "GRANTED".equals(consent);
        }
    }

    public final List<Person> people = new ArrayList<>();
    /** Drop name to CSV, the late drop not included. */
    public final Map<String, String> files = new LinkedHashMap<>();
    /** People whose two first records share nothing; a record of the late drop links them. */
    public final List<Person> lateLinked = new ArrayList<>();
    public String lateFile;
    public String lateContent;
    public final List<SampleData.ConsentRow> consent = new ArrayList<>();
    /** Every e-mail address of the data, as written. */
    public final Set<String> emails = new TreeSet<>();
    /** Every real phone number of the data, as written and as E.164. */
    public final Set<String> phones = new TreeSet<>();
    private final long seed;
    private final List<List<SampleData.SourceRecord>> fileRecords = new ArrayList<>();
    private final List<SampleData.SourceRecord> lateRecords = new ArrayList<>();
    private final Set<String> consentSubjects = new HashSet<>();
    private int records;

    private RealDataDrops(final long seed) {
        this.seed = seed;
    }

    /** Records in all drops, the late one included. */
    public int recordCount() {
        return records;
    }

    /** The people who granted consent: the ones with a profile. */
    public List<Person> grantedPeople() {
        return people.stream().filter(Person::granted).toList();
    }

    /** Subject keys of the people who withdrew: one suppression row each. */
    public Set<String> withdrawnSubjects() {
        final Set<String> subjects = new TreeSet<>();
        people.stream().filter(p -> "WITHDRAWN".equals(p.consent)).forEach(p -> subjects.add(p.subjectKey));
        return subjects;
    }

    /** Records of people with consent: what a profile store holds in the end, one source id each. */
    public int grantedRecordCount() {
        return grantedPeople().stream().mapToInt(p -> p.sourceIds.size()).sum();
    }

    /** Distinct lower-cased addresses of the records of people with consent: the rows a flow keyed by address writes. */
    public int grantedDistinctEmails() {
        final Set<String> keys = new HashSet<>();
        final Set<String> granted = new HashSet<>();
        grantedPeople().forEach(p -> granted.addAll(p.sourceIds));
        allRecords().stream().filter(r -> granted.contains(r.sourceId())).forEach(r -> keys.add(r.email().toLowerCase(Locale.ROOT)));
        return keys.size();
    }

    /** Every drop, the late one included, name to CSV. */
    public Map<String, String> allFiles() {
        final Map<String, String> all = new LinkedHashMap<>(files);
        all.put(lateFile, lateContent);
        return all;
    }

    private List<SampleData.SourceRecord> allRecords() {
        final List<SampleData.SourceRecord> all = new ArrayList<>();
        fileRecords.forEach(all::addAll);
        all.addAll(lateRecords);
        return all;
    }

    /**
     * The records of the drops as a CRM holds them, under source {@code crm}: {@code late} false gives every record of
     * the first drops in a seeded random order, timestamped in that order three to a minute (so equal timestamps
     * straddle page boundaries); {@code late} true the late drop's records, timestamped after all of them.
     */
    public List<SampleData.SourceRecord> crmRecords(final boolean late) {
        final List<SampleData.SourceRecord> early = new ArrayList<>();
        fileRecords.forEach(early::addAll);
        Collections.shuffle(early, new Random(seed * 31 + 7));
        final List<SampleData.SourceRecord> chosen = late ? lateRecords : early;
        final Instant start = late ? BASE_TIME.plus(Duration.ofMinutes(early.size() / 3 + 10)) : BASE_TIME;
        final List<SampleData.SourceRecord> timed = new ArrayList<>();
        for (int k = 0; k < chosen.size(); k++) {
            final SampleData.SourceRecord r = chosen.get(k);
            timed.add(new SampleData.SourceRecord(SampleData.SOURCE_CRM, r.sourceId(), r.email(), r.phone(), r.firstName(), r.lastName(),
                    r.city(), r.country(), r.tags(), r.lastOrderAt(), r.lifetimeValue(), start.plus(Duration.ofMinutes(k / 3)), r.trueSubjectKey()));
        }
        timed.sort(API_ORDER);
        return timed;
    }

    /** {@code peopleCount} people in four drops and a late drop; see the class comment. */
    public static RealDataDrops generate(final long seed, final int peopleCount, final boolean consentGaps) {
        final Random random = new Random(seed);
        final RealDataDrops drops = new RealDataDrops(seed);
        final int fileCount = 4;
        final List<List<String>> lines = new ArrayList<>();
        for (int f = 0; f < fileCount; f++) {
            lines.add(new ArrayList<>());
            drops.fileRecords.add(new ArrayList<>());
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
            final boolean placeholderEmail = i % 10 == 4;
            final String email = placeholderEmail ? PLACEHOLDER_EMAILS[random.nextInt(PLACEHOLDER_EMAILS.length)]
                    : "p" + i + ".first" + seed + "@example.org";
            person.subjectKey = email.toLowerCase(Locale.ROOT);
            final boolean lateLink = !placeholder && i % 3 != 0 && i % 7 == 5;
            // Consent gaps only where one record with the person's own address decides: no random draw, so the data
            // is otherwise the same with and without gaps.
            if (consentGaps && !placeholderEmail && !lateLink && i % 3 != 0) {
                if (i % 11 == 2) {
                    person.consent = "WITHDRAWN";
                } else if (i % 11 == 9) {
                    person.consent = null;
                }
            }
            final int firstFile = random.nextInt(fileCount);
            final String tag1 = TAGS[random.nextInt(TAGS.length)];
            final String tag2 = TAGS[random.nextInt(TAGS.length)];
            person.tags.add(tag1);
            person.tags.add(tag2);
            drops.add(lines, firstFile, person, "F" + seed + "-" + i + "a", email,
                    placeholder ? person.placeholderPhone : national(country, number[1]), first, person.countryWritten,
                    tag1 + "|" + tag2 + "|" + tag1, BASE_TIME.plusSeconds(i));
            if (lateLink) {
                // b: a second address, no phone, in another drop: a customer of its own until the late drop's c
                // carries that address with the phone of a.
                drops.lateLinked.add(person);
                final String second = "p" + i + ".late" + seed + "@example.net";
                final int secondFile = (firstFile + 1 + random.nextInt(fileCount - 1)) % fileCount;
                drops.add(lines, secondFile, person, "F" + seed + "-" + i + "b", second, null, first, person.countryWritten,
                        tag2, BASE_TIME.plusSeconds(5_000 + i));
                lateLines.add(drops.line(drops.lateRecords, person, "F" + seed + "-" + i + "c", second,
                        international(number[0], number[1], random), first, null, tag1, BASE_TIME.plusSeconds(20_000 + i)));
            }
            if (!placeholder && i % 3 == 0) {
                final String second = "p" + i + ".second" + seed + "@example.net";
                final int secondFile = (firstFile + 1 + random.nextInt(fileCount - 1)) % fileCount;
                final String tag3 = TAGS[random.nextInt(TAGS.length)];
                person.tags.add(tag3);
                drops.add(lines, secondFile, person, "F" + seed + "-" + i + "b", second,
                        international(number[0], number[1], random), first, null, tag3 + "|" + tag1,
                        BASE_TIME.plusSeconds(10_000 + i));
            }
            if (person.consent != null && drops.consentSubjects.add(person.subjectKey)) {
                drops.consent.add(new SampleData.ConsentRow(person.subjectKey, SampleData.PURPOSE, person.consent,
                        BASE_TIME.minus(Duration.ofDays(3)), "web-form"));
            }
        }
        // Shuffled names: the order a lister finds them in is not the order they were written in.
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

    private void add(final List<List<String>> lines, final int file, final Person person, final String sourceId, final String email,
                     final String phone, final String first, final String country, final String tags, final Instant updatedAt) {
        lines.get(file).add(line(fileRecords.get(file), person, sourceId, email, phone, first, country, tags, updatedAt));
    }

    private String line(final List<SampleData.SourceRecord> into, final Person person, final String sourceId, final String email,
                        final String phone, final String first, final String country, final String tags, final Instant updatedAt) {
        person.sourceIds.add(sourceId);
        emails.add(email);
        if (phone != null && person.placeholderPhone == null) {
            phones.add(phone);
            phones.add(person.e164);
        }
        // A second address of a person is granted too: the person's consent is decided by the first.
        final String subject = email.toLowerCase(Locale.ROOT);
        if (!subject.equals(person.subjectKey) && consentSubjects.add(subject)) {
            consent.add(new SampleData.ConsentRow(subject, SampleData.PURPOSE, "GRANTED", BASE_TIME.minus(Duration.ofDays(3)), "web-form"));
        }
        records++;
        into.add(new SampleData.SourceRecord(SOURCE, sourceId, email, phone, first, "Tester", "Town", country, tags, null,
                new BigDecimal("12.50"), updatedAt, person.subjectKey));
        return String.join(",", SOURCE, sourceId, email, phone == null ? "" : phone, first, "Tester", "Town",
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
