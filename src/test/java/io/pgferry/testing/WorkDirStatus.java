package io.pgferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.monitor.StatusJson;
import io.pgferry.monitor.StatusReader;
import io.pgferry.pg.PgferryException;
import io.pgferry.state.StateStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * A work dir's {@code pgferry status --json} document, read the way another process would, for
 * tests that wait on a run: the status command's own reader and writer, checked against
 * docs/status.schema.json. Not through picocli: a test may run a command in-process meanwhile.
 */
public final class WorkDirStatus {
    private WorkDirStatus() {}

    /** The status, or empty while the work dir holds no run yet (or its store is being created). */
    public static Optional<JsonNode> read(Path work) {
        if (!Files.isRegularFile(work.resolve(StateStore.FILE_NAME))) {
            return Optional.empty();
        }
        try (StateStore store = StateStore.openExisting(work)) {
            return new StatusReader(store).read().map(r -> StatusSchema.assertValid(StatusJson.write(r, true)));
        } catch (PgferryException e) {
            return Optional.empty(); // the writer holds the store for the moment
        }
    }

    /** A timestamp of the status, null when absent. */
    public static Instant instant(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull() ? null : Instant.parse(node.asText());
    }
}
