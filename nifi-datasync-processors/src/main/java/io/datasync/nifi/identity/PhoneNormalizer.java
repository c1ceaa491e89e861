package io.datasync.nifi.identity;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;

import java.util.Locale;

/**
 * Normalises phone numbers to E.164 with libphonenumber. Numbers written without a country code are
 * read in the default region. Only numbers libphonenumber considers valid produce a key: a number
 * that is merely "possible" (too short, an unassigned range) is too weak to link two people.
 */
public final class PhoneNormalizer implements Normalizer {

    private static final PhoneNumberUtil PHONE_NUMBER_UTIL = PhoneNumberUtil.getInstance();

    private final String defaultRegion;

    public PhoneNormalizer(final String defaultRegion) {
        final String region = defaultRegion.trim().toUpperCase(Locale.ROOT);
        if (!isSupportedRegion(region)) {
            throw new IllegalArgumentException("Unsupported phone region: " + defaultRegion);
        }
        this.defaultRegion = region;
    }

    public static boolean isSupportedRegion(final String region) {
        return region != null && PHONE_NUMBER_UTIL.getSupportedRegions().contains(region.trim().toUpperCase(Locale.ROOT));
    }

    @Override
    public String normalize(final String raw) {
        final String trimmed = raw.trim();
        if (trimmed.isEmpty()) {
            return null;
        }
        try {
            final Phonenumber.PhoneNumber number = PHONE_NUMBER_UTIL.parse(trimmed, defaultRegion);
            if (!PHONE_NUMBER_UTIL.isValidNumber(number)) {
                return null;
            }
            return PHONE_NUMBER_UTIL.format(number, PhoneNumberUtil.PhoneNumberFormat.E164);
        } catch (final NumberParseException e) {
            return null;
        }
    }
}
