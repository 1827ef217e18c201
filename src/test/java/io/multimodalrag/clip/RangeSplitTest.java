package io.multimodalrag.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every index exactly once, by whichever thread, and no write after return, whatever the helper does. */
class RangeSplitTest {

    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void aHelperTakesTheUpperHalfAndEveryIndexIsDoneOnce() {
        int[] counts = new int[1000];
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        List<int[]> calls = new CopyOnWriteArrayList<>();
        CountDownLatch bothStarted = new CountDownLatch(2);
        RangeSplit.run(pool, 0, counts.length, 10, (from, to) -> {
            threads.add(Thread.currentThread());
            calls.add(new int[] {from, to});
            bothStarted.countDown();
            awaitQuietly(bothStarted); // both halves run at the same time, so the helper must have taken one
            for (int i = from; i < to; i++) {
                counts[i]++;
            }
        });

        for (int count : counts) {
            assertEquals(1, count);
        }
        assertEquals(2, threads.size(), "the halves ran on two threads");
        assertEquals(2, calls.size());
        assertTrue(threads.contains(Thread.currentThread()), "the caller did one half");
    }

    @Test
    void sequentialShortRangesAndAnIdleHelperRunInOnePieceOnTheCaller() {
        List<int[]> calls = new ArrayList<>();
        RangeSplit.run(RangeSplit.SEQUENTIAL, 3, 1003, 10, (from, to) -> calls.add(new int[] {from, to}));
        RangeSplit.run(pool, 0, 19, 10, (from, to) -> calls.add(new int[] {from, to}));
        assertEquals(List.of("3-1003", "0-19"), calls.stream().map(c -> c[0] + "-" + c[1]).toList());
    }

    @Test
    void theCallerDoesTheUpperHalfWhenNoHelperTakesIt() {
        List<Runnable> neverRun = new ArrayList<>();
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        AtomicInteger done = new AtomicInteger();
        RangeSplit.run(neverRun::add, 0, 100, 10, (from, to) -> {
            threads.add(Thread.currentThread());
            done.addAndGet(to - from);
        });
        assertEquals(100, done.get());
        assertEquals(Set.of(Thread.currentThread()), threads);

        // The helper's late start finds the half taken and does nothing.
        neverRun.forEach(Runnable::run);
        assertEquals(100, done.get());
    }

    @Test
    void aFullPoolMeansTheCallerDoesBothHalves() {
        AtomicInteger done = new AtomicInteger();
        RangeSplit.run(command -> {
            throw new RejectedExecutionException("full");
        }, 0, 100, 10, (from, to) -> done.addAndGet(to - from));
        assertEquals(100, done.get());
    }

    @Test
    void aFailureInTheUpperHalfReachesTheCallerAfterBothHalvesStopped() {
        AtomicInteger lowerFinished = new AtomicInteger();
        IllegalStateException failure = new IllegalStateException("bad row");
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> RangeSplit.run(pool, 0, 100, 10, (from, to) -> {
                    if (from == 50) {
                        throw failure;
                    }
                    sleepQuietly(50);
                    lowerFinished.incrementAndGet();
                }));
        assertSame(failure, thrown);
        assertEquals(1, lowerFinished.get());
    }

    @Test
    void theCallerWaitsForAHelperStillWritingEvenWhenItsOwnHalfFailed() throws Exception {
        AtomicInteger upperFinished = new AtomicInteger();
        CountDownLatch upperStarted = new CountDownLatch(1);
        IllegalArgumentException failure = new IllegalArgumentException("bad pixel");
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
                () -> RangeSplit.run(pool, 0, 100, 10, (from, to) -> {
                    if (from == 0) {
                        awaitQuietly(upperStarted);
                        throw failure;
                    }
                    upperStarted.countDown();
                    sleepQuietly(100);
                    upperFinished.incrementAndGet();
                }));
        assertSame(failure, thrown);
        assertEquals(1, upperFinished.get(), "returned only after the helper's half was done");
        pool.shutdown();
        assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the other half never started");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
