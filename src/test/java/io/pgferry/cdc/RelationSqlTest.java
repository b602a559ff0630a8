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

    // what the statements do to rows is RelationSqlIT's; here, which columns find a row

    @Test
    void keyedTablesFindRowsByTheirKey() {
        RelationSql sql = new RelationSql(relation(PgOutputMessage.ReplicaIdentity.DEFAULT));
        assertThat(sql.whereColumns(null)).isEqualTo(bits(0));
        TupleData old = new TupleData(
                List.of(TupleData.Text.of("1"), TupleData.Null.INSTANCE, TupleData.UnchangedToast.INSTANCE));
        assertThat(sql.whereColumns(old)).isEqualTo(bits(0));
    }

    @Test
    void fullIdentityFindsRowsByEveryOldValueTheOldImageCarries() {
        RelationSql sql = new RelationSql(relation(PgOutputMessage.ReplicaIdentity.FULL));
        TupleData old = new TupleData(
                List.of(TupleData.Text.of("1"), TupleData.Null.INSTANCE, TupleData.UnchangedToast.INSTANCE));
        assertThat(sql.whereColumns(old)).isEqualTo(bits(0, 1));
        assertThat(sql.whereColumns(null)).isEqualTo(new BitSet());
        assertThat(sql.fullIdentity()).isTrue();
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
