package io.pgferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.state.StateStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** serve's token: from a file or the environment; on the command line (where ps shows it) only with a warning. */
class ServeTokenTest {
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aTokenOnTheCommandLineStillWorksWithAWarningAndAFileNeedsNone(@TempDir Path dir) throws Exception {
        StateStore.open(dir).close();
        Path file = Files.writeString(dir.resolve("token"), "from-a-file\n");
        assertThat(serveUntilListening(dir, "--token", "on-the-command-line"))
                .contains("warning: --token")
                .contains("ps")
                .contains("token required")
                .doesNotContain("on-the-command-line");
        assertThat(serveUntilListening(dir, "--token-file", file.toString()))
                .doesNotContain("warning")
                .contains("token required")
                .doesNotContain("from-a-file");
    }

    /** Runs serve on a free port until it says where it listens, then stops it; returns all it printed. */
    private static String serveUntilListening(Path dir, String... tokenArgs) throws Exception {
        StringWriter out = new StringWriter(); // a StringBuffer inside: safe to read while serve writes
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        String[] args = Stream.concat(
                        Stream.of("serve", "--dir", dir.toString(), "--port", "0", "--bind", "0.0.0.0"),
                        Arrays.stream(tokenArgs))
                .toArray(String[]::new);
        Thread serve = new Thread(() -> cl.execute(args), "serve-under-test");
        try {
            serve.start();
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (!out.toString().contains("Ctrl-C") && Instant.now().isBefore(deadline)) {
                Thread.sleep(20); // polling for the line that says it listens
            }
        } finally {
            serve.interrupt();
            serve.join(10_000);
        }
        return out.toString();
    }
}
