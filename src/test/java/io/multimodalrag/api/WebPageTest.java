package io.multimodalrag.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real headless Chromium (Debian's chromium and chromedriver, which .ci/run
 * installs): search by photo, a streamed answer from the fake LLM, readable errors. Screenshots of
 * the main states go to target/screenshots/.
 */
@QuarkusTest
@TestProfile(VisionLlmProfile.class)
class WebPageTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    static WebDriver browser;

    @FakeVisionLlm.Server
    WireMockServer llm;

    @TestHTTPResource("/")
    URL page;

    @BeforeAll
    static void startBrowser() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
        Files.createDirectories(SCREENSHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // No network beyond loopback here: keep Chromium from reaching out at start.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,1000",
                "--user-data-dir=" + Files.createTempDirectory("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @BeforeEach
    void openPage() {
        ServiceReadiness.awaitStartupFinished();
        llm.resetAll();
        browser.get(page.toString());
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Ready: 29 images"));
    }

    private static WebDriverWait waitFor() {
        return new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    private static void screenshot(String name) throws IOException {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name + ".png"), png);
    }

    private static void choosePhoto(String file) {
        browser.findElement(By.id("photo")).sendKeys(Path.of(file).toAbsolutePath().toString());
    }

    private static List<String> cardIds(String listId) {
        return browser.findElements(By.cssSelector("#" + listId + " li.card")).stream()
                .map(card -> card.getAttribute("data-id")).toList();
    }

    @Test
    void aPhotoShowsItsClosestMatchesFirst() throws IOException {
        choosePhoto("image_database/gas-cylinder.jpg");
        waitFor().until(d -> !cardIds("matches").isEmpty());
        assertEquals("gas-cylinder", cardIds("matches").get(0));
        WebElement first = browser.findElement(By.cssSelector("#matches li.card"));
        assertTrue(first.findElement(By.className("score")).getText().startsWith("similarity 1.000"));
        assertEquals("auto", first.findElement(By.className("description")).getAttribute("dir"));
        waitFor().until(d -> (Boolean) ((org.openqa.selenium.JavascriptExecutor) d).executeScript(
                "return [...document.querySelectorAll('#matches img')].every(i => i.complete && i.naturalWidth > 0)"));
        screenshot("search");
    }

    @Test
    void aQuestionIsAnsweredAsTheStreamArrives() throws IOException {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.stream(VisionLlmProfile.MODEL, 812, 19,
                "The cylinder ", "holds ", "47 kg of propane.")));
        choosePhoto("image_database/gas-cylinder.jpg");
        browser.findElement(By.id("question")).sendKeys("What is the capacity of this item?");
        browser.findElement(By.id("ask")).click();
        waitFor().until(ExpectedConditions.textToBe(By.id("answer"), "The cylinder holds 47 kg of propane."));
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("answer-meta"), "812 + 19 tokens"));
        assertEquals("gas-cylinder", cardIds("matches").get(0));
        assertEquals("auto", browser.findElement(By.id("answer")).getAttribute("dir"));
        screenshot("ask");
    }

    @Test
    void aFileThatIsNotAnImageShowsAReadableError() throws IOException {
        choosePhoto("README.md");
        WebElement error = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
        assertTrue(error.getText().contains("This is not an image the service can read."), error.getText());
        screenshot("error");
    }

    @Test
    void anUnconfiguredOrFailingLlmIsExplained() {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.error(401, "Incorrect API key")));
        choosePhoto("image_database/coffee-cup.jpg");
        browser.findElement(By.id("question")).sendKeys("Is this an espresso?");
        browser.findElement(By.id("ask")).click();
        WebElement error = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
        assertTrue(error.getText().contains("credentials"), error.getText());
        assertTrue(browser.findElement(By.id("ask")).isEnabled(), "the form is usable again");
    }

    @Test
    void aTypedQueryListsPhotos() throws IOException {
        browser.findElement(By.id("tab-text")).click();
        WebElement query = browser.findElement(By.id("text-query"));
        assertEquals("auto", query.getAttribute("dir"));
        query.sendKeys("یک گربه روی میز", org.openqa.selenium.Keys.ENTER);
        waitFor().until(d -> cardIds("text-results").size() == 10);
        // The English-only tower says it cannot read Persian, above the results; an English query clears it.
        WebElement hint = browser.findElement(By.id("text-hint"));
        assertTrue(hint.isDisplayed() && hint.getText().contains("reads English only"), hint.getText());
        screenshot("text-search");
        query.clear();
        query.sendKeys("a cat on a table", org.openqa.selenium.Keys.ENTER);
        waitFor().until(d -> !browser.findElement(By.id("text-hint")).isDisplayed());
    }

    @Test
    void theKnowledgeBaseIsBrowsablePageByPage() throws IOException {
        browser.findElement(By.id("tab-kb")).click();
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("kb-page"), "Page 1 of 3 (29 images)"));
        assertEquals(12, cardIds("kb-list").size());
        browser.findElement(By.id("kb-next")).click();
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("kb-page"), "Page 2 of 3"));
        screenshot("knowledge-base");
        browser.findElement(By.cssSelector("#kb-list li.card button.danger")).click();
        browser.switchTo().alert().accept();
        WebElement error = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
        assertTrue(error.getText().contains("Changes are disabled"), error.getText());
    }
}
