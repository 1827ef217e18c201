package io.multimodalrag.clip;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a loop over an index range in two halves, the upper one offered to a helper thread, so that an image
 * prepared while the rest of the machine is idle (a lone request) uses two cores for its longest loops.
 *
 * <p>The caller always does the lower half itself. The upper half is offered to the helper executor; if no helper
 * thread has taken it by the time the lower half is done, the caller does it too. So a busy or saturated pool
 * costs one queued no-op and never a wait, and {@link #SEQUENTIAL} (or any executor under load) degrades to the
 * plain loop. A failure in either half is thrown to the caller after both halves have stopped, so that nothing
 * writes into the caller's arrays after it returns.
 */
public final class RangeSplit {

    /** No helper: the loop runs on the calling thread in one piece. */
    public static final Executor SEQUENTIAL = Runnable::run;

    /** The body of a loop over {@code from..to-1}; the halves write disjoint parts of their output. */
    @FunctionalInterface
    public interface Body {
        void run(int from, int to);
    }

    private RangeSplit() {
    }

    /**
     * Runs {@code body} over {@code from..to-1}: in one call when {@code helper} is {@link #SEQUENTIAL} or the
     * range is shorter than {@code 2 × minHalf}, otherwise as two calls split at the middle.
     */
    public static void run(Executor helper, int from, int to, int minHalf, Body body) {
        if (helper == SEQUENTIAL || to - from < 2 * Math.max(1, minHalf)) {
            body.run(from, to);
            return;
        }
        int middle = from + (to - from) / 2;
        UpperHalf upper = new UpperHalf(body, middle, to);
        try {
            helper.execute(upper);
        } catch (RejectedExecutionException e) {
            // The pool is full: the caller takes the upper half below.
        }
        Throwable lowerFailure = null;
        try {
            body.run(from, middle);
        } catch (RuntimeException | Error e) {
            lowerFailure = e;
        }
        upper.runHereOrAwait();
        Throwable failure = lowerFailure != null ? lowerFailure : upper.failure;
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
    }

    /** The upper half: run once, by whichever thread claims it first. */
    private static final class UpperHalf implements Runnable {
        private final Body body;
        private final int from;
        private final int to;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private final CountDownLatch finished = new CountDownLatch(1);
        /** Written before {@code finished} counts down, read after it. */
        private Throwable failure;

        UpperHalf(Body body, int from, int to) {
            this.body = body;
            this.from = from;
            this.to = to;
        }

        /** On the helper thread. */
        @Override
        public void run() {
            if (claimed.compareAndSet(false, true)) {
                runClaimed();
            }
        }

        /** On the caller: the half itself if no helper took it, else the wait for the helper to finish. */
        void runHereOrAwait() {
            if (claimed.compareAndSet(false, true)) {
                runClaimed();
                return;
            }
            boolean interrupted = false;
            while (true) {
                try {
                    finished.await();
                    break;
                } catch (InterruptedException e) {
                    // The helper is writing into the caller's arrays: wait for it regardless.
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        private void runClaimed() {
            try {
                body.run(from, to);
            } catch (RuntimeException | Error e) {
                failure = e;
            } finally {
                finished.countDown();
            }
        }
    }
}
