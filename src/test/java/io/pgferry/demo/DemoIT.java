package io.pgferry.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class DemoIT {
    /** The default flow: copy and stream under a writing application, cutover with checksums, downtime measured. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void demoCopiesStreamsCutsOverVerifiesAndStopsItsServers() {
        CliRun run = CliRun.of("demo", "--scale", "0.05");
        assertThat(run.exitCode()).as(run.all()).isZero();
        assertThat(run.out())
                .contains("PostgreSQL 15 -> 18, method copy")
                .contains("Migration finished (method copy)")
                .containsPattern("dashboard on http://127\\.0\\.0\\.1:\\d+/")
                .containsPattern("the application committed \\d+ transactions on the source until the fence")
                .containsPattern(
                        "Cutover complete: the source stopped at [0-9A-F]+/[0-9A-F]+, 2 sequence\\(s\\) set on the target,"
                                + " 6 tables, \\d+ rows: counts and checksums equal")
                .containsPattern("verified: PostgreSQL 15 and 18 hold the same rows \\(counts and checksums\\);"
                        + " the application's writes were stopped for \\d");
        Matcher work = Pattern.compile("work dir (\\S+pgferry-demo-\\d+)").matcher(run.out());
        assertThat(work.find()).isTrue();
        assertThat(Files.exists(Path.of(work.group(1))))
                .as("demo work dir removed")
                .isFalse();
        Matcher ports = Pattern.compile("127\\.0\\.0\\.1:(\\d+)/shop").matcher(run.out());
        for (int i = 0; i < 2; i++) {
            assertThat(ports.find()).as("source and target named").isTrue();
            assertThat(portIsFree(Integer.parseInt(ports.group(1))))
                    .as("demo servers stopped")
                    .isTrue();
        }
    }

    @SuppressWarnings("try") // a resource that works beside the body, closed when it ends
    private static boolean portIsFree(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return false;
        } catch (java.io.IOException e) {
            return true;
        }
    }
}
