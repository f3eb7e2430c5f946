package dev.streamclassifier.job.classify;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one thread a classify operator runs its batches on, so that the next batch forms on the task thread while one
 * runs. A daemon: a batch stuck in native code must not keep the JVM alive.
 */
final class InferenceThread {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceThread.class);

    private final ExecutorService executor;

    /** @param name the thread's name; the bench counts CPU by thread name, so keep the task's name in it */
    InferenceThread(String name) {
        executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
    }

    <T> CompletableFuture<T> run(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, executor);
    }

    /**
     * Stops the thread, waiting up to a minute for a running batch. Returns false if it is still running: its
     * classifiers must then stay open, as closing a model under a running call can crash the process.
     */
    boolean stop() {
        executor.shutdownNow();
        boolean stopped;
        try {
            stopped = executor.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = executor.isTerminated();
        }
        if (!stopped) {
            LOG.error("A batch was still running on the inference thread after a minute; its classifiers are left "
                    + "open (leaked until the process ends) rather than closed under a running model");
        }
        return stopped;
    }
}
