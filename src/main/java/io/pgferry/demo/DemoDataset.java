package io.pgferry.demo;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;

/**
 * The demo's own sample database: a small online shop with the objects real applications
 * have (enum, domain, identity and generated columns, a partitioned table, jsonb, arrays,
 * TOASTed bytea, a view, a materialized view, a trigger, a table without a primary key, a
 * mixed-case name with a space and unicode). Scale 1 is about 100 MB.
 */
public final class DemoDataset {
    private DemoDataset() {}

    public static void load(Connection c, double scale) throws SQLException {
        int customers = Math.max(10, (int) (50_000 * scale));
        int orders = Math.max(10, (int) (200_000 * scale));
        int events = Math.max(10, (int) (400_000 * scale));
        int docs = Math.max(1, (int) (2_000 * scale));
        try (Statement st = c.createStatement()) {
            for (String sql : statements(customers, orders, events, docs)) {
                st.execute(sql);
            }
        }
    }

    private static List<String> statements(int customers, int orders, int events, int docs) {
        return List.of(
                "SELECT setseed(0.5)",
                "CREATE TYPE order_state AS ENUM ('cart', 'paid', 'shipped', 'returned')",
                "CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%')",
                "CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, mail email NOT NULL,"
                        + " name text NOT NULL, tags text[] NOT NULL DEFAULT '{}', prefs jsonb, joined timestamptz NOT NULL)",
                "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id),"
                        + " state order_state NOT NULL, qty int NOT NULL, unit_price numeric(10,2) NOT NULL,"
                        + " total numeric(12,2) GENERATED ALWAYS AS (qty * unit_price) STORED, placed timestamptz NOT NULL)",
                "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text NOT NULL, payload jsonb,"
                        + " PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
                "CREATE TABLE events_h1 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-07-01')",
                "CREATE TABLE events_h2 PARTITION OF events FOR VALUES FROM ('2025-07-01') TO ('2026-01-01')",
                "CREATE TABLE \"Invoice Scans ✓\" (\"Id\" uuid PRIMARY KEY DEFAULT gen_random_uuid(), customer_id bigint,"
                        + " scan bytea NOT NULL)",
                "CREATE TABLE access_log (at timestamptz NOT NULL, who text, what text)",
                "CREATE SEQUENCE ticket_no START 1000",
                String.format(
                        Locale.ROOT,
                        "INSERT INTO customers (mail, name, tags, prefs, joined) SELECT 'c' || g || '@example.com',"
                                + " initcap(md5(g::text)), CASE WHEN g %% 4 = 0 THEN ARRAY['vip'] ELSE '{}' END,"
                                + " jsonb_build_object('lang', (ARRAY['en','de','ja'])[1 + g %% 3], 'n', g),"
                                + " timestamptz '2020-01-01' + g * interval '17 minutes' FROM generate_series(1, %d) g",
                        customers),
                String.format(
                        Locale.ROOT,
                        "INSERT INTO orders (id, customer_id, state, qty, unit_price, placed) SELECT g, 1 + g %% %d, (ARRAY['cart','paid','shipped','returned']::order_state[])[1 + g %% 4],"
                                + " 1 + g %% 7, round((random() * 300)::numeric, 2), timestamptz '2025-01-01' + g * interval '1 minute'"
                                + " FROM generate_series(1, %d) g",
                        customers,
                        orders),
                String.format(
                        Locale.ROOT,
                        "INSERT INTO events SELECT g, date '2025-01-01' + (g %% 365), (ARRAY['view','click','buy'])[1 + g %% 3],"
                                + " jsonb_build_object('s', md5(g::text), 'ms', g %% 1000) FROM generate_series(1, %d) g",
                        events),
                String.format(
                        Locale.ROOT,
                        "INSERT INTO \"Invoice Scans ✓\" (customer_id, scan) SELECT 1 + g %% %d,"
                                + " decode(repeat(md5(g::text), 200 + g %% 800), 'hex') FROM generate_series(1, %d) g",
                        customers,
                        docs),
                String.format(
                        Locale.ROOT,
                        "INSERT INTO access_log SELECT timestamptz '2025-01-01' + g * interval '3 seconds', 'user' || g %% 100,"
                                + " 'GET /p/' || g FROM generate_series(1, %d) g",
                        events / 2),
                "SELECT setval('ticket_no', 4242)",
                "CREATE INDEX orders_customer_idx ON orders (customer_id)",
                "CREATE INDEX customers_prefs_gin ON customers USING gin (prefs)",
                "CREATE INDEX events_kind_idx ON events (kind, at)",
                "CREATE FUNCTION no_negative_qty() RETURNS trigger LANGUAGE plpgsql AS"
                        + " $$BEGIN IF NEW.qty < 0 THEN RAISE EXCEPTION 'qty < 0'; END IF; RETURN NEW; END$$",
                "CREATE TRIGGER orders_qty BEFORE INSERT OR UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION no_negative_qty()",
                "CREATE VIEW paid_orders AS SELECT o.id, c.mail, o.total FROM orders o JOIN customers c ON c.id = o.customer_id"
                        + " WHERE o.state = 'paid'",
                "CREATE MATERIALIZED VIEW revenue_by_day AS SELECT placed::date AS day, sum(total) AS revenue FROM orders GROUP BY 1",
                "ANALYZE");
    }
}
