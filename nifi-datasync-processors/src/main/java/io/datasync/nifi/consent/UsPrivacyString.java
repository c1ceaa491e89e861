package io.datasync.nifi.consent;

/**
 * The IAB CCPA "US Privacy" string: four characters, version ('1'), explicit notice given, opted out
 * of sale, covered by the LSPA agreement; each of the last three is 'Y', 'N' or '-' (not applicable).
 * Only the opt-out of sale matters for a consent decision.
 */
public final class UsPrivacyString {

    /** What the opt-out-of-sale character says. */
    public enum OptOut {
        OPTED_OUT,
        NOT_OPTED_OUT,
        NOT_APPLICABLE
    }

    private UsPrivacyString() {
    }

    /**
     * @return the opt-out state
     * @throws IllegalArgumentException when the text is not a version 1 US Privacy string
     */
    public static OptOut optOutOfSale(final String text) {
        if (text == null || text.length() != 4 || text.charAt(0) != '1') {
            throw new IllegalArgumentException("Not a version 1 US Privacy string");
        }
        for (int i = 1; i < 4; i++) {
            final char flag = Character.toUpperCase(text.charAt(i));
            if (flag != 'Y' && flag != 'N' && flag != '-') {
                throw new IllegalArgumentException("Invalid US Privacy flag at position " + i);
            }
        }
        return switch (Character.toUpperCase(text.charAt(2))) {
            case 'Y' -> OptOut.OPTED_OUT;
            case 'N' -> OptOut.NOT_OPTED_OUT;
            default -> OptOut.NOT_APPLICABLE;
        };
    }
}
