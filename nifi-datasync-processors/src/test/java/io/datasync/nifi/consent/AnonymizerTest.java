package io.datasync.nifi.consent;

import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AnonymizerTest {

    private static final byte[] KEY = "first-secret-key".getBytes(StandardCharsets.UTF_8);

    @Test
    void keyedHashIsStableAndKeyDependent() throws Exception {
        final String first = Anonymizer.keyedHash(KEY).anonymize("ada@example.com");
        assertEquals(first, Anonymizer.keyedHash(KEY).anonymize("ada@example.com"));
        assertNotEquals(first, Anonymizer.keyedHash("other-key".getBytes(StandardCharsets.UTF_8)).anonymize("ada@example.com"));
        assertNotEquals(first, Anonymizer.keyedHash(KEY).anonymize("bob@example.com"));

        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
        assertEquals(HexFormat.of().formatHex(mac.doFinal("ada@example.com".getBytes(StandardCharsets.UTF_8))), first);
        final String plainHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest("ada@example.com".getBytes(StandardCharsets.UTF_8)));
        assertNotEquals(plainHash, first);
    }

    @Test
    void maskAndRemove() {
        assertEquals(Anonymizer.MASK, Anonymizer.mask().anonymize("ada@example.com"));
        assertNull(Anonymizer.remove().anonymize("ada@example.com"));
        assertNull(Anonymizer.mask().anonymize(null));
    }

    @Test
    void emptyKeyIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Anonymizer.keyedHash(new byte[0]));
    }
}
