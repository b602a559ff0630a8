package io.pgferry.schema;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.Connector;
import io.pgferry.pg.Identifiers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The schema the user already created on the target ({@code --data-only}): nothing to dump or
 * create, and no per-table builds (the target's indexes and keys exist and fill as rows
 * arrive). What is left is data that is not rows of a table: each materialized view populated
 * on the source is refreshed on the target once every table is in, in creation order so one
 * built on another comes after it.
 */
public final class ExistingTargetSchema implements SchemaSource {
    private List<PostDataItem> items = List.of();

    @Override
    public void dump(ConnectionSpec source, Consumer<String> log) {
        // the schema is not copied
    }

    @Override
    public boolean dumped() {
        return true;
    }

    @Override
    public void applyPreData(ConnectionSpec target, boolean replace, Consumer<String> log) {
        // the preflight checked that every table and column is there
    }

    @Override
    public List<String> loadPostData(Connection source, Set<String> excludedRelations) throws SQLException {
        List<PostDataItem> out = new ArrayList<>();
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT c.oid, n.nspname, c.relname FROM pg_class c"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND c.relispopulated"
                        + " AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY c.oid")) {
            while (rs.next()) {
                if (!excludedRelations.contains(rs.getString(2) + "." + rs.getString(3))) {
                    out.add(new PostDataItem(
                            "matview-" + rs.getLong(1),
                            "MATERIALIZED VIEW DATA",
                            rs.getString(2),
                            null,
                            rs.getString(3),
                            PostDataItem.Stage.FINAL));
                }
            }
        }
        items = List.copyOf(out);
        return List.of();
    }

    @Override
    public List<PostDataItem> postDataItems() {
        return items;
    }

    @Override
    public void applyPostDataItem(PostDataItem item, ConnectionSpec target, Consumer<String> log) {
        applyPostData(List.of(item), target, 1, item.id(), log);
    }

    @Override
    public void applyPostData(
            List<PostDataItem> batch, ConnectionSpec target, int jobs, String listName, Consumer<String> log) {
        if (batch.isEmpty()) {
            return;
        }
        Connector connector = new Connector("target", target);
        try (Connection c = connector.open();
                Statement st = c.createStatement()) {
            for (PostDataItem item : batch) {
                String view = Identifiers.qualified(item.schema(), item.name());
                try (ResultSet rs =
                        st.executeQuery("SELECT to_regclass(" + Identifiers.literal(view) + ") IS NOT NULL")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        log.accept("materialized view " + item.schema() + "." + item.name()
                                + " is not on the target: not refreshed");
                        continue;
                    }
                }
                st.execute("REFRESH MATERIALIZED VIEW " + view);
            }
        } catch (SQLException e) {
            throw connector.classify(e);
        }
    }
}
