package io.datasync.nifi.processors.common;

import io.datasync.nifi.common.SqlIdentifiers;
import org.apache.nifi.components.DescribedValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.processor.util.StandardValidators;

import java.util.concurrent.TimeUnit;

/**
 * The settings of a store read in batches from a database table or view through a DBCPService
 * (ConsentFilter's and ProfileMerge's Database store type), built in one place so that both
 * processors keep the same requirements, defaults and bounds. Each processor keeps its own
 * property names and descriptions (a name is the property's identity in saved flows); every
 * property depends on the processor's store type property having its Database value.
 */
public final class DatabaseStoreProperties {

    /** A table or view name, optionally schema-qualified, as {@link SqlIdentifiers#checkTable} accepts it; never echoes a bad one. */
    public static final Validator TABLE_NAME_VALIDATOR = (subject, input, context) -> result(subject, SqlIdentifiers.checkTable(input));

    /** A plain column name, as {@link SqlIdentifiers#checkColumn} accepts it; never echoes a bad one. */
    public static final Validator COLUMN_NAME_VALIDATOR = (subject, input, context) -> result(subject, SqlIdentifiers.checkColumn(input));

    private final PropertyDescriptor storeType;
    private final DescribedValue database;

    /**
     * @param storeType the processor's store type property
     * @param database its value selecting the database store
     */
    public DatabaseStoreProperties(final PropertyDescriptor storeType, final DescribedValue database) {
        this.storeType = storeType;
        this.database = database;
    }

    /** The Database Connection Pooling Service of the database holding the store. */
    public PropertyDescriptor connectionPool(final String name, final String description) {
        return databaseOnly(name, description)
                .identifiesControllerService(DBCPService.class)
                .build();
    }

    /** The table or view holding the store, one row per key. */
    public PropertyDescriptor tableName(final String name, final String description) {
        return databaseOnly(name, description)
                .addValidator(TABLE_NAME_VALIDATOR)
                .build();
    }

    /** The column compared with the keys. */
    public PropertyDescriptor keyColumn(final String name, final String description, final String defaultValue) {
        return databaseOnly(name, description)
                .defaultValue(defaultValue)
                .addValidator(COLUMN_NAME_VALIDATOR)
                .build();
    }

    /** How many keys one query asks for: 1 to 10,000, 500 by default. */
    public PropertyDescriptor batchSize(final String name, final String description) {
        return databaseOnly(name, description)
                .defaultValue("500")
                .addValidator(StandardValidators.createLongValidator(1, 10_000, true))
                .build();
    }

    /** How long one query may run: 0 seconds (no limit) to 1 hour, 30 seconds by default. */
    public PropertyDescriptor queryTimeout(final String name, final String description) {
        return databaseOnly(name, description)
                .defaultValue("30 sec")
                .addValidator(StandardValidators.createTimePeriodValidator(0, TimeUnit.SECONDS, 1, TimeUnit.HOURS))
                .build();
    }

    private PropertyDescriptor.Builder databaseOnly(final String name, final String description) {
        return new PropertyDescriptor.Builder()
                .name(name)
                .description(description)
                .required(true)
                .dependsOn(storeType, database);
    }

    private static ValidationResult result(final String subject, final String problem) {
        return new ValidationResult.Builder().subject(subject).valid(problem == null).explanation(problem).build();
    }
}
