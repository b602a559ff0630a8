package io.pgferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.pg.PgferryException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationConverterTest {
    private final DurationConverter c = new DurationConverter();

    @Test
    void acceptsShortAndIsoForms() {
        assertThat(c.convert("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.convert("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.convert("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(c.convert("PT15M")).isEqualTo(Duration.ofMinutes(15));
        assertThat(c.convert("pt10s")).isEqualTo(Duration.ofSeconds(10));
        assertThatThrownBy(() -> c.convert("soon"))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("not a duration");
    }
}
