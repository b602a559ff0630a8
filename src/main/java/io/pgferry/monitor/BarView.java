package io.pgferry.monitor;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Clock;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A live terminal bar (progressbar library) with items, bytes and rate in its message. */
final class BarView implements PhaseProgress.View {
    private final ProgressBar bar;
    private final String unit;
    private final Clock clock;
    private final long startedAt;

    /** Draws on {@code err}: the bar is redrawn in place, so it stays out of what a pipe reads from stdout. */
    BarView(String phase, long total, String unit, PrintWriter err, Clock clock) {
        this.unit = unit;
        this.clock = clock;
        this.startedAt = clock.millis();
        this.bar = new ProgressBarBuilder()
                .setTaskName(phase)
                .setInitialMax(Math.max(total, 0))
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .setUnit(" " + unit, 1)
                .setConsumer(new WriterConsumer(err))
                .build();
    }

    @Override
    public void show(long done, long total, long bytesDone, long bytesTotal, String detail) {
        if (total > 0 && bar.getMax() != total) {
            bar.maxHint(total);
        }
        bar.stepTo(done);
        String bytes =
                bytesDone > 0 ? Units.bytes(bytesDone) + " " + Units.rate(bytesDone, clock.millis() - startedAt) : "";
        bar.setExtraMessage((bytes + " " + detail).trim());
    }

    @Override
    public void finish(long done, long total, long bytesDone) {
        bar.stepTo(done);
        bar.close();
    }

    /**
     * The library's console consumer, drawing on a writer instead of the process's stderr: only
     * the terminal width is inherited ({@link #getMaxRenderedLength}); the stream given to the
     * superclass is never written.
     */
    private static final class WriterConsumer extends ConsoleProgressBarConsumer {
        private final PrintWriter out;

        WriterConsumer(PrintWriter out) {
            super(new PrintStream(OutputStream.nullOutputStream()));
            this.out = out;
        }

        @Override
        public void accept(String rendered) {
            // the renderer already fits the line to getMaxRenderedLength()
            out.print('\r' + rendered);
            out.flush();
        }

        @Override
        public void close() {
            out.println();
            out.flush();
        }
    }
}
