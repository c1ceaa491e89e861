package io.datasync.nifi.push;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the per-item results of a batch from a successful (2xx) response and gives each record of the batch its
 * verdict. The response lists the rejected items in an array (the errors pointer), each naming the item by its key.
 * The rule, which fails closed:
 * <ul>
 *     <li>a record named by no error is accepted;</li>
 *     <li>a record named by an error is rejected with that error's reason, or retried when every error naming it
 *     carries a retryable code;</li>
 *     <li>when the response cannot be read as that list (not JSON, no array at the pointer, an error that is not an
 *     object or names no key, or names a key that no record of the batch has), no record of the batch is accepted:
 *     the whole batch is {@link Unusable}, since any record might be the one the API rejected.</li>
 * </ul>
 * Records that share a key share the errors naming it.
 */
public final class ItemResults {

    /** What happens to one record. */
    public enum Disposition { ACCEPTED, REJECTED, RETRY }

    /**
     * @param reason the API's reason for a rejected or retried record, null when accepted
     * @param code the API's error code, null when none
     */
    public record Verdict(Disposition disposition, String reason, String code) {
        static final Verdict ACCEPTED = new Verdict(Disposition.ACCEPTED, null, null);
    }

    /** The outcome for a whole batch. */
    public sealed interface Result permits PerItem, Unusable {
    }

    /** One verdict per record of the batch, in order. */
    public record PerItem(List<Verdict> verdicts) implements Result {
    }

    /**
     * The response does not say which records were accepted.
     *
     * @param retryable whether sending the batch again may help (the body was cut short or is not JSON), as opposed to a
     *                  response whose shape does not match the configuration
     */
    public record Unusable(String reason, boolean retryable) implements Result {
    }

    /**
     * @param errorsPointer pointer to the array of errors in the response
     * @param errorKeyPointer pointer, within an error, to the key of the item it concerns
     * @param reasonPointer pointer, within an error, to its message; null for none
     * @param codePointer pointer, within an error, to its code; null for none
     * @param retryableCodes codes that mean the item may succeed later
     * @param ignoreCase whether keys are matched without regard to case (e-mail addresses)
     */
    public record Settings(JsonPointer errorsPointer, JsonPointer errorKeyPointer, JsonPointer reasonPointer, JsonPointer codePointer,
                           Set<String> retryableCodes, boolean ignoreCase) {
    }

    /** Longest reason kept from the API; the rest is cut so an attribute stays small. */
    static final int MAX_REASON_LENGTH = 500;

    private ItemResults() {
    }

    /**
     * @param body the response body
     * @param keys the item key of each record of the batch, in order; none may be null
     */
    public static Result read(final byte[] body, final List<String> keys, final Settings settings, final ObjectMapper mapper) {
        final JsonNode root;
        try {
            root = body == null || body.length == 0 ? null : mapper.readTree(body);
        } catch (final IOException e) {
            return new Unusable("the response body is not valid JSON", true);
        }
        if (root == null || root.isMissingNode()) {
            return new Unusable("the response body is empty", true);
        }
        final JsonNode errors = root.at(settings.errorsPointer());
        if (errors.isMissingNode() || errors.isNull()) {
            return new Unusable("the response has no errors array at " + settings.errorsPointer(), false);
        }
        if (!errors.isArray()) {
            return new Unusable("the value at " + settings.errorsPointer() + " is not an array", false);
        }
        final Map<String, List<Integer>> positions = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            final String key = keys.get(i);
            if (key == null) {
                throw new IllegalArgumentException("every record of the batch needs a key");
            }
            positions.computeIfAbsent(normalize(key, settings.ignoreCase()), k -> new ArrayList<>()).add(i);
        }
        final List<Verdict> verdicts = new ArrayList<>(Collections.nCopies(keys.size(), Verdict.ACCEPTED));
        for (int e = 0; e < errors.size(); e++) {
            final JsonNode error = errors.get(e);
            if (!error.isObject()) {
                return new Unusable("error " + e + " of the response is not an object", false);
            }
            final String key = scalar(error.at(settings.errorKeyPointer()));
            if (key == null) {
                return new Unusable("error " + e + " of the response names no item at " + settings.errorKeyPointer(), false);
            }
            final List<Integer> matched = positions.get(normalize(key, settings.ignoreCase()));
            if (matched == null) {
                return new Unusable("error " + e + " of the response names an item that is not in the batch", false);
            }
            final String code = settings.codePointer() == null ? null : scalar(error.at(settings.codePointer()));
            final String message = settings.reasonPointer() == null ? null : scalar(error.at(settings.reasonPointer()));
            final String reason = cut(message == null || message.isBlank() ? "rejected by the API without a reason" : message);
            final boolean retryable = code != null && settings.retryableCodes().contains(code);
            for (final int position : matched) {
                final Verdict current = verdicts.get(position);
                if (retryable) {
                    if (current.disposition() == Disposition.ACCEPTED) {
                        verdicts.set(position, new Verdict(Disposition.RETRY, reason, code));
                    }
                } else if (current.disposition() != Disposition.REJECTED) {
                    verdicts.set(position, new Verdict(Disposition.REJECTED, reason, code));
                }
            }
        }
        return new PerItem(verdicts);
    }

    /** The key as matched: trimmed, and lower-cased (root locale) when case is ignored. */
    public static String normalize(final String key, final boolean ignoreCase) {
        final String trimmed = key.trim();
        return ignoreCase ? trimmed.toLowerCase(Locale.ROOT) : trimmed;
    }

    /** The text of a string, number or boolean; null for anything else. */
    public static String scalar(final JsonNode node) {
        if (node == null || !node.isValueNode() || node.isNull() || node.isBinary()) {
            return null;
        }
        return node.asText();
    }

    private static String cut(final String text) {
        return text.length() <= MAX_REASON_LENGTH ? text : text.substring(0, MAX_REASON_LENGTH) + "...";
    }
}
