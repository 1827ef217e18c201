package io.multimodalrag.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The web page on a phone (390 × 844 CSS pixels), against a copy of the demo knowledge base that takes writes: the
 * tabs fit, an answer asked for below the fold comes into view, and an added image is confirmed and shown.
 */
@QuarkusTest
@TestProfile(WebPagePhoneTest.Writable.class)
class WebPagePhoneTest {

    static final Path KB = Path.of("target", "web-page-phone-test", "kb");
    static final String TOKEN = "web-page-phone-admin-token";
    static final int WIDTH = 390;

    /** {@link VisionLlmProfile}, with a knowledge base of its own and an admin token. */
    public static class Writable extends VisionLlmProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("rag.knowledge-base.cache-dir", "target/test-embedding-cache");
            config.put("rag.admin.token", TOKEN);
            config.put("rag.llm.read-timeout", "10s"); // not reached on a loaded CI machine
            return config;
        }

        @Override
        public List<TestResourceEntry> testResources() {
            List<TestResourceEntry> resources = new ArrayList<>(super.testResources());
            resources.add(new TestResourceEntry(DemoKnowledgeBaseCopy.class, Map.of("dir", KB.toString())));
            return resources;
        }
    }

    @RegisterExtension
    static final HeadlessChromium chromium = HeadlessChromium.phone(WIDTH, 844);
    static WebDriver browser;

    @FakeVisionLlm.Server
    WireMockServer llm;

    @TestHTTPResource("/")
    URL page;

    @BeforeEach
    void openPage() {
        browser = chromium.driver;
        ServiceReadiness.awaitStartupFinished();
        llm.resetAll();
        browser.get(page.toString());
        chromium.waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Ready:"));
        assertEquals(WIDTH, ((Number) chromium.script("return window.innerWidth")).intValue(), "a phone's width");
    }

    @Test
    void theTabsFitWithTheirWholeLabels() throws IOException {
        for (WebElement tab : browser.findElements(By.className("tab"))) {
            Map<?, ?> box = (Map<?, ?>) chromium.script("const b = arguments[0].getBoundingClientRect();"
                    + " return {left: b.left, right: b.right, scroll: arguments[0].scrollWidth, client: arguments[0].clientWidth};",
                    tab);
            double right = ((Number) box.get("right")).doubleValue();
            assertTrue(((Number) box.get("left")).doubleValue() >= 0 && right <= WIDTH, tab.getText() + " inside: " + box);
            assertTrue(((Number) box.get("scroll")).intValue() <= ((Number) box.get("client")).intValue(),
                    tab.getText() + " not cut: " + box);
        }
        assertEquals("Knowledge base", browser.findElement(By.id("tab-kb")).getText().replace('\n', ' '));
        assertEquals(0L, ((Number) chromium.script(
                "return document.documentElement.scrollWidth - window.innerWidth")).longValue(), "no sideways scrolling");
        chromium.screenshot("phone");
    }

    @Test
    void anAnswerBelowTheFoldIsScrolledIntoView() throws IOException {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.stream(VisionLlmProfile.MODEL, 812, 19,
                "The cylinder ", "holds 47 kg.")));
        chromium.choose("photo", "image_database/gas-cylinder.jpg");
        chromium.waitFor().until(d -> !chromium.cardIds("matches").isEmpty());
        browser.findElement(By.id("question")).sendKeys("What is the capacity of this item?");
        chromium.script("window.scrollTo(0, 0)");
        assertTrue(!chromium.inView("answer"), "the answer starts below the fold on a phone: "
                + chromium.script("return document.getElementById('answer').getBoundingClientRect().top"));
        browser.findElement(By.id("ask")).click();
        chromium.waitFor().until(d -> chromium.inView("answer"));
        chromium.waitFor().until(ExpectedConditions.textToBe(By.id("answer"), "The cylinder holds 47 kg."));
        chromium.screenshot("phone-ask");
    }

    @Test
    void anAddedImageIsConfirmedAndShownMarkedInTheList() throws IOException {
        browser.findElement(By.id("tab-kb")).click();
        chromium.waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("kb-page"), "Page 1 of"));
        browser.findElement(By.cssSelector("#admin summary")).click();
        browser.findElement(By.id("token")).sendKeys(TOKEN);
        chromium.choose("add-image", "src/test/resources/images/rocket.jpg");
        browser.findElement(By.id("add-description")).sendKeys("A two-stage rocket on its launch pad");
        browser.findElement(By.id("add-id")).sendKeys("rocket-on-pad");
        browser.findElement(By.id("add")).click();
        WebElement result = chromium.waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("add-result")));
        assertTrue(result.getText().startsWith("Added rocket-on-pad"), result.getText());
        chromium.waitFor().until(d -> !d.findElements(By.cssSelector("#kb-list li.card.new[data-id='rocket-on-pad']")).isEmpty());
        assertTrue(browser.findElement(By.id("kb-page")).getText().startsWith("Page 3 of 3 (30 images)"),
                browser.findElement(By.id("kb-page")).getText());
        assertTrue((Boolean) chromium.script("const b = document.querySelector("
                + "'#kb-list li.card.new').getBoundingClientRect(); return b.bottom > 0 && b.top < window.innerHeight;"),
                "the new entry is on screen");
        chromium.screenshot("phone-added");
    }
}
