package io.pgferry.monitor;

import java.time.Clock;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A live terminal bar (progressbar library) with items, bytes and rate in its message. */
final class BarView implements PhaseProgress.View {
    private final ProgressBar bar;
    private final String unit;
    private final Clock clock;
    private final long startedAt;

    BarView(String phase, long total, String unit, Clock clock) {
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
}
