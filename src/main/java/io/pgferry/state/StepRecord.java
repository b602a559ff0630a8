package io.pgferry.state;

import java.time.Instant;

public record StepRecord(String name, StepStatus status, Instant startedAt, Instant finishedAt, String detail) {}
