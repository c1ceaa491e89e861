package io.datasync.nifi.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.datasync.nifi.identity.testdata.MultinationalCustomers;
import io.datasync.nifi.identity.testdata.MultinationalCustomers.Row;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Normalized Phone Field and Unnormalized Phone Field: the stored phone is the E.164 truth, decided
 * per record in its own region; what cannot be normalised is kept as written, apart, and never links.
 * The oracle is the generator's truth (it builds each number from country code and national number,
 * then writes it in national and international forms), plus a table of numbers from issue 22.
 */
class CustomerDedupPhoneWriteBackTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static TestRunner runner(final String normalizedField, final String unnormalizedField) throws Exception {
        final TestRunner runner = TestRunners.newTestRunner(CustomerDedup.class);
        JsonRecordServices.configure(runner, CustomerDedup.RECORD_READER.getName(), CustomerDedup.RECORD_WRITER.getName());
        runner.setProperty("email", "/emails");
        runner.setProperty("phone", "/phone");
        runner.setProperty(CustomerDedup.EMAIL_RECORD_PATHS, "/emails");
        runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone");
        runner.setProperty(CustomerDedup.DEFAULT_PHONE_REGION, "GB");
        runner.setProperty(CustomerDedup.PHONE_REGION_RECORD_PATH, "/country");
        if (normalizedField != null) {
            runner.setProperty(CustomerDedup.NORMALIZED_PHONE_FIELD, normalizedField);
        }
        if (unnormalizedField != null) {
            runner.setProperty(CustomerDedup.UNNORMALIZED_PHONE_FIELD, unnormalizedField);
        }
        return runner;
    }

    private static List<JsonNode> run(final TestRunner runner, final String json) throws Exception {
        runner.enqueue(json);
        runner.run();
        runner.assertAllFlowFilesTransferred(CustomerDedup.REL_SUCCESS, 1);
        final MockFlowFile out = runner.getFlowFilesForRelationship(CustomerDedup.REL_SUCCESS).get(0);
        final List<JsonNode> records = new ArrayList<>();
        MAPPER.readTree(out.getContent()).forEach(records::add);
        return records;
    }

    private static String record(final String id, final String phone, final String country) {
        return "{\"source_id\":\"" + id + "\",\"emails\":[\"" + id + "@example.org\"],\"phone\":" + (phone == null ? "null" : MAPPER.valueToTree(phone))
                + ",\"country\":" + (country == null ? "null" : "\"" + country + "\"") + "}";
    }

    @Test
    void numbersFromIssue22AreStoredAsTheirE164Truth() throws Exception {
        final String[][] cases = {
            // written, country, E.164 truth
            {"030/2581787", "DE", "+49302581787"},
            {"01 11 69 07 87", "FR", "+33111690787"},
            {"+44 (0)20 2047 9600", "GB", "+442020479600"},
            {"(415) 239-4817", "US-CA", "+14152394817"},
            {"415.239.4817", "USA", "+14152394817"},
            {"(11) 97315-2048", "Brasil", "+5511973152048"},
            {"0049 30 2581787", "FR", "+49302581787"},
            {"020 7946 0123", null, "+442079460123"},
        };
        final TestRunner runner = runner("phone", "phone_as_written");
        final StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < cases.length; i++) {
            json.append(i == 0 ? "" : ",").append(record("r" + i, cases[i][0], cases[i][1]));
        }
        final List<JsonNode> out = run(runner, json.append(']').toString());
        for (int i = 0; i < cases.length; i++) {
            assertEquals(cases[i][2], out.get(i).get("phone").asText(), cases[i][0] + " in " + cases[i][1]);
            assertTrue(out.get(i).get("phone_as_written").isNull(), cases[i][0]);
        }
        // The two written forms of the same US number are one key: one customer.
        assertEquals(out.get(3).get("customer_id").asText(), out.get(4).get("customer_id").asText());
    }

    @Test
    void aFlowSavedWithTheOldPropertyNamesIsMigratedAndStillWritesThePhoneBack() throws Exception {
        final TestRunner runner = runner(null, null);
        // As a flow saved before 0.3.0 holds them; unmigrated they would be two dynamic properties, i.e. match rules.
        runner.setProperty(CustomerDedup.OBSOLETE_NORMALIZED_PHONE_FIELD, "phone");
        runner.setProperty(CustomerDedup.OBSOLETE_UNNORMALIZED_PHONE_FIELD, "phone_as_written");
        final org.apache.nifi.util.PropertyMigrationResult result = runner.migrateProperties();
        assertEquals(java.util.Map.of(CustomerDedup.OBSOLETE_NORMALIZED_PHONE_FIELD, CustomerDedup.NORMALIZED_PHONE_FIELD.getName(),
                CustomerDedup.OBSOLETE_UNNORMALIZED_PHONE_FIELD, CustomerDedup.UNNORMALIZED_PHONE_FIELD.getName()), result.getPropertiesRenamed());
        assertEquals("phone", runner.getProcessContext().getProperty(CustomerDedup.NORMALIZED_PHONE_FIELD).getValue());
        assertEquals("phone_as_written", runner.getProcessContext().getProperty(CustomerDedup.UNNORMALIZED_PHONE_FIELD).getValue());
        assertTrue(runner.getProcessContext().getProperties().keySet().stream()
                .noneMatch(descriptor -> descriptor.getName().startsWith("Normalised") || descriptor.getName().startsWith("Unnormalised")));
        final List<JsonNode> out = run(runner, "[" + record("a", "030/2581787", "DE") + "," + record("b", "n/a", "DE") + "]");
        assertEquals("+49302581787", out.get(0).get("phone").asText());
        assertEquals("n/a", out.get(1).get("phone_as_written").asText());
    }

    @Test
    void aFlowHoldingBothTheOldAndTheNewNamesKeepsTheNewNamesValuesAndDropsTheOldNames() throws Exception {
        final TestRunner runner = runner("phone", "phone_as_written");
        // Edited by hand after the rename: the new names set, the old ones left behind with other values.
        runner.setProperty(CustomerDedup.OBSOLETE_NORMALIZED_PHONE_FIELD, "phone_old");
        runner.setProperty(CustomerDedup.OBSOLETE_UNNORMALIZED_PHONE_FIELD, "phone_as_written_old");
        final org.apache.nifi.util.PropertyMigrationResult result = runner.migrateProperties();
        assertEquals("phone", runner.getProcessContext().getProperty(CustomerDedup.NORMALIZED_PHONE_FIELD).getValue());
        assertEquals("phone_as_written", runner.getProcessContext().getProperty(CustomerDedup.UNNORMALIZED_PHONE_FIELD).getValue());
        assertEquals(java.util.Set.of(CustomerDedup.OBSOLETE_NORMALIZED_PHONE_FIELD, CustomerDedup.OBSOLETE_UNNORMALIZED_PHONE_FIELD),
                result.getPropertiesRemoved());
        // Left behind, an old name would be a dynamic property: a third match rule.
        assertEquals(List.of("email", "phone"), runner.getProcessContext().getProperties().keySet().stream()
                .filter(PropertyDescriptor::isDynamic).map(PropertyDescriptor::getName).sorted().toList());
        final List<JsonNode> out = run(runner, "[" + record("a", "030/2581787", "DE") + "," + record("b", "n/a", "DE") + "]");
        assertEquals("+49302581787", out.get(0).get("phone").asText());
        assertEquals("n/a", out.get(1).get("phone_as_written").asText());
        assertFalse(out.get(0).has("phone_old") || out.get(1).has("phone_as_written_old"), out.toString());
    }

    @Test
    void anOldNameIsStillMigratedWhenTheNewNameIsPresentButEmpty() {
        // The process context lists every supported property, the unset new names too, with no value.
        final TestRunner runner = TestRunners.newTestRunner(CustomerDedup.class);
        runner.setProperty(CustomerDedup.OBSOLETE_NORMALIZED_PHONE_FIELD, "phone");
        runner.migrateProperties();
        assertEquals("phone", runner.getProcessContext().getProperty(CustomerDedup.NORMALIZED_PHONE_FIELD).getValue());
        assertFalse(runner.getProcessContext().getProperties().keySet().stream()
                .anyMatch(descriptor -> descriptor.getName().equals(CustomerDedup.OBSOLETE_NORMALIZED_PHONE_FIELD)));
    }

    @Test
    void unusableAndPlaceholderPhonesAreKeptAsWrittenAndNeverLink() throws Exception {
        final TestRunner runner = runner("phone_e164", "phone_as_written");
        final List<JsonNode> out = run(runner, "[" + String.join(",",
                record("a", "n/a", "GB"), record("b", "n/a", "GB"),
                record("c", "000-000-0000", "US"), record("d", "000-000-0000", "US"),
                record("e", "12", "DE"), record("f", "  ", "FR"), record("g", null, "FR")) + "]");
        assertEquals("n/a", out.get(0).get("phone_as_written").asText());
        assertEquals("000-000-0000", out.get(2).get("phone_as_written").asText());
        assertEquals("12", out.get(4).get("phone_as_written").asText());
        for (final JsonNode record : out) {
            assertTrue(record.get("phone_e164").isNull(), record.toString());
        }
        assertTrue(out.get(5).get("phone_as_written").isNull(), "blank is absent, not a value");
        assertTrue(out.get(6).get("phone_as_written").isNull());
        // The phone field itself is untouched when another field receives the normalised value.
        assertEquals("000-000-0000", out.get(3).get("phone").asText());
        assertFalse(out.get(0).get("customer_id").asText().equals(out.get(1).get("customer_id").asText()), "a shared placeholder links nobody");
        assertFalse(out.get(2).get("customer_id").asText().equals(out.get(3).get("customer_id").asText()), "a shared placeholder links nobody");
    }

    @Test
    void theFirstValueThatQualifiesWinsAcrossPhonePaths() throws Exception {
        final TestRunner runner = runner("phone_e164", "phone_as_written");
        runner.setProperty("mobile", "/mobile");
        runner.setProperty(CustomerDedup.PHONE_RECORD_PATHS, "/phone,/mobile");
        final List<JsonNode> out = run(runner, "["
                + "{\"source_id\":\"a\",\"emails\":[\"a@example.org\"],\"phone\":\"n/a\",\"mobile\":\"0151 4826 1937\",\"country\":\"Deutschland\"},"
                + "{\"source_id\":\"b\",\"emails\":[\"b@example.org\"],\"phone\":\"030/2581787\",\"mobile\":\"0151 4826 1937\",\"country\":\"DE\"},"
                + "{\"source_id\":\"c\",\"emails\":[\"c@example.org\"],\"phone\":\"12\",\"mobile\":\"n/a\",\"country\":\"DE\"}]");
        assertEquals("+4915148261937", out.get(0).get("phone_e164").asText(), "a placeholder first, then a number");
        assertTrue(out.get(0).get("phone_as_written").isNull());
        assertEquals("+49302581787", out.get(1).get("phone_e164").asText(), "the first path's number");
        assertTrue(out.get(2).get("phone_e164").isNull());
        assertEquals("12", out.get(2).get("phone_as_written").asText(), "none qualifies: the first value as written");
        assertEquals(out.get(0).get("customer_id").asText(), out.get(1).get("customer_id").asText(), "the shared mobile links a and b");
    }

    @Test
    void theFieldsAreSetTogetherAndNeedPhonePaths() throws Exception {
        final TestRunner runner = runner("phone", null);
        runner.assertNotValid();
        runner.setProperty(CustomerDedup.UNNORMALIZED_PHONE_FIELD, "phone");
        runner.assertNotValid();
        runner.setProperty(CustomerDedup.UNNORMALIZED_PHONE_FIELD, "phone_as_written");
        runner.assertValid();
        runner.setProperty(CustomerDedup.UNNORMALIZED_PHONE_FIELD, "customer_id");
        runner.assertNotValid();
        runner.removeProperty(CustomerDedup.NORMALIZED_PHONE_FIELD);
        runner.removeProperty(CustomerDedup.UNNORMALIZED_PHONE_FIELD);
        runner.assertValid();
    }

    @Test
    void withoutTheFieldsPhonesAreWrittenAsTheyCame() throws Exception {
        final TestRunner runner = runner(null, null);
        final List<JsonNode> out = run(runner, "[" + record("a", "030/2581787", "DE") + "]");
        assertEquals("030/2581787", out.get(0).get("phone").asText());
        assertFalse(out.get(0).has("phone_as_written"));
    }

    @Property(tries = 15)
    void storedPhoneIsTheGeneratedTruth(@ForAll @LongRange(min = 1, max = 1_000_000) final long seed) throws Exception {
        final List<Row> rows = new MultinationalCustomers(seed).generate(60);
        final TestRunner runner = runner("phone", "phone_as_written");
        final StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < rows.size(); i++) {
            json.append(i == 0 ? "" : ",").append(rows.get(i).toJson());
        }
        final Map<String, JsonNode> bySourceId = new HashMap<>();
        for (final JsonNode record : run(runner, json.append(']').toString())) {
            bySourceId.put(record.get("source_id").asText(), record);
        }
        for (final Row row : rows) {
            final JsonNode out = bySourceId.get(row.sourceId());
            final String truth = row.phone() == null ? null : truthOf(row);
            final String context = "seed " + seed + ", " + row.phone() + " in " + row.country();
            if (truth != null) {
                assertEquals(truth, out.get("phone").asText(), context);
                assertTrue(out.get("phone_as_written").isNull(), context);
            } else {
                assertTrue(out.get("phone").isNull(), context);
                if (row.phone() == null) {
                    assertTrue(out.get("phone_as_written").isNull(), context);
                } else {
                    assertEquals(row.phone(), out.get("phone_as_written").asText(), context);
                }
            }
        }
    }

    /**
     * The generator's canonical phone of the row (its canonical identifiers starting with '+'), or null for a placeholder.
     */
    private static String truthOf(final Row row) {
        for (final String canonical : row.canonical()) {
            if (canonical.startsWith("+")) {
                return canonical;
            }
        }
        return null;
    }
}
