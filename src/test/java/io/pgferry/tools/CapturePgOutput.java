package io.pgferry.tools;

import io.pgferry.cluster.LocalCluster;
import io.pgferry.testing.PgFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A tool, not a test: regenerates the captured pgoutput bytes under src/test/resources/pgoutput
 * that {@code io.pgferry.cdc.PgOutputDecoderTest} decodes: real messages from real servers (13
 * and 15, started by {@link PgFixture}), read with pg_logical_slot_get_binary_changes. Run it when
 * a fixture needs another case, with the test classpath (the commands are in CONTRIBUTING.md):
 * {@code java -cp ... io.pgferry.tools.CapturePgOutput src/test/resources/pgoutput}. Each file
 * line is {@code <lsn> <hex of one message>};
 * lines starting with '#' are comments.
 */
public final class CapturePgOutput {
    private CapturePgOutput() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: CapturePgOutput <directory to write the .hex files to>");
        }
        Path out = Path.of(args[0]);
        protocol1OnPostgres13(out);
        messagesAndStreamingOnPostgres15(out);
    }

    private static void protocol1OnPostgres13(Path out) throws Exception {
        try (LocalCluster pg = PgFixture.server(13)) {
            PgFixture.createDatabase(pg, "app");
            try (Connection c = PgFixture.connect(pg, "app");
                    Statement st = c.createStatement()) {
                // the SQL decoding functions read only flushed WAL; the fixture's servers flush lazily
                st.execute("SET synchronous_commit = on");
                st.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')");
                st.execute("CREATE TABLE items (id int PRIMARY KEY, name text, qty int, feeling mood)");
                st.execute("CREATE TABLE docs (id int PRIMARY KEY, body text, note text)");
                st.execute("ALTER TABLE docs ALTER body SET STORAGE EXTERNAL");
                st.execute("CREATE TABLE nokey (a int, b text)");
                st.execute("ALTER TABLE nokey REPLICA IDENTITY FULL");
                st.execute("CREATE TABLE other (id int PRIMARY KEY)");
                st.execute("CREATE PUBLICATION p FOR ALL TABLES");
                st.execute("SELECT pg_create_logical_replication_slot('s', 'pgoutput')");

                st.execute("BEGIN");
                st.execute("INSERT INTO items VALUES (1, 'apple', 3, 'happy'), (2, NULL, 5, NULL)");
                st.execute("COMMIT");
                st.execute("UPDATE items SET qty = 4 WHERE id = 1");
                st.execute("UPDATE items SET id = 10 WHERE id = 2");
                st.execute("DELETE FROM items WHERE id = 10");
                st.execute("TRUNCATE items, other RESTART IDENTITY CASCADE");
                capture(
                        out,
                        st,
                        "v1-dml.hex",
                        1,
                        "PostgreSQL 13: insert two rows, update, update of the key, delete, truncate of two tables");

                st.execute("INSERT INTO docs VALUES (1, repeat('0123456789', 1000), 'first')");
                st.execute("UPDATE docs SET note = 'second' WHERE id = 1");
                capture(
                        out,
                        st,
                        "v1-toast.hex",
                        1,
                        "PostgreSQL 13: insert of an out-of-line TOASTed value, then an update that leaves it unchanged");

                st.execute("INSERT INTO nokey VALUES (1, 'one')");
                st.execute("UPDATE nokey SET b = 'uno' WHERE a = 1");
                st.execute("DELETE FROM nokey WHERE a = 1");
                capture(
                        out,
                        st,
                        "v1-identity-full.hex",
                        1,
                        "PostgreSQL 13: REPLICA IDENTITY FULL table without a key: insert, update, delete");
            }
        }
    }

    private static void messagesAndStreamingOnPostgres15(Path out) throws Exception {
        try (LocalCluster pg = PgFixture.server(15, Map.of("logical_decoding_work_mem", "'64kB'"))) {
            PgFixture.createDatabase(pg, "app");
            try (Connection c = PgFixture.connect(pg, "app");
                    Statement st = c.createStatement()) {
                // the SQL decoding functions read only flushed WAL; the fixture's servers flush lazily
                st.execute("SET synchronous_commit = on");
                st.execute("CREATE TABLE big (id int PRIMARY KEY, pad text)");
                st.execute("CREATE PUBLICATION p FOR ALL TABLES");
                st.execute("SELECT pg_create_logical_replication_slot('s', 'pgoutput')");

                st.execute("BEGIN");
                st.execute("SELECT pg_logical_emit_message(true, 'pgferry', 'in a transaction')");
                st.execute("INSERT INTO big VALUES (0, 'x')");
                st.execute("COMMIT");
                st.execute("SELECT pg_logical_emit_message(false, 'pgferry', 'not transactional')");
                // neither a non-transactional message nor an abort flushes WAL; a commit after them does
                st.execute("INSERT INTO big VALUES (-1, 'flush')");
                capture(
                        out,
                        st,
                        "v1-message.hex",
                        1,
                        "PostgreSQL 15, protocol 1, messages on: a transactional logical message with an insert, then a non-transactional one",
                        "'messages', 'true'");

                // larger than logical_decoding_work_mem: streamed in blocks before it commits;
                // the rolled-back savepoint becomes a StreamAbort of the subtransaction
                st.execute("BEGIN");
                st.execute("INSERT INTO big SELECT g, repeat('p', 10) FROM generate_series(1, 600) g");
                st.execute("SAVEPOINT sp");
                st.execute("INSERT INTO big SELECT g, repeat('q', 10) FROM generate_series(1001, 1400) g");
                st.execute("ROLLBACK TO SAVEPOINT sp");
                st.execute("INSERT INTO big VALUES (5000, 'last')");
                st.execute("COMMIT");
                st.execute("BEGIN");
                st.execute("INSERT INTO big SELECT g, repeat('r', 10) FROM generate_series(6001, 7000) g");
                st.execute("ROLLBACK");
                st.execute("INSERT INTO big VALUES (-2, 'flush')");
                capture(
                        out,
                        st,
                        "v2-stream.hex",
                        2,
                        "PostgreSQL 15, protocol 2, streaming on, logical_decoding_work_mem 64kB: a streamed transaction with a rolled-back savepoint that commits, then a streamed one that aborts",
                        "'streaming', 'on'");
            }
        }
    }

    private static void capture(
            Path dir, Statement st, String file, int protocol, String comment, String... extraOptions)
            throws SQLException, java.io.IOException {
        StringBuilder text = new StringBuilder("# " + comment + "\n# protocol " + protocol + "\n");
        String extra = extraOptions.length == 0 ? "" : ", " + String.join(", ", List.of(extraOptions));
        try (ResultSet rs = st.executeQuery("SELECT lsn, data FROM pg_logical_slot_get_binary_changes('s', NULL, NULL,"
                + " 'proto_version', '" + protocol + "', 'publication_names', 'p'" + extra + ")")) {
            while (rs.next()) {
                text.append(rs.getString(1))
                        .append(' ')
                        .append(HexFormat.of().formatHex(rs.getBytes(2)))
                        .append('\n');
            }
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(file), text.toString());
        System.out.println("wrote " + dir.resolve(file));
    }
}
