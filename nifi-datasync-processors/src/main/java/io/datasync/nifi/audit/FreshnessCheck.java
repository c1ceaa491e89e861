package io.datasync.nifi.audit;

import io.datasync.nifi.common.SqlIdentifiers;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per source: when it last synced successfully and the newest record that sync stored, read from the sync runs table
 * (one row per successful sync, written by the ingest flows after their write commits), against a service level per
 * source: a source whose last successful sync is older than its SLA, or that never synced, is stale. Sources in the
 * table without an SLA are reported but never stale.
 */
public final class FreshnessCheck {

    /**
     * One source's freshness.
     *
     * @param lastSync end of the newest successful sync, null when none
     * @param newestRecord the newest record time any sync of the source stored, null when unknown
     * @param sla the source's SLA, null when it has none
     * @param lag now minus the last sync, null when it never synced
     */
    public record SourceFreshness(String source, Instant lastSync, Instant newestRecord, Duration sla, Duration lag, boolean stale) {
    }

    private final String sql;
    private final Map<String, Duration> slas;
    private final int timeoutSeconds;

    /**
     * @param newestRecordColumn the column with the newest record time of each run, or null
     * @param slas the SLA per source name
     */
    public FreshnessCheck(final String table, final String sourceColumn, final String finishedColumn, final String newestRecordColumn,
                          final Map<String, Duration> slas, final int timeoutSeconds) {
        SqlIdentifiers.requireTable(table);
        SqlIdentifiers.requireColumn(sourceColumn);
        SqlIdentifiers.requireColumn(finishedColumn);
        if (newestRecordColumn != null) {
            SqlIdentifiers.requireColumn(newestRecordColumn);
        }
        this.sql = "SELECT " + sourceColumn + ", MAX(" + finishedColumn + "), "
                + (newestRecordColumn == null ? "CAST(NULL AS TIMESTAMP)" : "MAX(" + newestRecordColumn + ")")
                + " FROM " + table + " GROUP BY " + sourceColumn;
        this.slas = Map.copyOf(slas);
        this.timeoutSeconds = timeoutSeconds;
    }

    /** Every source with an SLA or a sync run, sorted by name. */
    public List<SourceFreshness> check(final Connection connection, final Instant now) throws SQLException {
        final Map<String, Instant[]> runs = new TreeMap<>();
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setQueryTimeout(timeoutSeconds);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    final String source = rows.getString(1);
                    if (source != null) {
                        runs.put(source, new Instant[] {instant(rows.getTimestamp(2)), instant(rows.getTimestamp(3))});
                    }
                }
            }
        }
        final Map<String, SourceFreshness> result = new TreeMap<>();
        for (final String source : slas.keySet()) {
            runs.putIfAbsent(source, new Instant[] {null, null});
        }
        for (final Map.Entry<String, Instant[]> entry : runs.entrySet()) {
            result.put(entry.getKey(), judge(entry.getKey(), entry.getValue()[0], entry.getValue()[1], now));
        }
        return new ArrayList<>(result.values());
    }

    /** The rule on its own: stale when there is an SLA and no sync, or the last sync is older than the SLA. */
    public SourceFreshness judge(final String source, final Instant lastSync, final Instant newestRecord, final Instant now) {
        final Duration sla = slas.get(source);
        final Duration lag = lastSync == null ? null : Duration.between(lastSync, now);
        final boolean stale = sla != null && (lag == null || lag.compareTo(sla) > 0);
        return new SourceFreshness(source, lastSync, newestRecord, sla, lag, stale);
    }

    private static Instant instant(final Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
