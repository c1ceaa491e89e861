package io.datasync.nifi.webhook;

import java.util.Base64;
import java.util.HexFormat;

/**
 * How a sender writes the HMAC bytes into a header.
 */
public enum SignatureEncoding {
    HEX {
        @Override
        public byte[] decode(final String text) {
            return HexFormat.of().parseHex(text);
        }
    },
    BASE64 {
        @Override
        public byte[] decode(final String text) {
            return Base64.getDecoder().decode(text);
        }
    };

    /**
     * Decodes the signature text.
     *
     * @throws IllegalArgumentException when the text is not in this encoding
     */
    public abstract byte[] decode(String text);
}
