package io.datasync.nifi.e2e;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The template flows' tables ({@code customer_profiles}, {@code suppression}) as comparable text keyed by subject key,
 * without the random customer ids and the lineage, and the same from the sample truth. Shared by the template tests
 * (through TemplateAssertions) and the cluster scenario.
 */
public final class ProfileTables {

    private ProfileTables() {
    }

    /** customer_profiles by subject key. */
    public static Map<String, String> profiles(final PostgresPeer postgres) {
        final Map<String, String> rows = new TreeMap<>();
        final List<Map<String, Object>> all = postgres.query("SELECT * FROM customer_profiles ORDER BY subject_key");
        for (final Map<String, Object> row : all) {
            rows.put((String) row.get("subject_key"), String.join(" | ", text(row.get("email")), text(row.get("phone")),
                    text(row.get("first_name")), text(row.get("last_name")), text(row.get("city")), text(row.get("country")),
                    text(row.get("tags")), text(row.get("last_order_at")), amount(row.get("lifetime_value")), text(row.get("updated_at"))));
        }
        if (rows.size() != all.size()) {
            throw new IllegalStateException(all.size() + " profile rows for " + rows.size() + " subjects");
        }
        return rows;
    }

    /** The golden profiles the sample truth says the given sources produce, in the form of {@link #profiles}. */
    public static Map<String, String> expectedProfiles(final SampleData data, final Set<String> sources) {
        final Map<String, String> rows = new TreeMap<>();
        data.expectedProfiles(sources).forEach((key, p) -> rows.put(key, String.join(" | ", text(p.email()), text(p.phone()),
                text(p.firstName()), text(p.lastName()), text(p.city()), text(p.country()), text(p.tags()), text(p.lastOrderAt()),
                amount(p.lifetimeValue()), text(p.updatedAt()))));
        return rows;
    }

    /** suppression by subject key. */
    public static Map<String, String> suppressions(final PostgresPeer postgres) {
        final Map<String, String> rows = new TreeMap<>();
        postgres.query("SELECT * FROM suppression").forEach(row -> rows.put((String) row.get("subject_key"),
                row.get("reason") + " | " + row.get("decided_at")));
        return rows;
    }

    /** The suppression rows the sample truth says the given sources produce, in the form of {@link #suppressions}. */
    public static Map<String, String> expectedSuppressions(final SampleData data, final Set<String> sources) {
        final Map<String, String> rows = new TreeMap<>();
        data.expectedSuppressions(sources).forEach((key, s) -> rows.put(key, s.reason() + " | " + s.decidedAt()));
        return rows;
    }

    private static String text(final Object value) {
        return value == null ? "" : value.toString();
    }

    private static String amount(final Object value) {
        return value == null ? "" : ((BigDecimal) value).setScale(2, RoundingMode.UNNECESSARY).toPlainString();
    }
}
