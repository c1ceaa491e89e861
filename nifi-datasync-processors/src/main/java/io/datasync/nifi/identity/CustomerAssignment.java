package io.datasync.nifi.identity;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The final view of a batch once every cluster has its id: clusters that turned out to carry the same
 * id (linked through the shared index rather than within the batch) are one customer. Answers, per
 * record, its customer id, whether it is a duplicate (not the customer's first record in reading
 * order) and whether it is the customer's surviving record.
 */
public final class CustomerAssignment {

    private final Clusters clusters;
    private final String[] idOfCustomer;
    private final int[] customerOfCluster;
    private final int[] firstRecordOfCustomer;
    private final int[] survivorOfCustomer;

    public CustomerAssignment(final Clusters clusters, final String[] idOfCluster) {
        this.clusters = clusters;
        final int clusterCount = clusters.clusterCount();
        customerOfCluster = new int[clusterCount];
        final Map<String, Integer> customerById = new HashMap<>();
        final int[] firstRecords = new int[clusterCount];
        final int[] survivors = new int[clusterCount];
        final long[] bestScores = new long[clusterCount];
        final String[] ids = new String[clusterCount];
        int customers = 0;
        // Clusters are ordered by their first record, so a customer's first cluster holds its first record.
        for (int cluster = 0; cluster < clusterCount; cluster++) {
            final Integer existing = customerById.get(idOfCluster[cluster]);
            if (existing == null) {
                customerById.put(idOfCluster[cluster], customers);
                ids[customers] = idOfCluster[cluster];
                firstRecords[customers] = clusters.firstRecordOf(cluster);
                survivors[customers] = clusters.survivorOf(cluster);
                bestScores[customers] = clusters.survivorScoreOf(cluster);
                customerOfCluster[cluster] = customers++;
            } else {
                customerOfCluster[cluster] = existing;
                final long score = clusters.survivorScoreOf(cluster);
                final int survivor = clusters.survivorOf(cluster);
                if (score > bestScores[existing] || (score == bestScores[existing] && survivor < survivors[existing])) {
                    bestScores[existing] = score;
                    survivors[existing] = survivor;
                }
            }
        }
        idOfCustomer = Arrays.copyOf(ids, customers);
        firstRecordOfCustomer = Arrays.copyOf(firstRecords, customers);
        survivorOfCustomer = Arrays.copyOf(survivors, customers);
    }

    public int recordCount() {
        return clusters.recordCount();
    }

    public int customerCount() {
        return idOfCustomer.length;
    }

    public String customerIdOf(final int record) {
        return idOfCustomer[customerOf(record)];
    }

    public boolean isDuplicate(final int record) {
        return firstRecordOfCustomer[customerOf(record)] != record;
    }

    public boolean isSurvivor(final int record) {
        return survivorOfCustomer[customerOf(record)] == record;
    }

    public boolean isSuspect(final int record) {
        return clusters.isSuspect(record);
    }

    private int customerOf(final int record) {
        return customerOfCluster[clusters.clusterOf(record)];
    }
}
