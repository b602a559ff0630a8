package io.pgferry.fault;

/**
 * The boundaries of the copy and apply paths where a test can make pgferry halt at once, as a
 * SIGKILL would: no finally block, no shutdown hook, no flush. Each is a place where a crash
 * must lose and duplicate nothing; the tests halt at each one with a writer running, resume,
 * and compare the full content of both databases.
 */
public enum FaultPoint {
    /** A flush group's rows are sent to the target, its origin move not yet. */
    APPLY_ROWS_SENT("apply.rows-sent"),
    /** The origin's move is set up in the target transaction, which is not yet committed. */
    APPLY_AFTER_ORIGIN_SETUP("apply.after-origin-setup"),
    /** The target transaction is committed, the slot not yet told. */
    APPLY_AFTER_COMMIT("apply.after-commit"),
    /** A schema change from the source ran in the apply transaction, which is not yet committed. */
    APPLY_DDL_RUN("apply.ddl-run"),
    /** Part of a table part's rows are on the target, in its uncommitted COPY. */
    COPY_MID_PART("copy.mid-part"),
    /** A post-data build is committed on the target, the ledger does not know yet. */
    BUILD_AFTER_COMMIT("build.after-commit"),
    /** The final post-data step's objects are on the target, the step not yet recorded as done. */
    FINAL_POST_DATA_APPLIED("post-data.final-applied"),
    /** Method copy: the schema-change capture is installed on the source, the slot not yet created. */
    COPY_CAPTURE_BEFORE_SLOT("copy.capture-before-slot"),
    /** Method logical: a schema change ran on the target, its mark (same transaction) not yet written. */
    LOGICAL_DDL_RUN("logical.ddl-run"),
    /** Trigger capture: a batch is committed on the target, its log rows not yet purged on the source. */
    CAPTURE_APPLIED_NOT_PURGED("capture.applied-not-purged");

    private final String id;

    FaultPoint(String id) {
        this.id = id;
    }

    /** The name a test gives in {@code PGFERRY_TEST_HALT_AT}. */
    public String id() {
        return id;
    }

    static FaultPoint byId(String id) {
        for (FaultPoint p : values()) {
            if (p.id.equals(id)) {
                return p;
            }
        }
        return null;
    }
}
