package io.pgferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.testing.CliRun;
import org.junit.jupiter.api.Test;

/** What picocli prints for arguments it cannot parse: the arguments, with no password in them. */
class BadArgumentsTest {
    @Test
    void unknownOptionsAndStrayArgumentsAreEchoedRedacted() {
        for (String pw : new String[] {"hunter2", "we@k?/:pw", "p@ss/word"}) {
            String uri = "postgres://u:" + pw + "@h/db";
            CliRun run = CliRun.of("status", "--bogus", uri);
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.all())
                    .as(pw)
                    .contains("--bogus")
                    .contains("postgres://u:****@")
                    .doesNotContain(pw)
                    .doesNotContain("k?/:pw")
                    .doesNotContain("/word");
            CliRun keyword = CliRun.of("assess", "--source", "host=h password=" + pw, "stray");
            assertThat(keyword.exitCode()).isEqualTo(2);
            assertThat(keyword.all()).as(pw).doesNotContain(pw);
        }
    }
}
