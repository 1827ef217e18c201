package io.multimodalrag.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven by its chromedriver (which .ci/run installs), for the web page's tests: a window
 * of a given size, waits, screenshots into target/screenshots/, and the page's lists read back. A test class holds
 * one in a static {@code @RegisterExtension} field: it starts before the class's tests (skipping them without
 * Chromium) and quits after them.
 */
final class HeadlessChromium implements BeforeAllCallback, AfterAllCallback {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private final int width;
    private final int height;
    private final boolean phone;
    WebDriver driver;

    private HeadlessChromium(int width, int height, boolean phone) {
        this.width = width;
        this.height = height;
        this.phone = phone;
    }

    /** A desktop browser with a window of {@code width} × {@code height} CSS pixels. */
    static HeadlessChromium desktop(int width, int height) {
        return new HeadlessChromium(width, height, false);
    }

    /**
     * A phone's screen of {@code width} × {@code height} CSS pixels at 3 device pixels each, touch and a mobile user
     * agent, as Chromium's device emulation gives it (a headless window is at least 500 pixels wide).
     */
    static HeadlessChromium phone(int width, int height) {
        return new HeadlessChromium(width, height, true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        driver = start(width, height, phone);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (driver != null) {
            driver.quit();
        }
    }

    private static WebDriver start(int width, int height, boolean phone) throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)");
        Files.createDirectories(SCREENSHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // No network beyond loopback here: keep Chromium from reaching out at start.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=" + width + "," + height, "--hide-scrollbars",
                "--user-data-dir=" + Files.createTempDirectory("chromium-profile"));
        if (phone) {
            options.setExperimentalOption("mobileEmulation", Map.of(
                    "deviceMetrics", Map.of("width", width, "height", height, "pixelRatio", 3.0, "touch", true),
                    "userAgent", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
                            + " Chrome/120.0 Mobile Safari/537.36"));
        }
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    WebDriverWait waitFor() {
        return new WebDriverWait(driver, Duration.ofSeconds(30));
    }

    void screenshot(String name) throws IOException {
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name + ".png"), png);
    }

    /** Chooses {@code file} in the page's file input {@code inputId}. */
    void choose(String inputId, String file) {
        driver.findElement(By.id(inputId)).sendKeys(Path.of(file).toAbsolutePath().toString());
    }

    List<String> cardIds(String listId) {
        return driver.findElements(By.cssSelector("#" + listId + " li.card")).stream()
                .map(card -> card.getAttribute("data-id")).toList();
    }

    Object script(String script, Object... arguments) {
        return ((JavascriptExecutor) driver).executeScript(script, arguments);
    }

    /**
     * Whether element {@code id} starts inside the window with room for a few lines of it (not above the window, not
     * at or below the fold).
     */
    boolean inView(String id) {
        return (Boolean) script("const box = document.getElementById(arguments[0]).getBoundingClientRect();"
                + " return box.top >= 0 && box.top < window.innerHeight - 48;", id);
    }

    /**
     * Holds back every answer to requests whose URL ends with {@code path} until {@link #release()}: what the page
     * shows while it waits can be looked at.
     */
    void holdResponses(String path) {
        script("const original = window.fetch; window.__held = [];"
                + " window.fetch = (url, options) => String(url).endsWith(arguments[0])"
                + " ? new Promise((resolve) => window.__held.push(() => resolve(original(url, options))))"
                + " : original(url, options);", path);
    }

    void release() {
        script("window.__held.forEach((go) => go()); window.__held = [];");
    }
}
