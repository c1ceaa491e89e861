package io.datasync.nifi.merge;

import java.util.Collection;
import java.util.Map;

/** Emptiness as the survivorship rules understand it. */
public final class Values {

    private Values() {
    }

    /** Null, a blank string, an empty array, collection or map: nothing a source really knows. */
    public static boolean isEmpty(final Object value) {
        if (value == null) {
            return true;
        }
        if (value instanceof CharSequence text) {
            return text.toString().isBlank();
        }
        if (value instanceof Object[] array) {
            return array.length == 0;
        }
        if (value instanceof Collection<?> collection) {
            return collection.isEmpty();
        }
        if (value instanceof Map<?, ?> map) {
            return map.isEmpty();
        }
        return false;
    }
}
