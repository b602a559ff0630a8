package io.pgferry.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgClientToolLocatorTest {

    @Test
    void parsesVersionOutputOfDistributions() {
        assertThat(PgClientToolLocator.parseMajor("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"))
                .contains(15);
        assertThat(PgClientToolLocator.parseMajor("pg_dump (PostgreSQL) 17.2")).contains(17);
        assertThat(PgClientToolLocator.parseMajor("garbage")).isEmpty();
    }

    @Test
    void picksTheNewestPairNotOlderThanTheSource(@TempDir Path dir) throws Exception {
        Path v14 = fakeTools(dir.resolve("14"), 14);
        Path v16 = fakeTools(dir.resolve("16"), 16);
        PgClientToolLocator locator = new PgClientToolLocator(Optional.empty(), List.of(v14, v16));
        assertThat(locator.forSource(13).major()).isEqualTo(16);
        assertThat(locator.forSource(16).binDir()).isEqualTo(v16);
    }

    @Test
    void forAMigrationPrefersThePairNoNewerThanTheTarget(@TempDir Path dir) throws Exception {
        Path v15 = fakeTools(dir.resolve("15"), 15);
        Path v17 = fakeTools(dir.resolve("17"), 17);
        Path v18 = fakeTools(dir.resolve("18"), 18);
        PgClientToolLocator locator = new PgClientToolLocator(Optional.empty(), List.of(v15, v17, v18));
        assertThat(locator.forMigration(13, 15).binDir()).isEqualTo(v15);
        assertThat(locator.forMigration(15, 17).binDir()).isEqualTo(v17);
        assertThat(locator.forMigration(15, 16).binDir()).isEqualTo(v15);
        assertThat(locator.forMigration(16, 16).binDir())
                .as("none between: the oldest newer than the source")
                .isEqualTo(v17);
        assertThat(locator.forMigration(17, 19).binDir()).isEqualTo(v18);
        assertThatThrownBy(() -> new PgClientToolLocator(Optional.empty(), List.of(v15)).forMigration(17, 18))
                .hasMessageContaining("pg_dump 17 or newer");
    }

    @Test
    void namesThePackageToInstallWhenNothingIsNewEnough(@TempDir Path dir) throws Exception {
        Path v15 = fakeTools(dir.resolve("15"), 15);
        PgClientToolLocator locator = new PgClientToolLocator(Optional.empty(), List.of(v15));
        assertThatThrownBy(() -> locator.forSource(17))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("pg_dump 17 or newer")
                .hasMessageContaining("found only 15")
                .satisfies(e -> {
                    assertThat(((PgferryException) e).code()).isEqualTo(ErrorCode.TOOL_MISSING);
                    assertThat(((PgferryException) e).hint())
                            .contains("postgresql-client-17")
                            .contains("--pg-bin");
                });
    }

    @Test
    void pgBinOverridesTheSearch(@TempDir Path dir) throws Exception {
        Path v17 = fakeTools(dir.resolve("17"), 17);
        Path v18 = fakeTools(dir.resolve("18"), 18);
        PgClientToolLocator locator = new PgClientToolLocator(Optional.of(v17), List.of(v18));
        assertThat(locator.forSource(15).binDir()).isEqualTo(v17);
    }

    private static Path fakeTools(Path bin, int major) throws Exception {
        Files.createDirectories(bin);
        for (String tool : new String[] {"pg_dump", "pg_restore"}) {
            Path f = bin.resolve(tool);
            Files.writeString(f, "#!/bin/sh\necho '" + tool + " (PostgreSQL) " + major + ".1'\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return bin;
    }
}
