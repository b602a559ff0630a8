package io.pgferry.method;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.schema.PgClientTools;
import io.pgferry.schema.TocListing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A dump's table of contents as `pg_restore -l` lists it: how many items a restore will run
 * and, for each TABLE DATA item, the size of its data file, so restore progress has bytes.
 */
record RestoreToc(int itemCount, Map<Integer, Long> dataFileBytes) {

    long dataBytes() {
        return dataFileBytes.values().stream().mapToLong(Long::longValue).sum();
    }

    static RestoreToc read(PgClientTools tools, Path dumpDir, ConnectionSpec anySpec) {
        TocListing toc = TocListing.read(tools.pgRestore(), dumpDir);
        Map<Integer, Long> bytes = new HashMap<>();
        for (TocListing.Entry e : toc.entries()) {
            if (e.type().equals("TABLE DATA")) {
                bytes.put(e.id(), dataFileSize(dumpDir, e.id()));
            }
        }
        return new RestoreToc(toc.entries().size(), bytes);
    }

    private static long dataFileSize(Path dumpDir, int id) {
        for (String name : new String[] {id + ".dat.gz", id + ".dat", id + ".dat.lz4", id + ".dat.zst"}) {
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
