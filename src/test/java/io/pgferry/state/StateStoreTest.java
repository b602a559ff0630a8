package io.pgferry.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's schema follows its version: a new store starts at the newest, an older one is
 * brought up to it, and one from a newer pgferry is refused untouched.
 */
class StateStoreTest {
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    @Test
    void aNewStoreIsAtTheNewestVersionAndHoldsEveryTable(@TempDir Path dir) throws Exception {
        try (StateStore store = StateStore.open(dir)) {
            RunRecord run = store.createRun("copy", "postgres://app@src/shop", "postgres://app@dst/shop");
            store.history().record(run.id(), T0, "copy", 1, 100);
            assertThat(store.history().all(run.id())).hasSize(1);
        }
        assertThat(meta(dir, "schema_version")).isEqualTo(Integer.toString(StoreSchema.VERSION));
        assertThat(meta(dir, "written_by")).isEqualTo(StoreSchema.pgferryVersion());
    }

    @Test
    void aReopenedStoreKeepsItsRunSettingsAndVersion(@TempDir Path dir) throws Exception {
        RunRecord run;
        try (StateStore store = StateStore.open(dir)) {
            run = store.createRun("copy", "postgres://app@src/shop", "postgres://app@dst/shop");
            store.putSetting(run.id(), SettingKey.COPY_SLOT_LSN, "0/16B3748");
            store.markPostDataDone(run.id(), List.of("1:index", "2:constraint"));
        }
        try (StateStore store = StateStore.openExisting(dir)) {
            assertThat(store.currentRun().orElseThrow().id()).isEqualTo(run.id());
            assertThat(store.setting(run.id(), SettingKey.COPY_SLOT_LSN)).contains("0/16B3748");
            assertThat(store.postDataDone(run.id(), "1:index")).isTrue();
            assertThat(store.postDataDone(run.id(), "3:index")).isFalse();
            assertThat(store.postDataDoneOfKind(run.id(), "index")).isEqualTo(1);
        }
        assertThat(meta(dir, "schema_version")).isEqualTo(Integer.toString(StoreSchema.VERSION));
    }

    @Test
    void aStoreWrittenByANewerPgferryIsRefusedAndLeftAsItWas(@TempDir Path dir) throws Exception {
        StateStore.open(dir).close();
        int newer = StoreSchema.VERSION + 1;
        exec(dir, "UPDATE meta SET value = '" + newer + "' WHERE key = 'schema_version'");
        exec(dir, "UPDATE meta SET value = '9.4.0' WHERE key = 'written_by'");

        assertThatThrownBy(() -> StateStore.open(dir)).isInstanceOfSatisfying(PgferryException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.BAD_INPUT);
            assertThat(e.getMessage())
                    .contains("written by pgferry 9.4.0")
                    .contains("state version " + newer)
                    .contains("up to " + StoreSchema.VERSION);
            assertThat(e.hint()).contains("use pgferry 9.4.0 or newer").contains("another --dir");
        });
        assertThat(meta(dir, "schema_version")).isEqualTo(Integer.toString(newer));
        assertThat(meta(dir, "written_by")).isEqualTo("9.4.0");
    }

    @Test
    void aStoreFromBeforeTheVersionRowIsReadAsVersionOneAndMigrated(@TempDir Path dir) throws Exception {
        String runId = versionOneStore(dir, false);
        try (StateStore store = StateStore.openExisting(dir)) {
            assertThat(store.currentRun().orElseThrow().method()).isEqualTo("copy");
            assertThat(store.setting(runId, SettingKey.COPY_SLOT_LSN)).contains("0/16B3748");
            assertThat(store.parts().tables(runId))
                    .singleElement()
                    .satisfies(t -> assertThat(t.partsDone()).isEqualTo(1));
            store.history().record(runId, T0, "copy", 1, 100);
            assertThat(store.history().all(runId)).hasSize(1);
        }
        assertThat(meta(dir, "schema_version")).isEqualTo(Integer.toString(StoreSchema.VERSION));
    }

    @Test
    void aVersionOneStoreWithoutItsLazilyCreatedSampleTableGetsIt(@TempDir Path dir) throws Exception {
        String runId = versionOneStore(dir, true);
        try (StateStore store = StateStore.openExisting(dir)) {
            store.history().record(runId, T0, "copy", 1, 100);
            assertThat(store.history().all(runId))
                    .singleElement()
                    .satisfies(s -> assertThat(s.bytesDone()).isEqualTo(100));
            assertThat(store.streamProgress().of(runId)).isEmpty();
        }
        assertThat(meta(dir, "schema_version")).isEqualTo(Integer.toString(StoreSchema.VERSION));
    }

    /** A store as pgferry wrote it before migrations, frozen here: its DDL must not follow the code. */
    private static String versionOneStore(Path dir, boolean withVersionRow) throws SQLException {
        String runId = "0a1b2c3d";
        String now = T0.toString();
        try (Connection c = DriverManager.getConnection(url(dir));
                Statement st = c.createStatement()) {
            if (withVersionRow) {
                st.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)");
                st.execute("INSERT INTO meta VALUES ('schema_version', '1')");
            }
            st.execute("CREATE TABLE run (id TEXT PRIMARY KEY, method TEXT NOT NULL, source TEXT NOT NULL,"
                    + " target TEXT NOT NULL, status TEXT NOT NULL, phase TEXT, created_at TEXT NOT NULL,"
                    + " updated_at TEXT NOT NULL, last_error TEXT)");
            st.execute("CREATE TABLE step (run_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,"
                    + " started_at TEXT, finished_at TEXT, detail TEXT, PRIMARY KEY (run_id, name))");
            st.execute("CREATE TABLE table_part (run_id TEXT NOT NULL, schema_name TEXT NOT NULL,"
                    + " table_name TEXT NOT NULL, part_no INTEGER NOT NULL, parts_total INTEGER NOT NULL,"
                    + " status TEXT NOT NULL, rows INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,"
                    + " lsn TEXT, started_at TEXT, finished_at TEXT,"
                    + " PRIMARY KEY (run_id, schema_name, table_name, part_no))");
            st.execute("CREATE TABLE cdc_progress (run_id TEXT PRIMARY KEY, received_lsn TEXT, applied_lsn TEXT,"
                    + " source_lsn TEXT, lag_bytes INTEGER, lag_seconds REAL,"
                    + " applied_xacts INTEGER NOT NULL DEFAULT 0, updated_at TEXT)");
            st.execute(
                    "CREATE TABLE progress (run_id TEXT NOT NULL, phase TEXT NOT NULL, done INTEGER NOT NULL,"
                            + " total INTEGER NOT NULL, unit TEXT NOT NULL, bytes_done INTEGER NOT NULL DEFAULT 0,"
                            + " bytes_total INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, PRIMARY KEY (run_id, phase))");
            st.execute("CREATE TABLE event (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, at TEXT NOT NULL,"
                    + " level TEXT NOT NULL, message TEXT NOT NULL)");
            st.execute("CREATE TABLE setting (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT,"
                    + " PRIMARY KEY (run_id, key))");
            st.execute(
                    "CREATE TABLE slot_wal (run_id TEXT NOT NULL, slot_name TEXT NOT NULL, retained_bytes INTEGER,"
                            + " wal_status TEXT, safe_wal_size INTEGER, limit_bytes INTEGER,"
                            + " dropped INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL, PRIMARY KEY (run_id, slot_name))");
            st.execute("INSERT INTO run VALUES ('" + runId + "', 'copy', 'postgres://app@src/shop',"
                    + " 'postgres://app@dst/shop', 'running', 'copy', '" + now + "', '" + now + "', NULL)");
            st.execute("INSERT INTO setting VALUES ('" + runId + "', 'copy.slot_lsn', '0/16B3748')");
            st.execute("INSERT INTO table_part (run_id, schema_name, table_name, part_no, parts_total, status,"
                    + " rows, bytes, lsn) VALUES ('" + runId + "', 'public', 'orders', 1, 1, 'done', 10, 8192,"
                    + " '0/16B3748')");
        }
        return runId;
    }

    private static String meta(Path dir, String key) throws SQLException {
        try (Connection c = DriverManager.getConnection(url(dir));
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT value FROM meta WHERE key = '" + key + "'")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static void exec(Path dir, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url(dir));
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String url(Path dir) {
        return "jdbc:sqlite:" + dir.resolve(StateStore.FILE_NAME);
    }
}
