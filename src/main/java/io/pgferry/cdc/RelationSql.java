package io.pgferry.cdc;

import io.pgferry.pg.Identifiers;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The SQL that applies one relation's changes on the target, built from the source's Relation
 * message, with JDBC parameters sent untyped: the target infers each parameter's type from
 * its column, and text output of the source's type is valid input on the same or a newer
 * major. Parameters appear in the order the applier binds them: SET values, then the row's
 * old values.
 *
 * <p>Rows are found by the replica identity's key columns, which use the target's primary-key
 * index. A REPLICA IDENTITY FULL table has no key: its row is found by every old value,
 * compared as text (json and other types have no equality operator), one row at a time by ctid
 * since duplicates are possible.
 */
final class RelationSql {
    private final PgOutputMessage.Relation relation;
    private final String table;

    RelationSql(PgOutputMessage.Relation relation) {
        this.relation = relation;
        this.table = Identifiers.qualified(relation.namespace(), relation.name());
    }

    PgOutputMessage.Relation relation() {
        return relation;
    }

    /** True if {@code other} describes the same table with the same columns and identity. */
    boolean sameShape(PgOutputMessage.Relation other) {
        return relation.oid() == other.oid()
                && relation.namespace().equals(other.namespace())
                && relation.name().equals(other.name())
                && relation.replicaIdentity() == other.replicaIdentity()
                && relation.columns().equals(other.columns());
    }

    String displayName() {
        return relation.namespace() + "." + relation.name();
    }

    String qualified() {
        return table;
    }

    boolean fullIdentity() {
        return relation.replicaIdentity() == PgOutputMessage.ReplicaIdentity.FULL;
    }

    String insert() {
        List<String> cols = new ArrayList<>();
        List<String> params = new ArrayList<>();
        for (PgOutputMessage.Column c : relation.columns()) {
            cols.add(Identifiers.quote(c.name()));
            params.add("?");
        }
        // the source's identity values are the truth: GENERATED ALWAYS columns must take them too
        return "INSERT INTO " + table + " (" + String.join(", ", cols) + ") OVERRIDING SYSTEM VALUE VALUES ("
                + String.join(", ", params) + ")";
    }

    /** UPDATE of the columns in {@code set}, finding the row by {@code where} (see {@link #whereColumns}). */
    String update(BitSet set, BitSet where) {
        List<String> assignments = new ArrayList<>();
        for (int i = set.nextSetBit(0); i >= 0; i = set.nextSetBit(i + 1)) {
            assignments.add(Identifiers.quote(relation.columns().get(i).name()) + " = ?");
        }
        return "UPDATE " + table + " SET " + String.join(", ", assignments) + " WHERE " + rowMatch(where);
    }

    String delete(BitSet where) {
        return "DELETE FROM " + table + " WHERE " + rowMatch(where);
    }

    /** The columns that find a row: the key columns, or for FULL identity every column the old image carries. */
    BitSet whereColumns(TupleData old) {
        BitSet where = new BitSet();
        List<PgOutputMessage.Column> cols = relation.columns();
        for (int i = 0; i < cols.size(); i++) {
            boolean usable = old == null || !(old.get(i) instanceof TupleData.UnchangedToast);
            if (usable && (fullIdentity() ? old != null : cols.get(i).key())) {
                where.set(i);
            }
        }
        return where;
    }

    private String rowMatch(BitSet where) {
        List<String> conds = new ArrayList<>();
        for (int i = where.nextSetBit(0); i >= 0; i = where.nextSetBit(i + 1)) {
            String col = Identifiers.quote(relation.columns().get(i).name());
            conds.add(fullIdentity() ? col + "::text IS NOT DISTINCT FROM ?::text" : col + " = ?");
        }
        String match = conds.isEmpty() ? "true" : String.join(" AND ", conds);
        if (fullIdentity()) {
            return "ctid = (SELECT ctid FROM " + table + " WHERE " + match + " LIMIT 1)";
        }
        return match;
    }
}
