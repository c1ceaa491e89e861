package io.datasync.nifi.consent;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a consent status value as one of {@link ConsentStatus}: a grant, a denial (reported as denied or
 * withdrawn), or no decision (pending, unknown). Words are compared after trimming, lower-casing and
 * treating runs of spaces, hyphens and underscores as one underscore, so {@code Opted-Out},
 * {@code opted out} and {@code OPTED_OUT} are one word. A value on no list is <em>unrecognised</em>: it is
 * no decision and is reported, never guessed.
 *
 * <p>The defaults cover the vocabularies of the common CRMs, e-commerce platforms and email service
 * providers. Deliverability states that mean the provider will not or must not send (Mailchimp's
 * {@code cleaned}, Salesforce Marketing Cloud's {@code held} and {@code bounced}, spam complaints,
 * Shopify's {@code redacted}) are denials: a newer explicit grant still overrides them. Never having
 * subscribed ({@code not_subscribed}, {@code never_subscribed}) is a denial too: it states that the
 * subject is not subscribed at that time, so it must outrank an older subscription.
 */
public final class ConsentVocabulary {

    public static final List<String> DEFAULT_GRANTS = List.of(
            "granted", "grant", "given", "true", "yes", "y", "1", "opt_in", "optin", "opted_in", "accepted", "accept", "consented",
            "consent_given", "subscribed", "subscribe", "allow", "allowed", "confirmed", "double_opt_in", "single_opt_in");
    public static final List<String> DEFAULT_DENIALS = List.of(
            "denied", "deny", "refused", "rejected", "declined", "false", "no", "n", "0", "opt_out", "optout", "opted_out",
            "not_subscribed", "never_subscribed", "non_subscribed", "disallow", "disallowed", "blocked", "suppressed", "cleaned",
            "bounced", "hard_bounced", "held", "complained", "spam_reported", "spam_complaint", "redacted", "transactional");
    public static final List<String> DEFAULT_WITHDRAWALS = List.of(
            "withdrawn", "withdraw", "revoked", "revoke", "unsubscribed", "unsubscribe", "consent_withdrawn");
    public static final List<String> DEFAULT_NO_DECISIONS = List.of(
            "pending", "requested", "unconfirmed", "unknown", "not_specified", "unspecified", "none", "null", "n/a", "na", "archived",
            "invalid");

    private static final ConsentVocabulary DEFAULTS = new ConsentVocabulary(DEFAULT_GRANTS, DEFAULT_DENIALS, DEFAULT_WITHDRAWALS, DEFAULT_NO_DECISIONS);

    /**
     * A value read through the vocabulary.
     *
     * @param status what it says; UNKNOWN or PENDING are no decision
     * @param recognised false when the value is on no list (and is not empty): it should be reported
     */
    public record Reading(ConsentStatus status, boolean recognised) {
        public EvidenceClass evidenceClass() {
            return status.evidenceClass();
        }
    }

    private static final Reading EMPTY = new Reading(ConsentStatus.UNKNOWN, true);
    private static final Reading UNRECOGNISED = new Reading(ConsentStatus.UNKNOWN, false);

    private final Map<String, ConsentStatus> statusByWord;

    /**
     * @throws IllegalArgumentException when a word is on more than one list
     */
    public ConsentVocabulary(final Collection<String> grants, final Collection<String> denials, final Collection<String> withdrawals,
                             final Collection<String> noDecisions) {
        final Map<String, ConsentStatus> words = new HashMap<>();
        add(words, grants, ConsentStatus.GRANTED);
        add(words, denials, ConsentStatus.DENIED);
        add(words, withdrawals, ConsentStatus.WITHDRAWN);
        for (final String word : noDecisions) {
            final String key = normalize(word);
            if (key.isEmpty()) {
                continue;
            }
            if (words.containsKey(key)) {
                throw new IllegalArgumentException("'" + word.trim() + "' is on more than one consent value list");
            }
            // "unknown" and its kin say nothing; every other no-decision word is a request awaiting confirmation
            words.put(key, isUnknownWord(key) ? ConsentStatus.UNKNOWN : ConsentStatus.PENDING);
        }
        this.statusByWord = Map.copyOf(words);
    }

    public static ConsentVocabulary defaults() {
        return DEFAULTS;
    }

    /** Splits a comma-separated list of words, dropping blanks and repeats. */
    public static List<String> parseList(final String text) {
        final Set<String> words = new LinkedHashSet<>();
        if (text != null) {
            for (final String part : text.split(",")) {
                if (!part.isBlank()) {
                    words.add(part.trim());
                }
            }
        }
        return new ArrayList<>(words);
    }

    /**
     * Reads a value: booleans, the numbers 1 and 0, and words on the lists. Null and blank text are no
     * decision and recognised (nothing was said); any other value is unrecognised.
     */
    public Reading read(final Object value) {
        if (value == null) {
            return EMPTY;
        }
        if (value instanceof Boolean bool) {
            return new Reading(bool ? ConsentStatus.GRANTED : ConsentStatus.DENIED, true);
        }
        if (value instanceof Number number) {
            final double numeric = number.doubleValue();
            if (numeric == 1d) {
                return new Reading(ConsentStatus.GRANTED, true);
            }
            return numeric == 0d ? new Reading(ConsentStatus.DENIED, true) : UNRECOGNISED;
        }
        if (!(value instanceof CharSequence)) {
            return UNRECOGNISED;
        }
        final String key = normalize(value.toString());
        if (key.isEmpty()) {
            return EMPTY;
        }
        final ConsentStatus status = statusByWord.get(key);
        return status == null ? UNRECOGNISED : new Reading(status, true);
    }

    /** The status a value states, UNKNOWN when it states none or is unrecognised. */
    public ConsentStatus status(final Object value) {
        return read(value).status();
    }

    /** Trimmed, lower-cased, each run of spaces, hyphens and underscores one underscore; runs for every value read, so no regex. */
    static String normalize(final String word) {
        final String text = word.strip().toLowerCase(Locale.ROOT);
        StringBuilder out = null;
        boolean inRun = false;
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            final boolean separator = c == '_' || c == '-' || Character.isWhitespace(c);
            if (separator && (c != '_' || inRun) && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (out != null && !(separator && inRun)) {
                out.append(separator ? '_' : c);
            }
            inRun = separator;
        }
        return out == null ? text : out.toString();
    }

    private static boolean isUnknownWord(final String key) {
        return switch (key) {
            case "unknown", "not_specified", "unspecified", "none", "null", "n/a", "na", "archived", "invalid" -> true;
            default -> false;
        };
    }

    private static void add(final Map<String, ConsentStatus> words, final Collection<String> list, final ConsentStatus status) {
        for (final String word : list) {
            final String key = normalize(word);
            if (key.isEmpty()) {
                continue;
            }
            final ConsentStatus previous = words.putIfAbsent(key, status);
            if (previous != null && previous != status) {
                throw new IllegalArgumentException("'" + word.trim() + "' is on more than one consent value list");
            }
        }
    }
}
