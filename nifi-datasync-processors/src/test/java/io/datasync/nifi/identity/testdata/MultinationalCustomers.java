package io.datasync.nifi.identity.testdata;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Generates customer records from the US, Germany, France, the UK and Brazil with known answers:
 * which person each record describes, and the canonical form of each identifier it carries (worked
 * out here from the way the value was written, without libphonenumber or the product's normalisers).
 *
 * <p>Each person has one or two e-mail addresses and usually a phone number; each of the person's
 * records carries some of them, written in varying forms (national, international, punctuated phone
 * numbers; upper case, spaces, Gmail dots, +tags and googlemail.com), and consecutive records share
 * at least one identifier, so every person is connected. Some people are linked only through a chain
 * email -> phone -> second email. Placeholder traps (noreply and test addresses, n/a, repeated and
 * sequential digits) are added to records of unrelated people, and some records carry nothing usable
 * at all (each such record is a person of its own). Distinct people never share a real identifier.</p>
 */
public final class MultinationalCustomers {

    public static final List<String> COUNTRIES = List.of("US", "DE", "FR", "GB", "BR");

    /**
     * One generated record. {@code emails} and {@code phone} are as written; {@code canonical} holds the
     * canonical identifiers (e-mail addresses lower-cased with Gmail rules, phones as +<country><number>).
     */
    public record Row(int person, String sourceId, List<String> emails, String phone, String country, String name,
                      Set<String> canonical) {

        public String toJson() {
            final StringBuilder json = new StringBuilder("{\"source\":\"gen\",\"source_id\":\"").append(sourceId).append("\",\"emails\":[");
            for (int i = 0; i < emails.size(); i++) {
                json.append(i == 0 ? "" : ",").append(quote(emails.get(i)));
            }
            json.append("],\"phone\":").append(phone == null ? "null" : quote(phone));
            json.append(",\"country\":").append(country == null ? "null" : quote(country));
            json.append(",\"name\":").append(quote(name)).append('}');
            return json.toString();
        }

        private static String quote(final String text) {
            return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
    }

    private static final String[] FIRST = {"anna", "ben", "clara", "david", "emma", "felix", "gabriel", "hanna", "ines", "jonas",
        "karla", "leon", "maria", "noah", "olivia", "paul", "quentin", "rosa", "samuel", "tina", "ugo", "vera", "william", "yara", "zoe"};
    private static final String[] LAST = {"smith", "mueller", "martin", "jones", "silva", "schmidt", "bernard", "taylor", "santos",
        "fischer", "dubois", "brown", "oliveira", "weber", "moreau", "wilson", "souza", "wagner", "laurent", "evans"};

    private static final String[] EMAIL_TRAPS = {"noreply@example.com", "NoReply@Example.com", "no-reply@shop.example", "test@example.com",
        "TEST@example.com", "n/a", "none", "unknown", "null"};
    private static final String[] PHONE_TRAPS = {"0000000000", "+1 555 555 5555", "1234567890", "n/a", "000-000-0000", "+44 7777 777777",
        "unknown", "9999999999"};

    private final Random random;
    private final Set<String> usedPhones = new HashSet<>();
    private int sourceIds;

    public MultinationalCustomers(final long seed) {
        this.random = new Random(seed);
    }

    /**
     * @param people number of people with usable identifiers (keyless records come on top, about 3%)
     */
    public List<Row> generate(final int people) {
        final List<Row> rows = new ArrayList<>();
        for (int person = 0; person < people; person++) {
            rows.addAll(person(person));
        }
        final int keyless = Math.max(1, people * 3 / 100);
        for (int i = 0; i < keyless; i++) {
            final int person = people + i;
            final List<String> emails = new ArrayList<>();
            emails.add(pick(EMAIL_TRAPS));
            rows.add(new Row(person, nextSourceId(), emails, pick(PHONE_TRAPS), pick(COUNTRIES), name(person), Set.of()));
        }
        return rows;
    }

    private List<Row> person(final int person) {
        final String country = COUNTRIES.get(random.nextInt(COUNTRIES.size()));
        final String first = pick(FIRST);
        final String last = pick(LAST);
        final String name = first + " " + last;

        final List<Email> emails = new ArrayList<>();
        emails.add(email(first, last, person, 1));
        final boolean chain = random.nextInt(6) == 0;
        if (chain || random.nextInt(4) == 0) {
            emails.add(email(last, first, person, 2));
        }
        final Phone phone = chain || random.nextInt(10) < 8 ? phone(country) : null;

        // Identifier slots: 0 = first email, 1 = phone, 2 = second email.
        final List<Set<Integer>> recordSlots = new ArrayList<>();
        if (chain) {
            // Ordered sets: Set.of iterates in an order that changes from JVM to JVM, and so would the random draws below.
            recordSlots.add(new LinkedHashSet<>(List.of(0)));
            recordSlots.add(new LinkedHashSet<>(List.of(0, 1)));
            recordSlots.add(new LinkedHashSet<>(List.of(1, 2)));
        } else {
            final List<Integer> available = new ArrayList<>(List.of(0));
            if (phone != null) {
                available.add(1);
            }
            if (emails.size() > 1) {
                available.add(2);
            }
            final int count = 1 + random.nextInt(4);
            Set<Integer> previous = null;
            for (int i = 0; i < count; i++) {
                final Set<Integer> slots = new LinkedHashSet<>();
                if (previous != null) {
                    final List<Integer> shared = new ArrayList<>(previous);
                    slots.add(shared.get(random.nextInt(shared.size())));
                }
                for (final int slot : available) {
                    if (random.nextInt(2) == 0) {
                        slots.add(slot);
                    }
                }
                if (slots.isEmpty()) {
                    slots.add(available.get(random.nextInt(available.size())));
                }
                recordSlots.add(slots);
                previous = slots;
            }
        }

        final List<Row> rows = new ArrayList<>();
        for (final Set<Integer> slots : recordSlots) {
            final List<String> written = new ArrayList<>();
            final Set<String> canonical = new HashSet<>();
            String phoneWritten = null;
            final String countryWritten = countryForm(country);
            for (final int slot : slots) {
                if (slot == 1) {
                    phoneWritten = phone.written(random, countryWritten != null);
                    canonical.add(phone.canonical());
                } else {
                    final Email email = emails.get(slot == 0 ? 0 : 1);
                    written.add(email.written(random));
                    canonical.add(email.canonical());
                }
            }
            if (random.nextInt(20) == 0) {
                written.add(pick(EMAIL_TRAPS));
            }
            if (phoneWritten == null && random.nextInt(15) == 0) {
                phoneWritten = pick(PHONE_TRAPS);
            }
            rows.add(new Row(person, nextSourceId(), written, phoneWritten, countryWritten, name, Set.copyOf(canonical)));
        }
        return rows;
    }

    private String nextSourceId() {
        return "S-" + (++sourceIds);
    }

    private String name(final int person) {
        return pick(FIRST) + " " + pick(LAST) + " " + person;
    }

    private String pick(final String[] values) {
        return values[random.nextInt(values.length)];
    }

    private String pick(final List<String> values) {
        return values.get(random.nextInt(values.size()));
    }

    /**
     * The country as feeds write it; null (missing) in one record out of ten.
     */
    private String countryForm(final String country) {
        if (random.nextInt(10) == 0) {
            return null;
        }
        final List<String> forms = switch (country) {
            case "US" -> List.of("US", "USA", "United States", "US-CA", "us-ny", "U.S.A.");
            case "DE" -> List.of("DE", "Germany", "Deutschland", "DEU", "de-by");
            case "FR" -> List.of("FR", "France", "FRA", "fr");
            case "GB" -> List.of("GB", "UK", "United Kingdom", "GB-ENG", "Great Britain");
            case "BR" -> List.of("BR", "Brazil", "Brasil", "BRA", "BR-SP");
            default -> throw new IllegalStateException(country);
        };
        return pick(forms);
    }

    // ---- e-mail ----

    private record Email(String local, String domain) {
        String canonical() {
            if (domain.equals("gmail.com") || domain.equals("googlemail.com")) {
                return local.replace(".", "") + "@gmail.com";
            }
            return local + "@" + domain;
        }

        String written(final Random random) {
            String localPart = local;
            String domainPart = domain;
            if (domain.equals("gmail.com") || domain.equals("googlemail.com")) {
                switch (random.nextInt(4)) {
                    case 0 -> localPart = local.replace(".", "");
                    case 1 -> localPart = local + "+shop";
                    case 2 -> domainPart = domain.equals("gmail.com") ? "googlemail.com" : "gmail.com";
                    default -> {
                    }
                }
            }
            String text = localPart + "@" + domainPart;
            switch (random.nextInt(4)) {
                case 0 -> text = text.toUpperCase(Locale.ROOT);
                case 1 -> text = " " + text + " ";
                case 2 -> text = Character.toUpperCase(text.charAt(0)) + text.substring(1);
                default -> {
                }
            }
            return text;
        }
    }

    private Email email(final String first, final String last, final int person, final int ordinal) {
        final String[] domains = {"gmail.com", "googlemail.com", "web.de", "orange.fr", "yahoo.co.uk", "uol.com.br", "outlook.com", "gmx.de"};
        // The person number and ordinal end the local part: canonical addresses of different people never collide.
        return new Email(first + "." + last + person + "x" + ordinal, domains[random.nextInt(domains.length)]);
    }

    // ---- phone ----

    /**
     * @param countryCode  e.g. "49"
     * @param national     national significant number (no trunk prefix)
     * @param trunk        the national trunk prefix ("0" in DE, FR, GB; "" in US, BR)
     * @param groups       how the national significant number is grouped when written
     */
    private record Phone(String countryCode, String national, String trunk, int[] groups) {
        String canonical() {
            return "+" + countryCode + national;
        }

        String written(final Random random, final boolean countryKnown) {
            final String grouped = group(" ");
            // National forms only where the record names its country; otherwise the number carries its country code.
            final int form = countryKnown ? random.nextInt(6) : 3 + random.nextInt(2);
            return switch (form) {
                case 0 -> trunk + grouped;
                case 1 -> trunk.isEmpty() ? "(" + national.substring(0, groups[0]) + ") " + group("-").substring(groups[0] + 1)
                        : "(" + trunk + national.substring(0, groups[0]) + ") " + group("-").substring(groups[0] + 1);
                case 2 -> trunk + national;
                case 3 -> "+" + countryCode + " " + grouped;
                case 4 -> "+" + countryCode + national;
                // 00 is the international prefix in DE, FR and GB; the US dials 011 and Brazil 00 plus a carrier code.
                default -> (countryCode.equals("1") || countryCode.equals("55") ? "+" + countryCode + "-" : "00" + countryCode + " ") + group("-");
            };
        }

        private String group(final String separator) {
            final StringBuilder text = new StringBuilder();
            int position = 0;
            for (final int size : groups) {
                if (position > 0) {
                    text.append(separator);
                }
                text.append(national, position, Math.min(national.length(), position + size));
                position += size;
            }
            if (position < national.length()) {
                text.append(national.substring(position));
            }
            return text.toString();
        }
    }

    private Phone phone(final String country) {
        for (int attempt = 0; attempt < 1000; attempt++) {
            final Phone phone = switch (country) {
                case "US" -> new Phone("1", pick(List.of("212", "415", "650", "312", "617", "206", "305", "404", "713", "303"))
                        + (2 + random.nextInt(8)) + digits(2) + digits(4), "", new int[] {3, 3, 4});
                case "DE" -> random.nextBoolean()
                        ? new Phone("49", pick(List.of("30", "40", "89")) + (1 + random.nextInt(9)) + digits(6 + random.nextInt(2)), "0", new int[] {2, 4, 4})
                        : new Phone("49", pick(List.of("151", "160", "170", "176")) + digits(8), "0", new int[] {3, 4, 4});
                case "FR" -> new Phone("33", (1 + random.nextInt(7)) + digits(8), "0", new int[] {1, 2, 2, 2, 2});
                case "GB" -> random.nextBoolean()
                        ? new Phone("44", "7" + (1 + random.nextInt(9)) + digits(8), "0", new int[] {4, 6})
                        : new Phone("44", "20" + (3 + random.nextInt(5)) + digits(7), "0", new int[] {2, 4, 4});
                case "BR" -> random.nextBoolean()
                        ? new Phone("55", pick(List.of("11", "21", "31", "41", "51", "61")) + "9" + digits(8), "", new int[] {2, 5, 4})
                        : new Phone("55", pick(List.of("11", "21", "31", "41", "51", "61")) + (2 + random.nextInt(4)) + digits(7), "", new int[] {2, 4, 4});
                default -> throw new IllegalStateException(country);
            };
            if (!looksLikePlaceholder(phone.national()) && usedPhones.add(phone.canonical())) {
                return phone;
            }
        }
        throw new IllegalStateException("no unused phone number");
    }

    /**
     * Real numbers never consist of one repeated digit or one run: leave those to the traps.
     */
    private static boolean looksLikePlaceholder(final String national) {
        final String tail = national.substring(Math.min(3, national.length() - 6));
        boolean repeated = true;
        boolean up = true;
        boolean down = true;
        for (int i = 1; i < tail.length(); i++) {
            final int step = tail.charAt(i) - tail.charAt(i - 1);
            repeated &= step == 0;
            up &= step == 1;
            down &= step == -1;
        }
        return repeated || up || down;
    }

    private String digits(final int count) {
        final StringBuilder digits = new StringBuilder(count);
        for (int i = 0; i < count; i++) {
            digits.append(random.nextInt(10));
        }
        return digits.toString();
    }
}
