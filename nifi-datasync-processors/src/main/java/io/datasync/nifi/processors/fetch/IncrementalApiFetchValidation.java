package io.datasync.nifi.processors.fetch;

import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.HttpMethod;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.PaginationStrategy;
import io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WatermarkType;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.processor.util.StandardValidators;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.CURSOR_PARAMETER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.HEADER_PREFIX;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.HTTP_METHOD;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.INITIAL_WATERMARK;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.PAGINATION_STRATEGY;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.QUERY_PREFIX;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.REQUEST_BODY_TEMPLATE;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WATERMARK_PARAMETER;
import static io.datasync.nifi.processors.fetch.IncrementalApiFetchDescriptors.WATERMARK_TYPE;

/** The validation of IncrementalApiFetch that a single property's validator cannot do. */
public final class IncrementalApiFetchValidation {

    private IncrementalApiFetchValidation() {
    }

    /** A query.* or header.* property; any other name is refused with an explanation. */
    public static PropertyDescriptor dynamicProperty(final String propertyDescriptorName) {
        final boolean known = (propertyDescriptorName.startsWith(QUERY_PREFIX) && propertyDescriptorName.length() > QUERY_PREFIX.length())
                || (propertyDescriptorName.startsWith(HEADER_PREFIX) && propertyDescriptorName.length() > HEADER_PREFIX.length());
        final PropertyDescriptor.Builder builder = new PropertyDescriptor.Builder()
                .name(propertyDescriptorName)
                .required(false)
                .dynamic(true)
                .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT);
        if (known) {
            builder.addValidator(StandardValidators.NON_EMPTY_VALIDATOR);
        } else {
            builder.addValidator((subject, input, context) -> new ValidationResult.Builder().subject(subject).input(input).valid(false)
                    .explanation("dynamic property names must start with '" + QUERY_PREFIX + "' (query parameter) or '" + HEADER_PREFIX
                            + "' (header)").build());
        }
        return builder.build();
    }

    /** Checks across properties: the Initial Watermark parses, and cursors and keyset watermarks can be sent. */
    public static Collection<ValidationResult> validate(final ValidationContext context) {
        final List<ValidationResult> results = new ArrayList<>();
        final WatermarkType watermarkType = context.getProperty(WATERMARK_TYPE).asAllowableValue(WatermarkType.class);
        final String initial = context.getProperty(INITIAL_WATERMARK).evaluateAttributeExpressions().getValue();
        if (initial != null && !initial.isBlank()) {
            try {
                watermarkType.format().parseLenient(initial);
            } catch (final IllegalArgumentException e) {
                results.add(new ValidationResult.Builder().subject(INITIAL_WATERMARK.getName()).input(initial).valid(false)
                        .explanation("not a valid " + watermarkType.getDisplayName() + " watermark").build());
            }
        }
        final HttpMethod method = context.getProperty(HTTP_METHOD).asAllowableValue(HttpMethod.class);
        final PaginationStrategy strategy = context.getProperty(PAGINATION_STRATEGY).asAllowableValue(PaginationStrategy.class);
        if (strategy == PaginationStrategy.CURSOR && !context.getProperty(CURSOR_PARAMETER).isSet()) {
            final String template = method == HttpMethod.POST ? context.getProperty(REQUEST_BODY_TEMPLATE).getValue() : null;
            if (template == null || !template.contains("{{cursor}}")) {
                results.add(new ValidationResult.Builder().subject(CURSOR_PARAMETER.getName()).valid(false)
                        .explanation("the cursor must be sent back: set a Cursor Parameter, or use POST with {{cursor}} in the Request Body Template")
                        .build());
            }
        }
        if (strategy == PaginationStrategy.KEYSET && !context.getProperty(WATERMARK_PARAMETER).isSet()) {
            final String template = method == HttpMethod.POST ? context.getProperty(REQUEST_BODY_TEMPLATE).getValue() : null;
            if (template == null || !template.contains("{{watermark}}")) {
                results.add(new ValidationResult.Builder().subject(PAGINATION_STRATEGY.getName()).valid(false)
                        .explanation("Keyset pagination sends the last record's watermark with every request: set a Watermark Parameter, "
                                + "or use POST with {{watermark}} in the Request Body Template").build());
            }
        }
        return results;
    }
}
