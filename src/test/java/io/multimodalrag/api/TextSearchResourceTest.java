package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** POST /v1/search/text through HTTP, with the tiny model (random weights: scores, not meaning, are checked). */
@QuarkusTest
class TextSearchResourceTest {

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    private static ValidatableResponse search(String json) {
        return given().contentType(ContentType.JSON).body(json).when().post("/v1/search/text").then();
    }

    @Test
    void answersInTheShapeOfImageSearch() {
        search("{\"query\": \"battery generator\"}")
                .statusCode(200)
                .contentType("application/json")
                .body("results", hasSize(2))
                .body("results[0].id", not(equalTo("")))
                .body("results[0].imagePath", containsString("image_database/"))
                .body("results[0].description", not(equalTo("")))
                .body("results[0].score", greaterThanOrEqualTo(-1f))
                .body("model", equalTo("clip-tiny"))
                .body("tookMs", greaterThanOrEqualTo(0))
                .body("textTower.name", equalTo("clip-tiny"))
                .body("textTower.languages", equalTo("en"))
                .body("$", not(hasKey("hint")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            موتورسیکلت قرمز              | Arabic
            红色的摩托车                  | Han
            красный мотоцикл             | Cyrillic
            a red موتورسیکلت قرمز بزرگ    | Arabic
            """)
    void aQueryMostlyInAnotherScriptThanLatinGetsAHintFromTheEnglishOnlyTower(String query, String script) {
        String hint = search("{\"query\": \"" + query + "\"}").statusCode(200)
                .body("results", hasSize(2))
                .body("textTower.languages", equalTo("en"))
                .extract().path("hint");
        assertTrue(hint.contains("reads English only") && hint.contains(script + " script")
                && hint.contains("rag.model.text-tower=multilingual"), hint);
        // The text embedding endpoint says the same.
        given().contentType(ContentType.JSON).body("{\"input\": \"" + query + "\"}").post("/v1/embeddings/text")
                .then().statusCode(200).body("hint", equalTo(hint)).body("textTower.name", equalTo("clip-tiny"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a red motorcycle", "Ünïcödé çafé", "a red motorcycle قرمز", "🐱🐶 42"})
    void englishOrLatinScriptOrNoLettersGetsNoHint(String query) {
        search("{\"query\": \"" + query + "\"}").statusCode(200).body("$", not(hasKey("hint")));
    }

    @Test
    void scoresAreTheCosineOfTheTextAndImageEmbeddings() {
        String query = "a red motorcycle in a garage";
        Map<String, Object> best = given().contentType(ContentType.JSON).body(Map.of("query", query, "k", 1))
                .post("/v1/search/text").then().statusCode(200).extract().path("results[0]");
        List<Float> text = given().contentType(ContentType.JSON).body(Map.of("input", query))
                .post("/v1/embeddings/text").then().statusCode(200).extract().path("data[0].embedding");
        String fileName = ((String) best.get("imagePath")).substring("image_database/".length());
        List<Float> image = given().multiPart("image", fileName, TestImages.knowledgeBaseImage(fileName))
                .post("/v1/embeddings/image").then().statusCode(200).extract().path("embedding");
        assertEquals(text.size(), image.size(), "text and image vectors share one space");
        double cosine = 0;
        for (int i = 0; i < text.size(); i++) {
            cosine += text.get(i) * image.get(i);
        }
        assertEquals(cosine, ((Number) best.get("score")).doubleValue(), 1e-4);
    }

    @Test
    void resultsAreBestFirstAndKAndMinScoreAreHonoured() {
        List<Float> all = search("{\"query\": \"coffee cup\", \"k\": 100}").statusCode(200)
                .body("results", hasSize(29)).extract().path("results.score");
        for (int i = 1; i < all.size(); i++) {
            assertTrue(all.get(i - 1) >= all.get(i), "scores not descending: " + all);
        }
        search("{\"query\": \"coffee cup\", \"k\": 1}").statusCode(200).body("results", hasSize(1));
        search("{\"query\": \"coffee cup\", \"k\": 10, \"minScore\": null}").statusCode(200).body("results", hasSize(10));
        float threshold = (all.get(2) + all.get(3)) / 2;
        search("{\"query\": \"coffee cup\", \"k\": 10, \"minScore\": " + threshold + "}").statusCode(200)
                .body("results", hasSize(3));
    }

    @Test
    void cleanupMakesCaseSpacingAndHtmlIrrelevant() {
        List<Float> plain = search("{\"query\": \"battery & generator\", \"k\": 5}").extract().path("results.score");
        List<Float> messy = search("{\"query\": \"  BATTERY &amp;amp;\\t\\n Generator \", \"k\": 5}")
                .extract().path("results.score");
        assertEquals(plain, messy);
    }

    @Test
    void textsLongerThanClipReadsAreTruncatedNotRefused() {
        search("{\"query\": \"" + "photo ".repeat(166) + "cat\"}").statusCode(200).body("results", hasSize(2));
        // the limit counts characters (code points), not UTF-16 units
        search("{\"query\": \"" + "\uD83D\uDE80".repeat(1000) + "\"}").statusCode(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"query\": null}", "{\"query\": \"\"}", "{\"query\": \"  \\t \"}",
            "{\"query\": 42}", "{\"query\": [\"cat\"]}", "{\"query\": {\"text\": \"cat\"}}", "{\"k\": 2}"})
    void aMissingEmptyOrNonTextQueryIsA400(String body) {
        search(body).statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:bad-request"))
                .body("detail", containsString("'query'"));
    }

    @Test
    void aQueryOverTheLengthLimitIsA400() {
        search("{\"query\": \"" + "a".repeat(1001) + "\"}").statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", containsString("1001 characters"))
                .body("detail", containsString("rag.text.max-length"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "101", "-1", "1.5", "2.0", "\"5\"", "true", "[2]", "1e100"})
    void kOutOfRangeOrNotAWholeNumberIsA400(String k) {
        search("{\"query\": \"cat\", \"k\": " + k + "}").statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", containsString("'k'"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.01", "-2", "\"0.5\"", "false"})
    void minScoreOutOfRangeOrNotANumberIsA400(String minScore) {
        search("{\"query\": \"cat\", \"minScore\": " + minScore + "}").statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("detail", containsString("'minScore'"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"query\": ", "{query: \"cat\"}", "{\"query\": \"cat\",}", "[\"cat\"]", "\"cat\"", "null", ""})
    void aBodyThatIsNotAJsonObjectIsA400ProblemWithoutInternals(String body) {
        String answer = search(body).statusCode(400).contentType(Problem.MEDIA_TYPE)
                .body("status", equalTo(400))
                .body("type", equalTo("urn:multimodal-rag:problem:bad-request"))
                .body("detail", containsString("JSON"))
                .extract().asString();
        assertTrue(!answer.contains("Exception") && !answer.contains("io.multimodalrag") && !answer.contains("\tat "),
                answer);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"query\": \"cat\", \"query\": \"dog\"}", "{\"query\": \"cat\", \"k\": 1, \"k\": 50}"})
    void aMemberGivenTwiceIsA400ThatNamesIt(String body) {
        try (CapturedLogs logs = CapturedLogs.start()) {
            search(body).statusCode(400).contentType(Problem.MEDIA_TYPE)
                    .body("type", equalTo("urn:multimodal-rag:problem:bad-request"))
                    .body("detail", containsString("twice"));
            assertTrue(!logs.text().contains(" ERROR "), logs.text());
        }
    }

    @Test
    void aBodyThatIsNotJsonIsA415() {
        given().contentType(ContentType.TEXT).body("battery generator").when().post("/v1/search/text").then()
                .statusCode(415).contentType(Problem.MEDIA_TYPE).body("detail", containsString("application/json"));
        given().multiPart("query", "battery generator").when().post("/v1/search/text").then()
                .statusCode(415).contentType(Problem.MEDIA_TYPE);
    }
}
