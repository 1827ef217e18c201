package io.multimodalrag.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.net.URL;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The page of a service started without a model (offline): the status line says so in a few words with the way out
 * (the whole reason in its tooltip), and the knowledge base is browsable all the same.
 */
@QuarkusTest
@TestProfile(BrowsingWithoutModelTest.NoModel.class)
class WebPageWithoutModelTest {

    @RegisterExtension
    static final HeadlessChromium chromium = HeadlessChromium.desktop(1280, 1000);

    @TestHTTPResource("/")
    URL page;

    @BeforeEach
    void openPage() {
        ServiceReadiness.awaitStartupFinished();
        chromium.driver.get(page.toString());
    }

    @Test
    void theStatusLineIsShortAndNamesTheWayOutAndTheKnowledgeBaseIsListed() throws IOException {
        WebElement status = chromium.waitFor().until(ExpectedConditions.presenceOfElementLocated(By.id("status")));
        chromium.waitFor().until(ExpectedConditions.textToBePresentInElement(status, "Not ready"));
        assertEquals("Not ready: no CLIP model in target/no-model-here (offline? see the README's first lines)",
                status.getText());
        String reason = status.getAttribute("title");
        assertTrue(reason.contains("-Drag.model.dir=src/test/resources/clip-tiny"), reason);

        chromium.driver.findElement(By.id("tab-kb")).click();
        chromium.waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("kb-page"), "Page 1 of 3 (")); // 28 or 29: BrowsingWithoutModelTest deletes one
        assertEquals(12, chromium.cardIds("kb-list").size());
        chromium.screenshot("without-model");
    }
}
