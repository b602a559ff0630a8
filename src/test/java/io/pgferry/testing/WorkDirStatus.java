package io.pgferry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * A work dir's {@code pgferry status --json}, read the way a user or another process would, for
 * tests that wait on a run in another process. Checked against docs/status.schema.json.
 */
public final class WorkDirStatus {
    private WorkDirStatus() {}

    /** The status, or empty while the work dir holds no run yet (or its store is being created). */
    public static Optional<JsonNode> read(Path work) {
        if (!Files.isRegularFile(work.resolve("state.db"))) {
            return Optional.empty();
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        if (cl.execute("status", "--dir", work.toString(), "--json") != 0) {
            return Optional.empty();
        }
        return Optional.of(StatusSchema.assertValid(out.toString()));
    }

    /** A timestamp of the status, null when absent. */
    public static Instant instant(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull() ? null : Instant.parse(node.asText());
    }
}
