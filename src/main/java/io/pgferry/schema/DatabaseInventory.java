package io.pgferry.schema;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The user objects of a database that can be dropped on their own: schemas (but public),
 * extensions (but plpgsql), relations, routines, standalone types, collations, text search
 * objects, operators, foreign servers and wrappers, event triggers, publications and large
 * objects. An extension's members and objects internal to another (an identity column's
 * sequence, an array type) are left out: they go with their owner. Indexes, constraints,
 * triggers and rules go with their table.
 */
public final class DatabaseInventory {
    private static final String USER_NAMESPACES =
            "SELECT oid FROM pg_namespace WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'";
    private static final String SQL = "WITH ns AS (" + USER_NAMESPACES + "), objs(classid, objid) AS ("
            + " SELECT 'pg_namespace'::regclass, oid FROM pg_namespace WHERE oid IN (SELECT oid FROM ns) AND nspname <> 'public'"
            + " UNION ALL SELECT 'pg_extension'::regclass, oid FROM pg_extension WHERE extname <> 'plpgsql'"
            + " UNION ALL SELECT 'pg_class'::regclass, oid FROM pg_class WHERE relkind IN ('r','p','v','m','f','S') AND relnamespace IN (SELECT oid FROM ns)"
            + " UNION ALL SELECT 'pg_proc'::regclass, oid FROM pg_proc WHERE pronamespace IN (SELECT oid FROM ns)"
            + " UNION ALL SELECT 'pg_type'::regclass, t.oid FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM ns)"
            + "   AND t.typtype IN ('e','d','r','c') AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')"
            + " UNION ALL SELECT 'pg_collation'::regclass, oid FROM pg_collation WHERE collnamespace IN (SELECT oid FROM ns)"
            + " UNION ALL SELECT 'pg_ts_config'::regclass, oid FROM pg_ts_config WHERE cfgnamespace IN (SELECT oid FROM ns)"
            + " UNION ALL SELECT 'pg_ts_dict'::regclass, oid FROM pg_ts_dict WHERE dictnamespace IN (SELECT oid FROM ns)"
            + " UNION ALL SELECT 'pg_operator'::regclass, oid FROM pg_operator WHERE oprnamespace IN (SELECT oid FROM ns)"
            + " UNION ALL SELECT 'pg_foreign_server'::regclass, oid FROM pg_foreign_server"
            + " UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, oid FROM pg_foreign_data_wrapper"
            + " UNION ALL SELECT 'pg_event_trigger'::regclass, oid FROM pg_event_trigger"
            + " UNION ALL SELECT 'pg_publication'::regclass, oid FROM pg_publication"
            + " UNION ALL SELECT 'pg_largeobject'::regclass, oid FROM pg_largeobject_metadata)"
            + " SELECT i.type, i.identity FROM objs o, LATERAL pg_identify_object(o.classid, o.objid, 0) i"
            + " WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.classid AND d.objid = o.objid AND d.objsubid = 0 AND d.deptype IN ('e','i'))";

    private DatabaseInventory() {}

    /** What the connected database holds now. */
    public static Set<CatalogObject> read(Connection c) throws SQLException {
        Set<CatalogObject> out =
                new TreeSet<>(Comparator.comparing(CatalogObject::kind).thenComparing(CatalogObject::identity));
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(SQL)) {
            while (rs.next()) {
                out.add(new CatalogObject(rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }

    /** One object a line, for the state store. */
    public static String encode(Set<CatalogObject> objects) {
        return objects.stream().map(CatalogObject::encode).collect(Collectors.joining("\n"));
    }

    public static Set<CatalogObject> decode(String text) {
        Set<CatalogObject> out = new LinkedHashSet<>();
        if (!text.isEmpty()) {
            for (String line : text.split("\n")) {
                out.add(CatalogObject.decode(line));
            }
        }
        return out;
    }

    /** In an order that drops dependents first. */
    public static List<CatalogObject> inDropOrder(Set<CatalogObject> objects) {
        return objects.stream()
                .sorted(Comparator.comparingInt(CatalogObject::dropRank).thenComparing(CatalogObject::identity))
                .toList();
    }
}
