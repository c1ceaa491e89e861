package io.datasync.nifi.processors;

import org.apache.nifi.annotation.behavior.ReadsAttribute;
import org.apache.nifi.annotation.behavior.ReadsAttributes;
import org.apache.nifi.annotation.behavior.SupportsBatching;
import org.apache.nifi.annotation.behavior.SystemResource;
import org.apache.nifi.annotation.behavior.SystemResourceConsideration;
import org.apache.nifi.annotation.documentation.MultiProcessorUseCase;
import org.apache.nifi.annotation.documentation.ProcessorConfiguration;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The class-level annotations decided for issue 21: which processors support batching, which declare a
 * memory consideration, which attributes are read, and that the multi-processor use cases name only
 * property names, allowable values and relationships that exist on the processor they configure.
 */
class ProcessorAnnotationsTest {

    private static final String SERVICES = "META-INF/services/org.apache.nifi.processor.Processor";

    /** Double-quoted text: in our configuration texts a property name or an allowable value of the processor. */
    private static final Pattern DOUBLE_QUOTED = Pattern.compile("\"([^\"\\n]+)\"");
    /** Single-quoted text: a relationship of the processor. */
    private static final Pattern SINGLE_QUOTED = Pattern.compile("'([^'\\n]+)'");

    @Test
    void everyRegisteredProcessorIsCoveredByTheseDecisions() throws Exception {
        assertEquals(Set.of(IncrementalApiFetch.class, ConsentFilter.class, CustomerDedup.class, ProfileMerge.class,
                VerifyWebhookSignature.class, PutApiRecord.class, AuditProfileStore.class), registeredProcessors(),
                "a new processor needs its own decision on @SupportsBatching, @SystemResourceConsideration and @ReadsAttributes");
    }

    @Test
    void batchingIsDeclaredExactlyWhereNoExternalWriteHappensBeforeCommit() throws Exception {
        final Set<Class<?>> batching = registeredProcessors().stream()
                .filter(type -> type.isAnnotationPresent(SupportsBatching.class))
                .collect(Collectors.toSet());
        // IncrementalApiFetch commits every page with its state itself; CustomerDedup writes identities to the
        // cache before the commit, and a rollback would not undo them; AuditProfileStore runs once per schedule.
        assertEquals(Set.of(ConsentFilter.class, ProfileMerge.class, VerifyWebhookSignature.class), batching);
    }

    @Test
    void memoryConsiderationOnTheProcessorsThatHoldRecordsOrSubjects() throws Exception {
        final Set<Class<?>> memory = new HashSet<>();
        for (final Class<?> type : registeredProcessors()) {
            for (final SystemResourceConsideration consideration : type.getAnnotationsByType(SystemResourceConsideration.class)) {
                assertEquals(SystemResource.MEMORY, consideration.resource(), type.getSimpleName());
                assertTrue(consideration.description().length() > 80, type.getSimpleName() + " needs a description of what grows with what");
                assertTrue(consideration.description().contains("grows with"), type.getSimpleName() + ": " + consideration.description());
                memory.add(type);
            }
        }
        assertEquals(Set.of(IncrementalApiFetch.class, ConsentFilter.class, CustomerDedup.class, ProfileMerge.class, PutApiRecord.class,
                AuditProfileStore.class), memory);
    }

    @Test
    void descriptionsNameOnlyExistingProperties() {
        assertTrue(descriptionOf(CustomerDedup.class).contains(CustomerDedup.RECORDS_HELD_IN_MEMORY.getName()));
        assertTrue(descriptionOf(IncrementalApiFetch.class).contains(IncrementalApiFetch.MAX_RESPONSE_SIZE.getName()));
        assertTrue(descriptionOf(IncrementalApiFetch.class).contains("Maximum Tracked Keys"));
        assertTrue(propertyNames(IncrementalApiFetch.class).contains("Maximum Tracked Keys"));
        assertTrue(propertyNames(ProfileMerge.class).contains("Concurrent Lookups"));
        assertTrue(descriptionOf(ProfileMerge.class).contains("Concurrent Lookups"));
    }

    @Test
    void webhookVerifierDeclaresTheAttributesItReads() {
        final ReadsAttributes reads = VerifyWebhookSignature.class.getAnnotation(ReadsAttributes.class);
        assertNotNull(reads);
        final Set<String> names = Arrays.stream(reads.value()).map(ReadsAttribute::attribute).collect(Collectors.toSet());
        assertEquals(Set.of("http.headers.*", "<header name>", "uuid"), names);
        final String headers = Arrays.stream(reads.value()).filter(read -> read.attribute().equals("http.headers.*"))
                .findFirst().orElseThrow().description();
        for (final String header : List.of("X-Shopify-Hmac-Sha256", "X-Shopify-Webhook-Id", "X-Shopify-Topic", "Stripe-Signature",
                "Signature Header Name", "Timestamp Header Name", "Event ID Header Name")) {
            assertTrue(headers.contains(header), header);
        }
        for (final String property : List.of("Signature Header Name", "Timestamp Header Name", "Event ID Header Name")) {
            assertTrue(propertyNames(VerifyWebhookSignature.class).contains(property), property);
        }
        assertEquals(VerifyWebhookSignature.SHOPIFY_TOPIC_HEADER, "X-Shopify-Topic");
    }

    @Test
    void theMainPipelineUseCaseConfiguresFetchConsentDedupMergeInOrder() {
        final MultiProcessorUseCase[] useCases = IncrementalApiFetch.class.getAnnotationsByType(MultiProcessorUseCase.class);
        assertEquals(1, useCases.length);
        final List<Class<?>> steps = new ArrayList<>();
        for (final ProcessorConfiguration configuration : useCases[0].configurations()) {
            steps.add(resolve(configuration));
        }
        assertEquals(List.of(IncrementalApiFetch.class, ConsentFilter.class, CustomerDedup.class, ProfileMerge.class), steps);
    }

    @Test
    void multiProcessorUseCasesNameOnlyPropertiesValuesAndRelationshipsThatExist() throws Exception {
        int checkedConfigurations = 0;
        for (final Class<?> type : registeredProcessors()) {
            for (final MultiProcessorUseCase useCase : type.getAnnotationsByType(MultiProcessorUseCase.class)) {
                for (final ProcessorConfiguration configuration : useCase.configurations()) {
                    final Class<?> configured = resolve(configuration);
                    if (configured == null) {
                        // A stock processor not on this module's classpath: it must at least be one the processor refers to.
                        final SeeAlso seeAlso = type.getAnnotation(SeeAlso.class);
                        assertNotNull(seeAlso, type.getSimpleName());
                        assertTrue(Arrays.asList(seeAlso.classNames()).contains(configuration.processorClassName()),
                                configuration.processorClassName() + " is not in the @SeeAlso of " + type.getSimpleName());
                        continue;
                    }
                    final List<String> unknown = unknownNames(configured, configuration.configuration());
                    assertTrue(unknown.isEmpty(), type.getSimpleName() + "'s use case, step " + configured.getSimpleName() + ": " + unknown);
                    checkedConfigurations++;
                }
            }
        }
        // Four steps of the pipeline use case and VerifyWebhookSignature's own step of the webhook use case.
        assertEquals(5, checkedConfigurations);
    }

    @Test
    void theNameCheckRejectsNamesThatDoNotExist() {
        assertEquals(List.of("Subject Key Path", "Require Consnt", "'excludes'"), unknownNames(ConsentFilter.class, """
                Set "Subject Key Path" to /email and "Default Policy" to "Require Consnt".
                Connect 'success' onwards and 'excludes' to review.
                """));
        assertEquals(List.of(), unknownNames(ConsentFilter.class, """
                Set "Subject Key Record Path" to /email and "Default Policy" to "Require Consent".
                Connect 'success' onwards and 'excluded' to review.
                """));
    }

    private static List<String> unknownNames(final Class<?> processorClass, final String text) {
        final Processor processor = TestRunners.newTestRunner(processorClass.asSubclass(Processor.class)).getProcessor();
        final Set<String> known = new HashSet<>();
        for (final PropertyDescriptor descriptor : processor.getPropertyDescriptors()) {
            known.add(descriptor.getName());
            known.add(descriptor.getDisplayName());
            if (descriptor.getAllowableValues() != null) {
                for (final AllowableValue value : descriptor.getAllowableValues()) {
                    known.add(value.getDisplayName());
                    known.add(value.getValue());
                }
            }
        }
        final Set<String> relationships = processor.getRelationships().stream().map(Relationship::getName).collect(Collectors.toSet());
        final List<String> unknown = new ArrayList<>();
        final Matcher doubleQuoted = DOUBLE_QUOTED.matcher(text);
        while (doubleQuoted.find()) {
            if (!known.contains(doubleQuoted.group(1))) {
                unknown.add(doubleQuoted.group(1));
            }
        }
        final Matcher singleQuoted = SINGLE_QUOTED.matcher(text);
        while (singleQuoted.find()) {
            if (!relationships.contains(singleQuoted.group(1))) {
                unknown.add("'" + singleQuoted.group(1) + "'");
            }
        }
        return unknown;
    }

    /** The configured class, or null for a class name not on this module's classpath. */
    private static Class<?> resolve(final ProcessorConfiguration configuration) {
        if (configuration.processorClass() != Processor.class) {
            return configuration.processorClass();
        }
        try {
            return Class.forName(configuration.processorClassName());
        } catch (final ClassNotFoundException e) {
            assertFalse(configuration.processorClassName().startsWith("io.datasync."),
                    "names a datasync processor that does not exist: " + configuration.processorClassName());
            return null;
        }
    }

    private static Set<String> propertyNames(final Class<? extends Processor> type) {
        return TestRunners.newTestRunner(type).getProcessor().getPropertyDescriptors().stream()
                .map(PropertyDescriptor::getName).collect(Collectors.toSet());
    }

    private static String descriptionOf(final Class<?> type) {
        return Objects.requireNonNull(type.getAnnotation(SystemResourceConsideration.class), type.getSimpleName()).description();
    }

    private static Set<Class<?>> registeredProcessors() throws IOException, ClassNotFoundException {
        final Set<Class<?>> processors = new LinkedHashSet<>();
        try (InputStream in = ProcessorAnnotationsTest.class.getClassLoader().getResourceAsStream(SERVICES)) {
            assertNotNull(in, SERVICES);
            final BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                final String name = line.trim();
                if (!name.isEmpty() && !name.startsWith("#")) {
                    processors.add(Class.forName(name));
                }
            }
        }
        return processors;
    }
}
