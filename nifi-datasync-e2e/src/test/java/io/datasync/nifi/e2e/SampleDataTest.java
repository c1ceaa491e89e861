package io.datasync.nifi.e2e;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleDataTest {

    private final SampleData data = SampleData.generate(42L, 40);

    @Test
    void sameSeedSameData() {
        final SampleData again = SampleData.generate(42L, 40);
        assertEquals(data.crmRecords(), again.crmRecords());
        assertEquals(data.ftpRecords(), again.ftpRecords());
        assertEquals(data.expectedProfiles(), again.expectedProfiles());
        assertNotEquals(data.crmRecords(), SampleData.generate(7L, 40).crmRecords());
    }

    @Test
    void subjectKeyNormalizesCaseAndGmailVariants() {
        assertEquals("adanovak1@gmail.com", SampleData.subjectKey(" Ada.Novak1+Shop@GoogleMail.com "));
        assertEquals("ada.novak1@example.com", SampleData.subjectKey("ADA.NOVAK1@EXAMPLE.COM"));
        assertEquals("+447700900012", SampleData.e164("07700 900012"));
        assertEquals("+447700900012", SampleData.e164("+44 7700 900012"));
    }

    @Test
    void sourcesHoldDuplicatesWrittenDifferently() {
        final Map<String, Set<String>> spellingsBySubject = java.util.stream.Stream.concat(data.crmRecords().stream(), data.ftpRecords().stream())
                .filter(r -> r.email() != null)
                .collect(Collectors.groupingBy(SampleData.SourceRecord::trueSubjectKey, Collectors.mapping(SampleData.SourceRecord::email, Collectors.toSet())));
        assertTrue(spellingsBySubject.values().stream().anyMatch(s -> s.size() > 1), "some customer is written in several ways");
        spellingsBySubject.forEach((subject, spellings) -> spellings.forEach(spelling ->
                assertEquals(subject, SampleData.subjectKey(spelling), "every spelling normalises to its true subject")));
        assertTrue(data.ftpRecords().stream().anyMatch(r -> r.email().contains("+shop") && r.email().endsWith("@googlemail.com")));
        assertTrue(data.crmRecords().stream().anyMatch(r -> r.phone() == null && r.firstName() == null), "partial updates exist");
    }

    @Test
    void truthFollowsConsent() {
        final Map<String, SampleData.ExpectedProfile> profiles = data.expectedProfiles();
        final long granted = data.customers().stream().filter(c -> "GRANTED".equals(c.consentStatus())).count();
        assertEquals(granted, profiles.size());
        assertFalse(data.expectedSuppressions().isEmpty());
        assertTrue(data.customers().stream().anyMatch(c -> "MISSING".equals(c.consentStatus())));
        for (final String subject : data.subjectsWithoutConsent()) {
            assertFalse(profiles.containsKey(subject));
        }
        data.expectedSuppressions().keySet().forEach(subject -> assertTrue(data.subjectsWithoutConsent().contains(subject)));
        assertEquals(Set.copyOf(data.expectedSuppressions().keySet()), data.consentRows().stream()
                .filter(r -> "WITHDRAWN".equals(r.status())).map(SampleData.ConsentRow::subjectKey).collect(Collectors.toSet()));
    }

    @Test
    void lateRecordCountsInTheTruth() {
        final SampleData.SourceRecord late = data.lateRecord();
        final SampleData.ExpectedProfile profile = data.expectedProfiles().get(late.trueSubjectKey());
        assertTrue(List.of(profile.tags().split("\\|")).contains("late"));
        assertTrue(late.updatedAt().isBefore(data.crmRecords().getLast().updatedAt()), "late record is timestamped in the past");
    }

    @Test
    void partialUpdateWinsOnlyForTheFieldsItCarries() {
        final SampleData.SourceRecord update = data.crmRecords().stream()
                .filter(r -> r.phone() == null && r.firstName() == null && r.city() != null).findFirst().orElseThrow();
        final SampleData.ExpectedProfile profile = data.expectedProfiles().get(update.trueSubjectKey());
        if (profile != null) {
            assertEquals(update.city(), profile.city());
            assertEquals(update.lifetimeValue(), profile.lifetimeValue());
            assertTrue(profile.firstName() != null && profile.phone() != null, "fields absent from the update keep older values");
        }
    }

    /**
     * The XML drops hold the CSV drops' records, file for file and field for field: parsed by the JDK's XML parser
     * (not the generator) and compared with the CSV lines split on commas; an empty CSV cell is an absent element.
     */
    @Test
    void xmlDropsHoldTheCsvDropsRecords() throws Exception {
        final Map<String, String> csv = data.ftpCsvFiles(3);
        final Map<String, String> xml = data.ftpXmlFiles(3);
        assertEquals(List.of("contacts-001.xml", "contacts-002.xml", "contacts-003.xml"), List.copyOf(xml.keySet()));
        final String[] columns = SampleData.CSV_HEADER.split(",");
        int records = 0;
        for (int f = 1; f <= 3; f++) {
            final List<String> lines = List.of(csv.get(String.format("contacts-%03d.csv", f)).split("\n"));
            final org.w3c.dom.Document document = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new java.io.ByteArrayInputStream(xml.get(String.format("contacts-%03d.xml", f)).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertEquals("contacts", document.getDocumentElement().getTagName());
            final org.w3c.dom.NodeList contacts = document.getElementsByTagName("contact");
            assertEquals(lines.size() - 1, contacts.getLength(), "one <contact> per CSV row");
            for (int r = 0; r < contacts.getLength(); r++) {
                final String[] cells = lines.get(r + 1).split(",", -1);
                final org.w3c.dom.Element contact = (org.w3c.dom.Element) contacts.item(r);
                for (int c = 0; c < columns.length; c++) {
                    final org.w3c.dom.NodeList element = contact.getElementsByTagName(columns[c]);
                    if (cells[c].isEmpty()) {
                        assertEquals(0, element.getLength(), columns[c] + " absent where the CSV cell is empty");
                    } else {
                        assertEquals(1, element.getLength(), columns[c]);
                        assertEquals(cells[c], element.item(0).getTextContent(), columns[c]);
                    }
                }
                records++;
            }
        }
        assertEquals(data.ftpRecords().size(), records);
    }
}
