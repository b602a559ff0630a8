package io.pgferry.schema;

import io.pgferry.pg.ConnectionSpec;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.Identifiers;
import io.pgferry.pg.PgferryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The schema as a version-matched pg_dump sees it, in two custom-format archives (pre-data and
 * post-data) in the work dir, optionally taken under the copy's exported snapshot so schema and
 * rows describe the same instant. Post-data entries are tied to their table through the
 * source's catalogs (by OID, since names in a TOC line are ambiguous), so each table's indexes
 * and keys can be built as soon as its rows are in.
 */
public final class PgDumpSchemaSource implements SchemaSource {
    private static final long PG_CLASS = 1259;
    private static final long PG_CONSTRAINT = 2606;
    private static final long PG_TRIGGER = 2620;
    private static final long PG_EVENT_TRIGGER = 3466;

    private final SchemaSectionCopy sections;
    private final PgClientTools tools;
    private final Path workDir;
    private final List<String> dumpArgs;
    private final List<String> excludedSchemas;
    private List<PostDataItem> items = List.of();
    private final Map<String, TocListing.Entry> entriesById = new HashMap<>();
    /** Keys built in two steps, by the id of either step's item. */
    private final Map<String, KeyIndexBuild> keyBuilds = new HashMap<>();
    /** Per-table indexes and constraints run from pg_restore's script over JDBC, by item id. */
    private final Map<String, ScriptedPostDataItem> scripted = new HashMap<>();

    private static final Set<String> SCRIPTED_KINDS = Set.of("INDEX", "CONSTRAINT", "FK CONSTRAINT");

    /**
     * @param snapshot      an exported snapshot to dump under, or empty for the current state
     * @param excluded      relations left out, as exact pg_dump patterns
     */
    public PgDumpSchemaSource(
            PgClientTools tools,
            Path workDir,
            boolean keepOwners,
            boolean keepPrivileges,
            Optional<String> snapshot,
            List<String> excluded) {
        this(tools, workDir, keepOwners, keepPrivileges, snapshot, excluded, List.of());
    }

    /**
     * @param excludedSchemas schemas left out whole (functions and all), with the triggers elsewhere that call their
     *                        functions: a run's own capture schema on the source
     */
    public PgDumpSchemaSource(
            PgClientTools tools,
            Path workDir,
            boolean keepOwners,
            boolean keepPrivileges,
            Optional<String> snapshot,
            List<String> excluded,
            List<String> excludedSchemas) {
        this.excludedSchemas = List.copyOf(excludedSchemas);
        this.sections = new SchemaSectionCopy(tools, workDir, keepOwners, keepPrivileges);
        this.tools = tools;
        this.workDir = workDir;
        List<String> args = new ArrayList<>();
        // large objects are copied with the data, in parallel and under the snapshot
        args.add("--no-blobs");
        snapshot.ifPresent(s -> args.add("--snapshot=" + s));
        excluded.forEach(p -> args.add("--exclude-table=" + p));
        excludedSchemas.forEach(n -> args.add("--exclude-schema=" + Identifiers.quote(n)));
        this.dumpArgs = List.copyOf(args);
    }

    public Path preDataArchive() {
        return workDir.resolve("schema-pre-data.dump");
    }

    public Path postDataArchive() {
        return workDir.resolve("schema-post-data.dump");
    }

    /** Which keys of the post-data archive are built in two steps (see {@link KeyIndexBuild}): decided with the dump. */
    private Path keyPlan() {
        return workDir.resolve("schema-key-indexes.json");
    }

    /** Dumps both sections from the source into the work dir, side by side (each pg_dump spends most of its time reading catalogs). */
    @Override
    public void dump(ConnectionSpec source, Consumer<String> log) {
        try {
            Files.deleteIfExists(keyPlan());
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot remove " + keyPlan() + ": " + e.getMessage(),
                    "check the work dir is writable",
                    e);
        }
        java.util.concurrent.CompletableFuture<Void> post = java.util.concurrent.CompletableFuture.runAsync(
                () -> sections.dump(source, SchemaSectionCopy.Section.POST_DATA, dumpArgs, log));
        sections.dump(source, SchemaSectionCopy.Section.PRE_DATA, dumpArgs, log);
        try {
            post.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    /** Whether both archives are already in the work dir (a resumed run needs no new dump). */
    @Override
    public boolean dumped() {
        return Files.isRegularFile(preDataArchive()) && Files.isRegularFile(postDataArchive());
    }

    @Override
    public void applyPreData(ConnectionSpec target, boolean replace, Consumer<String> log) {
        sections.restore(preDataArchive(), target, replace ? List.of("--clean", "--if-exists") : List.of(), log);
    }

    /**
     * Reads the post-data archive and ties each entry to its table through the source's
     * catalogs. Foreign keys that point at a table the filter leaves out are dropped: they
     * could never be created on the target. Returns those dropped, for a warning.
     */
    @Override
    public List<String> loadPostData(Connection source, Set<String> excludedRelations) throws SQLException {
        Map<Long, String[]> indexTable = ownerTables(
                source,
                "SELECT i.indexrelid, n.nspname, c.relname, c.relkind::text, NULL, NULL, NULL,"
                        + " ic.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " JOIN pg_class ic ON ic.oid = i.indexrelid");
        Map<Long, String[]> constraintTable = ownerTables(
                source,
                "SELECT k.oid, n.nspname, c.relname, c.relkind::text,"
                        + " fn.nspname, f.relname, f.relkind::text, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class f ON f.oid = k.confrelid"
                        + " LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace WHERE k.conrelid <> 0");
        Map<Long, KeyIndexBuild> keys = KeyIndexBuild.decided(source, keyPlan());
        Set<Long> excludedTriggers = triggersCalling(source, excludedSchemas, false);
        // pg_dump dumps event triggers as the database's (in no schema): the run's own call its excluded schema
        Set<Long> excludedEventTriggers = triggersCalling(source, excludedSchemas, true);
        List<PostDataItem> out = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        Map<Integer, Scripted> toScript = new HashMap<>();
        for (TocListing.Entry e :
                TocListing.read(tools.pgRestore(), postDataArchive()).entries()) {
            entriesById.put(Integer.toString(e.id()), e);
            if (e.catalogOid() == PG_TRIGGER && excludedTriggers.contains(e.objectOid())
                    || e.catalogOid() == PG_EVENT_TRIGGER && excludedEventTriggers.contains(e.objectOid())) {
                continue;
            }
            String[] owner = e.catalogOid() == PG_CLASS
                    ? indexTable.get(e.objectOid())
                    : e.catalogOid() == PG_CONSTRAINT ? constraintTable.get(e.objectOid()) : null;
            boolean perTable = owner != null
                    && "r".equals(owner[2])
                    && (e.type().equals("INDEX") || e.type().equals("CONSTRAINT"));
            if (e.type().equals("FK CONSTRAINT")
                    && owner != null
                    && owner[3] != null
                    && excludedRelations.contains(owner[3] + "." + owner[4])) {
                dropped.add(e.line());
                continue;
            }
            // partitioned tables (either side) wait for the end: their keys need every partition
            boolean betweenTables =
                    e.type().equals("FK CONSTRAINT") && owner != null && "r".equals(owner[2]) && "r".equals(owner[5]);
            PostDataItem.Stage stage = perTable
                    ? PostDataItem.Stage.PER_TABLE
                    : betweenTables ? PostDataItem.Stage.BETWEEN_TABLES : PostDataItem.Stage.FINAL;
            KeyIndexBuild key = perTable && e.catalogOid() == PG_CONSTRAINT ? keys.get(e.objectOid()) : null;
            if (key != null) {
                String id = Integer.toString(e.id());
                keyBuilds.put(id, key);
                keyBuilds.put(id + PostDataItem.KEY_INDEX_ID_SUFFIX, key);
                out.add(new PostDataItem(
                        id + PostDataItem.KEY_INDEX_ID_SUFFIX,
                        PostDataItem.KEY_INDEX,
                        owner[0],
                        owner[1],
                        owner[6],
                        stage));
            }
            // an index or constraint by its own name; anything else by its TOC line, which names it
            out.add(new PostDataItem(
                    Integer.toString(e.id()),
                    e.type(),
                    owner == null ? null : owner[0],
                    owner == null ? null : owner[1],
                    owner == null ? e.line() : owner[6],
                    stage,
                    betweenTables ? owner[3] + "." + owner[4] : null));
            if (stage != PostDataItem.Stage.FINAL && key == null && SCRIPTED_KINDS.contains(e.type())) {
                toScript.put(e.id(), scripted(e.type(), owner[0], owner[1], owner[6]));
            }
        }
        items = List.copyOf(out);
        scriptItems(toScript);
        return dropped;
    }

    /** Triggers (or event triggers) whose function lives in one of {@code schemas}: the target will not have it. */
    private static Set<Long> triggersCalling(Connection source, List<String> schemas, boolean eventTriggers)
            throws SQLException {
        Set<Long> out = new java.util.HashSet<>();
        if (schemas.isEmpty()) {
            return out;
        }
        String triggers = eventTriggers
                ? "pg_event_trigger t JOIN pg_proc p ON p.oid = t.evtfoid"
                : "pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid";
        try (java.sql.PreparedStatement ps = source.prepareStatement("SELECT t.oid FROM " + triggers
                + " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY (?)")) {
            ps.setArray(1, source.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    /**
     * An index or constraint to run from the script: what pg_restore --clean --if-exists would drop
     * first, a query that finds it, and its name for messages.
     */
    private record Scripted(String drop, String exists, String what) {}

    private static Scripted scripted(String kind, String schema, String table, String name) {
        String qualifiedTable = Identifiers.qualified(schema, table);
        String what = kind.toLowerCase(java.util.Locale.ROOT) + " " + Identifiers.quote(name) + " of " + qualifiedTable;
        if (kind.equals("INDEX")) {
            String index = Identifiers.qualified(schema, name);
            return new Scripted(
                    "DROP INDEX IF EXISTS " + index,
                    "SELECT 1 WHERE to_regclass(" + Identifiers.literal(index) + ") IS NOT NULL",
                    what);
        }
        return new Scripted(
                "ALTER TABLE IF EXISTS ONLY " + qualifiedTable + " DROP CONSTRAINT IF EXISTS "
                        + Identifiers.quote(name),
                "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(" + Identifiers.literal(qualifiedTable)
                        + ") AND conname = " + Identifiers.literal(name),
                what);
    }

    /**
     * The indexes and constraints built beside the copy run from one pg_restore script over JDBC,
     * each on a session of its own, instead of one pg_restore process each; see {@link RestoreScript}.
     */
    private void scriptItems(Map<Integer, Scripted> toScript) {
        scripted.clear();
        if (toScript.isEmpty()) {
            return;
        }
        Path list = workDir.resolve("lists").resolve("per-table.list");
        try {
            Files.createDirectories(list.getParent());
            Files.write(
                    list,
                    toScript.keySet().stream()
                            .sorted()
                            .map(id -> entriesById.get(Integer.toString(id)).line())
                            .toList());
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot write " + list + ": " + e.getMessage(),
                    "check the work dir is writable",
                    e);
        }
        Map<Integer, RestoreScript.Entry> entries = RestoreScript.render(
                tools.pgRestore(),
                postDataArchive(),
                list,
                workDir.resolve("lists").resolve("per-table.sql"),
                toScript.keySet());
        toScript.forEach((id, item) -> {
            RestoreScript.Entry entry = entries.get(id);
            if (entry != null) {
                scripted.put(
                        Integer.toString(id), new ScriptedPostDataItem(entry, item.drop(), item.exists(), item.what()));
            }
        });
    }

    @Override
    public List<PostDataItem> postDataItems() {
        return items;
    }

    @Override
    public void applyPostDataItem(PostDataItem item, ConnectionSpec target, Consumer<String> log) {
        KeyIndexBuild key = keyBuilds.get(item.id());
        ScriptedPostDataItem scriptedItem = scripted.get(item.id());
        if (scriptedItem != null) {
            scriptedItem.apply(target);
        } else if (key == null) {
            applyPostData(List.of(item), target, 1, "item-" + item.id(), log);
        } else if (item.kind().equals(PostDataItem.KEY_INDEX)) {
            key.buildIndex(target);
        } else {
            key.attach(target);
        }
    }

    /**
     * Restores the given entries with pg_restore, {@code jobs} at a time. Each object is dropped
     * first if it exists, so a rerun after a crash mid-build simply builds it again.
     */
    @Override
    public void applyPostData(
            List<PostDataItem> batch, ConnectionSpec target, int jobs, String listName, Consumer<String> log) {
        // keys built in two steps go first, in order: whatever else the batch holds may need them (a foreign key)
        batch.stream().filter(i -> keyBuilds.containsKey(i.id())).forEach(i -> applyPostDataItem(i, target, log));
        batch = batch.stream().filter(i -> !keyBuilds.containsKey(i.id())).toList();
        if (batch.isEmpty()) {
            return;
        }
        Path list = workDir.resolve("lists").resolve(listName + ".list");
        try {
            Files.createDirectories(list.getParent());
            Files.write(
                    list,
                    batch.stream().map(i -> entriesById.get(i.id()).line()).toList());
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.FAILED,
                    "cannot write " + list + ": " + e.getMessage(),
                    "check the work dir is writable",
                    e);
        }
        List<String> args = new ArrayList<>(List.of("--use-list=" + list, "--clean", "--if-exists"));
        if (jobs > 1) {
            args.add("--jobs=" + jobs);
        }
        sections.restore(postDataArchive(), target, args, log);
    }

    private static Map<Long, String[]> ownerTables(Connection c, String sql) throws SQLException {
        Map<Long, String[]> out = new HashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.put(rs.getLong(1), new String[] {
                    rs.getString(2),
                    rs.getString(3),
                    rs.getString(4),
                    rs.getString(5),
                    rs.getString(6),
                    rs.getString(7),
                    rs.getString(8)
                });
            }
        }
        return out;
    }
}
