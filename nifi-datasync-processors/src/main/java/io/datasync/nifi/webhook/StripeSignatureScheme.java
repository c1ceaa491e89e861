package io.datasync.nifi.webhook;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Stripe: {@code Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]} where each v1 is the
 * hex HMAC-SHA256 of {@code <t>.<body>} keyed with the endpoint's signing secret ("whsec_..." as
 * text). Several v1 values appear while Stripe rolls the endpoint secret; other schemes (v0) are
 * ignored. The event id is the body's top-level {@code id}.
 */
public final class StripeSignatureScheme extends HmacSha256HeaderScheme {

    public static final String SIGNATURE_HEADER = "Stripe-Signature";
    public static final String EVENT_ID_POINTER = "/id";

    private static final String TIMESTAMP_KEY = "t";
    private static final String SIGNATURE_KEY = "v1";

    public StripeSignatureScheme() {
        super("STRIPE", SIGNATURE_HEADER);
    }

    @Override
    HeaderParseResult parseSignatureHeader(final String header) {
        String timestamp = null;
        final List<byte[]> signatures = new ArrayList<>();
        for (final String item : header.split(",")) {
            final int equals = item.indexOf('=');
            if (equals < 0) {
                continue;
            }
            final String key = item.substring(0, equals).trim();
            final String value = item.substring(equals + 1).trim();
            if (TIMESTAMP_KEY.equals(key) && timestamp == null) {
                timestamp = value;
            } else if (SIGNATURE_KEY.equals(key)) {
                try {
                    signatures.add(SignatureEncoding.HEX.decode(value));
                } catch (final IllegalArgumentException e) {
                    // One undecodable v1 cannot match; the others may still.
                }
            }
        }

        if (timestamp == null || signatures.isEmpty() || !UnixSeconds.isValid(timestamp)) {
            return HeaderParseResult.rejected(RejectionReason.MALFORMED_SIGNATURE_HEADER);
        }
        final byte[] signedPrefix = (timestamp + ".").getBytes(StandardCharsets.UTF_8);
        return HeaderParseResult.claimed(new ClaimedSignature(signatures, signedPrefix, Long.parseLong(timestamp)));
    }

    @Override
    public Optional<EventIdLocation> defaultEventIdLocation() {
        return Optional.of(EventIdLocation.jsonPointer(EVENT_ID_POINTER));
    }
}
