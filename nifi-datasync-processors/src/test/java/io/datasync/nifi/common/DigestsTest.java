package io.datasync.nifi.common;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

/** Known answers from FIPS 180-2 (SHA-256 of "abc") and RFC 4231 test case 2 (HMAC-SHA256). */
class DigestsTest {

    @Test
    void sha256GivesTheStandardsAnswer() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                HexFormat.of().formatHex(Digests.sha256().digest("abc".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void hmacSha256GivesTheRfcAnswer() {
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", HexFormat.of().formatHex(
                Digests.hmacSha256("Jefe".getBytes(StandardCharsets.US_ASCII)).doFinal("what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void everyCallGivesItsOwnObject() {
        // Neither is thread-safe: a shared instance would mix two threads' inputs.
        assertNotSame(Digests.sha256(), Digests.sha256());
        assertNotSame(Digests.hmacSha256(new byte[] {1}), Digests.hmacSha256(new byte[] {1}));
    }
}
