package io.pgferry.demo;

import io.pgferry.pg.ConnectionSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo's application: a shop writing to the source on its own session until the cutover's
 * fence ends that session, as it would end a real application's. Each transaction places an
 * order (a sequence-backed ticket number), touches a customer's jsonb, logs an event into the
 * partitioned table and rotates the keyless access log (an insert and a delete).
 */
final class DemoWriter implements AutoCloseable {
    /** Not pgferry's application name: the fence ends this session like any client's. */
    static final String APPLICATION_NAME = "demo-shop";
    /** About 50 transactions a second: visible in the stream without starving the copy of CPU. */
    private static final Duration PAUSE = Duration.ofMillis(20);

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger committed = new AtomicInteger();
    private final Thread thread;
    private volatile SQLException stoppedBy;

    private DemoWriter(ConnectionSpec source) {
        thread = new Thread(() -> loop(source), "demo-shop-writer");
        thread.setDaemon(true);
    }

    static DemoWriter start(ConnectionSpec source) {
        DemoWriter w = new DemoWriter(source);
        w.thread.start();
        return w;
    }

    private void loop(ConnectionSpec source) {
        try (Connection c = DriverManager.getConnection(source.jdbcUrl(), source.jdbcProperties(APPLICATION_NAME));
                Statement st = c.createStatement()) {
            long next;
            try (ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) + 1 FROM orders")) {
                rs.next();
                next = rs.getLong(1);
            }
            c.setAutoCommit(false);
            for (long id = next; running.get(); id++) {
                st.execute("INSERT INTO orders (id, customer_id, state, qty, unit_price, placed) VALUES (" + id
                        + ", 1 + " + id + " % 10, 'cart', 1 + " + id + " % 5, 9.99, now())");
                st.execute("UPDATE orders SET state = 'paid' WHERE id = " + id);
                st.execute(
                        "UPDATE customers SET prefs = prefs || jsonb_build_object('ticket', nextval('ticket_no')) WHERE id = 1 + "
                                + id + " % 10");
                st.execute("INSERT INTO events VALUES (" + id + ", date '2025-03-01' + " + id
                        + " % 200, 'buy', '{\"demo\": true}')");
                st.execute("INSERT INTO access_log VALUES (now(), 'demo', 'POST /orders/" + id + "')");
                st.execute("DELETE FROM access_log WHERE ctid = (SELECT ctid FROM access_log ORDER BY at LIMIT 1)");
                c.commit();
                committed.incrementAndGet();
                Thread.sleep(PAUSE.toMillis());
            }
        } catch (SQLException e) {
            stoppedBy = e; // the fence ends the session: the application stops writing, as intended
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    int committed() {
        return committed.get();
    }

    /** Why the writer stopped before it was asked to, if it did. */
    SQLException stoppedBy() {
        return stoppedBy;
    }

    @Override
    public void close() {
        running.set(false);
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
