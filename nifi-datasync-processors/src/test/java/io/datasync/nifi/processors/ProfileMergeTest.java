package io.datasync.nifi.processors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.ByteArrayInputStream;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.provenance.ProvenanceEventRecord;
import org.apache.nifi.provenance.ProvenanceEventType;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProfileMergeTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final String CRM = """
            {"customer_id":"c1","source":"crm","updated_at":"2024-05-01T10:00:00Z","first_name":"Ada","last_name":"Lovelace",
             "email":"ada@crm.example","phone":"+33100000001","email_consent":"granted","tags":["vip"],"lifetime_value":1200}""";
    private static final String SHOP = """
            {"customer_id":"c1","source":"shop","updated_at":"2024-05-03T08:30:00Z","first_name":null,"email":"ada@shop.example",
             "last_order_at":"2024-05-03T08:29:00Z","lifetime_value":1350.5,"tags":["buyer","vip"]}""";
    private static final String WEB = """
            {"customer_id":"c1","source":"web","updated_at":"2024-05-02T18:00:00Z","first_name":"ADA","email":"",
             "phone":"+33600000002","email_consent":"withdrawn","tags":["newsletter"]}""";

    private TestRunner runner;
    private StoredProfileLookupService lookupService;

    @BeforeEach
    void setUp() throws Exception {
        runner = TestRunners.newTestRunner(ProfileMerge.class);
        JsonRecordServices.configure(runner, ProfileMerge.RECORD_READER.getName(), ProfileMerge.RECORD_WRITER.getName());
        lookupService = new StoredProfileLookupService();
        runner.addControllerService("stored-profiles", lookupService);
        runner.enableControllerService(lookupService);
    }

    private void useWorkedExampleRules() {
        runner.setProperty("first_name", "source_priority:crm,web,shop");
        runner.setProperty("last_name", "source_priority:crm,web,shop");
        runner.setProperty("phone", "latest");
        runner.setProperty("email_consent", "consent");
        runner.setProperty("tags", "union");
        runner.setProperty("lifetime_value", "max");
    }

    private static String array(final String... records) {
        return "[" + String.join(",", records) + "]";
    }

    private MockFlowFile runOnce(final String content, final Relationship expected) {
        runner.enqueue(content);
        runner.run();
        runner.assertAllFlowFilesTransferred(expected, 1);
        return runner.getFlowFilesForRelationship(expected).get(0);
    }

    private static Map<String, JsonNode> profilesByKey(final MockFlowFile flowFile) throws Exception {
        final JsonNode root = MAPPER.readTree(flowFile.getContent());
        final Map<String, JsonNode> profiles = new LinkedHashMap<>();
        for (final JsonNode profile : root) {
            profiles.put(profile.get("customer_id").asText(), profile);
        }
        return profiles;
    }

    private static List<String> texts(final JsonNode array) {
        final List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.asText()));
        return values;
    }

    @Test
    void mergesThreeSourcesIntoOneGoldenProfile() throws Exception {
        useWorkedExampleRules();
        final String other = """
                {"customer_id":"c2","source":"shop","updated_at":"2024-05-01T00:00:00Z","email":"bob@shop.example"}""";
        final MockFlowFile out = runOnce(array(CRM, SHOP, other, WEB), ProfileMerge.REL_SUCCESS);

        final Map<String, JsonNode> profiles = profilesByKey(out);
        assertEquals(List.of("c1", "c2"), new ArrayList<>(profiles.keySet()));
        final JsonNode ada = profiles.get("c1");
        assertEquals("Ada", ada.get("first_name").asText());
        assertEquals("Lovelace", ada.get("last_name").asText());
        assertEquals("ada@shop.example", ada.get("email").asText());
        assertEquals("+33600000002", ada.get("phone").asText());
        assertEquals("withdrawn", ada.get("email_consent").asText());
        assertEquals(List.of("buyer", "newsletter", "vip"), texts(ada.get("tags")));
        assertEquals(1350.5, ada.get("lifetime_value").asDouble(), 0.0);
        assertEquals("2024-05-03T08:29:00Z", ada.get("last_order_at").asText());
        assertEquals("2024-05-03T08:30:00Z", ada.get("updated_at").asText());
        assertEquals("shop", ada.get("source").asText());
        assertTrue(profiles.get("c2").get("phone").isNull());

        out.assertAttributeEquals("record.count", "2");
        out.assertAttributeEquals(ProfileMerge.PROFILES_OUT, "2");
        out.assertAttributeEquals(ProfileMerge.RECORDS_MERGED, "4");
        out.assertAttributeEquals(ProfileMerge.STORED_PROFILES, "0");
        // c1 disagrees on first_name, email, phone, email_consent, tags, lifetime_value, source, updated_at.
        out.assertAttributeEquals(ProfileMerge.CONFLICTS_RESOLVED, "8");
        out.assertAttributeEquals(ProfileMerge.TYPE_CONFLICTS, "0");
        out.assertAttributeNotExists(ProfileMerge.TYPE_CONFLICT_FIELDS);
        out.assertAttributeEquals("mime.type", "application/json");

        final List<ProvenanceEventRecord> events = runner.getProvenanceEvents();
        assertEquals(1, events.size());
        assertEquals(ProvenanceEventType.CONTENT_MODIFIED, events.get(0).getEventType());
        assertTrue(events.get(0).getDetails().startsWith("Merged 4 records into 2 profiles (0 with a stored profile); 8 conflicts resolved"),
                events.get(0).getDetails());
        assertEquals(4L, runner.getCounterValue("ProfileMerge records in"));
        assertEquals(2L, runner.getCounterValue("ProfileMerge profiles written"));
        assertEquals(8L, runner.getCounterValue("ProfileMerge conflicts resolved"));
        assertNull(runner.getCounterValue("ProfileMerge merges with a stored profile"));
        assertNull(runner.getCounterValue("ProfileMerge type conflicts"));
        assertNull(runner.getCounterValue("ProfileMerge wrong-type values skipped"));
    }

    @Test
    void writesLineageOfEverySurvivingValue() throws Exception {
        useWorkedExampleRules();
        runner.setProperty(ProfileMerge.LINEAGE_FIELD, "_lineage");
        final MockFlowFile out = runOnce(array(CRM, SHOP, WEB), ProfileMerge.REL_SUCCESS);

        final JsonNode ada = profilesByKey(out).get("c1");
        final JsonNode lineage = MAPPER.readTree(ada.get("_lineage").asText());
        assertEquals("crm", lineage.get("first_name").get("source").asText());
        assertEquals("2024-05-01T10:00:00Z", lineage.get("first_name").get("timestamp").asText());
        assertEquals("shop", lineage.get("email").get("source").asText());
        assertEquals("web", lineage.get("email_consent").get("source").asText());
        assertEquals("2024-05-02T18:00:00Z", lineage.get("email_consent").get("timestamp").asText());
        assertEquals("crm,shop,web", lineage.get("tags").get("source").asText());
        assertEquals("2024-05-03T08:30:00Z", lineage.get("tags").get("timestamp").asText());
        assertFalse(lineage.has("_lineage"));
    }

    @Test
    void partialUpdatesWithNullsDoNotEraseUnderDefaultRule() throws Exception {
        final String older = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-01T00:00:00Z","city":"Paris","zip":"75001","phone":"1"}""";
        final String newer = """
                {"customer_id":"c1","source":"web","updated_at":"2024-02-01T00:00:00Z","city":null,"zip":"  ","phone":null}""";
        runner.setProperty("phone", "latest");
        final JsonNode profile = profilesByKey(runOnce(array(newer, older), ProfileMerge.REL_SUCCESS)).get("c1");
        assertEquals("Paris", profile.get("city").asText());
        assertEquals("75001", profile.get("zip").asText());
        // Under "latest" an explicit null from a newer source clears the field.
        assertTrue(profile.get("phone").isNull());
    }

    @Test
    void sourcePriorityOutranksNewerValues() throws Exception {
        runner.setProperty("name", "source_priority:crm,shop");
        final String crm = """
                {"customer_id":"c1","source":"crm","updated_at":"2020-01-01T00:00:00Z","name":"From CRM"}""";
        final String shop = """
                {"customer_id":"c1","source":"shop","updated_at":"2024-01-01T00:00:00Z","name":"From Shop"}""";
        final String web = """
                {"customer_id":"c1","source":"web","updated_at":"2025-01-01T00:00:00Z","name":"From Web"}""";
        assertEquals("From CRM", profilesByKey(runOnce(array(web, shop, crm), ProfileMerge.REL_SUCCESS)).get("c1").get("name").asText());
    }

    @Test
    void unionCollectsArraysWithoutDuplicates() throws Exception {
        runner.setProperty("tags", "union");
        final String first = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-01T00:00:00Z","tags":["b","a"]}""";
        final String second = """
                {"customer_id":"c1","source":"shop","updated_at":"2024-01-02T00:00:00Z","tags":["a","c",null]}""";
        final String third = """
                {"customer_id":"c1","source":"web","updated_at":"2024-01-03T00:00:00Z","tags":[]}""";
        final JsonNode profile = profilesByKey(runOnce(array(third, second, first), ProfileMerge.REL_SUCCESS)).get("c1");
        assertEquals(List.of("a", "b", "c"), texts(profile.get("tags")));
    }

    @Test
    void unionOfScalarTextValuesIsWrittenAsAnArray() throws Exception {
        runner.setProperty("tags", "union");
        final String crm = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-01T00:00:00Z","tags":"vip"}""";
        final String shop = """
                {"customer_id":"c1","source":"shop","updated_at":"2024-01-02T00:00:00Z","tags":"newsletter"}""";
        final JsonNode tags = profilesByKey(runOnce(array(shop, crm), ProfileMerge.REL_SUCCESS)).get("c1").get("tags");
        assertTrue(tags.isArray(), "union output must be a JSON array, was: " + tags);
        assertEquals(List.of("newsletter", "vip"), texts(tags));
    }

    @Test
    void listDelimiterWritesEachUnionAsOneJoinedText() throws Exception {
        runner.setProperty("tags", "union");
        runner.setProperty("source_ids", "union");
        runner.setProperty(ProfileMerge.LIST_DELIMITER, "|");
        final String crm = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-01T00:00:00Z","tags":["vip","b"],"source_ids":"crm:1"}""";
        final String shop = """
                {"customer_id":"c1","source":"shop","updated_at":"2024-01-02T00:00:00Z","tags":["a","vip",null],"source_ids":"shop:9"}""";
        final String bare = """
                {"customer_id":"c2","source":"web","updated_at":"2024-01-03T00:00:00Z","tags":[],"source_ids":null}""";
        final Map<String, JsonNode> profiles = profilesByKey(runOnce(array(shop, bare, crm), ProfileMerge.REL_SUCCESS));
        final JsonNode tags = profiles.get("c1").get("tags");
        assertTrue(tags.isTextual(), "a joined union is one text value, was: " + tags);
        // the rule's order (sorted, no repeats), whatever order the records came in
        assertEquals("a|b|vip", tags.asText());
        assertEquals("crm:1|shop:9", profiles.get("c1").get("source_ids").asText());
        // no element: null, not an empty text (the table's trigger unions null with the stored set)
        assertTrue(profiles.get("c2").get("tags").isNull());
        assertTrue(profiles.get("c2").get("source_ids").isNull());
    }

    @Test
    void listDelimiterLeavesFieldsOfOtherRulesAlone() throws Exception {
        runner.setProperty("tags", "union");
        runner.setProperty("aliases", "latest");
        runner.setProperty(ProfileMerge.LIST_DELIMITER, ";");
        final String crm = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-01T00:00:00Z","tags":"x","aliases":["old"]}""";
        final String shop = """
                {"customer_id":"c1","source":"shop","updated_at":"2024-01-02T00:00:00Z","tags":"y","aliases":["new","newer"]}""";
        final JsonNode profile = profilesByKey(runOnce(array(crm, shop), ProfileMerge.REL_SUCCESS)).get("c1");
        assertEquals("x;y", profile.get("tags").asText());
        assertEquals(List.of("new", "newer"), texts(profile.get("aliases")));
    }

    @Test
    void listDelimiterMustNotBeEmpty() {
        runner.assertValid();
        runner.setProperty(ProfileMerge.LIST_DELIMITER, "");
        runner.assertNotValid();
    }

    @Test
    void newerWithdrawalBeatsOlderGrant() throws Exception {
        runner.setProperty("email_consent", "consent");
        final String grant = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-01T00:00:00Z","email_consent":true}""";
        final String withdrawal = """
                {"customer_id":"c1","source":"web","updated_at":"2024-01-02T00:00:00Z","email_consent":false}""";
        final String silent = """
                {"customer_id":"c1","source":"shop","updated_at":"2024-01-03T00:00:00Z"}""";
        final JsonNode profile = profilesByKey(runOnce(array(withdrawal, silent, grant), ProfileMerge.REL_SUCCESS)).get("c1");
        assertFalse(profile.get("email_consent").asBoolean(true));
    }

    @Test
    void newerGrantBeatsOlderWithdrawalAndTiesAreRestrictive() throws Exception {
        runner.setProperty("email_consent", "consent");
        runner.setProperty(ProfileMerge.TIE_BREAK_SOURCES, "crm,web");
        final String withdrawal = """
                {"customer_id":"c1","source":"web","updated_at":"2024-01-01T00:00:00Z","email_consent":"withdrawn"}""";
        final String grant = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-02T00:00:00Z","email_consent":"granted"}""";
        final String tiedGrant = """
                {"customer_id":"c2","source":"crm","updated_at":"2024-01-02T00:00:00Z","email_consent":"granted"}""";
        final String tiedWithdrawal = """
                {"customer_id":"c2","source":"web","updated_at":"2024-01-02T00:00:00Z","email_consent":"withdrawn"}""";
        final Map<String, JsonNode> profiles = profilesByKey(runOnce(array(grant, withdrawal, tiedGrant, tiedWithdrawal), ProfileMerge.REL_SUCCESS));
        assertEquals("granted", profiles.get("c1").get("email_consent").asText());
        // crm is first in the tie-break order, yet the withdrawal at the same instant wins.
        assertEquals("withdrawn", profiles.get("c2").get("email_consent").asText());
    }

    @Test
    void perFieldTimestampsDecideLatest() throws Exception {
        final String crm = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-06-01T00:00:00Z","email":"old@example.com",
                 "field_updated_at":{"email":"2023-01-01T00:00:00Z"}}""";
        final String web = """
                {"customer_id":"c1","source":"web","updated_at":"2024-03-01T00:00:00Z","email":"new@example.com"}""";
        final JsonNode profile = profilesByKey(runOnce(array(crm, web), ProfileMerge.REL_SUCCESS)).get("c1");
        assertEquals("new@example.com", profile.get("email").asText());
        assertFalse(profile.has("field_updated_at"));
    }

    @Test
    void mergesWithStoredProfile() throws Exception {
        useWorkedExampleRules();
        runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored-profiles");
        runner.setProperty(ProfileMerge.LINEAGE_FIELD, "_lineage");
        lookupService.put("c1", storedProfile("c1", "Augusta", "ada@old.example", "+33100000009", "granted",
                Instant.parse("2024-04-01T00:00:00Z"), "2019-07-14T00:00:00Z"));
        lookupService.put("c9", storedProfile("c9", "Nobody", null, null, null, Instant.parse("2024-04-01T00:00:00Z"), null));
        final String shop = """
                {"customer_id":"c1","source":"shop","updated_at":"2024-05-03T08:30:00Z","email":"ada@shop.example","tags":["buyer"]}""";
        final MockFlowFile out = runOnce(array(shop), ProfileMerge.REL_SUCCESS);

        final Map<String, JsonNode> profiles = profilesByKey(out);
        assertEquals(List.of("c1"), new ArrayList<>(profiles.keySet()));
        final JsonNode ada = profiles.get("c1");
        assertEquals("ada@shop.example", ada.get("email").asText());
        assertEquals("Augusta", ada.get("first_name").asText());
        assertEquals("+33100000009", ada.get("phone").asText());
        assertEquals("granted", ada.get("email_consent").asText());
        assertEquals("2019-07-14T00:00:00Z", ada.get("first_seen").asText());
        assertEquals(List.of("buyer", "stored"), texts(ada.get("tags")));
        final JsonNode lineage = MAPPER.readTree(ada.get("_lineage").asText());
        assertEquals("stored_profile", lineage.get("first_name").get("source").asText());
        assertEquals("2024-04-01T00:00:00Z", lineage.get("first_name").get("timestamp").asText());
        assertEquals("shop", lineage.get("email").get("source").asText());
        out.assertAttributeEquals(ProfileMerge.STORED_PROFILES, "1");
        assertEquals(1, lookupService.getLookups());
        assertEquals(1L, runner.getCounterValue("ProfileMerge merges with a stored profile"));
        assertEquals(1L, runner.getCounterValue("ProfileMerge type conflicts"));
        assertEquals(1L, runner.getCounterValue("ProfileMerge records in"));
        assertEquals(1L, runner.getCounterValue("ProfileMerge profiles written"));
        // updated_at is a TIMESTAMP in the table and text in the JSON input: reported, written as text.
        out.assertAttributeEquals(ProfileMerge.TYPE_CONFLICT_FIELDS, "updated_at");
        assertEquals("2024-05-03T08:30:00Z", ada.get("updated_at").asText());
    }

    @Test
    void newerStoredProfileBeatsOlderInput() throws Exception {
        runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored-profiles");
        lookupService.put("c1", storedProfile("c1", "Stored", null, null, null, Instant.parse("2025-01-01T00:00:00Z"), null));
        final String crm = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-01T00:00:00Z","first_name":"Older"}""";
        final MockFlowFile out = runOnce(array(crm), ProfileMerge.REL_SUCCESS);
        assertEquals("Stored", profilesByKey(out).get("c1").get("first_name").asText());
        // the stored profile written again counts for the newest time of the write
        out.assertAttributeEquals(ProfileMerge.NEWEST_TIMESTAMP, "2025-01-01T00:00:00.000Z");
    }

    @Test
    void newestTimestampIsTheNewestProfileInTimeNotInText() throws Exception {
        // 10:00+02:00 sorts after 09:30Z as text but is half an hour older; c2's profile is the newest
        final String c1 = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-05-01T10:00:00+02:00"}""";
        final String c2 = """
                {"customer_id":"c2","source":"crm","updated_at":"2024-05-01T08:30:00.250Z"}""";
        final String c2Older = """
                {"customer_id":"c2","source":"shop","updated_at":"2024-04-30T23:00:00Z"}""";
        final MockFlowFile out = runOnce(array(c1, c2, c2Older), ProfileMerge.REL_SUCCESS);
        out.assertAttributeEquals(ProfileMerge.NEWEST_TIMESTAMP, "2024-05-01T08:30:00.250Z");
    }

    @Test
    void newestTimestampAbsentWhenNoProfileHasOneEvenIfUpstreamSetIt() {
        runner.enqueue(array("""
                {"customer_id":"c1","source":"crm","first_name":"Undated"}"""), Map.of(ProfileMerge.NEWEST_TIMESTAMP, "2030-01-01T00:00:00.000Z"));
        runner.run();
        runner.assertAllFlowFilesTransferred(ProfileMerge.REL_SUCCESS, 1);
        runner.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).get(0).assertAttributeNotExists(ProfileMerge.NEWEST_TIMESTAMP);
    }

    private static Record storedProfile(final String customerId, final String firstName, final String email, final String phone,
                                        final String consent, final Instant updatedAt, final String firstSeen) {
        final List<RecordField> fields = List.of(
                new RecordField("customer_id", RecordFieldType.STRING.getDataType()),
                new RecordField("first_name", RecordFieldType.STRING.getDataType()),
                new RecordField("email", RecordFieldType.STRING.getDataType()),
                new RecordField("phone", RecordFieldType.STRING.getDataType()),
                new RecordField("email_consent", RecordFieldType.STRING.getDataType()),
                new RecordField("tags", RecordFieldType.ARRAY.getArrayDataType(RecordFieldType.STRING.getDataType())),
                new RecordField("first_seen", RecordFieldType.STRING.getDataType()),
                new RecordField("updated_at", RecordFieldType.TIMESTAMP.getDataType()));
        final Map<String, Object> values = new LinkedHashMap<>();
        values.put("customer_id", customerId);
        values.put("first_name", firstName);
        values.put("email", email);
        values.put("phone", phone);
        values.put("email_consent", consent);
        values.put("tags", new Object[] {"stored"});
        values.put("first_seen", firstSeen);
        values.put("updated_at", Timestamp.from(updatedAt));
        return new MapRecord(new SimpleRecordSchema(fields), values);
    }

    @Test
    void storedNaNUnderMaxAgainstDecimalTextDoesNotCrash() throws Exception {
        // Regression: a stored double NaN (PostgreSQL double precision holds NaN) compared with numeric text (read as a
        // BigDecimal) threw NumberFormatException out of the value order. NaN sorts above every number: max keeps it,
        // min takes the finite value; the FlowFile goes to success.
        runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored-profiles");
        runner.setProperty("lifetime_value", "max");
        runner.setProperty("lowest_value", "min");
        final List<RecordField> fields = List.of(
                new RecordField("customer_id", RecordFieldType.STRING.getDataType()),
                new RecordField("lifetime_value", RecordFieldType.DOUBLE.getDataType()),
                new RecordField("lowest_value", RecordFieldType.DOUBLE.getDataType()),
                new RecordField("updated_at", RecordFieldType.TIMESTAMP.getDataType()));
        final Map<String, Object> values = new LinkedHashMap<>();
        values.put("customer_id", "c1");
        values.put("lifetime_value", Double.NaN);
        values.put("lowest_value", Double.NaN);
        values.put("updated_at", Timestamp.from(Instant.parse("2024-04-01T00:00:00Z")));
        lookupService.put("c1", new MapRecord(new SimpleRecordSchema(fields), values));
        final String shop = """
                {"customer_id":"c1","source":"shop","updated_at":"2024-05-03T08:30:00Z","lifetime_value":"1350.5","lowest_value":"12.25"}""";
        final MockFlowFile out = runOnce(array(shop), ProfileMerge.REL_SUCCESS);
        final JsonNode ada = profilesByKey(out).get("c1");
        assertEquals("NaN", ada.get("lifetime_value").asText());
        assertEquals(0, new java.math.BigDecimal("12.25").compareTo(new java.math.BigDecimal(ada.get("lowest_value").asText())));
    }

    @Test
    void storedProfileWithBrokenLineageGoesToFailure() {
        runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored-profiles");
        runner.setProperty(ProfileMerge.LINEAGE_FIELD, "_lineage");
        final List<RecordField> fields = List.of(
                new RecordField("customer_id", RecordFieldType.STRING.getDataType()),
                new RecordField("_lineage", RecordFieldType.STRING.getDataType()));
        lookupService.put("c1", new MapRecord(new SimpleRecordSchema(fields), new HashMap<>(Map.of("customer_id", "c1", "_lineage", "not json"))));
        final String input = array(CRM);
        final MockFlowFile out = runOnce(input, ProfileMerge.REL_FAILURE);
        out.assertContentEquals(input);
        out.assertAttributeEquals(ProfileMerge.ERROR, "The stored profile's '_lineage' is not lineage as ProfileMerge writes it");
    }

    @Test
    void lookupFailureRoutesToRetryUnchanged() {
        runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored-profiles");
        lookupService.setDown(true);
        final String input = array(CRM, WEB);
        final MockFlowFile out = runOnce(input, ProfileMerge.REL_RETRY);
        out.assertContentEquals(input);
        out.assertAttributeEquals(ProfileMerge.ERROR, "Stored profile lookup failed: LookupFailureException");
        assertTrue(out.isPenalized());
        assertTrue(runner.getProvenanceEvents().isEmpty());
        assertEquals(1L, runner.getCounterValue("ProfileMerge FlowFiles routed to retry"));
        assertNull(runner.getCounterValue("ProfileMerge records in"));

        lookupService.setDown(false);
        runner.clearTransferState();
        runOnce(input, ProfileMerge.REL_SUCCESS);
        assertEquals(2L, runner.getCounterValue("ProfileMerge records in"));
        assertEquals(1L, runner.getCounterValue("ProfileMerge FlowFiles routed to retry"));
    }

    @Test
    void concurrentLookupsGiveTheSameProfilesAsOneAtATime() throws Exception {
        useWorkedExampleRules();
        runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored-profiles");
        final List<String> records = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            final String key = "k" + i;
            if (i % 3 != 0) {
                lookupService.put(key, storedProfile(key, "Stored" + i, null, "+3310000" + (1000 + i), null,
                        Instant.parse("2024-04-01T00:00:00Z"), "2019-07-14T00:00:00Z"));
            }
            records.add("""
                    {"customer_id":"%s","source":"shop","updated_at":"2024-05-03T08:30:00Z","email":"c%d@shop.example"}""".formatted(key, i));
        }
        final String input = array(records.toArray(String[]::new));
        final MockFlowFile sequential = runOnce(input, ProfileMerge.REL_SUCCESS);
        runner.clearTransferState();
        runner.setProperty(ProfileMerge.CONCURRENT_LOOKUPS, "4");
        final MockFlowFile concurrent = runOnce(input, ProfileMerge.REL_SUCCESS);

        assertEquals(sequential.getContent(), concurrent.getContent());
        concurrent.assertAttributeEquals(ProfileMerge.STORED_PROFILES, "40");
        assertEquals("Stored1", profilesByKey(concurrent).get("k1").get("first_name").asText());
        assertEquals(120, lookupService.getLookups());
    }

    @Test
    void aFailedConcurrentLookupRoutesToRetryUnchanged() {
        runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored-profiles");
        runner.setProperty(ProfileMerge.CONCURRENT_LOOKUPS, "4");
        lookupService.setDown(true);
        final String input = array(CRM, WEB);
        final MockFlowFile out = runOnce(input, ProfileMerge.REL_RETRY);
        out.assertContentEquals(input);
        out.assertAttributeEquals(ProfileMerge.ERROR, "Stored profile lookup failed: LookupFailureException");
    }

    @Test
    void orderOfRecordsDoesNotChangeOutput() {
        useWorkedExampleRules();
        runner.setProperty(ProfileMerge.LINEAGE_FIELD, "_lineage");
        final List<String> records = new ArrayList<>(List.of(CRM, SHOP, WEB,
                // equal timestamps with different values: only the stated tie-break can separate them
                """
                {"customer_id":"c2","source":"shop","updated_at":"2024-05-01T00:00:00Z","email":"b@shop.example","tags":["x"],"lifetime_value":7}""",
                """
                {"customer_id":"c2","source":"web","updated_at":"2024-05-01T00:00:00Z","email":"a@web.example","tags":["y"],"lifetime_value":7}""",
                """
                {"customer_id":"c2","source":"crm","updated_at":"2024-05-01T00:00:00Z","email_consent":"granted","first_name":"Bob"}""",
                """
                {"customer_id":"c2","source":"web","updated_at":"2024-05-01T00:00:00Z","email_consent":"withdrawn","first_name":"Robert"}""",
                """
                {"customer_id":"c3","source":"web","email":"undated@web.example","phone":"1"}""",
                """
                {"customer_id":"c3","source":"crm","email":"undated@crm.example","phone":"2"}""",
                """
                {"customer_id":"c3","source":"crm","updated_at":"2024-05-01T00:00:00Z","email":"","phone":null}"""));
        runner.enqueue(array(records.toArray(new String[0])));
        runner.run();
        final String expected = runner.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).get(0).getContent();

        final Random random = new Random(20240501L);
        for (int i = 0; i < 200; i++) {
            Collections.shuffle(records, random);
            runner.clearTransferState();
            runner.enqueue(array(records.toArray(new String[0])));
            runner.run();
            runner.assertAllFlowFilesTransferred(ProfileMerge.REL_SUCCESS, 1);
            assertEquals(expected, runner.getFlowFilesForRelationship(ProfileMerge.REL_SUCCESS).get(0).getContent(), "permutation " + i);
        }
        assertTrue(expected.contains("\"email\":\"a@web.example\""), expected);
        assertTrue(expected.contains("\"email_consent\":\"withdrawn\""), expected);
    }

    @Test
    void orderOfFlowFilesDoesNotChangeTheStoredProfile() throws Exception {
        useWorkedExampleRules();
        runner.setProperty("first_seen", "first_non_empty");
        runner.setProperty(ProfileMerge.LINEAGE_FIELD, "_lineage");
        final String laterWeb = """
                {"customer_id":"c1","source":"web","updated_at":"2024-05-04T00:00:00Z","phone":null,"first_seen":"2018-01-01T00:00:00Z",
                 "field_updated_at":{"first_seen":"2018-01-01T00:00:00Z"}}""";
        final String crmRegrant = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-05-02T12:00:00Z","email_consent":"granted","tags":["vip","gold"],
                 "lifetime_value":900}""";
        final List<String> updates = List.of(CRM, SHOP, WEB, laterWeb, crmRegrant);

        // All updates in one FlowFile, no stored profile: the reference.
        final String allAtOnce = runOnce(array(updates.toArray(new String[0])), ProfileMerge.REL_SUCCESS).getContent();

        // The same updates one FlowFile each, in several orders, each output stored and read back as the stored profile.
        runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored-profiles");
        final Random random = new Random(5);
        final List<String> order = new ArrayList<>(updates);
        for (int permutation = 0; permutation < 12; permutation++) {
            Collections.shuffle(order, random);
            lookupService.clear();
            String last = null;
            for (final String update : order) {
                runner.clearTransferState();
                final MockFlowFile out = runOnce(array(update), ProfileMerge.REL_SUCCESS);
                storeOutput(out);
                last = out.getContent();
            }
            assertEquals(allAtOnce, last, "order " + order);
        }
        final JsonNode profile = MAPPER.readTree(allAtOnce).get(0);
        assertEquals("withdrawn", profile.get("email_consent").asText());
        assertTrue(profile.get("phone").isNull());
        assertEquals("2018-01-01T00:00:00Z", profile.get("first_seen").asText());
        assertEquals(List.of("buyer", "gold", "newsletter", "vip"), texts(profile.get("tags")));
    }

    private void storeOutput(final MockFlowFile out) throws Exception {
        final RecordReaderFactory reader = (RecordReaderFactory)
                runner.getControllerService(JsonRecordServices.READER_ID);
        final byte[] content = out.toByteArray();
        try (RecordReader records = reader.createRecordReader(Map.of(),
                new ByteArrayInputStream(content), content.length, runner.getLogger())) {
            Record record;
            while ((record = records.nextRecord()) != null) {
                lookupService.put(record.getAsString("customer_id"), record);
            }
        }
    }

    @Test
    void recordWithoutKeyFailsWholeFlowFile() {
        final String keyless = """
                {"source":"web","updated_at":"2024-05-02T18:00:00Z","email":"someone@example.com"}""";
        final String blankKey = """
                {"customer_id":" ","source":"web","updated_at":"2024-05-02T18:00:00Z"}""";
        final String input = array(CRM, keyless, blankKey);
        final MockFlowFile out = runOnce(input, ProfileMerge.REL_FAILURE);
        out.assertContentEquals(input);
        out.assertAttributeEquals(ProfileMerge.ERROR,
                "2 of 3 records have no value at Customer Key Record Path /customer_id; no profile was merged");
        assertTrue(out.isPenalized());
        assertFalse(out.getAttribute(ProfileMerge.ERROR).contains("someone@example.com"));
    }

    @Test
    void nestedKeyRecordPathGroupsRecords() throws Exception {
        runner.setProperty(ProfileMerge.CUSTOMER_KEY_PATH, "/ids/customer");
        final String one = """
                {"ids":{"customer":"k1"},"source":"crm","updated_at":"2024-01-01T00:00:00Z","city":"Paris"}""";
        final String two = """
                {"ids":{"customer":"k1"},"source":"web","updated_at":"2024-01-02T00:00:00Z","city":"Lyon"}""";
        final MockFlowFile out = runOnce(array(one, two), ProfileMerge.REL_SUCCESS);
        final JsonNode profiles = MAPPER.readTree(out.getContent());
        assertEquals(1, profiles.size());
        assertEquals("Lyon", profiles.get(0).get("city").asText());
        assertEquals("k1", profiles.get(0).get("ids").get("customer").asText());
    }

    @Test
    void scalarTypeConflictIsWidenedToStringAndReported() throws Exception {
        final String text = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-01T00:00:00Z","zip":"F-75001","score":5}""";
        final String number = """
                {"customer_id":"c2","source":"web","updated_at":"2024-01-02T00:00:00Z","zip":7001,"score":5000000000}""";
        final MockFlowFile out = runOnce(array(text, number), ProfileMerge.REL_SUCCESS);
        out.assertAttributeEquals(ProfileMerge.TYPE_CONFLICTS, "1");
        out.assertAttributeEquals(ProfileMerge.TYPE_CONFLICT_FIELDS, "zip");
        assertEquals(1L, runner.getCounterValue("ProfileMerge type conflicts"));
        final Map<String, JsonNode> profiles = profilesByKey(out);
        assertTrue(profiles.get("c2").get("zip").isTextual());
        assertEquals("7001", profiles.get("c2").get("zip").asText());
        assertEquals("F-75001", profiles.get("c1").get("zip").asText());
        final List<String> warnings = runner.getLogger().getWarnMessages().stream().map(message -> message.getMsg()).toList();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("zip"), warnings.get(0));
        assertFalse(warnings.get(0).contains("75001"), "values must not be logged: " + warnings.get(0));
        // INT and LONG widen without a conflict.
        assertTrue(profiles.get("c2").get("score").isIntegralNumber());
        assertEquals(5_000_000_000L, profiles.get("c2").get("score").asLong());
    }

    @Test
    void complexTypeConflictGoesToFailure() {
        final String asRecord = """
                {"customer_id":"c1","source":"crm","updated_at":"2024-01-01T00:00:00Z","address":{"city":"Paris"}}""";
        final String asText = """
                {"customer_id":"c1","source":"web","updated_at":"2024-01-02T00:00:00Z","address":"Paris"}""";
        final String input = array(asRecord, asText);
        final MockFlowFile out = runOnce(input, ProfileMerge.REL_FAILURE);
        out.assertContentEquals(input);
        assertNotNull(out.getAttribute(ProfileMerge.ERROR));
        assertTrue(out.getAttribute(ProfileMerge.ERROR).startsWith("Field 'address' is "), out.getAttribute(ProfileMerge.ERROR));
        assertTrue(out.isPenalized());
    }

    @Test
    void malformedInputGoesToFailure() {
        final String input = "[{\"customer_id\":\"c1\",\"source\":\"crm\",";
        final MockFlowFile out = runOnce(input, ProfileMerge.REL_FAILURE);
        out.assertContentEquals(input);
        assertTrue(out.getAttribute(ProfileMerge.ERROR).startsWith("Input is not readable with the configured Record Reader"),
                out.getAttribute(ProfileMerge.ERROR));
        assertTrue(out.isPenalized());
    }

    @Test
    void unparsableTimestampGoesToFailure() {
        final String input = array(CRM, """
                {"customer_id":"c1","source":"web","updated_at":"last tuesday","email":"x@example.com"}""");
        final MockFlowFile out = runOnce(input, ProfileMerge.REL_FAILURE);
        out.assertContentEquals(input);
        out.assertAttributeEquals(ProfileMerge.ERROR, "Record 2 has a value in 'updated_at' that is not a timestamp");
    }

    @Test
    void unparsableFieldTimestampGoesToFailure() {
        final String input = array(CRM, """
                {"customer_id":"c1","source":"web","updated_at":"2024-05-02T18:00:00Z","email":"x@example.com",
                 "field_updated_at":{"email":"soon"}}""");
        final MockFlowFile out = runOnce(input, ProfileMerge.REL_FAILURE);
        out.assertContentEquals(input);
        out.assertAttributeEquals(ProfileMerge.ERROR, "Record 2 has a value in 'field_updated_at.email' that is not a timestamp");
    }

    @Test
    void emptyInputGivesEmptyOutput() throws Exception {
        final MockFlowFile out = runOnce("[]", ProfileMerge.REL_SUCCESS);
        out.assertAttributeEquals("record.count", "0");
        out.assertAttributeEquals(ProfileMerge.PROFILES_OUT, "0");
        assertEquals(0, ((ArrayNode) MAPPER.readTree(out.getContent())).size());
    }

    @Test
    void invalidRulesAndLookupKeysAreRejected() {
        runner.setProperty("email", "newest");
        runner.assertNotValid();
        runner.setProperty("email", "source_priority:crm,shop");
        runner.assertValid();
        runner.setProperty(ProfileMerge.LOOKUP_SERVICE, "stored-profiles");
        runner.setProperty(ProfileMerge.LOOKUP_KEY, "customer_id");
        runner.assertNotValid();
        runner.setProperty(ProfileMerge.LOOKUP_KEY, "key");
        runner.assertValid();
    }
}
