package io.pgferry.method;

import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/** Reports a directory's total size twice a second: the byte progress of a dump being written. */
final class DirectorySizeSampler implements AutoCloseable {
    private final ScheduledExecutorService timer;

    DirectorySizeSampler(Path dir, LongConsumer sizeListener) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgferry-dump-size");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(
                () -> sizeListener.accept(io.pgferry.state.Directories.size(dir)), 500, 500, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
