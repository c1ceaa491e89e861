package io.datasync.nifi.processors.common;

import org.apache.nifi.components.ValidationResult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    @Test
    void theTwoEscapesOfRfc6901AndTheEmptyNameAreValid() {
        for (final JsonPointerValidator validator : JsonPointerValidator.values()) {
            for (final String pointer : new String[] {"/a~0b", "/a~1b", "/~0~1", "/a~01", "/"}) {
                assertTrue(validator.validate("p", pointer, null).isValid(), validator.name() + " " + pointer);
            }
        }
    }

    /** Jackson compiles these without a word, taking the '~' literally: the pointer would name a field nobody meant. */
    @Test
    void anyOtherEscapeIsRefusedWithWhereItIs() {
        for (final JsonPointerValidator validator : JsonPointerValidator.values()) {
            for (final String pointer : new String[] {"/a~2", "/a~", "/~", "/a~~1", "/a~1b/c~x"}) {
                final ValidationResult result = validator.validate("p", pointer, null);
                assertFalse(result.isValid(), validator.name() + " " + pointer);
                assertTrue(result.getExplanation().contains("followed by 0 (for '~') or 1 (for '/')"), result.getExplanation());
            }
            final ValidationResult trailing = validator.validate("p", "/a~", null);
            assertTrue(trailing.getExplanation().contains("the '~' at position 3"), trailing.getExplanation());
            final ValidationResult second = validator.validate("p", "/a~1b/c~x", null);
            assertTrue(second.getExplanation().contains("the '~' at position 8"), second.getExplanation());
        }
    }

    @Test
    void aPointerWithoutItsLeadingSlashIsRefusedByBoth() {
        for (final JsonPointerValidator validator : JsonPointerValidator.values()) {
            final ValidationResult result = validator.validate("p", "a", null);
            assertFalse(result.isValid(), validator.name());
            assertTrue(result.getExplanation().contains("start with '/'"), result.getExplanation());
            assertEquals("a", result.getInput());
        }
    }
}
