package io.pgferry.cdc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One schema change recorded on the source by the run's event trigger (see
 * {@code method.copy.DdlCapture}): the client's statement as {@code current_query()} had it,
 * the search_path it ran under, and the objects the server says it touched, each with the table
 * it belongs to where there is one (an index's, a column's, a partition's root). A capture that
 * failed inside the trigger carries its error instead, so the applier can stop on it.
 */
public record DdlMessage(String query, String searchPath, String user, List<Touched> objects, String error) {
    /** An object a statement created, altered or dropped; {@code tableSchema}/{@code table} null when it is no table's. */
    public record Touched(String type, String schema, String identity, String tableSchema, String table) {
        public boolean onTable() {
            return table != null && tableSchema != null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public DdlMessage {
        objects = List.copyOf(objects);
    }

    public boolean failed() {
        return error != null;
    }

    /** Reads the trigger's JSON payload; an unreadable one is an error, never a statement to skip. */
    public static DdlMessage parse(String payload) {
        try {
            JsonNode root = JSON.readTree(payload);
            List<Touched> objects = new ArrayList<>();
            for (JsonNode o : root.path("objects")) {
                objects.add(new Touched(
                        text(o, "type"),
                        text(o, "schema"),
                        text(o, "identity"),
                        text(o, "table_schema"),
                        text(o, "table")));
            }
            return new DdlMessage(
                    text(root, "query"), text(root, "search_path"), text(root, "user"), objects, text(root, "error"));
        } catch (IOException | RuntimeException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "a schema change recorded on the source cannot be read: " + e.getMessage(),
                    "report this as a bug with the payload: " + payload,
                    e);
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
