package io.pgferry.pg;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LsnsTest {
    @Test
    void theLatestIsComparedAsAnLsnNotAsText() {
        assertThat(Lsns.latest("9/FF000000,10/0,A/1")).isEqualTo("10/0");
        assertThat(Lsns.latest("0/16B3748")).isEqualTo("0/16B3748");
        assertThat(Lsns.latest(null)).isNull();
    }
}
