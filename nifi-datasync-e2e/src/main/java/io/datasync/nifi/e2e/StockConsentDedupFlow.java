package io.datasync.nifi.e2e;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The stock-only counterpart of the ftp-batch-ingest template, for the end-to-end benchmark: the nearest thing to the
 * template that stock NiFi processors do, built through the REST API.
 * <pre>
 * ListFTP -> FetchFTP -> UpdateRecord "Normalise contacts"      (the template's own normaliser: subject_key, phone, ...)
 *   -> LookupRecord "Look up consent"                            (the subject's row of the consent table into /consent)
 *   -> QueryRecord "Keep consented"                              (SQL on that field: purpose email_marketing, GRANTED)
 *   -> DeduplicateRecord "Drop repeated subjects"                (key /subject_key, across files via the map cache)
 *   -> PutDatabaseRecord UPSERT {@value #TABLE}                  (key subject_key; RetryFlowFile, then parked)
 * </pre>
 * Why these choices:
 * <ul>
 *   <li>The CSV drops carry no consent field; consent lives in the {@code consent} table, as for the template's
 *       ConsentFilter. QueryRecord cannot read a table, so LookupRecord (DatabaseRecordLookupService on
 *       {@code consent}, keyed by subject_key, cache size 0 like the template's consent store: a withdrawal counts
 *       at once) puts the row into the record and QueryRecord filters on it. The table holds one row per subject and
 *       purpose; the lookup returns one row per key, so this is exact only while subjects have one purpose, as in the
 *       benchmark data (a multi-purpose store would need a per-purpose view).</li>
 *   <li>The key is the template's subject key: the normaliser is a stock UpdateRecord, shared with the template
 *       ({@link DatasyncChain#normaliseProperties}), so stock can lower-case and apply the Gmail rules too.</li>
 *   <li>DeduplicateRecord in multiple-files mode, on the same MapCacheServer/MapCacheClientService pair the template
 *       uses for CustomerDedup ({@link DatasyncChain#createServices}): the template links identities across files,
 *       so the stock flow must drop repeats across files. It keeps the first record of a subject and drops the rest;
 *       the template merges them into a golden profile and also writes suppression rows: the stock flow does less.</li>
 *   <li>The same readers, writers and connection pool as the template (same {@code createServices}).</li>
 * </ul>
 * Failures of every step go to the "Parked failures" funnel, never dropped.
 */
public final class StockConsentDedupFlow {

    public static final String GROUP_NAME = "stock-consent-dedup";
    /** The table the flow writes: one row per subject with consent, the first record seen of that subject. */
    public static final String TABLE = "stock_contacts";
    /** Created by the benchmark next to the template schema: the normalised contact, keyed by subject. */
    public static final String TABLE_DDL = """
            CREATE TABLE stock_contacts (
                subject_key     VARCHAR(320) PRIMARY KEY,
                source          VARCHAR(32)  NOT NULL,
                source_id       VARCHAR(64)  NOT NULL,
                source_ids      VARCHAR(2000),
                email           VARCHAR(320),
                phone           VARCHAR(32),
                first_name      VARCHAR(100),
                last_name       VARCHAR(100),
                city            VARCHAR(100),
                country         VARCHAR(100), -- as written, like customer_profiles: US-CA, Deutschland
                tags            VARCHAR(1000),
                last_order_at   TIMESTAMP WITH TIME ZONE,
                lifetime_value  NUMERIC(12, 2),
                updated_at      TIMESTAMP WITH TIME ZONE NOT NULL
            );
            """;
    /**
     * What the stock flow's UPSERT reads: the columns of {@code stock_contacts} with the times typed. The template's
     * writes read through explicit schemas too (DatasyncChain), so neither contestant pays an inference pass there.
     */
    static final String CONTACT_ROW_SCHEMA = """
            {"type": "record", "name": "contact_row", "fields": [
              {"name": "subject_key", "type": ["null", "string"]},
              {"name": "source", "type": ["null", "string"]},
              {"name": "source_id", "type": ["null", "string"]},
              {"name": "source_ids", "type": ["null", "string"]},
              {"name": "email", "type": ["null", "string"]},
              {"name": "phone", "type": ["null", "string"]},
              {"name": "first_name", "type": ["null", "string"]},
              {"name": "last_name", "type": ["null", "string"]},
              {"name": "city", "type": ["null", "string"]},
              {"name": "country", "type": ["null", "string"]},
              {"name": "tags", "type": ["null", "string"]},
              {"name": "last_order_at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]},
              {"name": "lifetime_value", "type": ["null", "double"]},
              {"name": "updated_at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]}
            ]}""";
    /** The consent filter: the looked-up row must grant the template's default purpose. */
    static final String CONSENT_SQL = "SELECT * FROM FLOWFILE WHERE RPATH_STRING(consent, '/purpose') = 'email_marketing' "
            + "AND RPATH_STRING(consent, '/status') = 'GRANTED'";

    /** The ids of what was built. */
    public record Ids(String groupId, String listFtp, String fetchFtp, String normalize, String lookupConsent, String keepConsented,
                      String deduplicate, String put, String parkedFailures) {
    }

    private StockConsentDedupFlow() {
    }

    /**
     * The group's parameters: the template's (database, identity cache, retries) and FTP parameters, with
     * {@code values} (the local peers, see {@link TemplateImport#localParameters}) over the template defaults.
     */
    public static Map<String, String> parameters(final Map<String, String> values) {
        final Map<String, String> all = new LinkedHashMap<>(TemplateFlows.ftpBatchIngestParameters());
        all.putAll(values);
        return all;
    }

    /**
     * Builds the flow in a new child group {@code groupName} of {@code parentGroupId} with its own parameter context
     * ({@code parameters}); services disabled, processors stopped. {@code listSchedule} as in the template.
     */
    public static Ids build(final NiFiRestClient client, final String parentGroupId, final String groupName,
                            final Map<String, String> parameters, final String listSchedule) {
        final String groupId = client.createProcessGroup(parentGroupId, groupName);
        client.bindParameterContext(groupId, client.createParameterContext(groupName + "-" + groupId.substring(0, 8), parameters,
                TemplateFlows.ftpBatchIngestSensitive()));
        final Map<String, String> services = DatasyncChain.createServices(client, groupId);
        final String csvReader = StockFtpToPostgresFlow.createCsvReader(client, groupId);
        final String reader = services.get("jsonReader");
        final String writer = services.get("jsonWriter");
        final String consentRows = client.createControllerService(groupId, "org.apache.nifi.lookup.db.DatabaseRecordLookupService",
                "Consent rows", Map.of(
                        "dbrecord-lookup-dbcp-service", services.get("dbcp"),
                        "dbrecord-lookup-table-name", "consent",
                        "dbrecord-lookup-key-column", "subject_key",
                        "dbrecord-lookup-value-columns", "purpose,status",
                        "dbrecord-lookup-cache-size", "0"));

        final String parked = client.createFunnel(groupId);
        final StockFtpToPostgresFlow.FtpSource source = StockFtpToPostgresFlow.createFtpSource(client, groupId, listSchedule, "#{ftp.file.filter}");
        client.connect(groupId, source.fetchFtp(), "PROCESSOR", parked, "FUNNEL", Set.of("comms.failure", "not.found", "permission.denied"));

        final Map<String, String> normalize = new LinkedHashMap<>();
        final Map<String, String> normalizePaths = new LinkedHashMap<>();
        normalize.put("Record Reader", csvReader);
        normalize.put("Record Writer", writer);
        DatasyncChain.normalizeProperties("/source", "/source_id").forEach((name, value) ->
                (name.startsWith("/") ? normalizePaths : normalize).put(name, value));
        normalizePaths.put("/phone", DatasyncChain.STOCK_PHONE_PATH_VALUE);
        final String normalizer = client.createProcessor(groupId, DatasyncChain.UPDATE_RECORD, "Normalise contacts", normalize,
                normalizePaths, null, Set.of());
        client.connect(groupId, source.fetchFtp(), normalizer, Set.of("success"));
        client.connect(groupId, normalizer, "PROCESSOR", parked, "FUNNEL", Set.of("failure"));

        final Map<String, String> lookup = new LinkedHashMap<>();
        lookup.put("record-reader", reader);
        lookup.put("record-writer", writer);
        lookup.put("lookup-service", consentRows);
        lookup.put("result-record-path", "/consent");
        lookup.put("result-contents", "insert-entire-record");
        lookup.put("routing-strategy", "route-to-success");
        final String lookupConsent = client.createProcessor(groupId, "org.apache.nifi.processors.standard.LookupRecord", "Look up consent",
                lookup, Map.of("key", "/subject_key"), null, Set.of());
        client.connect(groupId, normalizer, lookupConsent, Set.of("success"));
        client.connect(groupId, lookupConsent, "PROCESSOR", parked, "FUNNEL", Set.of("failure"));

        final Map<String, String> query = new LinkedHashMap<>();
        query.put("record-reader", reader);
        query.put("record-writer", writer);
        query.put("include-zero-record-flowfiles", "false");
        final String keepConsented = client.createProcessor(groupId, "org.apache.nifi.processors.standard.QueryRecord", "Keep consented",
                query, Map.of("consented", CONSENT_SQL), null, Set.of("original"));
        client.connect(groupId, lookupConsent, keepConsented, Set.of("success"));
        client.connect(groupId, keepConsented, "PROCESSOR", parked, "FUNNEL", Set.of("failure"));

        final Map<String, String> dedup = new LinkedHashMap<>();
        dedup.put("record-reader", reader);
        dedup.put("record-writer", writer);
        dedup.put("deduplication-strategy", "multiple");
        dedup.put("distributed-map-cache", services.get("cacheClient"));
        dedup.put("include-zero-record-flowfiles", "false");
        final String deduplicate = client.createProcessor(groupId, "org.apache.nifi.processors.standard.DeduplicateRecord",
                "Drop repeated subjects", dedup, Map.of("subject_key", "/subject_key"), null, Set.of("duplicate", "original"));
        client.connect(groupId, keepConsented, deduplicate, Set.of("consented"));
        client.connect(groupId, deduplicate, "PROCESSOR", parked, "FUNNEL", Set.of("failure"));

        final String contactRows = DatasyncChain.schemaReader(client, groupId, "Contact rows for the database", CONTACT_ROW_SCHEMA);
        final String put = DatasyncChain.putWithRetry(client, groupId, "contacts", TABLE, "subject_key", services, contactRows, deduplicate,
                "non-duplicate", parked, "FUNNEL", 0, 1500, Map.of());
        return new Ids(groupId, source.listFtp(), source.fetchFtp(), normalizer, lookupConsent, keepConsented, deduplicate, put, parked);
    }
}
