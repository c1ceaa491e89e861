package io.datasync.nifi.identity;

/**
 * Compares values exactly as they are; only an empty value is treated as missing.
 */
public final class NoneNormalizer implements Normalizer {

    public static final NoneNormalizer INSTANCE = new NoneNormalizer();

    private NoneNormalizer() {
    }

    @Override
    public String normalize(final String raw) {
        return raw.isEmpty() ? null : raw;
    }
}
