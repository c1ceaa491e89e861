package io.datasync.nifi.identity;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;

import java.util.Locale;

/**
 * Normalises phone numbers to E.164 with libphonenumber. Numbers written without a country code are
 * read in a region: the record's own region when the caller knows it, otherwise the default region.
 *
 * <p>Two levels of acceptance: {@code VALID} keeps only numbers whose range libphonenumber's
 * metadata knows as assigned; {@code POSSIBLE} also keeps numbers of a possible length for their
 * country (new ranges, stale metadata, numbers from a country whose plan changed). Either way a
 * number that cannot be parsed, or has a length no number of its country has, gives no key.</p>
 */
public final class PhoneNormalizer implements Normalizer {

    private static final PhoneNumberUtil PHONE_NUMBER_UTIL = PhoneNumberUtil.getInstance();

    private final String defaultRegion;
    private final boolean acceptPossible;

    /**
     * Accepts valid numbers only.
     */
    public PhoneNormalizer(final String defaultRegion) {
        this(defaultRegion, false);
    }

    public PhoneNormalizer(final String defaultRegion, final boolean acceptPossible) {
        final String region = defaultRegion.trim().toUpperCase(Locale.ROOT);
        if (!isSupportedRegion(region)) {
            throw new IllegalArgumentException("Unsupported phone region: " + defaultRegion);
        }
        this.defaultRegion = region;
        this.acceptPossible = acceptPossible;
    }

    public static boolean isSupportedRegion(final String region) {
        return region != null && PHONE_NUMBER_UTIL.getSupportedRegions().contains(region.trim().toUpperCase(Locale.ROOT));
    }

    public String defaultRegion() {
        return defaultRegion;
    }

    @Override
    public String normalize(final String raw) {
        return normalize(raw, defaultRegion);
    }

    /**
     * @param region the region to read a national number in (a supported two-letter code), or null for the default
     */
    public String normalize(final String raw, final String region) {
        final String trimmed = raw.trim();
        if (trimmed.isEmpty()) {
            return null;
        }
        try {
            final Phonenumber.PhoneNumber number = PHONE_NUMBER_UTIL.parse(trimmed, region == null ? defaultRegion : region);
            // Possible means a full length for the country: a local-only number (no area code) identifies nobody.
            final boolean accepted = acceptPossible
                    ? PHONE_NUMBER_UTIL.isPossibleNumberWithReason(number) == PhoneNumberUtil.ValidationResult.IS_POSSIBLE
                    && !PhoneNumberUtil.REGION_CODE_FOR_NON_GEO_ENTITY.equals(PHONE_NUMBER_UTIL.getRegionCodeForCountryCode(number.getCountryCode()))
                    && !"ZZ".equals(PHONE_NUMBER_UTIL.getRegionCodeForCountryCode(number.getCountryCode()))
                    : PHONE_NUMBER_UTIL.isValidNumber(number);
            if (!accepted) {
                return null;
            }
            return PHONE_NUMBER_UTIL.format(number, PhoneNumberUtil.PhoneNumberFormat.E164);
        } catch (final NumberParseException e) {
            return null;
        }
    }
}
