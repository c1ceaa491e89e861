package io.datasync.nifi.audit;

import io.datasync.nifi.common.SqlIdentifiers;

/**
 * Where the stored profiles are: table and column names, each a validated plain SQL identifier (never quoted back in an
 * error), so they can be put into SQL text while every value stays a bound parameter.
 *
 * @param table the profile table or view, optionally schema-qualified
 * @param customerId the unique, indexed customer id column the pages are keyed on
 * @param subjectKey the column holding the consent subject key
 * @param email the email column: its value links profiles, and a profile without one is not in use
 * @param phone the phone column, or null when phones are not audited
 */
public record ProfileColumns(String table, String customerId, String subjectKey, String email, String phone) {

    public ProfileColumns {
        SqlIdentifiers.requireTable(table);
        SqlIdentifiers.requireColumn(customerId);
        SqlIdentifiers.requireColumn(subjectKey);
        SqlIdentifiers.requireColumn(email);
        if (phone != null) {
            SqlIdentifiers.requireColumn(phone);
        }
    }

    String selectList() {
        return customerId + ", " + subjectKey + ", " + email + (phone == null ? "" : ", " + phone);
    }
}
