package io.pgferry.method;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.PgClientTools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A dump's table of contents as `pg_restore -l` lists it: how many items a restore will run
 * and, for each TABLE DATA item, the size of its data file, so restore progress has bytes.
 */
record RestoreToc(int itemCount, Map<Integer, Long> dataFileBytes) {

    long dataBytes() {
        return dataFileBytes.values().stream().mapToLong(Long::longValue).sum();
    }

    static RestoreToc read(PgClientTools tools, Path dumpDir, ConnectionSpec anySpec) {
        String listing;
        try {
            Process p = new ProcessBuilder(tools.pgRestore().toString(), "--list", dumpDir.toString()).start();
            listing = new String(p.getInputStream().readAllBytes());
            String err = new String(p.getErrorStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new PgferryException(ErrorCode.FAILED, "pg_restore --list failed on " + dumpDir + ": " + err.strip(),
                        "the dump may be damaged: delete " + dumpDir + " and run the same command again to dump afresh");
            }
        } catch (IOException e) {
            throw new PgferryException(ErrorCode.TOOL_MISSING, "cannot run " + tools.pgRestore() + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, "interrupted", null, e);
        }
        int items = 0;
        Map<Integer, Long> bytes = new HashMap<>();
        for (String line : listing.split("\n")) {
            if (line.isBlank() || line.startsWith(";")) {
                continue;
            }
            items++;
            int semi = line.indexOf(';');
            if (semi > 0 && line.contains(" TABLE DATA ")) {
                int id = Integer.parseInt(line.substring(0, semi).trim());
                bytes.put(id, dataFileSize(dumpDir, id));
            }
        }
        return new RestoreToc(items, bytes);
    }

    private static long dataFileSize(Path dumpDir, int id) {
        for (String name : new String[]{id + ".dat.gz", id + ".dat", id + ".dat.lz4", id + ".dat.zst"}) {
            Path f = dumpDir.resolve(name);
            if (Files.isRegularFile(f)) {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }
        }
        return 0;
    }
}
