package io.datasync.nifi.identity;

/**
 * Decides whether CustomerDedup may keep a FlowFile's parsed records between its two passes, which
 * saves reading the content again. Holding them costs heap: parsed records take several times their
 * serialised size, so the decision weighs both the record count the user allows and an estimate of
 * the heap the FlowFile's records would take against a share of the JVM's heap.
 *
 * @param maximumRecords records a FlowFile may have and still be held (0: never hold)
 * @param maximumHeapBytes heap the held records of one FlowFile may take
 */
public record HeldRecordsBudget(int maximumRecords, long maximumHeapBytes) {

    /**
     * Heap taken by parsed records per byte of content. Measured with the stock JsonTreeReader on
     * generated customer records (about 530 bytes of JSON each): 4.4 KB of heap per held record.
     */
    public static final int HEAP_BYTES_PER_CONTENT_BYTE = 10;

    /** Whether records of a FlowFile of this size may be held at all. */
    public boolean mayHold(final long contentBytes) {
        return maximumRecords > 0 && contentBytes <= maximumHeapBytes / HEAP_BYTES_PER_CONTENT_BYTE;
    }

    /** Whether one more record may be held when this many are. */
    public boolean mayHoldMore(final int heldRecords) {
        return heldRecords < maximumRecords;
    }
}
