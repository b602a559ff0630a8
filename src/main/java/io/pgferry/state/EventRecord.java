package io.pgferry.state;

import java.time.Instant;

public record EventRecord(long id, Instant at, String level, String message) {}
