package io.datasync.nifi.benchmarks;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded generator of realistic customer records as they arrive from three sources (CRM, shop,
 * web form): about three records per customer scattered through the batch, emails in several
 * spellings (case, Gmail dots and +tags, stray whitespace), phones in several national and
 * international formats, ISO-8601 timestamps, a consent status in mixed vocabularies and a
 * per-purpose consent object. The same seed and size always give the same bytes, so every
 * contestant reads exactly the same input.
 */
public final class CustomerRecordGenerator {

    public static final long DEFAULT_SEED = 20261128L;
    public static final List<String> SOURCES = List.of("crm", "shop", "webform");
    /** Purposes carried in each record's {@code consent} object. */
    public static final String PURPOSE_EMAIL = "email_marketing";
    public static final String PURPOSE_PERSONALISATION = "personalisation";

    private static final String[] FIRST_NAMES = {"Anna", "Ben", "Chloé", "David", "Emma", "Felix", "Greta", "Hugo", "Ines",
        "Jonas", "Katarzyna", "Liam", "Mia", "Noah", "Olivia", "Paul", "Quentin", "Rosa", "Sofia", "Tom", "Ursula",
        "Viktor", "Wiebke", "Xavier", "Yara", "Zoë", "José", "Łukasz", "Siobhán", "Mehmet"};
    private static final String[] LAST_NAMES = {"Müller", "Schmidt", "Smith", "Jones", "García", "Martin", "Rossi",
        "Nowak", "Dubois", "van der Berg", "O'Brien", "Johansson", "Silva", "Kowalski", "Novák", "Bauer", "Wagner",
        "Brown", "Taylor", "Lefèvre", "Fischer", "Moreau", "Becker", "Hoffmann", "Schulz", "Nguyen", "Yılmaz"};
    private static final String[] DOMAINS = {"gmail.com", "gmail.com", "gmail.com", "googlemail.com", "yahoo.com",
        "outlook.com", "web.de", "gmx.de", "example.org", "mail.example.com"};
    private static final String[] COUNTRIES = {"DE", "FR", "GB", "NL", "PL", "ES", "IT", "US", "US", "CA"};
    private static final String[] COUNTRY_CODES = {"49", "33", "44", "31", "48", "34", "39", "1", "1", "1"};
    private static final String[] REGIONS = {"BE", "IDF", "LND", "NH", "MZ", "MD", "RM", "CA", "NY", "ON"};
    private static final String[] CITIES = {"Berlin", "Paris", "London", "Amsterdam", "Warszawa", "Madrid", "Roma",
        "San Francisco", "New York", "Toronto"};
    private static final String[] CONSENT_GRANTED = {"granted", "GRANTED", "opt-in", "yes", "true", "1"};
    private static final String[] CONSENT_DENIED = {"denied", "withdrawn", "opt-out", "no", "false", "0"};
    private static final String[] CONSENT_OTHER = {"pending", "unknown"};
    private static final String[] TAGS = {"vip", "newsletter", "b2b", "returning", "churn-risk", "promo"};
    private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_INSTANT;
    /** 2025-11-28T00:00:00Z: timestamps fall in the year before it. */
    private static final long EPOCH_END = 1_764_288_000L;
    private static final long ONE_YEAR = 365L * 24 * 3600;

    private final long seed;

    public CustomerRecordGenerator(final long seed) {
        this.seed = seed;
    }

    /** What a batch holds, for the report. */
    public record BatchStats(int records, int customers, int exactEmailDuplicates, long bytes) {
        public double exactDuplicateShare() {
            return records == 0 ? 0 : (double) exactEmailDuplicates / records;
        }
    }

    /** A JSON array of {@code recordCount} records. */
    public byte[] jsonArray(final int recordCount) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, recordCount * 640));
        writeJsonArray(recordCount, out);
        return out.toByteArray();
    }

    /** Writes the batch as a JSON array and returns what it holds. */
    public BatchStats writeJsonArray(final int recordCount, final OutputStream out) {
        final int[] customerOfRecord = assignCustomers(recordCount);
        final int customers = customerOfRecord.length == 0 ? 0 : max(customerOfRecord) + 1;
        final int[] seenPerCustomer = new int[customers];
        final Set<String> emailsSeen = new HashSet<>();
        int exactDuplicates = 0;
        final CountingOutputStream counting = new CountingOutputStream(out);
        try (JsonGenerator json = new JsonFactory().createGenerator(counting, JsonEncoding.UTF8)) {
            json.writeStartArray();
            for (int i = 0; i < recordCount; i++) {
                final int customer = customerOfRecord[i];
                final int nth = seenPerCustomer[customer]++;
                final String email = writeRecord(json, i, customer, nth);
                if (!emailsSeen.add(email)) {
                    exactDuplicates++;
                }
            }
            json.writeEndArray();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return new BatchStats(recordCount, customers, exactDuplicates, counting.count);
    }

    /**
     * A JSON array of {@code recordCount} records of distinct customers, numbered from
     * {@code firstCustomer}: every record brings a new identity (for identity-state measurements).
     */
    public byte[] distinctCustomers(final int firstCustomer, final int recordCount) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(recordCount * 640 + 128);
        try (JsonGenerator json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartArray();
            for (int i = firstCustomer; i < firstCustomer + recordCount; i++) {
                writeRecord(json, i, i, 0);
            }
            json.writeEndArray();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A page of an API response: {@code {"data":[...], "next": nextUrl}}, records numbered from {@code firstRecord}. */
    public byte[] apiPage(final int firstRecord, final int recordCount, final String nextUrl) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(recordCount * 640 + 128);
        try (JsonGenerator json = new JsonFactory().createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartObject();
            json.writeArrayFieldStart("data");
            for (int i = firstRecord; i < firstRecord + recordCount; i++) {
                // One customer per record: an API lists each customer once.
                writeRecord(json, i, i, 0);
            }
            json.writeEndArray();
            if (nextUrl == null) {
                json.writeNullField("next");
            } else {
                json.writeStringField("next", nextUrl);
            }
            json.writeEndObject();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Gives each record a customer: 1 to 5 records per customer (mean 3), shuffled with the seed
     * so a customer's records are spread through the batch as they are when sources interleave.
     */
    private int[] assignCustomers(final int recordCount) {
        final SplittableRandom random = new SplittableRandom(seed);
        final int[] customerOfRecord = new int[recordCount];
        int filled = 0;
        int customer = 0;
        while (filled < recordCount) {
            final int count = Math.min(recordCount - filled, 1 + random.nextInt(5));
            for (int j = 0; j < count; j++) {
                customerOfRecord[filled++] = customer;
            }
            customer++;
        }
        for (int i = recordCount - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int swap = customerOfRecord[i];
            customerOfRecord[i] = customerOfRecord[j];
            customerOfRecord[j] = swap;
        }
        return customerOfRecord;
    }

    /** Writes one record and returns its email exactly as written. */
    private String writeRecord(final JsonGenerator json, final int recordIndex, final int customer, final int nthOfCustomer)
            throws IOException {
        final SplittableRandom person = new SplittableRandom(seed * 31 + customer);
        final String first = FIRST_NAMES[person.nextInt(FIRST_NAMES.length)];
        final String last = LAST_NAMES[person.nextInt(LAST_NAMES.length)];
        final String domain = DOMAINS[person.nextInt(DOMAINS.length)];
        final int countryIndex = person.nextInt(COUNTRIES.length);
        final String nationalNumber = String.valueOf(151_000_0000L + person.nextInt(9_000_0000));
        final String localPart = ascii(first) + "." + ascii(last) + (customer % 1000);
        final long baseTime = EPOCH_END - ONE_YEAR + person.nextLong(ONE_YEAR - 30L * 24 * 3600);

        final SplittableRandom rec = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (recordIndex + 1)));
        final String source = SOURCES.get((customer + nthOfCustomer) % SOURCES.size());
        final String email = emailVariant(localPart, domain, rec);
        final String phone = phoneVariant(COUNTRY_CODES[countryIndex], nationalNumber, rec);
        final long updated = baseTime + rec.nextLong(30L * 24 * 3600);

        json.writeStartObject();
        json.writeStringField("id", source + "-" + recordIndex);
        json.writeStringField("customer_id", "cust-" + customer);
        json.writeStringField("source", source);
        json.writeStringField("email", email);
        json.writeStringField("phone", phone);
        json.writeStringField("first_name", rec.nextInt(10) == 0 ? first.toUpperCase(Locale.ROOT) : first);
        if (rec.nextInt(8) == 0) {
            json.writeNullField("last_name"); // partial update: the field is known to be unknown
        } else {
            json.writeStringField("last_name", last);
        }
        json.writeStringField("country", COUNTRIES[countryIndex]);
        json.writeStringField("region", REGIONS[countryIndex]);
        json.writeStringField("city", CITIES[countryIndex]);
        json.writeStringField("created_at", ISO.format(Instant.ofEpochSecond(baseTime)));
        json.writeStringField("updated_at", ISO.format(Instant.ofEpochSecond(updated)));
        json.writeNumberField("loyalty_points", rec.nextInt(5000));
        json.writeNumberField("order_count", rec.nextInt(40));
        json.writeArrayFieldStart("tags");
        final int tagCount = rec.nextInt(3);
        for (int t = 0; t < tagCount; t++) {
            json.writeString(TAGS[rec.nextInt(TAGS.length)]);
        }
        json.writeEndArray();
        json.writeStringField("consent_status", consentValue(rec));
        json.writeStringField("consent_updated_at", ISO.format(Instant.ofEpochSecond(updated - rec.nextLong(90L * 24 * 3600))));
        json.writeObjectFieldStart("consent");
        json.writeStringField(PURPOSE_EMAIL, consentValue(rec));
        json.writeStringField(PURPOSE_PERSONALISATION, consentValue(rec));
        json.writeEndObject();
        json.writeBooleanField("gpc", rec.nextInt(20) == 0);
        json.writeEndObject();
        return email;
    }

    /** 70% granted, 20% denied or withdrawn, 10% pending or unknown, each in mixed vocabularies. */
    private static String consentValue(final SplittableRandom rec) {
        final int roll = rec.nextInt(10);
        if (roll < 7) {
            return CONSENT_GRANTED[rec.nextInt(CONSENT_GRANTED.length)];
        }
        if (roll < 9) {
            return CONSENT_DENIED[rec.nextInt(CONSENT_DENIED.length)];
        }
        return CONSENT_OTHER[rec.nextInt(CONSENT_OTHER.length)];
    }

    /**
     * About a third of the records spell the email canonically; the rest use one of the variants a human
     * or a form produces: capitals, surrounding spaces, Gmail dots removed or +tags. Tuned so that
     * about 20% of the records repeat an earlier email exactly (what a raw-key deduplication finds).
     */
    private static String emailVariant(final String localPart, final String domain, final SplittableRandom rec) {
        final boolean gmail = domain.equals("gmail.com") || domain.equals("googlemail.com");
        return switch (rec.nextInt(17)) {
            case 0, 1, 2 -> capitalise(localPart) + "@" + domain.toUpperCase(Locale.ROOT);
            case 3 -> "  " + localPart + "@" + domain + " ";
            case 4, 5 -> gmail ? localPart.replace(".", "") + "@" + domain : localPart.toUpperCase(Locale.ROOT) + "@" + domain;
            case 6, 7 -> gmail ? localPart + "+promo" + rec.nextInt(100) + "@" + domain : capitalise(localPart) + "@" + domain;
            case 8 -> gmail ? capitalise(localPart.replace(".", "")) + "@gmail.com" : localPart + "@" + domain.toUpperCase(Locale.ROOT);
            case 9, 10 -> localPart + "@" + capitalise(domain); // phone keyboards capitalise
            default -> localPart + "@" + domain;
        };
    }

    private static String phoneVariant(final String countryCode, final String national, final SplittableRandom rec) {
        final String a = national.substring(0, 3);
        final String b = national.substring(3, 6);
        final String c = national.substring(6);
        return switch (rec.nextInt(5)) {
            case 0 -> "+" + countryCode + national;
            case 1 -> "+" + countryCode + " " + a + " " + b + " " + c;
            case 2 -> "00" + countryCode + "-" + a + "-" + b + c;
            case 3 -> "(" + a + ") " + b + "-" + c;
            default -> "0" + a + " " + b + c;
        };
    }

    private static String capitalise(final String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** Email local parts stay ASCII (lower case, letters only), as most providers require. */
    private static String ascii(final String name) {
        final StringBuilder out = new StringBuilder(name.length());
        for (final char ch : java.text.Normalizer.normalize(name, java.text.Normalizer.Form.NFD).toCharArray()) {
            if (ch < 128 && Character.isLetter(ch)) {
                out.append(Character.toLowerCase(ch));
            }
        }
        return out.toString();
    }

    private static int max(final int[] values) {
        int max = Integer.MIN_VALUE;
        for (final int v : values) {
            max = Math.max(max, v);
        }
        return max;
    }

    private static final class CountingOutputStream extends OutputStream {
        private final OutputStream delegate;
        private long count;

        CountingOutputStream(final OutputStream delegate) {
            this.delegate = delegate;
        }

        @Override
        public void write(final int b) throws IOException {
            delegate.write(b);
            count++;
        }

        @Override
        public void write(final byte[] b, final int off, final int len) throws IOException {
            delegate.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            delegate.flush();
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
