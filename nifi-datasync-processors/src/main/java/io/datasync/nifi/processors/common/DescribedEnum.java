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

    /**
     * What the UI shows for one choice and the value of a plain-Java rule package it selects.
     *
     * @param <T> the type of the selected value
     */
    record Selection<T>(Described described, T selected) {

        public Selection(final String displayName, final String description, final T selected) {
            this(new Described(displayName, description), selected);
        }
    }

    /**
     * An enum whose choices each select a value of a plain-Java rule package: it keeps one field,
     * {@code private final Selection<T> selection;}, and returns it from {@link #selection()}.
     *
     * @param <T> the type of the selected value
     */
    interface Selecting<T> extends DescribedEnum {

        /** The display name, description and selected value of this choice. */
        Selection<T> selection();

        @Override
        default Described described() {
            return selection().described();
        }

        /** The value of the rule package this choice selects. */
        default T selected() {
            return selection().selected();
        }
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
