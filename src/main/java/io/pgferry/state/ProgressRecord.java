package io.pgferry.state;

import java.time.Instant;

/** How far one phase is: items done of total (tables, TOC entries...) and bytes. */
public record ProgressRecord(
        String phase, long done, long total, String unit, long bytesDone, long bytesTotal, Instant updatedAt) {}
