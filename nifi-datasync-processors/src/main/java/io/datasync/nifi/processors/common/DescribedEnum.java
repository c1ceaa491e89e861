package io.datasync.nifi.processors.common;

import org.apache.nifi.components.DescribedValue;

/**
 * A choice offered by a property, written once for every enum of the bundle: the allowable value is the
 * constant's name (unless the enum overrides {@link #getValue()}), and the display name and description come from
 * the {@link Described} the constant holds. An enum keeps one field, {@code private final Described described;},
 * and returns it from {@link #described()}. Allowable values are saved in users' flows and templates, so a
 * constant's name (or overridden value) must not change.
 */
public interface DescribedEnum extends DescribedValue {

    /** What the UI shows for one choice. */
    record Described(String displayName, String description) {
    }

    /** The constant's name; implemented by {@link Enum#name()}. */
    String name();

    /** The display name and description of this choice. */
    Described described();

    @Override
    default String getValue() {
        return name();
    }

    @Override
    default String getDisplayName() {
        return described().displayName();
    }

    @Override
    default String getDescription() {
        return described().description();
    }
}
