package io.datasync.nifi.webhook;

import javax.crypto.Mac;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The verification of one request: the headers are already parsed; the body is streamed through
 * {@link #signedBody(InputStream)} into one HMAC per secret, so the body is read once and never
 * held in memory; {@link #finish()} then compares in constant time.
 */
public final class Verification {

    private static final int BUFFER_SIZE = 8192;

    private final RejectionReason headerRejection;
    private final ClaimedSignature claimed;
    private final List<Mac> macs;
    private final Duration tolerance;
    private final Clock clock;
    private final boolean bodyRequired;
    private boolean finished;
    private long bodyBytes;

    private Verification(final RejectionReason headerRejection, final ClaimedSignature claimed, final List<Mac> macs,
                         final Duration tolerance, final Clock clock, final boolean bodyRequired) {
        this.headerRejection = headerRejection;
        this.bodyRequired = bodyRequired;
        this.claimed = claimed;
        this.macs = macs;
        this.tolerance = tolerance;
        this.clock = clock;
    }

    static Verification rejectedByHeaders(final RejectionReason reason) {
        return new Verification(reason, null, List.of(), null, null, false);
    }

    static Verification started(final ClaimedSignature claimed, final List<Mac> macs, final Duration tolerance, final Clock clock,
                                final boolean bodyRequired) {
        for (final Mac mac : macs) {
            mac.update(claimed.signedPrefix());
        }
        return new Verification(null, claimed, macs, tolerance, clock, bodyRequired);
    }

    /**
     * True when the headers alone decide the request is invalid; the body need not be read then.
     */
    public boolean isRejectedByHeaders() {
        return headerRejection != null;
    }

    /**
     * Wraps the body so that every byte read through the returned stream, by whatever reader, is
     * added to the HMACs. Read it to the end (see {@link #drain(InputStream)}) before {@link #finish()}.
     */
    public InputStream signedBody(final InputStream body) {
        return new FilterInputStream(body) {
            @Override
            public int read() throws IOException {
                final int b = super.read();
                if (b >= 0) {
                    bodyBytes++;
                    for (final Mac mac : macs) {
                        mac.update((byte) b);
                    }
                }
                return b;
            }

            @Override
            public int read(final byte[] buffer, final int offset, final int length) throws IOException {
                final int count = super.read(buffer, offset, length);
                if (count > 0) {
                    bodyBytes += count;
                    for (final Mac mac : macs) {
                        mac.update(buffer, offset, count);
                    }
                }
                return count;
            }

            @Override
            public long skip(final long n) throws IOException {
                // Skipped bytes must still be signed, so read them instead.
                final byte[] buffer = new byte[(int) Math.min(BUFFER_SIZE, Math.max(n, 0))];
                long skipped = 0;
                while (skipped < n) {
                    final int count = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                    if (count < 0) {
                        break;
                    }
                    skipped += count;
                }
                return skipped;
            }

            @Override
            public boolean markSupported() {
                return false;
            }

            @Override
            public void mark(final int readLimit) {
            }

            @Override
            public void reset() throws IOException {
                throw new IOException("mark/reset not supported");
            }
        };
    }

    /**
     * Reads the rest of a stream obtained from {@link #signedBody(InputStream)}.
     */
    public void drain(final InputStream signedBody) throws IOException {
        final byte[] buffer = new byte[BUFFER_SIZE];
        while (signedBody.read(buffer) >= 0) {
            // read() feeds the HMACs
        }
    }

    /**
     * Compares the computed HMACs with the claimed signatures, then checks the timestamp. The
     * signature is checked first so that a forged request is reported as BAD_SIGNATURE whatever
     * its timestamp.
     */
    public VerificationResult finish() {
        if (headerRejection != null) {
            return VerificationResult.rejected(headerRejection, null);
        }
        if (finished) {
            throw new IllegalStateException("Verification already finished");
        }
        finished = true;
        if (bodyRequired && bodyBytes == 0) {
            return VerificationResult.rejected(RejectionReason.EMPTY_BODY, claimed.timestampSeconds());
        }

        int matchedSecretIndex = -1;
        for (int secretIndex = 0; secretIndex < macs.size(); secretIndex++) {
            final byte[] expected = macs.get(secretIndex).doFinal();
            for (final byte[] signature : claimed.signatures()) {
                // Constant time, so response timing reveals nothing about how much of a forgery matched.
                if (MessageDigest.isEqual(expected, signature) && matchedSecretIndex < 0) {
                    matchedSecretIndex = secretIndex;
                }
            }
        }

        final Long timestamp = claimed.timestampSeconds();
        if (matchedSecretIndex < 0) {
            return VerificationResult.rejected(RejectionReason.BAD_SIGNATURE, timestamp);
        }
        // A tolerance of zero turns the check off, as in Stripe's own libraries.
        if (timestamp != null && !tolerance.isZero()) {
            final long ageSeconds = clock.instant().getEpochSecond() - timestamp;
            if (Math.abs(ageSeconds) > tolerance.toSeconds()) {
                return VerificationResult.rejected(RejectionReason.TIMESTAMP_OUTSIDE_TOLERANCE, timestamp);
            }
        }
        return new VerificationResult(null, matchedSecretIndex, timestamp);
    }
}
