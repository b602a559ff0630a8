package io.pgferry.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.pg.PgferryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server binary cache runs what it holds: it must be this user's own, closed to others' writes. */
class PgBinariesTest {
    @Test
    void theCacheIsNotInTheSharedTempDir() {
        Path root = PgBinaries.cacheRoot();
        assertThat(root.startsWith(Path.of(System.getProperty("java.io.tmpdir"))))
                .as(root.toString())
                .isFalse();
        assertThat(root.toString()).contains("pgferry");
    }

    @Test
    void aCacheDirectoryOthersMayWriteToIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("cache"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatCode(() -> PgBinaries.requireOwnAndClosed(dir)).doesNotThrowAnyException();
        for (String open : new String[] {"rwxrwxr-x", "rwxr-xrwx", "rwxrwxrwx"}) {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(open));
            assertThatThrownBy(() -> PgBinaries.requireOwnAndClosed(dir))
                    .as(open)
                    .isInstanceOf(PgferryException.class)
                    .hasMessageContaining(dir.toString())
                    .hasMessageContaining(open);
        }
    }

    @Test
    void aCacheDirectoryAnotherUserOwnsIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("planted"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        UserPrincipal other;
        try {
            other = tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(dir, other); // our own test directory; only root may give a file away
        } catch (java.io.IOException e) {
            org.junit.jupiter.api.Assumptions.abort("cannot give a file to another user here: " + e.getMessage());
            return;
        }
        assertThatThrownBy(() -> PgBinaries.requireOwnAndClosed(dir))
                .isInstanceOf(PgferryException.class)
                .hasMessageContaining("owner nobody");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), Files.createDirectory(tmp.resolve("real")));
        assertThatThrownBy(() -> PgBinaries.requireOwnAndClosed(link)).isInstanceOf(PgferryException.class);
    }
}
