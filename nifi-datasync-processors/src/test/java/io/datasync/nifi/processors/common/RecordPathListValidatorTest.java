package io.datasync.nifi.processors.common;

import io.datasync.nifi.processors.ConsentFilter;
import io.datasync.nifi.processors.CustomerDedup;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one validator of RecordPath lists, used by ConsentFilter's Anonymized Fields and CustomerDedup's match rules:
 * it splits as the processors do at run time, at top-level commas only. ConsentFilter's own copy split at every
 * comma, so a list such as {@code /email, /phones[0, 1]} was refused (and would have been cut apart at run time).
 */
class RecordPathListValidatorTest {

    private final RecordPathListValidator validator = new RecordPathListValidator("at least one RecordPath is required");

    @Test
    void commasInsideIndexesFunctionsAndQuotesDoNotSplitAPath() {
        assertTrue(validator.validate("paths", "/email, /phones[0, 1], concat(/first, ' ', /last), /a[. = 'x,y']", null).isValid());
    }

    @Test
    void anEmptyListIsRefusedWithTheGivenExplanation() {
        final ValidationResult result = validator.validate("paths", " , ", null);
        assertFalse(result.isValid());
        assertEquals("at least one RecordPath is required", result.getExplanation());
    }

    @Test
    void aPathThatDoesNotCompileIsNamed() {
        final ValidationResult result = validator.validate("paths", "/email, /phones[", null);
        assertFalse(result.isValid());
        assertTrue(result.getExplanation().startsWith("'/phones[' is not a valid RecordPath"), result.getExplanation());
    }

    @Test
    void consentFilterAcceptsAnIndexListAmongTheAnonymizedFields() {
        final TestRunner runner = TestRunners.newTestRunner(ConsentFilter.class);
        runner.setProperty(ConsentFilter.DISALLOWED_ACTION, ConsentFilter.DisallowedAction.ANONYMIZE);
        assertTrue(runner.setProperty(ConsentFilter.ANONYMIZED_FIELDS, "/email, /phones[0, 1]").isValid());
    }

    @Test
    void customerDedupTellsAnEmptyMatchRuleWhatItNeeds() {
        final TestRunner runner = TestRunners.newTestRunner(CustomerDedup.class);
        final ValidationResult result = runner.setProperty("email", " ");
        assertFalse(result.isValid());
        assertEquals(CustomerDedup.MATCH_RULE_NEEDS_A_PATH, result.getExplanation());
    }
}
