package io.datasync.nifi.processors.common;

import io.datasync.nifi.processors.common.DescribedEnum.Described;
import org.apache.nifi.components.AllowableValue;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DescribedEnumTest {

    private enum Colour implements DescribedEnum {
        DEEP_RED("Deep Red", "A dark red."),
        PALE_BLUE("Pale Blue", "A light blue.");

        private final Described described;

        Colour(final String displayName, final String description) {
            this.described = new Described(displayName, description);
        }

        @Override
        public Described described() {
            return described;
        }
    }

    private enum Renamed implements DescribedEnum {
        ONLY;

        @Override
        public String getValue() {
            return "only-value";
        }

        @Override
        public Described described() {
            return new Described("Only", "The one choice.");
        }
    }

    @Test
    void valueIsTheConstantNameAndTheTextsComeFromDescribed() {
        assertEquals("PALE_BLUE", Colour.PALE_BLUE.getValue());
        assertEquals("Pale Blue", Colour.PALE_BLUE.getDisplayName());
        assertEquals("A light blue.", Colour.PALE_BLUE.getDescription());
        assertEquals("DEEP_RED", Colour.DEEP_RED.getValue());
        assertEquals("Deep Red", Colour.DEEP_RED.getDisplayName());
    }

    @Test
    void anEnumMayKeepItsOwnValue() {
        assertEquals("only-value", Renamed.ONLY.getValue());
        assertEquals("Only", Renamed.ONLY.getDisplayName());
    }

    @Test
    void nifiBuildsTheAllowableValueFromTheDefaults() {
        AllowableValue allowable = AllowableValue.fromDescribedValue(Colour.DEEP_RED);
        assertEquals("DEEP_RED", allowable.getValue());
        assertEquals("Deep Red", allowable.getDisplayName());
        assertEquals("A dark red.", allowable.getDescription());
    }
}
