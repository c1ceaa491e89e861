package io.datasync.nifi.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Computes webhook signatures the way the senders document them, independently of the main code.
 */
public final class TestSignatures {

    private TestSignatures() {
    }

    public static byte[] hmac(final String jcaAlgorithm, final String secret, final String content) {
        try {
            final Mac mac = Mac.getInstance(jcaAlgorithm);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), jcaAlgorithm));
            return mac.doFinal(content.getBytes(StandardCharsets.UTF_8));
        } catch (final GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** Shopify: Base64 HMAC-SHA256 of the raw body. */
    public static String shopify(final String secret, final String body) {
        return Base64.getEncoder().encodeToString(hmac("HmacSHA256", secret, body));
    }

    /** Stripe: hex HMAC-SHA256 of "t.body". */
    public static String stripeV1(final String secret, final long timestamp, final String body) {
        return HexFormat.of().formatHex(hmac("HmacSHA256", secret, timestamp + "." + body));
    }

    /** A complete Stripe-Signature header with one v1. */
    public static String stripeHeader(final String secret, final long timestamp, final String body) {
        return "t=" + timestamp + ",v1=" + stripeV1(secret, timestamp, body);
    }

    public static String hexSha256(final String secret, final String content) {
        return HexFormat.of().formatHex(hmac("HmacSHA256", secret, content));
    }

    public static String base64Sha1(final String secret, final String content) {
        return Base64.getEncoder().encodeToString(hmac("HmacSHA1", secret, content));
    }
}
