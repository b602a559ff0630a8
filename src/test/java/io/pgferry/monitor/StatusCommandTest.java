package io.pgferry.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.cli.Main;
import io.pgferry.state.RunRecord;
import io.pgferry.state.RunStatus;
import io.pgferry.state.StateStore;
import io.pgferry.testing.StatusSchema;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusCommandTest {

    private static String[] run(String... args) {
        return run(new StringWriter(), args);
    }

    private static String[] run(StringWriter out, String... args) {
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString()};
    }

    @Test
    void watchRefreshesUntilTheRunEnds(@TempDir Path dir) throws Exception {
        RunRecord run;
        try (StateStore store = StateStore.open(dir)) {
            run = store.createRun("dump", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            store.startStep(run.id(), "dump");
        }
        FirstLine out = new FirstLine();
        CompletableFuture<String[]> watch =
                CompletableFuture.supplyAsync(() -> run(out, "status", "--dir", dir.toString(), "--json", "--watch"));
        assertThat(out.printed.await(10, TimeUnit.SECONDS))
                .as("a first document while the run is running")
                .isTrue();
        try (StateStore store = StateStore.open(dir)) {
            store.setRunStatus(run.id(), RunStatus.DONE, "done", null);
        }
        String[] result = watch.get(10, TimeUnit.SECONDS);
        assertThat(result[0]).isEqualTo("0");
        String[] lines = result[1].strip().split("\n");
        assertThat(lines.length).isGreaterThanOrEqualTo(2);
        for (String line : lines) {
            StatusSchema.assertValid(line);
        }
        assertThat(StatusSchema.assertValid(lines[0]).at("/run/status").asText())
                .isEqualTo("running");
        assertThat(StatusSchema.assertValid(lines[lines.length - 1])
                        .at("/run/status")
                        .asText())
                .isEqualTo("done");
    }

    /** Output that signals once its first whole line is flushed. */
    private static final class FirstLine extends StringWriter {
        final CountDownLatch printed = new CountDownLatch(1);

        @Override
        public void flush() {
            super.flush();
            if (toString().indexOf('\n') >= 0) {
                printed.countDown();
            }
        }
    }

    @Test
    void textShowsNextStepAndTotals(@TempDir Path dir) {
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = store.createRun("dump", "postgres://app@src:5432/shop", "postgres://app@dst:5432/shop");
            store.startStep(run.id(), "dump");
            store.progress(run.id(), "dump", 1, 4, "tables", 1000, 4000);
        }
        String[] result = run("status", "--dir", dir.toString());
        assertThat(result[0]).isEqualTo("0");
        assertThat(result[1])
                .contains(
                        "progress dump",
                        "1/4 tables",
                        "totals: 1/4 tables",
                        "next: wait: dump is running; then restore");
    }
}
