package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard (docker/grafana/multimodal-rag.json) queries only series that /q/metrics has, and its metrics
 * are exactly those the README names.
 */
@QuarkusTest
class DashboardTest {

    private static final Path DASHBOARD = Path.of("docker/grafana/multimodal-rag.json");
    /** A series name in a PromQL expression: the service's, or Quarkus' HTTP server timer. */
    private static final Pattern SERIES = Pattern.compile("\\b(rag_[a-z0-9_]+|http_server_requests_seconds_[a-z]+)\\b");
    private static final Pattern README_METRIC = Pattern.compile("`(rag_[a-z0-9_]+)`");

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    private static List<String> expressions() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> exprs = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                exprs.add(target.path("expr").asText());
            }
        }
        return exprs;
    }

    private static Set<String> series(List<String> exprs) {
        Set<String> names = new TreeSet<>();
        for (String expr : exprs) {
            Matcher matcher = SERIES.matcher(expr);
            while (matcher.find()) {
                names.add(matcher.group(1));
            }
        }
        return names;
    }

    /** The metric a series belongs to: a histogram's or summary's name without its _bucket, _count or _sum. */
    private static String family(String series) {
        return series.replaceFirst("_(bucket|count|sum|max)$", "");
    }

    @Test
    void everySeriesTheDashboardQueriesIsInTheMetrics() throws IOException {
        // One request of each kind, so that Quarkus' HTTP timer has the routes the dashboard filters on.
        given().multiPart("image", "cat.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg")).post("/v1/search")
                .then().statusCode(200);
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        Set<String> exposed = new TreeSet<>();
        for (String line : metrics.split("\n")) {
            if (!line.startsWith("#") && !line.isBlank()) {
                exposed.add(line.split("[{ ]", 2)[0]);
            }
        }
        List<String> exprs = expressions();
        assertTrue(exprs.size() >= 10, "panels with queries: " + exprs.size());
        Set<String> missing = new TreeSet<>(series(exprs));
        missing.removeAll(exposed);
        assertEquals(Set.of(), missing, "series the dashboard queries that /q/metrics does not have");
    }

    @Test
    void theDashboardShowsExactlyTheMetricsTheReadmeNames() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String section = readme.substring(readme.indexOf("### Metrics"), readme.indexOf("### Traces"));
        Set<String> named = new TreeSet<>();
        Matcher matcher = README_METRIC.matcher(section);
        while (matcher.find()) {
            named.add(matcher.group(1));
        }
        Set<String> shown = new TreeSet<>();
        for (String series : series(expressions())) {
            if (series.startsWith("rag_")) {
                shown.add(family(series));
            }
        }
        assertEquals(named, shown);
    }
}
