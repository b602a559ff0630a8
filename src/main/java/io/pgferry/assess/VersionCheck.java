package io.pgferry.assess;

import java.util.List;

/** Majors of both sides: a target older than the source is a blocker; across majors is worth saying. */
final class VersionCheck implements Check {
    @Override
    public String name() {
        return "versions";
    }

    @Override
    public void run(AssessContext ctx, List<Finding> out) {
        int s = ctx.sourceInfo().major();
        out.add(new Finding(
                "source-version",
                Severity.INFO,
                "source runs PostgreSQL "
                        + io.pgferry.pg.ServerInfo.describe(ctx.sourceInfo().versionNum()),
                "decides which pg_dump can read it (" + s + " or newer) and the pgoutput protocol version",
                null));
        if (!ctx.hasTarget()) {
            return;
        }
        int t = ctx.targetInfo().major();
        if (t < s) {
            out.add(new Finding(
                    "target-older-than-source",
                    Severity.BLOCKER,
                    "target runs PostgreSQL " + t + ", older than the source's " + s,
                    "no method moves a database to an older major safely: dumps and replication assume the same or a newer server",
                    "use a target of PostgreSQL " + s + " or newer"));
        } else if (t > s) {
            out.add(new Finding(
                    "cross-major",
                    Severity.INFO,
                    "major upgrade " + s + " -> " + t,
                    "native logical replication works across majors but its same-major guarantee does not apply;"
                            + " verify (row counts and checksums) before switching, and re-test the application's queries on "
                            + t,
                    null));
        }
    }
}
