package io.multimodalrag.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.net.URL;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real headless Chromium (Debian's chromium and chromedriver, which .ci/run
 * installs), at desktop size: search by photo, a streamed answer from the fake LLM, readable errors, what the page
 * shows while it waits. Screenshots of the main states go to target/screenshots/. {@link WebPagePhoneTest} is the
 * page on a phone.
 */
@QuarkusTest
@TestProfile(WebPageTest.Page.class)
class WebPageTest {

    /** {@link VisionLlmProfile} with a read timeout that a loaded CI machine does not reach while the fake LLM waits. */
    public static class Page extends VisionLlmProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("rag.llm.read-timeout", "10s");
            return config;
        }
    }

    @RegisterExtension
    static final HeadlessChromium chromium = HeadlessChromium.desktop(1280, 1000);
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
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Ready: 29 images"));
    }

    private static WebDriverWait waitFor() {
        return chromium.waitFor();
    }

    private static void screenshot(String name) throws IOException {
        chromium.screenshot(name);
    }

    private static void choosePhoto(String file) {
        chromium.choose("photo", file);
    }

    private static List<String> cardIds(String listId) {
        return chromium.cardIds(listId);
    }

    @Test
    void aPhotoShowsItsClosestMatchesFirst() throws IOException {
        choosePhoto("image_database/gas-cylinder.jpg");
        waitFor().until(d -> !cardIds("matches").isEmpty());
        assertEquals("gas-cylinder", cardIds("matches").get(0));
        WebElement first = browser.findElement(By.cssSelector("#matches li.card"));
        assertTrue(first.findElement(By.className("score")).getText().startsWith("similarity 1.000"));
        assertEquals("auto", first.findElement(By.className("description")).getAttribute("dir"));
        waitFor().until(d -> (Boolean) chromium.script(
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
        query.sendKeys("یک گربه روی میز", Keys.ENTER);
        waitFor().until(d -> cardIds("text-results").size() == 10);
        // The English-only tower says it cannot read Persian, above the results; an English query clears it.
        WebElement hint = browser.findElement(By.id("text-hint"));
        assertTrue(hint.isDisplayed() && hint.getText().contains("reads English only"), hint.getText());
        screenshot("text-search");
        query.clear();
        query.sendKeys("a cat on a table", Keys.ENTER);
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
        // Edit and Delete appear only once a token is entered; this service has none configured, so it refuses.
        assertTrue(browser.findElements(By.cssSelector("#kb-list li.card button")).isEmpty(), "no Edit/Delete without a token");
        browser.findElement(By.cssSelector("#admin summary")).click();
        browser.findElement(By.id("token")).sendKeys("not-the-token");
        waitFor().until(d -> !d.findElements(By.cssSelector("#kb-list li.card button.danger")).isEmpty());
        assertEquals(12, browser.findElements(By.cssSelector("#kb-list li.card button.secondary")).size(), "Edit on each");
        browser.findElement(By.cssSelector("#kb-list li.card button.danger")).click();
        browser.switchTo().alert().accept();
        WebElement error = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
        assertTrue(error.getText().contains("Changes are disabled"), error.getText());
        browser.findElement(By.id("token")).clear();
        browser.findElement(By.id("token")).sendKeys(" ", Keys.BACK_SPACE);
        waitFor().until(d -> d.findElements(By.cssSelector("#kb-list li.card button")).isEmpty());
    }

    @Test
    void whileAPhotoIsSearchedTheOldMatchesGoAndTheListSaysSo() {
        choosePhoto("image_database/gas-cylinder.jpg");
        waitFor().until(d -> !cardIds("matches").isEmpty());
        chromium.holdResponses("/v1/search");
        choosePhoto("image_database/chelsea-cat.jpg");
        waitFor().until(ExpectedConditions.textToBe(By.id("matches"), "Searching the knowledge base…"));
        assertEquals("true", browser.findElement(By.id("matches")).getAttribute("aria-busy"));
        assertTrue(cardIds("matches").isEmpty(), "the gas cylinder's matches are gone");
        chromium.release();
        waitFor().until(d -> !cardIds("matches").isEmpty());
        assertEquals("chelsea-cat", cardIds("matches").get(0));
        assertEquals("false", browser.findElement(By.id("matches")).getAttribute("aria-busy"));
    }

    @Test
    void whileATextIsSearchedTheOldResultsGoAndTheButtonWaits() {
        browser.findElement(By.id("tab-text")).click();
        WebElement query = browser.findElement(By.id("text-query"));
        query.sendKeys("a cat", Keys.ENTER);
        waitFor().until(d -> cardIds("text-results").size() == 10);
        chromium.holdResponses("/v1/search/text");
        query.sendKeys(" on a table", Keys.ENTER);
        waitFor().until(ExpectedConditions.textToBe(By.id("text-results"), "Searching…"));
        assertTrue(cardIds("text-results").isEmpty());
        assertTrue(!browser.findElement(By.id("text-search")).isEnabled(), "Search waits for the answer");
        chromium.release();
        waitFor().until(d -> cardIds("text-results").size() == 10);
        assertTrue(browser.findElement(By.id("text-search")).isEnabled());
    }

    @Test
    void theAnswerBoxSaysWhatIsBeingDoneUntilTheFirstWords() {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.stream(VisionLlmProfile.MODEL, 812, 19,
                "A tabby ", "cat.").withFixedDelay(800)));
        choosePhoto("image_database/chelsea-cat.jpg");
        waitFor().until(d -> !cardIds("matches").isEmpty());
        // Every text the answer box shows, in order.
        chromium.script("window.__answers = []; new MutationObserver(() => window.__answers.push("
                + "document.getElementById('answer').textContent)).observe(document.getElementById('answer'),"
                + " {childList: true, characterData: true, subtree: true});");
        chromium.holdResponses("/v1/ask");
        browser.findElement(By.id("question")).sendKeys("What breed is this cat?");
        browser.findElement(By.id("ask")).click();
        waitFor().until(ExpectedConditions.textToBe(By.id("answer"), "Searching the knowledge base…"));
        chromium.release();
        // The sources event arrives before the model's first words, which the fake LLM holds back for 800 ms.
        waitFor().until(ExpectedConditions.textToBe(By.id("answer"), "A tabby cat."));
        List<?> shown = ((List<?>) chromium.script("return window.__answers")).stream().distinct().toList();
        assertEquals(List.of("Searching the knowledge base…", "Asking the model…", "A tabby ", "A tabby cat."), shown);
        assertTrue(browser.findElements(By.cssSelector("#answer .progress")).isEmpty());
    }

    @Test
    void aRefusedUploadLeavesNoBrokenImageAndNoOldAnswer() {
        llm.stubFor(FakeVisionLlm.chatCompletions().willReturn(FakeVisionLlm.stream(VisionLlmProfile.MODEL, 812, 19,
                "A tabby cat.")));
        choosePhoto("image_database/chelsea-cat.jpg");
        browser.findElement(By.id("question")).sendKeys("What breed is this cat?");
        browser.findElement(By.id("ask")).click();
        waitFor().until(ExpectedConditions.textToBe(By.id("answer"), "A tabby cat."));
        choosePhoto("README.md");
        waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
        assertEquals("", browser.findElement(By.id("answer")).getText(), "the cat's answer is gone");
        assertTrue(!browser.findElement(By.id("preview")).isDisplayed(), "no broken preview");
        assertTrue(browser.findElement(By.id("drop-hint")).getText().startsWith("Drop a photo here"));
        // and asking now says a photo is needed, rather than asking about the refused file
        browser.findElement(By.id("ask")).click();
        waitFor().until(ExpectedConditions.textToBePresentInElementLocated(By.id("error"), "Choose a photo first."));
    }

    @Test
    void theHiddenFileInputIsNoTabStop() {
        chromium.script("document.getElementById('drop').focus()");
        browser.switchTo().activeElement().sendKeys(Keys.TAB);
        assertEquals("k", browser.switchTo().activeElement().getAttribute("id"), "from the drop zone to Matches");
    }
}
