package io.pgferry.method.logical;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.schema.PgClientTools;
import io.pgferry.schema.TocListing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a post-data archive's table of contents in two restore lists. The subscriber needs a
 * replica identity on the target to apply UPDATE and DELETE, so primary keys and unique
 * constraints ("CONSTRAINT" entries) go before the initial sync; plain indexes, foreign keys,
 * triggers and materialized view refreshes go after it, when building them no longer slows
 * the copy.
 */
record PostDataSplit(Path keysList, Path restList) {

    static PostDataSplit of(PgClientTools tools, Path archive, Path dir) {
        List<String> keys = new ArrayList<>();
        List<String> rest = new ArrayList<>();
        for (TocListing.Entry e : TocListing.read(tools.pgRestore(), archive).entries()) {
            // primary keys and unique constraints; foreign keys are their own type, "FK CONSTRAINT"
            (e.type().equals("CONSTRAINT") ? keys : rest).add(e.line());
        }
        try {
            Path k = dir.resolve("post-data-keys.list");
            Path r = dir.resolve("post-data-rest.list");
            Files.write(k, keys);
            Files.write(r, rest);
            return new PostDataSplit(k, r);
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED, "cannot write restore lists in " + dir + ": " + e.getMessage(), null, e);
        }
    }
}
