package io.datasync.nifi.webhook;

import javax.crypto.spec.SecretKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Verifies webhook requests of one scheme against one or two secrets (current, and during a
 * rotation the previous one), with a tolerance for the request timestamp. Thread-safe: each
 * request gets its own {@link Verification}.
 */
public final class WebhookVerifier {

    private final SignatureScheme scheme;
    private final List<SecretKeySpec> keys;
    private final Duration tolerance;
    private final Clock clock;

    /**
     * @param secrets the current secret first, then optionally the previous one
     */
    public WebhookVerifier(final SignatureScheme scheme, final List<String> secrets, final Duration tolerance, final Clock clock) {
        this.scheme = Objects.requireNonNull(scheme, "scheme");
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("At least one secret is required");
        }
        final List<SecretKeySpec> keyList = new ArrayList<>(secrets.size());
        for (final String secret : secrets) {
            keyList.add(scheme.algorithm().keyOf(secret));
        }
        this.keys = List.copyOf(keyList);
        if (tolerance.isNegative()) {
            throw new IllegalArgumentException("Tolerance must not be negative");
        }
        this.tolerance = tolerance;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public SignatureScheme getScheme() {
        return scheme;
    }

    /**
     * Starts verifying a request from its headers.
     */
    public Verification begin(final HeaderLookup headers) {
        final HeaderParseResult parsed = scheme.parse(headers);
        if (parsed.isRejected()) {
            return Verification.rejectedByHeaders(parsed.rejection());
        }
        return Verification.started(parsed.claimed(), keys.stream().map(key -> scheme.algorithm().newMac(key)).toList(), tolerance, clock,
                scheme.requiresBody());
    }
}
