package io.datasync.nifi.e2e;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The templates' "Classify ... write failure" expression ({@link DatasyncChain#TRANSIENT_WRITE_ERROR}) against the
 * messages PutDatabaseRecord puts into putdatabaserecord.error with pgjdbc 42.7 and logServerErrorDetail=false.
 * Expression Language's find() is Java's Matcher.find() on the pattern, so the pattern is checked with it directly.
 */
class WriteFailureClassificationTest {

    private static final Pattern TRANSIENT = pattern();

    private static Pattern pattern() {
        final String expression = DatasyncChain.TRANSIENT_WRITE_ERROR;
        final String prefix = "${putdatabaserecord.error:find('";
        final String suffix = "')}";
        assertTrue(expression.startsWith(prefix) && expression.endsWith(suffix), expression);
        final String regex = expression.substring(prefix.length(), expression.length() - suffix.length());
        assertFalse(regex.contains("'") || regex.contains("\\"), "nothing the EL string literal would have to escape");
        return Pattern.compile(regex);
    }

    @Test
    void errorsALaterAttemptCanGetPastAreRetried() {
        for (final String message : List.of(
                "Batch entry 0 <unknown> was aborted: An I/O error occurred while sending to the backend.  Call getNextException to see other errors in the batch.",
                "This connection has been closed.",
                "Connection to 127.0.0.1:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.",
                "The connection attempt failed.",
                "Batch entry 3 <unknown> was aborted: ERROR: deadlock detected  Call getNextException to see other errors in the batch.",
                "ERROR: could not serialize access due to concurrent update",
                "ERROR: canceling statement due to statement timeout",
                "ERROR: canceling statement due to lock timeout",
                "ERROR: could not obtain lock on row in relation \"customer_profiles\"",
                "FATAL: terminating connection due to administrator command",
                "FATAL: the database system is starting up",
                "FATAL: the database system is shutting down",
                "FATAL: sorry, too many clients already",
                "FATAL: remaining connection slots are reserved for roles with the SUPERUSER attribute",
                "Cannot get a connection, pool error Timeout waiting for idle object, borrowMaxWaitDuration=PT0.5S",
                "Cannot create PoolableConnectionFactory (Connection to db.example.internal:5432 refused.)",
                "Read timed out")) {
            assertTrue(TRANSIENT.matcher(message).find(), message);
        }
    }

    @Test
    void errorsThatFailTheSameWayAgainAreParkedAtOnce() {
        for (final String message : List.of(
                "Batch entry 0 <unknown> was aborted: ERROR: duplicate key value violates unique constraint \"customer_profiles_subject_key_key\"  Call getNextException to see other errors in the batch.",
                "Batch entry 0 <unknown> was aborted: ERROR: new row for relation \"customer_profiles\" violates check constraint \"forced_failure\"  Call getNextException to see other errors in the batch.",
                "ERROR: value too long for type character varying(2)",
                "ERROR: null value in column \"updated_at\" of relation \"customer_profiles\" violates not-null constraint",
                "ERROR: insert or update on table \"x\" violates foreign key constraint \"x_fk\"",
                "ERROR: numeric field overflow",
                "ERROR: column \"nickname\" of relation \"customer_profiles\" does not exist",
                "ERROR: permission denied for table customer_profiles",
                "Unknown")) {
            assertFalse(TRANSIENT.matcher(message).find(), message);
        }
    }
}
