package io.pgferry.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import org.junit.jupiter.api.Test;

/** The method kinds keep the text older state stores hold; an unknown one is bad input, named. */
class MethodKindTest {
    @Test
    void readsTheTextTheStateStoreHolds() {
        assertThat(MethodKind.of("dump")).isEqualTo(MethodKind.DUMP);
        assertThat(MethodKind.of("logical")).isEqualTo(MethodKind.LOGICAL);
        assertThat(MethodKind.of("copy")).isEqualTo(MethodKind.COPY);
        for (MethodKind kind : MethodKind.values()) {
            assertThat(MethodKind.of(kind.key())).isEqualTo(kind);
            assertThat(kind).hasToString(kind.key());
        }
    }

    @Test
    void onlyDumpHasNoStream() {
        assertThat(MethodKind.DUMP.streams()).isFalse();
        assertThat(MethodKind.LOGICAL.streams()).isTrue();
        assertThat(MethodKind.COPY.streams()).isTrue();
    }

    @Test
    void anUnknownMethodIsBadInputThatNamesIt() {
        assertThatThrownBy(() -> MethodKind.of("rsync"))
                .isInstanceOfSatisfying(
                        PgferryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_INPUT))
                .hasMessageContaining("'rsync'");
    }
}
