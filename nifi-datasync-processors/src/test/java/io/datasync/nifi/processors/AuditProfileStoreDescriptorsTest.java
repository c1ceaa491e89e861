package io.datasync.nifi.processors;

import io.datasync.nifi.processors.consentfilter.ConsentFilterChoices;
import io.datasync.nifi.processors.consentfilter.ConsentFilterDescriptors;
import io.datasync.nifi.processors.dedup.CustomerDedupDescriptors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.util.MockProcessContext;
import org.apache.nifi.util.MockValidationContext;
import org.junit.jupiter.api.Test;

/**
 * The descriptors AuditProfileStore builds from CustomerDedup's and ConsentFilter's keep what the audit had on its own:
 * names, defaults, required, allowable values, validation, no dependencies, and the audit's own descriptions.
 */
class AuditProfileStoreDescriptorsTest {

    private static List<String> values(final PropertyDescriptor descriptor) {
        return descriptor.getAllowableValues() == null ? null
                : descriptor.getAllowableValues().stream().map(AllowableValue::getValue).collect(Collectors.toList());
    }

    private static boolean valid(final PropertyDescriptor descriptor, final String input) {
        final AuditProfileStore processor = new AuditProfileStore();
        final MockProcessContext context = new MockProcessContext(processor);
        final ValidationResult result = descriptor.validate(input, new MockValidationContext(context));
        return result.isValid();
    }

    @Test
    void sharedIdentityDescriptors() {
        assertEquals("Apply Gmail Address Rules", AuditProfileStore.GMAIL_RULES.getName());
        assertEquals("true", AuditProfileStore.GMAIL_RULES.getDefaultValue());
        assertEquals(List.of("true", "false"), values(AuditProfileStore.GMAIL_RULES));
        assertTrue(AuditProfileStore.GMAIL_RULES.getDescription().startsWith("As in CustomerDedup: whether gmail.com"));

        assertEquals("Default Phone Region", AuditProfileStore.DEFAULT_PHONE_REGION.getName());
        assertEquals("US", AuditProfileStore.DEFAULT_PHONE_REGION.getDefaultValue());
        assertTrue(valid(AuditProfileStore.DEFAULT_PHONE_REGION, "GB"));
        assertFalse(valid(AuditProfileStore.DEFAULT_PHONE_REGION, "XX"));

        assertEquals("Phone Number Acceptance", AuditProfileStore.PHONE_ACCEPTANCE.getName());
        assertEquals(CustomerDedupDescriptors.PhoneAcceptance.POSSIBLE.getValue(), AuditProfileStore.PHONE_ACCEPTANCE.getDefaultValue());
        assertEquals(values(CustomerDedupDescriptors.PHONE_ACCEPTANCE), values(AuditProfileStore.PHONE_ACCEPTANCE));
        assertEquals("As in CustomerDedup: which phone numbers may link profiles.", AuditProfileStore.PHONE_ACCEPTANCE.getDescription());

        assertEquals("Blocked Values", AuditProfileStore.BLOCKED_VALUES.getName());
        assertFalse(AuditProfileStore.BLOCKED_VALUES.isRequired());
        assertEquals(CustomerDedupDescriptors.BLOCKED_VALUES.getDefaultValue(), AuditProfileStore.BLOCKED_VALUES.getDefaultValue());

        assertEquals("Maximum Cluster Size", AuditProfileStore.MAX_CLUSTER_SIZE.getName());
        assertEquals("50", AuditProfileStore.MAX_CLUSTER_SIZE.getDefaultValue());
        assertFalse(valid(AuditProfileStore.MAX_CLUSTER_SIZE, "1"));
        assertTrue(valid(AuditProfileStore.MAX_CLUSTER_SIZE, "2"));
    }

    @Test
    void sharedConsentDescriptors() {
        assertEquals("Purposes", AuditProfileStore.PURPOSES.getName());
        assertEquals("email_marketing", AuditProfileStore.PURPOSES.getDefaultValue());
        assertNull(ConsentFilterDescriptors.PURPOSES.getDefaultValue());
        assertTrue(AuditProfileStore.PURPOSES.isRequired());
        assertFalse(valid(AuditProfileStore.PURPOSES, " "));

        assertEquals("Default Policy", AuditProfileStore.DEFAULT_POLICY.getName());
        assertEquals(ConsentFilterChoices.DefaultPolicy.REQUIRE_CONSENT.getValue(), AuditProfileStore.DEFAULT_POLICY.getDefaultValue());
        assertTrue(AuditProfileStore.DEFAULT_POLICY.getDescription().startsWith("As ConsentFilter's Default Policy"));

        assertEquals("Maximum Consent Age", AuditProfileStore.MAX_CONSENT_AGE.getName());
        assertFalse(AuditProfileStore.MAX_CONSENT_AGE.isRequired());
        assertTrue(valid(AuditProfileStore.MAX_CONSENT_AGE, "730 days"));
        assertFalse(valid(AuditProfileStore.MAX_CONSENT_AGE, "two years"));
    }

    @Test
    void sharedDescriptorsDependOnNothingInTheAudit() {
        for (final PropertyDescriptor descriptor : List.of(AuditProfileStore.GMAIL_RULES, AuditProfileStore.DEFAULT_PHONE_REGION,
                AuditProfileStore.PHONE_ACCEPTANCE, AuditProfileStore.BLOCKED_VALUES, AuditProfileStore.MAX_CLUSTER_SIZE,
                AuditProfileStore.PURPOSES, AuditProfileStore.DEFAULT_POLICY, AuditProfileStore.MAX_CONSENT_AGE)) {
            assertTrue(descriptor.getDependencies().isEmpty(), descriptor.getName());
        }
    }
}
