package io.datasync.nifi.consent;

import io.datasync.nifi.common.Timestamps;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The streaming reading of purposes JSON text against the former tree reading, on generated texts (valid, hostile,
 * malformed, nested past the parser's depth limit, numbers past its length limit): the same evidence, warnings, failure
 * and decision for every text. An independent JSON validator (written here from RFC 8259 and the parser's documented
 * limits, sharing nothing with the product) says which texts are not JSON: those must fail closed (INVALID_PURPOSES,
 * their content ignored, never an allow from them).
 */
class PurposesJsonReadingPropertyTest {

    private static final Instant ROW_TIME = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
    private static final List<String> PURPOSES = List.of("email_marketing", "personalisation");
    private static final PurposeStatuses STREAMING = new PurposeStatuses("status", "updated_at", null, ConsentVocabulary.defaults(),
            value -> ConsentTime.read(value, Timestamps.EpochUnit.AUTO, NOW));
    private static final PurposeStatuses TREE = STREAMING.withJsonReading(PurposeStatuses.JsonReading.TREE);
    private static final ConsentEvaluator EVALUATOR = new ConsentEvaluator(PURPOSES, Duration.ofDays(400));

    /** What one reading made of a text. */
    private record Outcome(List<ConsentEvidence> evidence, Set<ConsentWarning> warnings, boolean failed, ConsentDecision optIn,
                           ConsentDecision optOut) {
    }

    private static Outcome read(final PurposeStatuses reading, final String text) {
        final List<ConsentEvidence> evidence = new ArrayList<>();
        final Set<ConsentWarning> warnings = EnumSet.noneOf(ConsentWarning.class);
        boolean failed = false;
        try {
            reading.addEvidence(text, PURPOSES, ConsentSource.STORE, ROW_TIME, evidence, warnings);
        } catch (final IllegalArgumentException e) {
            // what EvidenceReader does with it: a warning, the value ignored
            failed = true;
            warnings.add(ConsentWarning.INVALID_PURPOSES);
            evidence.clear();
        }
        return new Outcome(evidence, warnings, failed, EVALUATOR.evaluate(evidence, JurisdictionPolicy.Regime.OPT_IN, NOW),
                EVALUATOR.evaluate(evidence, JurisdictionPolicy.Regime.OPT_OUT, NOW));
    }

    private static void check(final String text) {
        final Outcome tree = read(TREE, text);
        final Outcome streaming = read(STREAMING, text);
        assertEquals(tree, streaming, "the two readings differ");
        final String trimmed = text.trim();
        if (!trimmed.isEmpty() && (trimmed.charAt(0) == '{' || trimmed.charAt(0) == '[')) {
            final boolean valid = JsonOracle.firstValueIsValid(trimmed);
            assertEquals(!valid, streaming.failed(), "the oracle and the reading disagree on whether the text is JSON");
            if (!valid) {
                assertTrue(streaming.evidence().isEmpty());
                assertFalse(streaming.optIn().allowed(), "malformed purposes must never grant");
            }
        }
    }

    @Property(tries = 1500)
    void streamingReadsEveryTextAsTheTreeDid(@ForAll("purposesTexts") final String text) {
        check(text);
    }

    @Property(tries = 600)
    void malformedTextsFailTheSameWay(@ForAll("brokenTexts") final String text) {
        check(text);
    }

    // Named regressions and edges of the parser's limits (each also a generated form).

    @Test
    void repeatedPurposeKeepsItsFirstPlaceAndLastValue() {
        final String text = "{\"email_marketing\": \"granted\", \"personalisation\": \"granted\", \"email_marketing\": \"withdrawn\"}";
        check(text);
        assertEquals(List.of(new ConsentEvidence(ConsentSource.STORE, "email_marketing", ConsentStatus.WITHDRAWN, ROW_TIME),
                new ConsentEvidence(ConsentSource.STORE, "personalisation", ConsentStatus.GRANTED, ROW_TIME)), read(STREAMING, text).evidence());
    }

    @Test
    void nestingAtAndPastTheParsersDepthLimit() {
        check("[".repeat(1000) + "]".repeat(1000));
        check("[".repeat(1001) + "]".repeat(1001));
        check("{\"email_marketing\": " + "[".repeat(999) + "]".repeat(999) + "}");
        check("{\"email_marketing\": " + "{\"a\": ".repeat(1000) + "1" + "}".repeat(1000) + "}");
        assertTrue(read(STREAMING, "{\"email_marketing\": " + "{\"a\": ".repeat(1000) + "1" + "}".repeat(1000) + "}").failed());
    }

    @Test
    void numbersAtAndPastTheParsersLengthLimit() {
        check("{\"email_marketing\": " + "9".repeat(1000) + "}");
        check("{\"email_marketing\": " + "9".repeat(1001) + "}");
        check("[\"email_marketing\", " + "1".repeat(1001) + "]");
        check("{\"email_marketing\": [" + "1".repeat(1001) + "]}");
        assertTrue(read(STREAMING, "{\"email_marketing\": [" + "1".repeat(1001) + "]}").failed());
    }

    @Test
    void trailingContentAfterTheFirstValueIsIgnoredAsBefore() {
        check("{\"email_marketing\": \"granted\"} trailing");
        check("{\"email_marketing\": \"granted\"}}");
        check("[\"email_marketing\"],[");
    }

    @Test
    void arrayElementsReadAsText() {
        check("[1, 1.50, -0, 1e400, true, null, {\"a\": 1}, [2], \"email_marketing\", 123456789012345678901234567890]");
    }

    // Generators

    private static final List<String> KEYS = List.of("email_marketing", "personalisation", " email_marketing ", "EMAIL_MARKETING", "",
            "analytics", "status", "updated_at", "e\\u006dail_marketing", "\\u0000", "a\\\"b");
    private static final List<String> STATUSES = List.of("granted", "GRANTED", " granted ", "denied", "withdrawn", "WITHDRAWN", "opt-in",
            "opt-out", "yes", "no", "1", "0", "true", "pending", "unknown", "maybe", "", "unsubscribed", "\\u0067ranted");
    private static final List<String> TIMES = List.of("\"2026-03-01T10:00:00Z\"", "\"2026-03-01 10:00:00+0100\"", "\"2999-01-01\"",
            "\"not a time\"", "\"\"", "1714557600", "1714557600000", "-5", "1.5e12", "null", "true", "{}", "[]",
            "\"2026-11-30T23:59:59.999999+00:00\"");

    private static Arbitrary<String> scalar() {
        return Arbitraries.oneOf(
                Arbitraries.of(STATUSES).map(s -> "\"" + s + "\""),
                Arbitraries.of("true", "false", "null", "0", "1", "-0", "2", "1.0", "1.50", "-1", "1e400", "-1e-400", "2147483648",
                        "9223372036854775808", "123456789012345678901234567890", "0.1e1"),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(12).map(s -> "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""));
    }

    private static Arbitrary<String> value(final int depth) {
        if (depth <= 0) {
            return scalar();
        }
        final Arbitrary<String> purposeObject = Combinators.combine(
                Arbitraries.of(STATUSES).map(s -> "\"" + s + "\"").injectNull(0.1), Arbitraries.of(TIMES).injectNull(0.3),
                Arbitraries.of(", \"extra\": [1, {\"x\": null}]", ", \"status\": \"withdrawn\"", "").injectNull(0.7))
                .as((status, time, extra) -> {
                    final List<String> fields = new ArrayList<>();
                    if (status != null) {
                        fields.add("\"status\": " + status);
                    }
                    if (time != null) {
                        fields.add("\"updated_at\": " + time);
                    }
                    return "{" + String.join(", ", fields) + (extra == null ? "" : fields.isEmpty() ? extra.replaceFirst(", ", "") : extra) + "}";
                });
        return Arbitraries.frequencyOf(
                Tuple.of(5, scalar()),
                Tuple.of(4, purposeObject),
                Tuple.of(1, Arbitraries.lazy(() -> object(depth - 1))),
                Tuple.of(1, Arbitraries.lazy(() -> array(depth - 1))));
    }

    private static Arbitrary<String> object(final int depth) {
        final Arbitrary<String> field = Combinators.combine(Arbitraries.of(KEYS), value(depth), Arbitraries.of("", " ", "\n\t"))
                .as((key, value, space) -> "\"" + key + "\"" + space + ":" + space + value);
        return field.list().ofMaxSize(5).map(fields -> "{" + String.join(", ", fields) + "}");
    }

    private static Arbitrary<String> array(final int depth) {
        return Arbitraries.oneOf(Arbitraries.of(KEYS).map(k -> "\"" + k + "\""), value(depth)).list().ofMaxSize(5)
                .map(elements -> "[" + String.join(",", elements) + "]");
    }

    @Provide
    Arbitrary<String> purposesTexts() {
        final Arbitrary<String> json = Arbitraries.oneOf(object(2), object(2), array(1));
        return Combinators.combine(json, Arbitraries.of("", " ", "\n", " trailing", "}", "]", ",{", "\u0000"), Arbitraries.of("", "  ", "\t"))
                .as((text, after, before) -> before + text + after);
    }

    /** Valid texts broken in the ways hostile or damaged data is: cut, a character changed, lax JSON forms, deep or long values. */
    @Provide
    Arbitrary<String> brokenTexts() {
        final Arbitrary<String> json = Arbitraries.oneOf(object(2), array(1));
        final Arbitrary<String> cut = json.flatMap(text -> Arbitraries.integers().between(1, text.length()).map(end -> text.substring(0, end)));
        final Arbitrary<String> changed = Combinators.combine(json, Arbitraries.integers().between(0, 1000),
                Arbitraries.of('{', '}', '[', ']', ',', ':', '"', '\\', '\'', 'x', '1', '-', '.', 'e', '\u0001', '\n', ' ', '\u00e9'))
                .as((text, at, c) -> {
                    final int position = 1 + at % Math.max(1, text.length() - 1);
                    return text.substring(0, Math.min(position, text.length())) + c + text.substring(Math.min(position + 1, text.length()));
                });
        final Arbitrary<String> lax = Arbitraries.of(
                "{'email_marketing': 'granted'}", "{email_marketing: \"granted\"}", "{\"email_marketing\": \"granted\",}",
                "[\"email_marketing\",]", "{\"email_marketing\": NaN}", "{\"email_marketing\": +1}", "{\"email_marketing\": 01}",
                "{\"email_marketing\": .5}", "{/* c */ \"email_marketing\": \"granted\"}", "{\"email_marketing\": \"gran\tted\"}",
                "{\"email_marketing\": \"\\x41\"}", "{\"email_marketing\": \"\\u12\"}", "{\"email_marketing\" \"granted\"}",
                "{\"email_marketing\": \"granted\" \"personalisation\": \"granted\"}", "[\"email_marketing\" \"personalisation\"]",
                "{\"email_marketing\": tru}", "{\"email_marketing\": nul}", "{\"email_marketing\": 1e}", "{\"email_marketing\": -}",
                "{\"email_marketing\": \"granted\"", "[", "{", "{]", "[}", "{\"\": }", "{\"email_marketing\": Infinity}");
        final Arbitrary<String> deep = Combinators.combine(Arbitraries.integers().between(990, 1010), Arbitraries.of("[", "{\"a\":"))
                .as((depth, open) -> "{\"email_marketing\": " + open.repeat(depth) + "1" + (open.equals("[") ? "]" : "}").repeat(depth) + "}");
        final Arbitrary<String> longNumber = Arbitraries.integers().between(995, 1005)
                .map(digits -> "{\"email_marketing\": {\"status\": \"granted\", \"updated_at\": " + "7".repeat(digits) + "}}");
        return Arbitraries.frequencyOf(Tuple.of(4, cut), Tuple.of(4, changed), Tuple.of(2, lax),
                Tuple.of(1, deep), Tuple.of(1, longNumber));
    }

    /**
     * An independent validator of the first JSON value of a text (RFC 8259 grammar), with the limits Jackson documents as its
     * defaults: at most 1,000 nested arrays and objects, at most 1,000 digits in an integer part. What follows the first
     * value is not looked at.
     */
    static final class JsonOracle {
        private final String text;
        private int at;

        private JsonOracle(final String text) {
            this.text = text;
        }

        static boolean firstValueIsValid(final String text) {
            try {
                final JsonOracle oracle = new JsonOracle(text);
                oracle.space();
                oracle.value(0);
                return true;
            } catch (final IllegalStateException e) {
                return false;
            }
        }

        private void value(final int depth) {
            final char c = peek();
            if (c == '{' || c == '[') {
                if (depth + 1 > 1000) {
                    throw new IllegalStateException("too deep");
                }
                at++;
                space();
                final char close = c == '{' ? '}' : ']';
                if (peek() == close) {
                    at++;
                    return;
                }
                while (true) {
                    if (c == '{') {
                        string();
                        space();
                        expect(':');
                        space();
                    }
                    value(depth + 1);
                    space();
                    final char next = next();
                    if (next == close) {
                        return;
                    }
                    if (next != ',') {
                        throw new IllegalStateException("expected , or close");
                    }
                    space();
                }
            }
            if (c == '"') {
                string();
            } else if (c == '-' || c >= '0' && c <= '9') {
                number();
            } else if (!literal("true") && !literal("false") && !literal("null")) {
                throw new IllegalStateException("no value");
            }
        }

        private boolean literal(final String word) {
            if (text.startsWith(word, at)) {
                at += word.length();
                // a literal must end where a token can end
                if (at < text.length() && (Character.isLetterOrDigit(text.charAt(at)) || text.charAt(at) == '_')) {
                    throw new IllegalStateException("literal runs on");
                }
                return true;
            }
            return false;
        }

        private void string() {
            expect('"');
            while (true) {
                final char c = next();
                if (c == '"') {
                    return;
                }
                if (c < 0x20) {
                    throw new IllegalStateException("control character");
                }
                if (c == '\\') {
                    final char escaped = next();
                    if (escaped == 'u') {
                        for (int i = 0; i < 4; i++) {
                            if (Character.digit(next(), 16) < 0) {
                                throw new IllegalStateException("bad unicode escape");
                            }
                        }
                    } else if ("\"\\/bfnrt".indexOf(escaped) < 0) {
                        throw new IllegalStateException("bad escape");
                    }
                }
            }
        }

        private void number() {
            if (peek() == '-') {
                at++;
            }
            final int intStart = at;
            if (peek() == '0') {
                at++;
            } else if (peek() >= '1' && peek() <= '9') {
                while (at < text.length() && Character.isDigit(text.charAt(at)) && text.charAt(at) < 128) {
                    at++;
                }
            } else {
                throw new IllegalStateException("no digits");
            }
            if (at - intStart > 1000) {
                throw new IllegalStateException("number too long");
            }
            if (at < text.length() && text.charAt(at) == '.') {
                at++;
                digits();
            }
            if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
                at++;
                if (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) {
                    at++;
                }
                digits();
            }
            // a number must end where a token can end
            if (at < text.length() && (Character.isLetterOrDigit(text.charAt(at)) || text.charAt(at) == '.' || text.charAt(at) == '_')) {
                throw new IllegalStateException("number runs on");
            }
        }

        private void digits() {
            final int start = at;
            while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
                at++;
            }
            if (at == start) {
                throw new IllegalStateException("digits expected");
            }
        }

        private void space() {
            while (at < text.length() && " \t\n\r".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
        }

        private void expect(final char c) {
            if (next() != c) {
                throw new IllegalStateException("expected " + c);
            }
        }

        private char peek() {
            if (at >= text.length()) {
                throw new IllegalStateException("end of text");
            }
            return text.charAt(at);
        }

        private char next() {
            final char c = peek();
            at++;
            return c;
        }
    }
}
