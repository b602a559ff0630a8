package io.pgferry.method.copy;

import static io.pgferry.testing.Sql.scalar;
import static io.pgferry.testing.Sql.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.state.StateStore;
import io.pgferry.testing.CliRun;
import io.pgferry.testing.ClusterPair;
import io.pgferry.testing.DatabaseDigest;
import io.pgferry.testing.PgFixture;
import io.pgferry.testing.Processes;
import io.pgferry.testing.Requirement;
import io.pgferry.testing.WorkDirStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CopyIT {

    /**
     * 15 -> 17 splits every table with data into parts, so the part logic runs on every table;
     * 13 -> 18 copies each table whole (COPY FREEZE), so foreign keys are checked by merge join
     * and partitioned roots analyzed with ANALYZE ONLY.
     */
    @ParameterizedTest(name = "shop.sql {0} -> {1}, split above {2}")
    @CsvSource({"15, 17, 256kB", "13, 18, 512MB"})
    void copiesShopWithIdenticalContent(int sourceMajor, int targetMajor, String split, @TempDir Path work)
            throws Exception {
        try (ClusterPair pair = PgFixture.pair(sourceMajor, targetMajor)) {
            PgFixture.loadShop(pair.source(), "app", 0.02);
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "SELECT lo_from_bytea(424242, convert_to(repeat('large object ', 200000), 'UTF8'))",
                    // built-in types travel in binary COPY format; a reg* or user-defined type sends the table as text
                    "CREATE TABLE builtin_kinds (id int PRIMARY KEY, n numeric, f float8, ts timestamptz, d date, iv interval, a int[],"
                            + " ta text[], b bytea, j jsonb, u uuid, ip inet, ok bool, t text)",
                    "INSERT INTO builtin_kinds VALUES (1, 12345.678901234567890, 'NaN', '2024-02-29 12:34:56.789+05', 'infinity',"
                            + " '1 mon 2 days 03:04:05', '{1,NULL,3}', '{\"a b\",NULL,\"é\"}', '\\x00ff', '{\"k\": [1, 2.50]}',"
                            + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.1.2.3/8', true, 'tab\tnew\nline ✓'), (2, NULL, NULL, NULL, NULL,"
                            + " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
                    "CREATE TABLE text_kinds (id int PRIMARY KEY, rc regclass, st order_status, sts order_status[])",
                    "INSERT INTO text_kinds VALUES (1, 'customers', 'paid', '{new,paid}')");
            CliRun run = CliRun.of(
                    "migrate",
                    "--method",
                    "copy",
                    "--no-follow",
                    "--jobs",
                    "2",
                    "--split-tables-larger-than",
                    split,
                    "--dir",
                    work.toString(),
                    "--source",
                    pair.sourceUri(),
                    "--target",
                    pair.targetUri());
            assertThat(run.exitCode()).as(run.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                Map<String, String> source = DatabaseDigest.of(s);
                assertThat(source).hasSizeGreaterThan(15).containsKey("public.events_2025_06");
                assertThat(DatabaseDigest.of(t)).isEqualTo(source);
                assertThat(scalar(t, "SELECT current_setting('server_version_num')::int / 10000"))
                        .isEqualTo(targetMajor);
                assertThat(scalar(t, "SELECT last_value FROM invoice_no_seq"))
                        .isEqualTo(scalar(s, "SELECT last_value FROM invoice_no_seq"));
                assertThat(scalar(t, "SELECT count(*) FROM daily_revenue")).isPositive();
                assertThat(scalar(t, "SELECT count(*) FROM pg_trigger WHERE tgname = 'customers_touch'"))
                        .isEqualTo(1);
                assertThat(scalar(t, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"))
                        .isEqualTo(scalar(s, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"));
                assertThat(scalar(t, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"))
                        .isEqualTo(scalar(s, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'"));
                assertThat(scalar(t, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated"))
                        .as("foreign keys checked")
                        .isZero();
                assertThat(scalar(t, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"))
                        .as("partition indexes attached")
                        .isZero();
                // statistics: every table, each leaf partition on its own, and the partitioned root as a whole
                assertThat(scalar(
                                t,
                                "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')"
                                        + " AND NOT EXISTS (SELECT 1 FROM pg_stats st WHERE st.schemaname = 'public' AND st.tablename = c.relname"
                                        + " AND st.inherited = (c.relkind = 'p'))"))
                        .as("tables without statistics")
                        .isZero();
                assertThat(scalar(t, "SELECT length(lo_get(424242))"))
                        .isEqualTo(scalar(s, "SELECT length(lo_get(424242))"));
                assertThat(scalar(t, "SELECT count(*) FROM pg_replication_slots"))
                        .isZero();
                assertThat(scalar(s, "SELECT count(*) FROM pg_replication_slots"))
                        .isZero();
            }
            assertThat(run.out())
                    .containsPattern(
                            split.equals("256kB")
                                    ? "\\(([1-9][0-9]*) table\\(s\\) split, [1-9][0-9]* in binary format\\)"
                                    : "\\(0 table\\(s\\) split, [1-9][0-9]* in binary format\\)");
        }
    }

    @Test
    void seventeenToEighteenCopiesTheSchemaWithPgDump17(@TempDir Path work) throws Exception {
        boolean pgDump17 = new io.pgferry.schema.PgClientToolLocator(java.util.Optional.empty())
                .available().stream().anyMatch(t -> t.major() >= 17);
        Requirement.PG_DUMP_17.assume(
                pgDump17,
                "no pg_dump 17+ on PATH, so a 17 source's schema cannot be copied: put .ci/pg-client-17.sh's bin"
                        + " directory on PATH (.ci/run does)");
        try (ClusterPair pair = PgFixture.pair(17, 18)) {
            PgFixture.loadShop(pair.source(), "app", 0.01);
            CliRun run = migrate(pair, work);
            assertThat(run.exitCode()).as(run.all()).isZero();
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.of(t)).isEqualTo(DatabaseDigest.of(s));
            }
        }
    }

    @Test
    void killedMidwayResumesToAnIdenticalCopy(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.loadShop(pair.source(), "app", 0.1);
            Process child = new ProcessBuilder(
                            "java",
                            "-jar",
                            Path.of("target/pgferry.jar").toAbsolutePath().toString(),
                            "migrate",
                            "--method",
                            "copy",
                            "--no-follow",
                            "--jobs",
                            "1",
                            "--split-tables-larger-than",
                            "2MB",
                            "--dir",
                            work.toString(),
                            "--source",
                            pair.sourceUri(),
                            "--target",
                            pair.targetUri())
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("child.log").toFile())
                    .start();
            long[] parts;
            try {
                long deadline = System.currentTimeMillis() + 120_000;
                parts = partCounts(work);
                while ((parts[0] < 3 || parts[2] < 1) && System.currentTimeMillis() < deadline && child.isAlive()) {
                    Thread.sleep(10);
                    parts = partCounts(work);
                }
            } finally {
                Processes.kill(child);
            }
            parts = partCounts(work);
            assertThat(parts[0]).as("parts done before the kill").isGreaterThanOrEqualTo(3);
            assertThat(parts[2]).as("tables complete before the kill").isPositive();
            assertThat(parts[1]).as("parts left when killed").isPositive();
            CliRun resumed = migrate(pair, work);
            assertThat(resumed.exitCode()).as(resumed.all()).isZero();
            assertThat(resumed.out()).contains("already copied are kept").contains("step schema already done");
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(DatabaseDigest.of(t)).isEqualTo(DatabaseDigest.of(s));
                // the keyless table has no constraint to catch a doubled row: its count is the proof
                assertThat(scalar(t, "SELECT count(*) FROM audit_log"))
                        .isEqualTo(scalar(s, "SELECT count(*) FROM audit_log"));
            }
        }
    }

    @Test
    void oddIdentifiersPartitionsKeylessTablesAndFilters(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE SCHEMA \"Weird \"\"Schema\"\" ✓\"",
                    "CREATE TABLE \"Weird \"\"Schema\"\" ✓\".\"select\" (\"Mixed Case\" int PRIMARY KEY, \"col with space\" text,"
                            + " \"quote\"\"d\" text, \"ünïcødé\" text, \"from\" int, doubled int GENERATED ALWAYS AS (\"from\" * 2) STORED)",
                    "INSERT INTO \"Weird \"\"Schema\"\" ✓\".\"select\" SELECT g, 'v ' || g, 'q\"' || g, E'tab\\there\\nnewline ü' || g, g"
                            + " FROM generate_series(1, 5000) g",
                    "CREATE INDEX \"Idx With Space\" ON \"Weird \"\"Schema\"\" ✓\".\"select\" (\"col with space\")",
                    "CREATE TABLE \"Keyless Log\" (at timestamptz, line text)",
                    "INSERT INTO \"Keyless Log\" SELECT now(), repeat('l', g % 50) FROM generate_series(1, 3000) g",
                    "CREATE TABLE measurements (id bigint, at date NOT NULL, v numeric, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                    "CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                    "CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                    "INSERT INTO measurements SELECT g, date '2024-01-01' + (g % 700), g / 7.0 FROM generate_series(1, 20000) g",
                    "CREATE SCHEMA scratch",
                    "CREATE TABLE scratch.junk (id int PRIMARY KEY)",
                    "INSERT INTO scratch.junk SELECT generate_series(1, 100)",
                    "CREATE TABLE skipped_table (id int PRIMARY KEY)",
                    "CREATE TABLE refers_to_skipped (id int PRIMARY KEY, s int REFERENCES skipped_table)");
            CliRun run = migrate(
                    pair,
                    work,
                    "--split-tables-larger-than",
                    "64kB",
                    "--exclude-schema",
                    "scratch",
                    "--exclude-table",
                    "public.skipped*");
            assertThat(run.exitCode()).as(run.all()).isZero();
            assertThat(run.out()).contains("left out a foreign key");
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                Map<String, String> source = DatabaseDigest.of(s);
                source.remove("scratch.junk");
                source.remove("public.skipped_table");
                Map<String, String> target = DatabaseDigest.of(t);
                assertThat(target)
                        .containsKeys("Weird \"Schema\" ✓.select", "public.Keyless Log", "public.measurements_2025")
                        .doesNotContainKeys("scratch.junk", "public.skipped_table");
                assertThat(target).isEqualTo(source);
                assertThat(scalar(t, "SELECT count(*) FROM pg_indexes WHERE indexname = 'Idx With Space'"))
                        .isEqualTo(1);
                assertThat(scalar(t, "SELECT sum(doubled) FROM \"Weird \"\"Schema\"\" ✓\".\"select\""))
                        .isEqualTo(2L * 5000 * 5001 / 2);
                assertThat(scalar(t, "SELECT count(*) FROM measurements")).isEqualTo(20000);
            }
            CliRun status = CliRun.of("status", "--dir", work.toString(), "--json");
            assertThat(status.out())
                    .doesNotContain(pair.source().password())
                    .doesNotContain(pair.target().password());
        }
    }

    /**
     * Primary keys and unique constraints are built as a unique index beside the table's other
     * indexes, then attached as the constraint; those whose index pg_dump decorates (replica
     * identity, clustered) and exclusion constraints keep pg_dump's form. Every
     * key and index must come out as the source defines it, whichever way it was built.
     */
    @Test
    void keysOfEveryKindArriveAsTheSourceDefinesThem(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE SCHEMA \"Key \"\"Zoo\"\" ✓\"",
                    "CREATE TABLE \"Key \"\"Zoo\"\" ✓\".\"Order\" (\"Id\" int, code text, alt int, note text, during tstzrange,"
                            + " CONSTRAINT \"Order pkey\" PRIMARY KEY (\"Id\") WITH (fillfactor = 70),"
                            + " CONSTRAINT \"Code Unique\" UNIQUE (code) DEFERRABLE INITIALLY DEFERRED,"
                            + " CONSTRAINT alt_unique UNIQUE NULLS NOT DISTINCT (alt) INCLUDE (note),"
                            + " CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&))",
                    "CREATE INDEX order_note_idx ON \"Key \"\"Zoo\"\" ✓\".\"Order\" (lower(note))",
                    "ALTER INDEX \"Key \"\"Zoo\"\" ✓\".order_note_idx ALTER COLUMN 1 SET STATISTICS 321",
                    "INSERT INTO \"Key \"\"Zoo\"\" ✓\".\"Order\" SELECT g, 'c' || g, CASE WHEN g = 1000 THEN NULL ELSE g END, 'n' || g,"
                            + " tstzrange(timestamptz '2024-01-01' + g * interval '1 hour', timestamptz '2024-01-01' + (g + 1) * interval '1 hour')"
                            + " FROM generate_series(1, 3000) g",
                    "CREATE TABLE zoo_child (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                            + " parent int NOT NULL REFERENCES \"Key \"\"Zoo\"\" ✓\".\"Order\")",
                    "INSERT INTO zoo_child (parent) SELECT g % 3000 + 1 FROM generate_series(1, 6000) g",
                    "CREATE TABLE decorated (id int NOT NULL, k int NOT NULL, CONSTRAINT decorated_k UNIQUE (k))",
                    "ALTER TABLE decorated ADD CONSTRAINT decorated_pkey PRIMARY KEY (id)",
                    "ALTER TABLE decorated REPLICA IDENTITY USING INDEX decorated_k",
                    "INSERT INTO decorated SELECT g, -g FROM generate_series(1, 2000) g",
                    "CLUSTER decorated USING decorated_pkey");
            CliRun run = migrate(pair, work);
            assertThat(run.exitCode()).as(run.all()).isZero();
            String constraints =
                    "SELECT string_agg(format('%s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid)), E'\\n'"
                            + " ORDER BY conrelid::regclass::text, conname) FROM pg_constraint WHERE conrelid <> 0"
                            + " AND connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)";
            String indexes =
                    "SELECT string_agg(format('%s %s replident=%s clustered=%s', i.indexrelid::regclass, pg_get_indexdef(i.indexrelid),"
                            + " i.indisreplident, i.indisclustered), E'\\n' ORDER BY i.indexrelid::regclass::text) FROM pg_index i"
                            + " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace,"
                            + " 'information_schema'::regnamespace, 'pg_toast'::regnamespace)";
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                String sourceKeys = text(s, constraints);
                assertThat(sourceKeys)
                        .contains(
                                "PRIMARY KEY (\"Id\")",
                                "UNIQUE (code) DEFERRABLE INITIALLY DEFERRED",
                                "UNIQUE NULLS NOT DISTINCT (alt) INCLUDE (note)",
                                "EXCLUDE USING gist");
                assertThat(text(t, constraints)).isEqualTo(sourceKeys);
                assertThat(text(t, indexes))
                        .isEqualTo(text(s, indexes))
                        .contains("replident=t ", "clustered=t\n", "WITH (fillfactor='70')");
                String statistics =
                        "SELECT string_agg(format('%s %s', attrelid::regclass, attstattarget), ', ' ORDER BY attrelid::regclass::text)"
                                + " FROM pg_attribute WHERE attstattarget > 0 AND attrelid IN (SELECT indexrelid FROM pg_index)";
                assertThat(text(t, statistics)).isEqualTo(text(s, statistics)).contains("order_note_idx 321");
                assertThat(DatabaseDigest.of(t)).isEqualTo(DatabaseDigest.of(s));
            }
            // the other indexes and constraints ran from one pg_restore script over JDBC, not a pg_restore process each
            try (var lists = java.nio.file.Files.list(work.resolve("lists"))) {
                assertThat(lists.map(f -> f.getFileName().toString()))
                        .contains("per-table.sql")
                        .noneMatch(f -> f.startsWith("item-"));
            }
            // the keys that could take the two-step path did: each left its index step in the state store
            try (StateStore store = StateStore.openExisting(work)) {
                String runId = store.currentRun().orElseThrow().id();
                // "Order pkey", "Code Unique", alt_unique, zoo_child_pkey; not decorated's two nor no_overlap
                assertThat(store.postDataDoneOfKind(runId, "index")).isEqualTo(4);
            }
        }
    }

    @Test
    void rowsOfOverFiftyMegabytesStreamInASmallHeap(@TempDir Path work) throws Exception {
        try (ClusterPair pair = PgFixture.pair(15, 17)) {
            // random bytes do not compress, so every row really is 60 MB (120 MB as COPY text)
            PgFixture.exec(
                    pair.source(),
                    "app",
                    "CREATE TABLE blobs (id int PRIMARY KEY, payload bytea)",
                    "INSERT INTO blobs SELECT g, (SELECT decode(string_agg(md5(g::text || i::text || random()::text), ''), 'hex')"
                            + " FROM generate_series(1, 3750000) i) FROM generate_series(1, 3) g");
            Process child = new ProcessBuilder(
                            "java",
                            "-Xmx256m",
                            "-jar",
                            Path.of("target/pgferry.jar").toAbsolutePath().toString(),
                            "migrate",
                            "--method",
                            "copy",
                            "--no-follow",
                            "--jobs",
                            "2",
                            "--dir",
                            work.toString(),
                            "--source",
                            pair.sourceUri(),
                            "--target",
                            pair.targetUri())
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("child.log").toFile())
                    .start();
            try {
                int exit = Processes.exitStatus(child, java.time.Duration.ofMinutes(6), "migrate of 60 MB rows");
                assertThat(exit).as(Files.readString(work.resolve("child.log"))).isZero();
            } finally {
                Processes.kill(child);
            }
            try (Connection s = PgFixture.connect(pair.source(), "app");
                    Connection t = PgFixture.connect(pair.target(), "app")) {
                assertThat(scalar(t, "SELECT min(length(payload)) FROM blobs")).isEqualTo(60_000_000L);
                assertThat(DatabaseDigest.of(t)).isEqualTo(DatabaseDigest.of(s));
            }
        }
    }

    private static CliRun migrate(ClusterPair pair, Path work, String... extra) {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
                "migrate",
                "--method",
                "copy",
                "--no-follow",
                "--jobs",
                "2",
                "--dir",
                work.toString(),
                "--source",
                pair.sourceUri(),
                "--target",
                pair.targetUri()));
        args.addAll(java.util.List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    /** {parts done, parts not done, tables complete} from the work dir's {@code status --json}, as another process reads it. */
    private static long[] partCounts(Path work) throws Exception {
        long[] counts = {0, 0, 0};
        WorkDirStatus.read(work).ifPresent(s -> {
            for (JsonNode t : s.get("tables")) {
                counts[0] += t.get("partsDone").asLong();
                counts[1] += t.get("partsTotal").asLong() - t.get("partsDone").asLong();
                counts[2] += t.get("status").asText().equals("done") ? 1 : 0;
            }
        });
        return counts;
    }
}
