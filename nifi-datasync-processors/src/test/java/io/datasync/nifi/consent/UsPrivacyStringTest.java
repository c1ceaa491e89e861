package io.datasync.nifi.consent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UsPrivacyStringTest {

    @Test
    void optOutCharacterIsTheThird() {
        assertEquals(UsPrivacyString.OptOut.OPTED_OUT, UsPrivacyString.optOutOfSale("1YYN"));
        assertEquals(UsPrivacyString.OptOut.OPTED_OUT, UsPrivacyString.optOutOfSale("1nyn"));
        assertEquals(UsPrivacyString.OptOut.NOT_OPTED_OUT, UsPrivacyString.optOutOfSale("1YNN"));
        assertEquals(UsPrivacyString.OptOut.NOT_OPTED_OUT, UsPrivacyString.optOutOfSale("1YNY"));
        assertEquals(UsPrivacyString.OptOut.NOT_APPLICABLE, UsPrivacyString.optOutOfSale("1---"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1YN", "1YNNN", "2YNN", "1YXN", "YNN1"})
    void malformedStringsAreRejected(final String text) {
        assertThrows(IllegalArgumentException.class, () -> UsPrivacyString.optOutOfSale(text));
    }
}
