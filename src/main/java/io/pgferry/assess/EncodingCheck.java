package io.pgferry.assess;

import java.sql.SQLException;
import java.util.List;

/** Encoding and collation of both databases: a different collation library version can silently corrupt text indexes. */
final class EncodingCheck implements Check {
    @Override
    public String name() {
        return "encoding and collation";
    }

    @Override
    public void run(AssessContext ctx, List<Finding> out) throws SQLException {
        String src = describe(ctx.source(), ctx.sourceInfo().major());
        if (!ctx.hasTarget()) {
            out.add(new Finding(
                    "encoding", Severity.INFO, "source " + src, "the target database should use the same", null));
            return;
        }
        String tgt = describe(ctx.target(), ctx.targetInfo().major());
        if (!src.equals(tgt)) {
            out.add(new Finding(
                    "encoding-or-collation-differs",
                    Severity.WARNING,
                    "source " + src + "; target " + tgt,
                    "a different encoding can reject rows; a different collation or collation library version orders text"
                            + " differently, so text indexes built on one are not valid on the other and queries may sort differently",
                    "create the target database with the source's settings (CREATE DATABASE ... ENCODING ... LC_COLLATE ... LC_CTYPE ... TEMPLATE template0)"
                            + " or accept it knowingly; indexes are rebuilt on the target by every method"));
        } else {
            out.add(new Finding("encoding", Severity.INFO, "both " + src, "same encoding and collation", null));
        }
    }

    private static String describe(java.sql.Connection c, int major) throws SQLException {
        String provider = major >= 15 ? "d.datlocprovider::text" : "'c'";
        return AssessContext.text(
                c,
                "SELECT 'encoding ' || pg_encoding_to_char(d.encoding) || ', collate ' || d.datcollate"
                        + " || ', ctype ' || d.datctype || ', provider ' || " + provider
                        + " FROM pg_database d WHERE d.datname = current_database()");
    }
}
