package io.pgferry.cluster;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * Finds the server binaries (initdb, pg_ctl, postgres) of one PostgreSQL major: a distribution
 * bundled on the classpath under {@code pgdist/<major>/} (from Maven Central's embedded
 * binaries), unpacked once into this user's own cache directory, or Debian's {@code /usr/lib/postgresql/<major>/bin}.
 */
public final class PgBinaries {
    private static final String ARCHIVE = "postgres-linux-x86_64.txz";

    private PgBinaries() {}

    /** The bin directory for {@code major}, preferring the system's own packages when installed. */
    public static Path binDir(int major) {
        Path debian = Path.of("/usr/lib/postgresql/" + major + "/bin");
        if (Files.isExecutable(debian.resolve("postgres")) && Files.isExecutable(debian.resolve("initdb"))) {
            return debian;
        }
        return bundled(major)
                .orElseThrow(() -> new PgferryException(
                        ErrorCode.TOOL_MISSING,
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
        try {
            if (Files.isExecutable(target.resolve("bin/postgres"))) {
                requireOwnAndClosed(target);
                requireOwnAndClosed(target.resolve("bin"));
                return Optional.of(target.resolve("bin"));
            }
            unpack(major, target);
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "could not unpack the bundled PostgreSQL " + major + " binaries into " + target + ": "
                            + e.getMessage(),
                    "check free disk space and permissions there",
                    e);
        }
        return Optional.of(target.resolve("bin"));
    }

    /**
     * A cache only this user can write to, never a predictable path in the shared temp dir
     * (where another local user could plant binaries that pgferry would then run). As root the
     * servers run as 'postgres', who cannot enter root's home: root's cache is
     * /var/cache/pgferry, root-owned and readable by all. Others use $XDG_CACHE_HOME/pgferry or
     * ~/.cache/pgferry, private.
     */
    static Path cacheRoot() {
        if (isRoot()) {
            return Path.of("/var/cache/pgferry/pgbin");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base =
                xdg != null && xdg.startsWith("/") ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("pgferry").resolve("pgbin");
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Creates the cache root if needed, then trusts it only if it is ours and closed to others' writes. */
    private static Path openCacheRoot() throws IOException {
        Path root = cacheRoot();
        if (!Files.isDirectory(root)) {
            Files.createDirectories(root.getParent());
            try {
                Files.createDirectory(root);
            } catch (FileAlreadyExistsException raced) {
                // made meanwhile by another of our processes; checked below like any existing one
            }
            setPermissions(root, isRoot() ? "rwxr-xr-x" : "rwx------");
        }
        requireOwnAndClosed(root);
        return root;
    }

    /**
     * Refuses a cache directory another user owns or may write to: what is in it would run as
     * this user (or as the server's).
     */
    static void requireOwnAndClosed(Path dir) throws IOException {
        String owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName();
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        boolean othersWrite =
                perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE);
        if (Files.isSymbolicLink(dir) || !owner.equals(System.getProperty("user.name")) || othersWrite) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "the binary cache " + dir + " is not this user's own (owner " + owner + ", permissions "
                            + PosixFilePermissions.toString(perms) + "): pgferry will not run what it holds",
                    "remove " + dir
                            + " (pgferry unpacks the binaries again), or fix its owner and permissions so only you can write to it");
        }
    }

    private static void unpack(int major, Path target) throws IOException {
        Path root = openCacheRoot();
        Path staging = Files.createTempDirectory(root, major + ".unpacking-");
        setPermissions(staging, isRoot() ? "rwxr-xr-x" : "rwx------");
        try (InputStream raw =
                        PgBinaries.class.getClassLoader().getResourceAsStream("pgdist/" + major + "/" + ARCHIVE);
                TarArchiveInputStream tar =
                        new TarArchiveInputStream(new XZCompressorInputStream(new BufferedInputStream(raw, 1 << 16)))) {
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
                // world-readable only where the server runs as another user (we are root)
                setPermissions(
                        out,
                        executable ? (isRoot() ? "rwxr-xr-x" : "rwx------") : (isRoot() ? "rw-r--r--" : "rw-------"));
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
