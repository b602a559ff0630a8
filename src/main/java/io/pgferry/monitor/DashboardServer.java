package io.pgferry.monitor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pgferry.pg.ErrorCode;
import io.pgferry.pg.PgferryException;
import io.pgferry.pg.Redaction;
import io.pgferry.state.StateStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The web dashboard of one work dir, on the JDK's HTTP server: the page (static files from the
 * jar, nothing fetched from the network), {@code /api/status} (the status document),
 * {@code /api/history} (throughput and lag samples), {@code /api/assessment} and
 * {@code /metrics}. Read-only: every endpoint only reads the state store.
 *
 * <p>With a token, every data request must carry it as {@code Authorization: Bearer}; the page
 * (which holds no data) is served without it and reads the token from the URL's fragment
 * ({@code #token=}), which browsers never send to a server, log or pass on as a Referer. Without
 * a token (loopback only), a request must name a loopback host in its Host header: a web page
 * whose own name an attacker re-points at 127.0.0.1 (DNS rebinding) would otherwise read
 * {@code /api/status} from the user's browser.
 */
public final class DashboardServer implements AutoCloseable {
    public static final String ASSESSMENT_FILE = "assessment.json";
    private static final String WEB = "/io/pgferry/monitor/web/";
    private static final Map<String, String> STATIC =
            Map.of("/", "index.html", "/index.html", "index.html", "/app.js", "app.js", "/style.css", "style.css");

    private final StateStore store;
    private final StatusReader reader;
    private final MetricsExporter metrics;
    private final byte[] token;
    private final HttpServer server;
    private final ExecutorService executor;

    private DashboardServer(StateStore store, InetSocketAddress address, Optional<String> token, Clock clock)
            throws IOException {
        this.store = store;
        this.reader = new StatusReader(store, clock);
        this.metrics = new MetricsExporter(reader::read);
        this.token = token.map(t -> t.getBytes(StandardCharsets.UTF_8)).orElse(null);
        this.server = HttpServer.create(address, 16);
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "pgferry-dashboard");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /**
     * Serves {@code store} on {@code address}. A token is required when the address is not a
     * loopback one: the dashboard shows database names, sizes and timings to whoever reaches it.
     */
    public static DashboardServer start(StateStore store, InetSocketAddress address, Optional<String> token) {
        return start(store, address, token, Clock.systemUTC());
    }

    /** As {@link #start(StateStore, InetSocketAddress, Optional)}, reading status as of {@code clock}'s time. */
    public static DashboardServer start(
            StateStore store, InetSocketAddress address, Optional<String> token, Clock clock) {
        if (!address.getAddress().isLoopbackAddress()
                && token.filter(t -> !t.isBlank()).isEmpty()) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "the dashboard binds to " + address.getAddress().getHostAddress()
                            + ", which is not a loopback address, without a token",
                    "add --token (or PGFERRY_DASHBOARD_TOKEN), or bind to 127.0.0.1 and use an SSH tunnel");
        }
        try {
            DashboardServer d = new DashboardServer(store, address, token.filter(t -> !t.isBlank()), clock);
            d.server.start();
            return d;
        } catch (IOException e) {
            throw new PgferryException(
                    ErrorCode.BAD_INPUT,
                    "cannot serve the dashboard on " + address + ": " + e.getMessage(),
                    "choose another --port (or --dashboard port), or stop what uses this one");
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The address to open, for messages. */
    public String url() {
        String host = server.getAddress().getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port() + "/";
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
            if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
                send(ex, 405, "text/plain; charset=utf-8", "only GET\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (token == null && !loopbackHost(ex.getRequestHeaders().getFirst("Host"))) {
                send(
                        ex,
                        403,
                        "text/plain; charset=utf-8",
                        ("without a token this dashboard answers only requests for a loopback"
                                        + " host (127.0.0.1, localhost, [::1]); serve it with a token to reach it by another name\n")
                                .getBytes(StandardCharsets.UTF_8));
                return;
            }
            String path = ex.getRequestURI().getPath();
            if (!STATIC.containsKey(path) && !authorized(ex)) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                send(
                        ex,
                        401,
                        "text/plain; charset=utf-8",
                        ("a token is required: Authorization: Bearer ... (in a browser, open"
                                        + " the page as /#token=...)\n")
                                .getBytes(StandardCharsets.UTF_8));
                return;
            }
            switch (path) {
                case "/api/status" -> sendStatus(ex);
                case "/api/history" ->
                    sendJson(
                            ex,
                            reader.read()
                                    .map(r -> (Object) Map.of(
                                            "schemaVersion",
                                            1,
                                            "runId",
                                            r.run().id(),
                                            "points",
                                            HistorySamples.read(store, r.run().id())))
                                    .orElse(Map.of("schemaVersion", 1, "points", List.of())));
                case "/api/assessment" -> sendAssessment(ex);
                case "/metrics" -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    metrics.scrape(out);
                    send(ex, 200, MetricsExporter.CONTENT_TYPE, out.toByteArray());
                }
                default -> sendStatic(ex, path);
            }
        } catch (RuntimeException e) {
            byte[] body = ("error: " + Redaction.redact(String.valueOf(e.getMessage())) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            try {
                send(ex, 500, "text/plain; charset=utf-8", body);
            } catch (IOException | RuntimeException ignored) {
                // headers already sent: the client sees a cut response
            }
        }
    }

    private boolean authorized(HttpExchange ex) {
        if (token == null) {
            return true;
        }
        // never from the query string: URLs end up in logs, browser history and Referer headers
        String header = ex.getRequestHeaders().getFirst("Authorization");
        return header != null
                && header.startsWith("Bearer ")
                && matches(header.substring(7).trim());
    }

    /** Whether a Host header names this machine's loopback interface (any port): 127.0.0.0/8, [::1] or localhost. */
    static boolean loopbackHost(String hostHeader) {
        if (hostHeader == null) {
            return false;
        }
        String host = hostHeader.trim().toLowerCase(java.util.Locale.ROOT);
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close > 0
                    && host.substring(1, close).equals("::1")
                    && (close + 1 == host.length() || host.charAt(close + 1) == ':');
        }
        int colon = host.indexOf(':');
        String name = colon >= 0 ? host.substring(0, colon) : host;
        if (colon >= 0 && !host.substring(colon + 1).matches("[0-9]{1,5}")) {
            return false;
        }
        return name.equals("localhost") || name.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
    }

    private boolean matches(String given) {
        return MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8));
    }

    private void sendStatus(HttpExchange ex) throws IOException {
        Optional<StatusReport> report = reader.read();
        if (report.isEmpty()) {
            send(
                    ex,
                    404,
                    "application/json",
                    "{\"error\":\"this work dir holds no migration yet\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        sendJson(ex, report.get());
    }

    /** The work dir's saved assessment ({@code pgferry assess --dir D}), passed through as written. */
    private void sendAssessment(HttpExchange ex) throws IOException {
        Path file = store.dir().resolve(ASSESSMENT_FILE);
        if (!Files.isRegularFile(file)) {
            send(ex, 404, "application/json", "{\"error\":\"no assessment\"}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        send(
                ex,
                200,
                "application/json",
                Redaction.redact(Files.readString(file)).getBytes(StandardCharsets.UTF_8));
    }

    private void sendJson(HttpExchange ex, Object value) throws IOException {
        send(ex, 200, "application/json", StatusJson.write(value, false).getBytes(StandardCharsets.UTF_8));
    }

    private void sendStatic(HttpExchange ex, String path) throws IOException {
        String file = STATIC.get(path);
        if (file == null) {
            send(ex, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        try (InputStream in = DashboardServer.class.getResourceAsStream(WEB + file)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + WEB + file);
            }
            String type = file.endsWith(".html")
                    ? "text/html; charset=utf-8"
                    : file.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            // everything the page uses comes from this server: no CDN, no inline script
            ex.getResponseHeaders()
                    .set(
                            "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'");
            send(ex, 200, type, in.readAllBytes());
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
