package io.pgferry.method.logical;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.PgClientTools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Splits a post-data archive's table of contents in two restore lists. The subscriber needs a
 * replica identity on the target to apply UPDATE and DELETE, so primary keys and unique
 * constraints ("CONSTRAINT" entries) go before the initial sync; plain indexes, foreign keys,
 * triggers and materialized view refreshes go after it, when building them no longer slows
 * the copy.
 */
record PostDataSplit(Path keysList, Path restList) {

    static PostDataSplit of(PgClientTools tools, Path archive, Path dir) {
        String listing = list(tools, archive);
        List<String> keys = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (String line : listing.split("\n")) {
            if (line.isBlank() || line.startsWith(";")) {
                continue;
            }
            // "<id>; <catalog oid> <oid> CONSTRAINT <schema> <name> <owner>": FK CONSTRAINT entries differ by type
            if (line.matches("^\\d+; \\d+ \\d+ CONSTRAINT .*")) {
                keys.add(line);
            } else {
                rest.add(line);
            }
        }
        try {
            Path k = dir.resolve("post-data-keys.list");
            Path r = dir.resolve("post-data-rest.list");
            Files.write(k, keys);
            Files.write(r, rest);
            return new PostDataSplit(k, r);
        } catch (IOException e) {
            throw new PgferryException(ErrorCode.FAILED, "cannot write restore lists in " + dir + ": " + e.getMessage(), null, e);
        }
    }

    private static String list(PgClientTools tools, Path archive) {
        try {
            Process p = new ProcessBuilder(tools.pgRestore().toString(), "--list", archive.toString()).start();
            String out = new String(p.getInputStream().readAllBytes());
            String err = new String(p.getErrorStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new PgferryException(ErrorCode.FAILED, "pg_restore --list failed: " + err.strip(),
                        "delete " + archive + " and run the same command again");
            }
            return out;
        } catch (IOException e) {
            throw new PgferryException(ErrorCode.TOOL_MISSING, "cannot run " + tools.pgRestore() + ": " + e.getMessage(), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PgferryException(ErrorCode.FAILED, "interrupted", null, e);
        }
    }
}
