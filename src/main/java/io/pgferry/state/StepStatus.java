package io.pgferry.state;

public enum StepStatus {
    PENDING,
    RUNNING,
    DONE,
    FAILED
}
