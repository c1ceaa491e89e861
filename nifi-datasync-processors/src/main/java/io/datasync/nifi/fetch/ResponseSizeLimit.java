package io.datasync.nifi.fetch;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a response body into memory only up to a limit. A body declared larger (Content-Length) is
 * refused before any of it is read; a body that grows past the limit while streaming is cut off
 * there: the subscription is cancelled, which closes the connection, so at most the limit (plus one
 * network buffer) is ever held.
 */
public final class ResponseSizeLimit {

    private final long maximumBytes;

    public ResponseSizeLimit(final long maximumBytes) {
        if (maximumBytes < 1 || maximumBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("maximum must be between 1 byte and 2 GB");
        }
        this.maximumBytes = maximumBytes;
    }

    public long maximumBytes() {
        return maximumBytes;
    }

    public HttpResponse.BodyHandler<byte[]> handler() {
        return info -> {
            final OptionalLong declared = info.headers().firstValueAsLong("Content-Length");
            return new LimitedSubscriber(maximumBytes, declared.isPresent() && declared.getAsLong() > maximumBytes ? declared.getAsLong() : -1);
        };
    }

    /** The body exceeded the limit; no part of it is returned. */
    public static final class TooLargeException extends RuntimeException {
        private final long maximumBytes;

        TooLargeException(final long maximumBytes, final String detail) {
            super("response body " + detail + ", larger than the Maximum Response Size of " + maximumBytes + " bytes");
            this.maximumBytes = maximumBytes;
        }

        public long maximumBytes() {
            return maximumBytes;
        }
    }

    private static final class LimitedSubscriber implements HttpResponse.BodySubscriber<byte[]> {
        private final long maximumBytes;
        private final long declaredTooLarge;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final List<byte[]> chunks = new ArrayList<>();
        private long received;
        private Flow.Subscription subscription;

        LimitedSubscriber(final long maximumBytes, final long declaredTooLarge) {
            this.maximumBytes = maximumBytes;
            this.declaredTooLarge = declaredTooLarge;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(final Flow.Subscription newSubscription) {
            subscription = newSubscription;
            if (declaredTooLarge >= 0) {
                newSubscription.cancel();
                result.completeExceptionally(new TooLargeException(maximumBytes, "declared as " + declaredTooLarge + " bytes"));
                return;
            }
            newSubscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(final List<ByteBuffer> buffers) {
            if (result.isDone()) {
                return;
            }
            for (final ByteBuffer buffer : buffers) {
                received += buffer.remaining();
                if (received > maximumBytes) {
                    chunks.clear();
                    subscription.cancel();
                    result.completeExceptionally(new TooLargeException(maximumBytes, "passed " + maximumBytes + " bytes while streaming"));
                    return;
                }
                final byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                chunks.add(chunk);
            }
        }

        @Override
        public void onError(final Throwable throwable) {
            chunks.clear();
            result.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            if (result.isDone()) {
                return;
            }
            final byte[] body = new byte[(int) received];
            int position = 0;
            for (final byte[] chunk : chunks) {
                System.arraycopy(chunk, 0, body, position, chunk.length);
                position += chunk.length;
            }
            chunks.clear();
            result.complete(body);
        }
    }
}
