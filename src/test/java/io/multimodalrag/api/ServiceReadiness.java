package io.multimodalrag.api;

import static io.restassured.RestAssured.given;

import java.time.Duration;

/** The service loads its model and knowledge base in the background; tests wait for the outcome. */
final class ServiceReadiness {

    private ServiceReadiness() {
    }

    /** Waits until start-up loading has finished (successfully or not). */
    static void awaitStartupFinished() {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (given().get("/q/health/started").statusCode() != 200) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("start-up loading did not finish within 120 s");
            }
            sleep();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
