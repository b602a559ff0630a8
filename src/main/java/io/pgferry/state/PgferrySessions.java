package io.pgferry.state;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * pgferry's own long-lived client sessions on a server (the change stream's), which a write
 * fence must not end. A session is known by its backend PID and start time together, so a PID
 * that a later, unrelated session reuses is not spared; an application_name is no proof, since
 * any client can set one.
 */
public final class PgferrySessions {
    /** How many sessions a side remembers: each new stream session adds one, the oldest are long gone. */
    private static final int KEPT = 16;
    /** A session's id as an expression over pg_stat_activity: its PID and its start in microseconds (text of a timestamp depends on TimeZone). */
    public static final String ACTIVITY_ID =
            "pid::text || '@' || (extract(epoch FROM backend_start) * 1000000)::bigint::text";

    private PgferrySessions() {}

    /** Records the connected session as pgferry's own on {@code side} ("source", "target"). */
    public static void register(StateStore store, String runId, String side, Connection c) throws SQLException {
        String id;
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT " + ACTIVITY_ID + " FROM pg_stat_activity WHERE pid = pg_backend_pid()")) {
            rs.next();
            id = rs.getString(1);
        }
        Set<String> ids = new LinkedHashSet<>(of(store, runId, side));
        ids.add(id);
        List<String> kept = new ArrayList<>(ids);
        store.putSetting(
                runId, key(side), String.join(",", kept.subList(Math.max(0, kept.size() - KEPT), kept.size())));
    }

    /** The ids ({@code pid@start}) of pgferry's sessions on {@code side}; some may have ended. */
    public static List<String> of(StateStore store, String runId, String side) {
        return store.setting(runId, key(side))
                .filter(s -> !s.isEmpty())
                .map(s -> List.of(s.split(",")))
                .orElse(List.of());
    }

    private static SettingKey key(String side) {
        return SettingKey.sessions(side);
    }
}
