package io.pgferry.monitor;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;

/** Plain progress lines every few seconds, for logs and pipes where a redrawn bar is noise. */
final class LineView implements PhaseProgress.View {
    private static final long INTERVAL_MS = 5000;

    private final String phase;
    private final String unit;
    private final PrintWriter out;
    private final Clock clock;
    private final long startedAt;
    private long lastPrintedAt;

    LineView(String phase, String unit, PrintWriter out, Clock clock) {
        this.phase = phase;
        this.unit = unit;
        this.out = out;
        this.clock = clock;
        this.startedAt = clock.millis();
    }

    @Override
    public void show(long done, long total, long bytesDone, long bytesTotal, String detail) {
        long now = clock.millis();
        if (now - lastPrintedAt < INTERVAL_MS) {
            return;
        }
        lastPrintedAt = now;
        out.println(line(done, total, bytesDone, bytesTotal) + (detail.isEmpty() ? "" : "  " + detail));
    }

    @Override
    public void finish(long done, long total, long bytesDone) {
        out.println(line(done, total, bytesDone, 0) + "  done in "
                + Units.duration(Duration.ofMillis(clock.millis() - startedAt)));
    }

    private String line(long done, long total, long bytesDone, long bytesTotal) {
        long elapsed = clock.millis() - startedAt;
        StringBuilder sb = new StringBuilder("[").append(phase).append("] ").append(done);
        if (total > 0) {
            sb.append('/').append(total);
        }
        sb.append(' ').append(unit);
        if (bytesDone > 0) {
            sb.append(", ").append(Units.bytes(bytesDone));
            if (bytesTotal > 0) {
                sb.append(" of ~").append(Units.bytes(bytesTotal));
            }
            sb.append(", ").append(Units.rate(bytesDone, elapsed));
        }
        if (bytesTotal > 0 && bytesDone > 0 && bytesDone < bytesTotal) {
            long etaMs = (long) (elapsed * ((double) (bytesTotal - bytesDone) / bytesDone));
            sb.append(", ETA ").append(Units.duration(Duration.ofMillis(etaMs)));
        } else if (total > 0 && done > 0 && done < total) {
            long etaMs = elapsed * (total - done) / done;
            sb.append(", ETA ").append(Units.duration(Duration.ofMillis(etaMs)));
        }
        return sb.toString();
    }
}
