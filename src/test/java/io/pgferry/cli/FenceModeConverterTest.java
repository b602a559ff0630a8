package io.pgferry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgferry.cutover.CutoverOptions.FenceMode;
import io.pgferry.testing.CliRun;
import org.junit.jupiter.api.Test;

/** --fence takes read-only or none; anything else is refused before the run is touched. */
class FenceModeConverterTest {
    @Test
    void convertsTheDocumentedValues() {
        assertThat(new FenceModeConverter().convert("read-only")).isEqualTo(FenceMode.READ_ONLY);
        assertThat(new FenceModeConverter().convert("none")).isEqualTo(FenceMode.NONE);
    }

    @Test
    void anyOtherValueIsBadInputNamingTheValues() {
        CliRun run = CliRun.of("cutover", "--dir", "no-such-dir-for-this-test", "--fence", "READ_ONLY");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--fence").contains("read-only or none").contains("'READ_ONLY'");
    }
}
