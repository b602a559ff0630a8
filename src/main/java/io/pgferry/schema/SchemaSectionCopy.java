package io.pgferry.schema;

import io.pgferry.pg.ConnectionSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Copies one pg_dump section (pre-data: types, tables, functions...; post-data: indexes,
 * constraints, triggers) from source to target: pg_dump -Fc --section=S into the work dir,
 * then pg_restore into the target. Owners and privileges are left out unless asked for, since
 * the target's roles rarely match the source's.
 */
public final class SchemaSectionCopy {
    public enum Section {
        PRE_DATA("pre-data"),
        POST_DATA("post-data");

        private final String flag;

        Section(String flag) {
            this.flag = flag;
        }

        public String flag() {
            return flag;
        }
    }

    private final PgClientTools tools;
    private final Path workDir;
    private final boolean keepOwners;
    private final boolean keepPrivileges;

    public SchemaSectionCopy(PgClientTools tools, Path workDir, boolean keepOwners, boolean keepPrivileges) {
        this.tools = tools;
        this.workDir = workDir;
        this.keepOwners = keepOwners;
        this.keepPrivileges = keepPrivileges;
    }

    /** Dumps {@code section} of the source into the work dir and returns the archive's path. */
    public Path dump(ConnectionSpec source, Section section, List<String> extraDumpArgs, Consumer<String> log) {
        Path archive = workDir.resolve("schema-" + section.flag() + ".dump");
        List<String> args =
                new ArrayList<>(List.of("--format=custom", "--section=" + section.flag(), "--file=" + archive));
        args.addAll(extraDumpArgs);
        new ClientToolRun(tools.pgDump(), args, source, workDir.resolve("logs/pg_dump-" + section.flag() + ".log"))
                .run(log);
        return archive;
    }

    /** Restores an archive made by {@link #dump} into the target, stopping at the first error. */
    public void restore(Path archive, ConnectionSpec target, List<String> extraRestoreArgs, Consumer<String> log) {
        List<String> args = new ArrayList<>(List.of("--exit-on-error"));
        if (!keepOwners) {
            args.add("--no-owner");
        }
        if (!keepPrivileges) {
            args.add("--no-acl");
        }
        args.addAll(extraRestoreArgs);
        // "--": a relative --dir starting with '-' would otherwise read as an option
        args.add("--");
        args.add(archive.toString());
        String name = archive.getFileName().toString().replace(".dump", "");
        new ClientToolRun(tools.pgRestore(), args, target, workDir.resolve("logs/pg_restore-" + name + ".log"))
                .run(log);
    }

    public void copy(ConnectionSpec source, ConnectionSpec target, Section section, Consumer<String> log) {
        restore(dump(source, section, List.of(), log), target, List.of(), log);
    }
}
