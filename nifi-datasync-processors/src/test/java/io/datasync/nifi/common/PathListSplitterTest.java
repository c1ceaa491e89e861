package io.datasync.nifi.common;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PathListSplitterTest {

    @Test
    void splitsAtTopLevelCommas() {
        assertEquals(List.of("/last_name", "/first_name", "/postcode"), PathListSplitter.split(" /last_name , /first_name,/postcode "));
    }

    @Test
    void keepsCommasInsideFunctionsPredicatesAndQuotes() {
        assertEquals(List.of("concat(/first, ' ', /last)", "/emails[0, 1]", "/a[. = 'x,y']"),
                PathListSplitter.split("concat(/first, ' ', /last), /emails[0, 1], /a[. = 'x,y']"));
    }

    @Test
    void emptyInputGivesNoPaths() {
        assertEquals(List.of(), PathListSplitter.split(null));
        assertEquals(List.of(), PathListSplitter.split(" , "));
    }
}
