package io.pgferry.pg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads a libpq password file (~/.pgpass): lines of host:port:database:username:password, '*'
 * matching anything, backslash escaping ':' and '\', first match wins. A file that its group or
 * others may read or write is ignored with a warning, as libpq ignores it.
 */
final class PgPassFile {
    private PgPassFile() {}

    static Optional<String> lookup(
            Path file, String host, int port, String dbname, String user, Consumer<String> warn) {
        if (file == null || !Files.isRegularFile(file)) {
            return Optional.empty();
        }
        if (openToOthers(file)) {
            // as libpq does: another user may have read it, or written a password of their choosing
            warn.accept("password file " + file + " has group or world access and is ignored; permissions should be"
                    + " u=rw (0600) or less: chmod 0600 " + file);
            return Optional.empty();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            return Optional.empty();
        }
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            List<String> fields = split(line);
            if (fields.size() < 5) {
                continue;
            }
            if (matches(fields.get(0), host)
                    && matches(fields.get(1), Integer.toString(port))
                    && matches(fields.get(2), dbname)
                    && matches(fields.get(3), user)) {
                return Optional.of(fields.get(4));
            }
        }
        return Optional.empty();
    }

    private static boolean openToOthers(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            return perms.stream()
                    .anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"));
        } catch (UnsupportedOperationException | IOException e) {
            return false; // no POSIX permissions here (libpq skips the check on Windows too)
        }
    }

    private static boolean matches(String pattern, String value) {
        return pattern.equals("*") || pattern.equals(value);
    }

    private static List<String> split(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\\' && i + 1 < line.length()) {
                cur.append(line.charAt(++i));
            } else if (c == ':' && fields.size() < 4) {
                fields.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        fields.add(cur.toString());
        return fields;
    }
}
