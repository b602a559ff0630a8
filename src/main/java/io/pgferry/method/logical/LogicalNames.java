package io.pgferry.method.logical;

import io.pgferry.state.RunRecord;

/** The objects the logical method creates, all named after the run so cleanup finds exactly them. */
record LogicalNames(String publication, String subscription, String slot) {
    static LogicalNames of(RunRecord run) {
        String n = run.objectName();
        return new LogicalNames(n, n, n);
    }
}
