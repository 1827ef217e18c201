package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ThreadScratchTest {

    private final ThreadScratch scratch = new ThreadScratch(1000);

    @Test
    void aThreadGetsItsArrayAgainGrownWhenNeeded() {
        int[] first = scratch.atLeast(100);
        assertTrue(first.length >= 100);
        assertSame(first, scratch.atLeast(50));
        assertSame(first, scratch.atLeast(100));
        int[] grown = scratch.atLeast(600);
        assertEquals(600, grown.length);
        assertSame(grown, scratch.atLeast(10));
    }

    @Test
    void lengthsOverTheCapAreNeverKept() {
        int[] kept = scratch.atLeast(1000);
        int[] big = scratch.atLeast(1001);
        assertEquals(1001, big.length);
        assertNotSame(big, scratch.atLeast(1001));
        assertSame(kept, scratch.atLeast(1000));
    }

    @Test
    void threadsDoNotShareArrays() throws Exception {
        int[] mine = scratch.atLeast(100);
        int[] theirs = CompletableFuture.supplyAsync(() -> scratch.atLeast(100)).get();
        assertNotSame(mine, theirs);
    }
}
