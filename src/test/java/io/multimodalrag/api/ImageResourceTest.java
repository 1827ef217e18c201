package io.multimodalrag.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@QuarkusTest
class ImageResourceTest {

    @BeforeEach
    void ready() {
        ServiceReadiness.awaitStartupFinished();
    }

    @Test
    void entriesArePagedInFileOrder() {
        given().get("/v1/images").then().statusCode(200)
                .body("total", equalTo(29)).body("page", equalTo(0)).body("size", equalTo(20))
                .body("items", hasSize(20))
                .body("items[0].id", equalTo("astronaut-eileen-collins"))
                .body("items[0].imagePath", equalTo("image_database/astronaut-eileen-collins.jpg"))
                .body("items[0].mediaType", equalTo("image/jpeg"))
                .body("items[0].contentUrl", equalTo("/v1/images/astronaut-eileen-collins/content"));
        given().queryParam("page", 1).queryParam("size", 20).get("/v1/images").then().statusCode(200)
                .body("items", hasSize(9));
        given().queryParam("page", 5).get("/v1/images").then().statusCode(200).body("items", hasSize(0));
    }

    @ParameterizedTest
    @CsvSource({"page,-1", "page,x", "size,0", "size,101"})
    void badPagingIsA400(String name, String value) {
        given().queryParam(name, value).get("/v1/images").then().statusCode(400)
                .contentType(Problem.MEDIA_TYPE).body("detail", containsString("'" + name + "'"));
    }

    @Test
    void oneEntry() {
        given().get("/v1/images/raccoon-face").then().statusCode(200)
                .body("imagePath", equalTo("image_database/raccoon-face.webp"))
                .body("mediaType", equalTo("image/webp"))
                .body("description", containsString("raccoon"));
    }

    @Test
    void theContentIsTheFileWithItsType() {
        byte[] body = given().get("/v1/images/horse-silhouette/content").then().statusCode(200)
                .contentType("image/png").header("ETag", containsString("\"")).extract().asByteArray();
        assertArrayEquals(TestImages.knowledgeBaseImage("horse-silhouette.png"), body);
    }

    @Test
    void aConditionalRequestForUnchangedContentIs304() {
        String etag = given().get("/v1/images/horse-silhouette/content").then().statusCode(200).extract().header("ETag");
        given().header("If-None-Match", etag).get("/v1/images/horse-silhouette/content").then()
                .statusCode(304).header("ETag", equalTo(etag)).body(equalTo(""));
        given().header("If-None-Match", "\"other\", W/" + etag).get("/v1/images/horse-silhouette/content").then()
                .statusCode(304);
        given().header("If-None-Match", "\"something-else\"").get("/v1/images/horse-silhouette/content").then()
                .statusCode(200);
    }

    @Test
    void aRangeIsA206WithItsContentRangeAndNeverAPartial200() throws Exception {
        byte[] whole = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("image_database/horse-silhouette.png"));
        byte[] part = given().header("Range", "bytes=10-109").get("/v1/images/horse-silhouette/content").then()
                .statusCode(206).contentType("image/png")
                .header("Content-Range", equalTo("bytes 10-109/" + whole.length))
                .extract().asByteArray();
        org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOfRange(whole, 10, 110), part);
        byte[] tail = given().header("Range", "bytes=-16").get("/v1/images/horse-silhouette/content").then()
                .statusCode(206).extract().asByteArray();
        org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOfRange(whole, whole.length - 16,
                whole.length), tail);
        given().header("Range", "bytes=" + whole.length + "-").get("/v1/images/horse-silhouette/content").then()
                .statusCode(416).header("Content-Range", equalTo("bytes */" + whole.length));
        // Several ranges, another unit, a stale If-Range: the whole image, 200.
        for (String[] headers : new String[][] {{"Range", "bytes=0-1,5-6"}, {"Range", "items=0-3"},
                {"Range", "bytes=0-3", "If-Range", "\"stale\""}}) {
            var request = given().header(headers[0], headers[1]);
            if (headers.length > 2) {
                request.header(headers[2], headers[3]);
            }
            byte[] body = request.get("/v1/images/horse-silhouette/content").then().statusCode(200).extract().asByteArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(whole, body, String.join(" ", headers));
        }
    }

    @Test
    void anUnknownIdIsA404() {
        given().get("/v1/images/no-such-image").then().statusCode(404).contentType(Problem.MEDIA_TYPE)
                .body("detail", containsString("no-such-image"));
        given().get("/v1/images/no-such-image/content").then().statusCode(404).contentType(Problem.MEDIA_TYPE);
    }

    @Test
    void withoutAnAdminTokenConfiguredWritesAre403SayingHowToEnableThem() {
        given().multiPart("image", "a.jpg", TestImages.knowledgeBaseImage("chelsea-cat.jpg"))
                .multiPart("description", "x").when().post("/v1/images").then()
                .statusCode(403).contentType(Problem.MEDIA_TYPE)
                .body("type", equalTo("urn:multimodal-rag:problem:writes-disabled"))
                .body("detail", containsString("RAG_ADMIN_TOKEN"));
        given().header("Authorization", "Bearer anything").when().delete("/v1/images/chelsea-cat").then()
                .statusCode(403).contentType(Problem.MEDIA_TYPE);
        given().contentType("application/json").body("{\"description\": \"x\"}")
                .when().put("/v1/images/chelsea-cat/description").then().statusCode(403);
        given().when().post("/v1/admin/reload").then().statusCode(403);
        given().get("/v1/images/chelsea-cat").then().statusCode(200).body("description", containsString("tabby"));
    }

    @Test
    void anUnknownPathIsAProblemToo() {
        given().get("/v1/nothing-here").then().statusCode(404).contentType(Problem.MEDIA_TYPE);
    }
}
