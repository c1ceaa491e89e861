package io.datasync.nifi.consent;

import com.iabtcf.encoder.PublisherRestrictionEntry;
import com.iabtcf.encoder.TCStringEncoder;
import com.iabtcf.v2.RestrictionType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Generated consent situations for the oracle tests, described by their truth (which class a word
 * has, which instant a timestamp stands for) and rendered into the raw values sources send. Nothing
 * here uses the product's parsers: the truth is known from how a value was generated.
 */
public final class ConsentCases {

    private ConsentCases() {
    }

    /** The purpose decided, mapped to TCF purposes 1 and 7. */
    public static final String PURPOSE = "email_marketing";
    public static final String TCF_MAPPING = PURPOSE + "=1 7";
    public static final int VENDOR_ID = 42;
    public static final String OPT_IN_CODE = "DE";
    public static final String OPT_OUT_CODE = "US-CA";

    /** Few distinct instants, so that ties are common; two are midnight UTC so that date-only text can stand for them. */
    public static final List<Instant> INSTANTS = List.of(
            Instant.parse("2025-11-03T00:00:00Z"), Instant.parse("2025-11-03T10:00:00Z"), Instant.parse("2025-11-04T00:00:00Z"),
            Instant.parse("2025-11-04T10:30:15Z"), Instant.parse("2025-11-05T23:59:59Z"));

    /** What a status word states, per the issue: grant, denial or no decision. */
    public enum Cls { GRANT, DENIAL, NONE }

    public record Word(Object value, Cls cls) {
    }

    public static final List<Word> WORDS = List.of(
            new Word("granted", Cls.GRANT), new Word("subscribed", Cls.GRANT), new Word("Opt-In", Cls.GRANT), new Word("opted_in", Cls.GRANT),
            new Word("yes", Cls.GRANT), new Word(true, Cls.GRANT), new Word("consented", Cls.GRANT), new Word("allow", Cls.GRANT),
            new Word("confirmed", Cls.GRANT),
            new Word("denied", Cls.DENIAL), new Word("unsubscribed", Cls.DENIAL), new Word("withdrawn", Cls.DENIAL), new Word("revoked", Cls.DENIAL),
            new Word("opt-out", Cls.DENIAL), new Word("OPTED_OUT", Cls.DENIAL), new Word("cleaned", Cls.DENIAL), new Word("bounced", Cls.DENIAL),
            new Word("not_subscribed", Cls.DENIAL), new Word(false, Cls.DENIAL), new Word("no", Cls.DENIAL),
            new Word("pending", Cls.NONE), new Word("unknown", Cls.NONE), new Word("requested", Cls.NONE), new Word(null, Cls.NONE),
            new Word("maybe", Cls.NONE), new Word("active", Cls.NONE), new Word("granted!", Cls.NONE), new Word("yes please", Cls.NONE));

    public enum TimeKind { ABSENT, DATED, GARBAGE, FUTURE }

    public enum TimeFormat {
        ISO_Z, OFFSET_COLON, OFFSET_NO_COLON, ZONE_WITH_OFFSET, ZONE_ONLY, SPACE_UTC, DATE_ONLY, EPOCH_SECONDS, EPOCH_MILLIS, EPOCH_SECONDS_TEXT
    }

    public static final List<String> GARBAGE = List.of("yesterday", "2024-13-45", "12/31/2025", "2025-11-03T25:00:00Z", "soon", "2025-11-03T10:00:00+5");

    public record TimeSpec(TimeKind kind, int instant, TimeFormat format, int garbage) {

        /** The instant this value stands for; null when the evidence is undated (absent, unparseable, or in the future). */
        public Instant truth() {
            return kind == TimeKind.DATED ? INSTANTS.get(instant) : null;
        }

        public Object render() {
            return switch (kind) {
                case ABSENT -> null;
                case GARBAGE -> GARBAGE.get(garbage);
                case FUTURE -> "2999-01-01T00:00:00Z";
                case DATED -> renderDated(INSTANTS.get(instant), format);
            };
        }
    }

    private static final DateTimeFormatter COLON = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx");
    private static final DateTimeFormatter NO_COLON = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxx");
    private static final DateTimeFormatter WITH_ZONE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx'['VV']'");
    private static final DateTimeFormatter ZONE_ONLY = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'['VV']'");
    private static final DateTimeFormatter SPACE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    static Object renderDated(final Instant instant, final TimeFormat format) {
        return switch (format) {
            case ISO_Z -> instant.toString();
            case OFFSET_COLON -> COLON.format(instant.atOffset(ZoneOffset.ofHours(2)));
            case OFFSET_NO_COLON -> NO_COLON.format(instant.atOffset(ZoneOffset.ofHours(-5)));
            case ZONE_WITH_OFFSET -> WITH_ZONE.format(instant.atZone(BERLIN));
            case ZONE_ONLY -> ZONE_ONLY.format(instant.atZone(BERLIN));
            case SPACE_UTC -> SPACE.format(instant.atOffset(ZoneOffset.UTC));
            case DATE_ONLY -> instant.getEpochSecond() % 86_400 == 0 ? instant.atOffset(ZoneOffset.UTC).toLocalDate().toString() : instant.toString();
            case EPOCH_SECONDS -> instant.getEpochSecond();
            case EPOCH_MILLIS -> instant.toEpochMilli();
            case EPOCH_SECONDS_TEXT -> String.valueOf(instant.getEpochSecond());
        };
    }

    /** A US Privacy string and what it says. */
    public record Usp(String text, boolean malformed, boolean optOut) {
    }

    public static final List<Usp> USPS = List.of(new Usp("1YYN", false, true), new Usp("1NYY", false, true), new Usp("1YNN", false, false),
            new Usp("1---", false, false), new Usp("bogus", true, false), new Usp("2YYN", true, false), new Usp("1YXN", true, false),
            new Usp("1YY", true, false));

    /** A GPC value and whether it is a set flag (unrecognised values are not). */
    public record Gpc(Object value, boolean set) {
    }

    public static final List<Gpc> GPCS = List.of(new Gpc(true, true), new Gpc("1", true), new Gpc(false, false), new Gpc("0", false),
            new Gpc("maybe", false));

    /**
     * A TC string: malformed, or with purpose consent for both mapped TCF purposes or not, vendor consent for our vendor or not, a
     * publisher restriction forbidding our vendor purpose 7 or not, last updated at one of the instants.
     */
    public record Tc(boolean malformed, boolean purposes, boolean vendor, boolean restricted, int updated) {

        public Instant truth() {
            return INSTANTS.get(updated);
        }

        public String render() {
            if (malformed) {
                return "CO-this-is-not-a-tc-string";
            }
            return TC_STRINGS.computeIfAbsent(this, ConsentCases::encode);
        }
    }

    private static final Map<Tc, String> TC_STRINGS = new ConcurrentHashMap<>();

    private static String encode(final Tc tc) {
        final Instant updated = INSTANTS.get(tc.updated());
        final TCStringEncoder.Builder builder = TCStringEncoder.newBuilder().version(2).created(updated).lastUpdated(updated)
                .cmpId(300).cmpVersion(1).consentScreen(1).consentLanguage("EN").vendorListVersion(80).tcfPolicyVersion(4).publisherCC("DE");
        builder.addPurposesConsent(1);
        if (tc.purposes()) {
            builder.addPurposesConsent(7);
        }
        builder.addVendorConsent(7);
        if (tc.vendor()) {
            builder.addVendorConsent(VENDOR_ID);
        }
        if (tc.restricted()) {
            builder.addPublisherRestrictionEntry(PublisherRestrictionEntry.newBuilder().purposeId(7).restrictionType(RestrictionType.NOT_ALLOWED)
                    .addVendor(VENDOR_ID).build());
        }
        return builder.encode();
    }

    /** One record of a subject; null members are absent. */
    public record Rec(Word status, TimeSpec time, String jurisdiction, Gpc gpc, Usp usp, Tc tc) {
    }

    /** The consent store's row for a subject. */
    public record Store(Word status, TimeSpec time) {
    }

    public record Subject(List<Rec> records, Store store) {
    }

    /** Where a signal counts. */
    public enum Scope { OPT_OUT_ONLY, EVERYWHERE }

    public record Config(Scope gpcScope, Scope uspScope, boolean laterGrantOverrides, boolean vendorCheck, boolean defaultOptOut) {
    }

    public static Arbitrary<TimeSpec> times() {
        return Combinators.combine(Arbitraries.of(TimeKind.class), Arbitraries.integers().between(0, INSTANTS.size() - 1),
                Arbitraries.of(TimeFormat.class), Arbitraries.integers().between(0, GARBAGE.size() - 1)).as(TimeSpec::new);
    }

    /** Dated values dominate, as in real data. */
    private static Arbitrary<TimeSpec> mostlyDated() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Combinators.combine(Arbitraries.integers().between(0, INSTANTS.size() - 1), Arbitraries.of(TimeFormat.class))
                        .as((instant, format) -> new TimeSpec(TimeKind.DATED, instant, format, 0))),
                net.jqwik.api.Tuple.of(4, times()));
    }

    public static Arbitrary<Tc> tcs() {
        return Combinators.combine(Arbitraries.frequency(net.jqwik.api.Tuple.of(1, true), net.jqwik.api.Tuple.of(5, false)),
                Arbitraries.of(true, false), Arbitraries.of(true, false), Arbitraries.of(true, false),
                Arbitraries.integers().between(0, INSTANTS.size() - 1)).as(Tc::new);
    }

    public static Arbitrary<Rec> records() {
        return Combinators.combine(
                Arbitraries.of(WORDS).injectNull(0.25),
                mostlyDated(),
                Arbitraries.of(OPT_IN_CODE, OPT_OUT_CODE, "BR").injectNull(0.2),
                Arbitraries.of(GPCS).injectNull(0.6),
                Arbitraries.of(USPS).injectNull(0.6),
                tcs().injectNull(0.7)).as(Rec::new);
    }

    public static Arbitrary<Store> stores() {
        return Combinators.combine(Arbitraries.of(WORDS), mostlyDated()).as(Store::new).injectNull(0.35);
    }

    public static Arbitrary<Subject> subjects() {
        return Combinators.combine(records().list().ofMinSize(1).ofMaxSize(4), stores()).as(Subject::new);
    }

    public static Arbitrary<Config> configs() {
        return Combinators.combine(Arbitraries.of(Scope.class), Arbitraries.of(Scope.class), Arbitraries.of(true, false), Arbitraries.of(true, false),
                Arbitraries.of(true, false)).as(Config::new);
    }
}
