package io.datasync.nifi.processors.common;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one JSON Pointer validator of IncrementalApiFetch, PutApiRecord and VerifyWebhookSignature. */
class JsonPointerValidatorTest {

    @Test
    void theWholeDocumentIsAPointerOnlyWhereItMayBe() {
        assertTrue(JsonPointerValidator.WHOLE_DOCUMENT_ALLOWED.validate("p", "", null).isValid());
        assertFalse(JsonPointerValidator.INSIDE_DOCUMENT.validate("p", "", null).isValid());
    }

    @Test
    void pointersIntoTheDocumentAreValidForBoth() {
        for (final JsonPointerValidator validator : JsonPointerValidator.values()) {
            assertTrue(validator.validate("p", "/data/object/id", null).isValid(), validator.name());
            assertTrue(validator.validate("p", "/items/0/a~1b", null).isValid(), validator.name());
        }
    }

    @Test
    void textThatIsNotAPointerIsRefusedByBoth() {
        for (final JsonPointerValidator validator : JsonPointerValidator.values()) {
            assertFalse(validator.validate("p", "data.id", null).isValid(), validator.name());
            assertFalse(validator.validate("p", "$.data.id", null).isValid(), validator.name());
            assertFalse(validator.validate("p", null, null).isValid(), validator.name());
        }
    }
}
