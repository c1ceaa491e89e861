package io.datasync.nifi.audit;

import io.datasync.nifi.common.BatchedKeyReader;
import io.datasync.nifi.common.SqlIdentifiers;
import io.datasync.nifi.consent.ConsentDecision;
import io.datasync.nifi.consent.ConsentEvaluator;
import io.datasync.nifi.consent.EvidenceReader;
import io.datasync.nifi.consent.JurisdictionPolicy;
import io.datasync.nifi.consent.SubjectEvidence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides, for a page of stored profiles in use, which ones ConsentFilter would not allow now: the consent store rows of
 * their subject keys are read in one query per chunk (as ConsentFilter's Database store reads them) and judged by
 * ConsentFilter's own evidence reader and evaluator, under the default regime; a profile whose subject key is on the
 * suppression list is a violation whatever the consent store says. Fails closed: a profile without a subject key, or
 * without a store row, is judged on no evidence, which under Require Consent is a violation.
 */
public final class ConsentCheck {

    /** The reason of a profile that the consent store allows but the suppression list holds. */
    public static final String SUPPRESSED = "SUPPRESSED";

    /**
     * One profile in use that must not be: its id only.
     *
     * @param reason the evaluator's reason code, or {@link #SUPPRESSED}
     * @param suppressed whether the subject key is on the suppression list (also when consent is missing)
     */
    public record Violation(String customerId, String reason, boolean suppressed) {
    }

    /** Where the store rows are and how they are read: the same settings as ConsentFilter's Database store. */
    public record Store(String table, String keyColumn, String statusField, String timestampField, String purposesField) {
        public Store {
            SqlIdentifiers.requireTable(table);
            SqlIdentifiers.requireColumn(keyColumn);
        }
    }

    private final BatchedKeyReader storeReader;
    private final Store store;
    private final EvidenceReader evidenceReader;
    private final ConsentEvaluator evaluator;
    private final JurisdictionPolicy.Regime regime;
    private final String suppressionSql;
    private final int chunkSize;
    private final int timeoutSeconds;

    /**
     * @param suppressionTable the suppression list, or null to skip it
     * @param suppressionKeyColumn its subject key column
     */
    public ConsentCheck(final Store store, final EvidenceReader evidenceReader, final ConsentEvaluator evaluator,
                        final JurisdictionPolicy.Regime regime, final String suppressionTable, final String suppressionKeyColumn,
                        final int chunkSize, final int timeoutSeconds) {
        this.store = store;
        this.storeReader = new BatchedKeyReader(store.table(), store.keyColumn(), chunkSize, timeoutSeconds);
        this.evidenceReader = evidenceReader;
        this.evaluator = evaluator;
        this.regime = regime;
        this.chunkSize = chunkSize;
        this.timeoutSeconds = timeoutSeconds;
        if (suppressionTable == null) {
            this.suppressionSql = null;
        } else {
            SqlIdentifiers.requireTable(suppressionTable);
            SqlIdentifiers.requireColumn(suppressionKeyColumn);
            this.suppressionSql = "SELECT DISTINCT " + suppressionKeyColumn + " FROM " + suppressionTable + " WHERE " + suppressionKeyColumn
                    + " IN (%s)";
        }
    }

    /** The violations among these profiles (those not in use are skipped), in page order. */
    public List<Violation> check(final Connection connection, final List<StoredProfile> page, final Instant now) throws SQLException {
        final Set<String> keys = new LinkedHashSet<>();
        for (final StoredProfile profile : page) {
            if (profile.usable() && profile.subjectKey() != null && !profile.subjectKey().isBlank()) {
                keys.add(profile.subjectKey());
            }
        }
        final Map<String, BatchedKeyReader.Row> rows = storeReader.read(connection, keys);
        final Set<String> suppressed = suppressed(connection, keys);
        final List<Violation> violations = new ArrayList<>();
        for (final StoredProfile profile : page) {
            if (!profile.usable()) {
                continue;
            }
            final String key = profile.subjectKey() == null || profile.subjectKey().isBlank() ? null : profile.subjectKey();
            final SubjectEvidence evidence = new SubjectEvidence();
            final BatchedKeyReader.Row row = key == null ? null : rows.get(key);
            if (row != null) {
                evidenceReader.addStore(value(row, store.statusField()), value(row, store.timestampField()),
                        value(row, store.purposesField()), now, evidence);
            }
            final ConsentDecision decision = evaluator.evaluate(evidence.evidence(), regime, now);
            final boolean onList = key != null && suppressed.contains(key);
            if (!decision.allowed()) {
                violations.add(new Violation(profile.customerId(), decision.reason().name(), onList));
            } else if (onList) {
                violations.add(new Violation(profile.customerId(), SUPPRESSED, true));
            }
        }
        return violations;
    }

    private static Object value(final BatchedKeyReader.Row row, final String field) {
        return field == null ? null : row.get(field);
    }

    private Set<String> suppressed(final Connection connection, final Set<String> keys) throws SQLException {
        final Set<String> found = new HashSet<>();
        if (suppressionSql == null || keys.isEmpty()) {
            return found;
        }
        final List<String> all = new ArrayList<>(keys);
        for (int start = 0; start < all.size(); start += chunkSize) {
            final List<String> chunk = all.subList(start, Math.min(all.size(), start + chunkSize));
            final String sql = suppressionSql.formatted(String.join(", ", java.util.Collections.nCopies(chunk.size(), "?")));
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setQueryTimeout(timeoutSeconds);
                for (int i = 0; i < chunk.size(); i++) {
                    statement.setString(i + 1, chunk.get(i));
                }
                try (ResultSet resultSet = statement.executeQuery()) {
                    while (resultSet.next()) {
                        found.add(resultSet.getString(1));
                    }
                }
            }
        }
        return found;
    }
}
