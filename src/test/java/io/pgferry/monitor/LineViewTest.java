package io.pgferry.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.testing.TestClock;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Plain progress lines: rate and ETA from the phase's own clock, and at most one line per interval. */
class LineViewTest {
    private final StringWriter text = new StringWriter();
    private final PrintWriter out = new PrintWriter(text, true);
    private final TestClock clock = TestClock.at(Instant.parse("2026-01-01T00:00:00Z"));

    private String printed() {
        out.flush();
        return text.toString();
    }

    @Test
    void rateAndEtaComeFromElapsedTimeAndTheShareOfBytesLeft() {
        LineView view = new LineView("copy", "tables", out, clock);
        clock.advance(Duration.ofSeconds(10));
        view.show(2, 8, 250, 1000, "orders");
        assertThat(printed().strip())
                .isEqualTo("[copy] 2/8 tables, " + Units.bytes(250) + " of ~" + Units.bytes(1000) + ", "
                        + Units.rate(250, 10_000) + ", ETA " + Units.duration(Duration.ofSeconds(30)) + "  orders");
    }

    @Test
    void aLineAtMostEveryFiveSecondsAndTheTotalTimeAtTheEnd() {
        LineView view = new LineView("copy", "tables", out, clock);
        clock.advance(Duration.ofSeconds(6));
        view.show(1, 4, 0, 0, "");
        clock.advance(Duration.ofSeconds(4));
        view.show(2, 4, 0, 0, "");
        assertThat(printed().lines()).hasSize(1);
        clock.advance(Duration.ofSeconds(1));
        view.show(3, 4, 0, 0, "");
        assertThat(printed().lines()).hasSize(2);
        view.finish(4, 4, 0);
        assertThat(printed().lines().toList().get(2))
                .isEqualTo("[copy] 4/4 tables  done in " + Units.duration(Duration.ofSeconds(11)));
    }
}
