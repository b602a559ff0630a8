package io.pgferry.method.copy;

import io.pgferry.cdc.DdlApply;
import io.pgferry.cdc.DdlCapture;
import io.pgferry.method.MigrationContext;
import io.pgferry.state.MethodKind;
import io.pgferry.state.RunRecord;
import io.pgferry.state.SettingKey;
import io.pgferry.state.StateStore;
import io.pgferry.verify.SchemaDrift;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Method copy's schema-change capture over the life of a run: installed once on the source
 * (unless --no-ddl-capture, or the role may not), how it was set up kept in the state store,
 * and read back by every later stream session, with the changes the user made on the target by
 * hand ({@code follow --ddl-applied-by-hand}).
 */
public final class DdlCaptureSetup {

    private final MigrationContext ctx;
    private final CopyOptions options;

    DdlCaptureSetup(MigrationContext ctx, CopyOptions options) {
        this.ctx = ctx;
        this.options = options;
    }

    /** The capture's mode as the run set it up; empty before it was. */
    public static Optional<DdlCapture.Mode> mode(StateStore store, String runId) {
        return store.setting(runId, SettingKey.DDL_CAPTURE).map(DdlCapture.Mode::valueOf);
    }

    /**
     * For a streaming run (copy or logical) that does not capture schema changes, the moved tables'
     * shape on the source when it started (cutover compares the source with it and refuses on
     * drift); empty otherwise.
     */
    public static Optional<Set<String>> sourceShapeAtStart(StateStore store, RunRecord run) {
        if (!MethodKind.of(run).streams()
                || mode(store, run.id()).map(DdlCapture.Mode::capturing).orElse(true)) {
            return Optional.empty();
        }
        return store.setting(run.id(), SettingKey.DDL_SOURCE_SHAPE)
                .map(s -> s.isEmpty() ? Set.of() : Set.of(s.split("\n")));
    }

    /** Installs the capture of a method copy run unless the run already decided how it captures: before the slot. */
    void installOnce(int sourceMajor) {
        installOnce(
                ctx,
                options.ddlCapture(),
                c -> DdlCapture.install(c, ctx.run().objectName(), sourceMajor, options.filter()),
                mode -> (mode == DdlCapture.Mode.LOG_TABLE
                                ? " into the published table " + ctx.run().objectName() + "." + DdlApply.LOG_TABLE
                                : " as logical messages")
                        + " and run on the target in the stream");
    }

    /** How a method installs the capture on the source. */
    @FunctionalInterface
    public interface Install {
        DdlCapture.Mode on(Connection source) throws SQLException;
    }

    /**
     * Installs the capture unless the run already decided how it captures (on by default; off with
     * --no-ddl-capture; unavailable without the privilege, said so), and records the decision.
     *
     * @param how completes "schema changes on the source are captured by event trigger NAME" for the mode installed
     */
    public static void installOnce(
            MigrationContext ctx,
            boolean wanted,
            Install install,
            java.util.function.Function<DdlCapture.Mode, String> how) {
        if (mode(ctx.store(), ctx.runId()).isPresent()) {
            return;
        }
        DdlCapture.Mode mode;
        if (!wanted) {
            mode = DdlCapture.Mode.OFF;
            ctx.progress()
                    .info(
                            "schema changes on the source are not captured (--no-ddl-capture): cutover compares the schemas"
                                    + " and refuses on a difference");
        } else {
            try (Connection c = ctx.source().open()) {
                mode = install.on(c);
            } catch (SQLException e) {
                throw ctx.source().classify(e);
            }
            if (mode == DdlCapture.Mode.UNAVAILABLE) {
                ctx.progress()
                        .warn(
                                "the source role may not create event triggers (that needs a superuser), so schema changes on the"
                                        + " source during the stream are not carried to the target; cutover compares the schemas and refuses on a"
                                        + " difference. To carry them, migrate as a superuser of the source");
            } else {
                ctx.progress()
                        .info("schema changes on the source are captured by event trigger "
                                + ctx.run().objectName() + how.apply(mode));
            }
        }
        ctx.store()
                .putSetting(
                        ctx.runId(),
                        SettingKey.DDL_CARRIES,
                        ctx.options().keepOwners() + "," + ctx.options().keepPrivileges());
        ctx.store().putSetting(ctx.runId(), SettingKey.DDL_CAPTURE, mode.name());
    }

    /**
     * Without capture, the moved tables' shape on the source, once: right after the stream's
     * start (the slot), where the capture would have begun to see changes.
     */
    public static void recordShapeOnce(MigrationContext ctx, io.pgferry.schema.TableFilter filter) {
        boolean capturing =
                mode(ctx.store(), ctx.runId()).map(DdlCapture.Mode::capturing).orElse(true);
        if (capturing
                || ctx.store().setting(ctx.runId(), SettingKey.DDL_SOURCE_SHAPE).isPresent()) {
            return;
        }
        ctx.store()
                .putSetting(
                        ctx.runId(),
                        SettingKey.DDL_SOURCE_SHAPE,
                        String.join("\n", SchemaDrift.shape(ctx.source(), filter)));
    }

    /** Whether the owners and privileges the run carries: "owners,privileges" as recorded at install. */
    public static boolean[] carries(StateStore store, String runId) {
        String[] carries = store.setting(runId, SettingKey.DDL_CARRIES)
                .orElse("false,false")
                .split(",");
        return new boolean[] {Boolean.parseBoolean(carries[0]), Boolean.parseBoolean(carries[1])};
    }

    /** What a stream session of the run needs to run the captured changes. */
    static DdlApply.Settings settings(MigrationContext ctx) {
        Optional<DdlCapture.Mode> mode = mode(ctx.store(), ctx.runId());
        if (mode.isEmpty() || !mode.get().capturing()) {
            return DdlApply.Settings.NONE;
        }
        String name = ctx.run().objectName();
        boolean[] carries = carries(ctx.store(), ctx.runId());
        return new DdlApply.Settings(
                name,
                mode.get() == DdlCapture.Mode.LOG_TABLE ? name : null,
                CopyAndStream.filterOf(ctx.store(), ctx.run()),
                appliedByHand(ctx.store(), ctx.runId()),
                carries[0],
                carries[1]);
    }

    /** Records that the schema change at {@code lsn} was made on the target by hand: the stream passes over it. */
    public static void markAppliedByHand(StateStore store, String runId, LogSequenceNumber lsn) {
        Set<String> all = appliedByHand(store, runId).stream()
                .map(LogSequenceNumber::asString)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        all.add(lsn.asString());
        store.putSetting(runId, SettingKey.DDL_APPLIED_BY_HAND, String.join(",", all));
    }

    public static Set<LogSequenceNumber> appliedByHand(StateStore store, String runId) {
        return store.setting(runId, SettingKey.DDL_APPLIED_BY_HAND)
                .filter(s -> !s.isBlank())
                .map(s -> Arrays.stream(s.split(","))
                        .map(LogSequenceNumber::valueOf)
                        .collect(Collectors.toSet()))
                .orElse(Set.of());
    }
}
