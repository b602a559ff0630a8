package io.pgferry.assess;

import io.pgferry.schema.TargetContents;
import java.sql.SQLException;
import java.util.List;

/** The target: empty, has the roles that own objects, may create subscriptions. */
final class TargetCheck implements Check {
    @Override
    public String name() {
        return "target";
    }

    @Override
    public void run(AssessContext ctx, List<Finding> out) throws SQLException {
        if (!ctx.hasTarget()) {
            return;
        }
        List<String> existing = TargetContents.userObjects(ctx.target(), 5);
        if (!existing.isEmpty()) {
            out.add(new Finding(
                    "target-not-empty",
                    Severity.BLOCKER,
                    "target database holds " + existing,
                    "migrating into it would mix two datasets",
                    "use an empty database (CREATE DATABASE ...), or migrate with --clean (method dump)"));
        }
        List<String> owners = AssessContext.column(
                ctx.source(),
                "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','v','m','S') AND "
                        + AssessContext.USER_REL + " ORDER BY 1");
        List<String> targetRoles = AssessContext.column(ctx.target(), "SELECT rolname FROM pg_roles");
        List<String> missing =
                owners.stream().filter(r -> !targetRoles.contains(r)).toList();
        if (!missing.isEmpty()) {
            out.add(
                    Finding.listing(
                            "target-missing-roles",
                            Severity.WARNING,
                            "roles owning source objects missing on the target",
                            missing,
                            "by default pgferry restores without owners and privileges (objects belong to the connecting role);"
                                    + " keeping them (--keep-owner/--keep-acl) needs the roles",
                            "create them first (pg_dumpall --roles-only on the source gives their definitions, without passwords on managed services)"));
        }
        String canSubscribe = ctx.targetInfo().major() >= 16
                ? "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND (rolsuper OR pg_has_role(current_user, 'pg_create_subscription', 'member'))"
                : "SELECT count(*) FROM pg_roles WHERE rolname = current_user AND rolsuper";
        if (AssessContext.scalar(ctx.target(), canSubscribe) == 0) {
            out.add(new Finding(
                    "target-cannot-subscribe",
                    Severity.WARNING,
                    "the target role may not create subscriptions",
                    "method logical creates a subscription on the target",
                    ctx.targetInfo().major() >= 16
                            ? "GRANT pg_create_subscription TO <role>;"
                            : "use a superuser on the target for method logical"));
        }
    }
}
