package io.pgferry.state;

import io.pgferry.pg.Redaction;
import java.util.List;
import java.util.Optional;

/**
 * Table setting: one value per run and key. Besides the {@link SettingKey}s, the copy's
 * finished post-data items are kept here, one key per item ({@code copy.post-data.<item id>}).
 */
final class Settings {
    private static final String POST_DATA_PREFIX = "copy.post-data.";
    private static final String DONE = "done";

    private final StoreSql sql;

    Settings(StoreSql sql) {
        this.sql = sql;
    }

    void put(String runId, SettingKey key, String value) {
        put(runId, key.text(), value);
    }

    Optional<String> get(String runId, SettingKey key) {
        return get(runId, key.text());
    }

    void remove(String runId, SettingKey key) {
        sql.update("DELETE FROM setting WHERE run_id = ? AND key = ?", runId, key.text());
    }

    boolean postDataDone(String runId, String itemId) {
        return get(runId, POST_DATA_PREFIX + itemId).isPresent();
    }

    void postDataDone(String runId, List<String> itemIds) {
        sql.transaction(() -> {
            for (String id : itemIds) {
                put(runId, POST_DATA_PREFIX + id, DONE);
            }
            return null;
        });
    }

    /** How many post-data items of a kind ({@code index}, ...) are recorded done. */
    long postDataDoneOfKind(String runId, String kind) {
        return sql.count(
                "SELECT count(*) FROM setting WHERE run_id = ? AND key LIKE ?", runId, POST_DATA_PREFIX + "%:" + kind);
    }

    private void put(String runId, String key, String value) {
        sql.update(
                "INSERT INTO setting (run_id, key, value) VALUES (?,?,?)"
                        + " ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                runId,
                key,
                Redaction.redact(value));
    }

    private Optional<String> get(String runId, String key) {
        return sql.first("SELECT value FROM setting WHERE run_id = ? AND key = ?", rs -> rs.getString(1), runId, key);
    }
}
