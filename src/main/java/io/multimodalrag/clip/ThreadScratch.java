package io.multimodalrag.clip;

/**
 * An int array per thread, handed out again on that thread's next call, so that image work that is done with its
 * array before the next image does not allocate megabytes per image. G1 makes an array of half a heap region or
 * more a humongous object and may answer a stream of them with concurrent marking cycles (measured: about 2 ms of
 * CPU per image at concurrency 16). Lengths above the cap get a new array each time, so a rare huge image does
 * not stay resident.
 */
final class ThreadScratch {

    private final int maxKept;
    private final ThreadLocal<int[]> arrays = ThreadLocal.withInitial(() -> new int[0]);

    /** @param maxKept the longest array kept per thread, in ints */
    ThreadScratch(int maxKept) {
        this.maxKept = maxKept;
    }

    /** This thread's array, grown to at least {@code length}; a new one when {@code length} is over the cap. */
    int[] atLeast(int length) {
        if (length > maxKept) {
            return new int[length];
        }
        int[] array = arrays.get();
        if (array.length < length) {
            array = new int[length];
            arrays.set(array);
        }
        return array;
    }
}
