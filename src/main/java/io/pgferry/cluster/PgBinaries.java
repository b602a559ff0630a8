package io.pgferry.cluster;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the server binaries (initdb, pg_ctl, postgres) of one PostgreSQL major: a distribution
 * bundled on the classpath under {@code pgdist/<major>/} (from Maven Central's embedded
 * binaries), unpacked once into a cache directory, or Debian's {@code /usr/lib/postgresql/<major>/bin}.
 */
public final class PgBinaries {
    private static final String ARCHIVE = "postgres-linux-x86_64.txz";

    private PgBinaries() {
    }

    /** The bin directory for {@code major}, preferring the system's own packages when installed. */
    public static Path binDir(int major) {
        Path debian = Path.of("/usr/lib/postgresql/" + major + "/bin");
        if (Files.isExecutable(debian.resolve("postgres")) && Files.isExecutable(debian.resolve("initdb"))) {
            return debian;
        }
        return bundled(major).orElseThrow(() -> new PgferryException(ErrorCode.TOOL_MISSING,
                "no PostgreSQL " + major + " server binaries found",
                "install Debian's postgresql-" + major + " package, or use a major bundled with this build"));
    }

    public static boolean available(int major) {
        return Files.isExecutable(Path.of("/usr/lib/postgresql/" + major + "/bin/postgres"))
                || PgBinaries.class.getClassLoader().getResource("pgdist/" + major + "/" + ARCHIVE) != null;
    }

    static Optional<Path> bundled(int major) {
        if (PgBinaries.class.getClassLoader().getResource("pgdist/" + major + "/" + ARCHIVE) == null) {
            return Optional.empty();
        }
        Path target = cacheRoot().resolve(Integer.toString(major));
        if (Files.isExecutable(target.resolve("bin/postgres"))) {
            return Optional.of(target.resolve("bin"));
        }
        try {
            unpack(major, target);
        } catch (IOException e) {
            throw new PgferryException(ErrorCode.FAILED, "could not unpack the bundled PostgreSQL " + major
                    + " binaries into " + target + ": " + e.getMessage(), "check free disk space and permissions there", e);
        }
        return Optional.of(target.resolve("bin"));
    }

    /**
     * A per-user cache readable by everyone, because servers may run as an unprivileged user
     * (as root we start them as 'postgres', who cannot read root's home directory).
     */
    private static Path cacheRoot() {
        String user = System.getProperty("user.name");
        return Path.of(System.getProperty("java.io.tmpdir"), "pgferry-pgbin-" + user);
    }

    private static void unpack(int major, Path target) throws IOException {
        Path root = cacheRoot();
        Files.createDirectories(root);
        setPermissions(root, "rwxr-xr-x");
        Path staging = Files.createTempDirectory(root, major + ".unpacking-");
        setPermissions(staging, "rwxr-xr-x");
        try (InputStream raw = PgBinaries.class.getClassLoader().getResourceAsStream("pgdist/" + major + "/" + ARCHIVE);
             TarArchiveInputStream tar = new TarArchiveInputStream(
                     new XZCompressorInputStream(new BufferedInputStream(raw, 1 << 16)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path out = staging.resolve(entry.getName()).normalize();
                if (!out.startsWith(staging)) {
                    throw new IOException("archive entry escapes its directory: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.deleteIfExists(out);
                    Files.createSymbolicLink(out, Path.of(entry.getLinkName()));
                    continue;
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                }
                boolean executable = (entry.getMode() & 0100) != 0 || entry.isDirectory();
                setPermissions(out, executable ? "rwxr-xr-x" : "rw-r--r--");
            }
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileSystemException e) {
            // another process unpacked the same major meanwhile: keep theirs (Linux reports a rename onto
            // a non-empty directory as a plain FileSystemException, "Directory not empty")
            io.pgferry.state.Directories.deleteTree(staging);
            if (!Files.isExecutable(target.resolve("bin/postgres"))) {
                throw e;
            }
        }
    }

    private static void setPermissions(Path p, String perms) throws IOException {
        Set<PosixFilePermission> set = EnumSet.copyOf(PosixFilePermissions.fromString(perms));
        Files.setPosixFilePermissions(p, set);
    }
}
