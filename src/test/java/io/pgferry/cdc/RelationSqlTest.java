package io.pgferry.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class RelationSqlTest {
    private static PgOutputMessage.Relation relation(PgOutputMessage.ReplicaIdentity identity) {
        return new PgOutputMessage.Relation(
                null,
                42,
                "My Schema",
                "order",
                identity,
                List.of(
                        new PgOutputMessage.Column(true, "id", 23, -1),
                        new PgOutputMessage.Column(false, "Note", 25, -1),
                        new PgOutputMessage.Column(false, "doc", 114, -1)));
    }

    private static BitSet bits(int... on) {
        BitSet b = new BitSet();
        for (int i : on) {
            b.set(i);
        }
        return b;
    }

    @Test
    void keyedTablesFindRowsByTheirKey() {
        RelationSql sql = new RelationSql(relation(PgOutputMessage.ReplicaIdentity.DEFAULT));
        assertThat(sql.insert())
                .isEqualTo(
                        "INSERT INTO \"My Schema\".\"order\" (\"id\", \"Note\", \"doc\") OVERRIDING SYSTEM VALUE VALUES (?, ?, ?)");
        BitSet where = sql.whereColumns(null);
        assertThat(where).isEqualTo(bits(0));
        // an unchanged TOASTed column (doc) is left out of the SET list
        assertThat(sql.update(bits(0, 1), where))
                .isEqualTo("UPDATE \"My Schema\".\"order\" SET \"id\" = ?, \"Note\" = ? WHERE \"id\" = ?");
        assertThat(sql.delete(where)).isEqualTo("DELETE FROM \"My Schema\".\"order\" WHERE \"id\" = ?");
    }

    @Test
    void fullIdentityMatchesOneRowByEveryOldValueAsText() {
        RelationSql sql = new RelationSql(relation(PgOutputMessage.ReplicaIdentity.FULL));
        TupleData old = new TupleData(
                List.of(TupleData.Text.of("1"), TupleData.Null.INSTANCE, TupleData.UnchangedToast.INSTANCE));
        BitSet where = sql.whereColumns(old);
        assertThat(where).isEqualTo(bits(0, 1));
        assertThat(sql.delete(where))
                .isEqualTo(
                        "DELETE FROM \"My Schema\".\"order\" WHERE ctid = (SELECT ctid FROM \"My Schema\".\"order\""
                                + " WHERE \"id\"::text IS NOT DISTINCT FROM ?::text AND \"Note\"::text IS NOT DISTINCT FROM ?::text LIMIT 1)");
    }

    @Test
    void protocolFollowsTheSourceMajor() {
        assertThat(SlotStream.protocolFor(13)).isEqualTo(1);
        assertThat(SlotStream.protocolFor(14)).isEqualTo(2);
        assertThat(SlotStream.protocolFor(15)).isEqualTo(2);
        assertThat(SlotStream.protocolFor(16)).isEqualTo(4);
        assertThat(SlotStream.protocolFor(18)).isEqualTo(4);
    }
}
