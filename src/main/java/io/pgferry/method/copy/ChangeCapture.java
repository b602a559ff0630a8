package io.pgferry.method.copy;

/** Where method copy's changes after the snapshot come from. */
public enum ChangeCapture {
    /** A logical slot read with pgoutput: needs wal_level = logical and the REPLICATION attribute. */
    LOGICAL,
    /** Row triggers writing changed keys into change logs of the run: for sources that allow no logical replication. */
    TRIGGERS
}
