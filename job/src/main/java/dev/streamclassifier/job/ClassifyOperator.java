package dev.streamclassifier.job;

import dev.streamclassifier.schemas.ClassifiedEvent;
import dev.streamclassifier.schemas.Prediction;
import dev.streamclassifier.schemas.SingleObjectCodec;
import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.ClassScores;
import dev.streamclassifier.udf.Closeables;
import dev.streamclassifier.udf.ModelManifest;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Classifies text events in batches. Gets its classifiers in {@link #open()} from its {@link ClassifierOpener} (one set
 * per parallel instance, i.e. per task slot, or with {@code classifier.share-session}, the default, one set per
 * TaskManager shared by its slots), buffers events, and hands a batch to an inference thread of its own, so the next
 * batch forms while one runs. A batch starts when the inference thread is free and the batch is due: full
 * ({@code maxBatchSize}), or its first event has waited {@code maxBatchDelay} (at once when that is zero, so under load
 * batches grow by themselves while the previous one runs). A full batch that finds the inference thread busy holds the
 * task thread until it is free, which is how back-pressure reaches the source. Results are emitted on the task thread,
 * in input order.
 *
 * <p>A checkpoint does not wait for inference: the events of the running batch and the buffer go into operator state,
 * as Flink's async I/O operator keeps its in-flight elements. Their results are emitted after the barrier, so they
 * belong to the next checkpoint's Kafka transaction; after a failure that transaction is aborted and the restored
 * events are classified again, so the transactional sink downstream stays exactly-once. Waiting for inference at the
 * barrier instead held the task thread for up to two batches at every checkpoint (seconds per checkpoint on a slow
 * model or a large GPU batch). At end of input the running batch is awaited and the rest classified.
 *
 * <p>Each event gets one prediction per task configured for its kind, and is emitted, encoded, to each task's topic, or
 * to the review topic when any prediction scored under its task's threshold or is its task's review label. A text that
 * makes the model fail is retried alone and, if it still fails, becomes a dead letter; if nothing in a batch can be
 * classified the model itself is broken and the task fails, so the restart strategy takes over. Dead letters, its own
 * and those of the inputs that could not be decoded ({@link TextEvent#undecodable}), go out on the main output with
 * everything else: the sink then has one input edge, where side outputs cost an edge each, and each edge a network
 * flusher thread.
 */
public class ClassifyOperator extends AbstractStreamOperator<OutboundRecord>
        implements OneInputStreamOperator<TextEvent, OutboundRecord>, ProcessingTimeService.ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;
    /** Names the inference threads (the bench counts their CPU time with the classify threads). */
    public static final String INFERENCE_THREAD_PREFIX = "classify inference ";
    /** Hides the base class's logger, so this operator's lines carry its own name and can be set on their own. */
    private static final Logger LOG = LoggerFactory.getLogger(ClassifyOperator.class);
    /**
     * One DEBUG line per batch with its epoch-ms timeline: its first event's own time and arrival in the buffer,
     * handed to the inference thread, inference started and finished, emitted on the task thread. Tells events late
     * to arrive apart from a slower model and from a task thread busy elsewhere
     * ({@code docs/bench/diagnostics/batches.py}).
     */
    private static final Logger BATCH_LOG = LoggerFactory.getLogger(ClassifyOperator.class.getName() + ".batches");

    private final ClassifierConfig config;
    private final ClassifierOpener opener;

    private transient Map<String, BatchClassifier> classifiersByModel;
    /** Each task with its threshold and model manifest, by name: resolved once in open(), read per prediction. */
    private transient Map<String, ResolvedTask> tasksByName;
    private transient List<TextEvent> buffer;
    /** When the buffer's first event arrived (epoch ms), for the batch log. */
    private transient long bufferStartedAtMillis;
    private transient ScheduledFuture<?> batchTimer;
    /** When {@link #batchTimer} fires; a timer whose callback was already queued when it was cancelled fires too. */
    private transient long batchDeadline;
    private transient ExecutorService inferenceThread;
    /** Where the inference thread asks the task thread to emit a finished batch. */
    private transient MailboxExecutor mailbox;
    /** The batch on the inference thread, or null; read and written by the task thread only. */
    private transient RunningBatch running;
    private transient SingleObjectCodec<ClassifiedEvent> codec;
    private transient DeadLetters deadLetters;
    private transient Metrics metrics;
    /** The running batch's and the buffer's events as of the last checkpoint. */
    private transient ListState<TextEvent> inFlightState;

    public ClassifyOperator(ClassifierConfig config) {
        this(config, ClassifierOpener.MODELS);
    }

    public ClassifyOperator(ClassifierConfig config, ClassifierOpener opener) {
        this.config = config;
        this.opener = opener;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        inFlightState = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("in-flight events", TextEvent.class));
    }

    @Override
    public void open() throws Exception {
        super.open();
        classifiersByModel = new LinkedHashMap<>();
        try {
            for (String model : config.modelNames()) {
                classifiersByModel.put(model, opener.open(model, config));
            }
        } catch (Exception e) {
            try {
                Closeables.closeAll(classifiersByModel.values().toArray(AutoCloseable[]::new));
            } catch (Exception closeFailure) {
                e.addSuppressed(closeFailure);
            }
            classifiersByModel = null;
            throw new IllegalStateException("Cannot open the classifiers " + config.modelNames() + ": "
                    + e.getMessage(), e);
        }
        tasksByName = new HashMap<>();
        for (TaskSpec task : config.tasks()) {
            ModelManifest manifest = classifiersByModel.get(task.modelName()).manifest();
            tasksByName.put(task.name(), new ResolvedTask(task,
                    task.threshold() != null ? task.threshold() : manifest.threshold, manifest));
        }
        buffer = new ArrayList<>(config.maxBatchSize());
        mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(getOperatorConfig().getChainIndex());
        String threadName = INFERENCE_THREAD_PREFIX + getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks();
        inferenceThread = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        });
        codec = SingleObjectCodec.of(ClassifiedEvent.getClassSchema());
        deadLetters = new DeadLetters(config.deadLetterTopic());
        metrics = new Metrics(getMetricGroup());
        // Events that were in flight at the checkpoint this run restarts from: their results never committed.
        int restored = 0;
        for (TextEvent event : inFlightState.get()) {
            add(event);
            restored++;
        }
        if (restored > 0) {
            LOG.info("Restored {} in-flight events from the checkpoint; their results were never committed, so they "
                    + "are classified again", restored);
        }
    }

    @Override
    public void processElement(StreamRecord<TextEvent> element) throws Exception {
        TextEvent event = element.getValue();
        if (event.deadLetter != null) {
            // Keeps the input's timestamp (the Kafka record's), which the sink writes with the dead letter.
            output.collect(element.replace(event.deadLetter));
            return;
        }
        add(event);
    }

    private void add(TextEvent event) throws Exception {
        buffer.add(event);
        metrics.recordsIn.inc();
        if (buffer.size() == 1) {
            bufferStartedAtMillis = System.currentTimeMillis();
            long delay = config.maxBatchDelay().toMillis();
            if (delay > 0) {
                batchDeadline = getProcessingTimeService().getCurrentProcessingTime() + delay;
                batchTimer = getProcessingTimeService().registerTimer(batchDeadline, this);
            }
        }
        startBatchIfDue();
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        if (batchTimer == null || time != batchDeadline) {
            return;
        }
        batchTimer = null;
        startBatchIfDue();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<TextEvent> inFlight = new ArrayList<>(buffer.size() + (running == null ? 0 : running.events.size()));
        if (running != null) {
            // Read only: the inference thread reads these events too, and nobody changes the list.
            inFlight.addAll(running.events);
        }
        inFlight.addAll(buffer);
        inFlightState.update(inFlight);
    }

    @Override
    public void finish() throws Exception {
        classifyEverything();
        super.finish();
    }

    /** Number of events waiting for the next batch. Visible for tests. */
    int buffered() {
        return buffer == null ? 0 : buffer.size();
    }

    /** Waits for the batch on the inference thread, if any, and emits it. Visible for tests. */
    void awaitRunningBatch() throws Exception {
        RunningBatch batch = running;
        if (batch == null) {
            return;
        }
        running = null;
        BatchScores scores;
        try {
            scores = batch.scores.get();
        } catch (ExecutionException e) {
            throw asException(e.getCause());
        }
        emitBatch(batch.events, scores, batch.firstArrivedAtMillis, batch.handedAtMillis);
    }

    /**
     * Starts the buffered batch on the inference thread when it is due and the thread is free; a full batch waits for
     * the thread. Runs on the task thread after every event, timer and finished batch.
     */
    private void startBatchIfDue() throws Exception {
        if (running != null && running.scores.isDone()) {
            awaitRunningBatch();
        }
        if (buffer.isEmpty()) {
            return;
        }
        boolean full = buffer.size() >= config.maxBatchSize();
        // A pending timer means the first event may still wait; with no delay there is never one.
        if (!full && batchTimer != null) {
            return;
        }
        if (running != null) {
            if (!full) {
                return;
            }
            awaitRunningBatch();
        }
        long firstArrivedAt = bufferStartedAtMillis;
        List<TextEvent> events = takeBuffer();
        long handedAt = System.currentTimeMillis();
        CompletableFuture<BatchScores> scores = CompletableFuture.supplyAsync(() -> infer(events), inferenceThread);
        running = new RunningBatch(events, scores, firstArrivedAt, handedAt);
        scores.whenComplete((result, failure) -> {
            try {
                mailbox.execute(this::startBatchIfDue, "emit a classified batch");
            } catch (RejectedExecutionException closing) {
                // The task is shutting down; whoever closes it has already stopped waiting for this batch.
            }
        });
    }

    /** At end of input: emits the running batch and classifies the buffer on the task thread. */
    private void classifyEverything() throws Exception {
        awaitRunningBatch();
        if (!buffer.isEmpty()) {
            long firstArrivedAt = bufferStartedAtMillis;
            List<TextEvent> events = takeBuffer();
            long handedAt = System.currentTimeMillis();
            emitBatch(events, infer(events), firstArrivedAt, handedAt);
        }
    }

    private List<TextEvent> takeBuffer() {
        if (batchTimer != null) {
            batchTimer.cancel(false);
            batchTimer = null;
        }
        List<TextEvent> events = buffer;
        buffer = new ArrayList<>(config.maxBatchSize());
        return events;
    }

    /** The inference thread's failure, to throw on the task thread; an Error (a crashed runtime) is thrown as is. */
    private static Exception asException(Throwable failure) {
        if (failure instanceof Error error) {
            throw error;
        }
        return failure instanceof Exception exception ? exception : new IllegalStateException(failure);
    }

    /** A batch handed to the inference thread and its scores to come. */
    private record RunningBatch(List<TextEvent> events, CompletableFuture<BatchScores> scores,
            long firstArrivedAtMillis, long handedAtMillis) {}

    /**
     * What inference made of a batch: per event, its tasks' scores in task order, or the reason it failed. Built on
     * the inference thread, read on the task thread.
     */
    private record BatchScores(List<List<TaskScore>> perEvent, String[] failures, long inferenceMicros,
            long startedAtMillis, long finishedAtMillis) {}

    private record TaskScore(TaskSpec task, ClassScores score) {}

    /** Runs every task's model on its members of the batch. Touches no operator state but the classifiers. */
    private BatchScores infer(List<TextEvent> batch) {
        long startedAt = System.currentTimeMillis();
        int size = batch.size();
        List<List<TaskScore>> perEvent = new ArrayList<>(size);
        String[] failures = new String[size];
        for (int i = 0; i < size; i++) {
            perEvent.add(new ArrayList<>(2));
        }
        long inferenceNanos = 0;
        for (TaskSpec task : config.tasks()) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                if (failures[i] == null && config.tasksByKind().getOrDefault(batch.get(i).kind, List.of())
                        .contains(task.name())) {
                    members.add(i);
                }
            }
            if (members.isEmpty()) {
                continue;
            }
            long start = System.nanoTime();
            List<ClassScores> scores = classifyGuarded(task, batch, members, failures);
            inferenceNanos += System.nanoTime() - start;
            for (int m = 0; m < members.size(); m++) {
                if (scores.get(m) != null) {
                    perEvent.get(members.get(m)).add(new TaskScore(task, scores.get(m)));
                }
            }
        }
        return new BatchScores(perEvent, failures, inferenceNanos / 1000, startedAt, System.currentTimeMillis());
    }

    private void emitBatch(List<TextEvent> batch, BatchScores scores, long firstArrivedAtMillis, long handedAtMillis) {
        int size = batch.size();
        metrics.batchSize.update(size);
        metrics.inferenceMicros.update(scores.inferenceMicros());
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (BATCH_LOG.isDebugEnabled() && size > 0) {
            BATCH_LOG.debug("batch size={} produced={} arrived={} handed={} started={} finished={} emitted={}", size,
                    batch.get(0).eventTime, firstArrivedAtMillis, handedAtMillis, scores.startedAtMillis(),
                    scores.finishedAtMillis(), now);
        }
        for (int i = 0; i < size; i++) {
            TextEvent event = batch.get(i);
            String failure = scores.failures()[i];
            if (failure != null) {
                metrics.deadLetters.inc();
                output.collect(new StreamRecord<>(deadLetters.of(event, "INFERENCE", failure)));
                continue;
            }
            List<TaskScore> taskScores = scores.perEvent().get(i);
            List<Prediction> predictions = new ArrayList<>(taskScores.size());
            boolean truncated = false;
            for (TaskScore taskScore : taskScores) {
                predictions.add(prediction(taskScore.task(), taskScore.score()));
                truncated |= taskScore.score().truncated();
            }
            emit(event, predictions, truncated, scores.inferenceMicros(), size, now);
        }
    }

    /**
     * Classifies the members' texts as one batch; if that throws, retries each text alone so one poison input cannot
     * take down its batch. Returns one entry per member, null where the text failed (its reason set in
     * {@code failures}). Throws when no text could be classified: then the model, not the input, is at fault.
     */
    private List<ClassScores> classifyGuarded(TaskSpec task, List<TextEvent> batch, List<Integer> members,
            String[] failures) {
        BatchClassifier classifier = classifiersByModel.get(task.modelName());
        List<String> texts = new ArrayList<>(members.size());
        for (int i : members) {
            texts.add(batch.get(i).text);
        }
        try {
            return classifier.classify(texts);
        } catch (Exception batchFailure) {
            LOG.warn("Classifier {} failed on a batch of {} ({}); retrying each text alone", task.modelName(),
                    texts.size(), batchFailure.getMessage());
            List<ClassScores> scores = new ArrayList<>(members.size());
            int failed = 0;
            for (int m = 0; m < members.size(); m++) {
                try {
                    scores.add(classifier.classify(List.of(texts.get(m))).get(0));
                } catch (Exception textFailure) {
                    failed++;
                    scores.add(null);
                    failures[members.get(m)] = "task " + task.name() + ", model " + task.modelName() + ": "
                            + textFailure;
                }
            }
            if (failed == members.size() && members.size() > 1) {
                throw new IllegalStateException("Classifier " + task.modelName() + " failed on every one of "
                        + members.size() + " texts: the model or runtime is broken, not the input", batchFailure);
            }
            return scores;
        }
    }

    private Prediction prediction(TaskSpec task, ClassScores score) {
        ResolvedTask resolved = tasksByName.get(task.name());
        int best = score.bestIndex();
        String label = score.labels().get(best);
        metrics.label(task.name(), label).inc();
        return Prediction.newBuilder()
                .setTask(task.name())
                .setLabel(label)
                .setScore(score.probabilities()[best])
                .setScores(listedScores(score, config.topScores()))
                .setThreshold(resolved.threshold())
                .setModelName(resolved.manifest().name)
                .setModelVersion(resolved.manifest().version)
                .build();
    }

    /** A task with what open() resolved for it: its threshold (the task's own, else the model's) and its manifest. */
    private record ResolvedTask(TaskSpec spec, float threshold, ModelManifest manifest) {}

    /** The {@code top} best classes' scores (every class's when {@code top} is 0 or covers them all). */
    static Map<String, Float> listedScores(ClassScores score, int top) {
        float[] probabilities = score.probabilities();
        int count = top <= 0 ? probabilities.length : Math.min(top, probabilities.length);
        Map<String, Float> listed = new LinkedHashMap<>(count * 2);
        if (count == probabilities.length) {
            for (int c = 0; c < probabilities.length; c++) {
                listed.put(score.labels().get(c), probabilities[c]);
            }
            return listed;
        }
        // A few passes over at most a few hundred classes: cheaper per event than sorting an index array.
        boolean[] taken = new boolean[probabilities.length];
        for (int k = 0; k < count; k++) {
            int best = -1;
            for (int c = 0; c < probabilities.length; c++) {
                if (!taken[c] && (best < 0 || probabilities[c] > probabilities[best])) {
                    best = c;
                }
            }
            taken[best] = true;
            listed.put(score.labels().get(best), probabilities[best]);
        }
        return listed;
    }

    private void emit(TextEvent event, List<Prediction> predictions, boolean truncated, long inferenceMicros,
            int batchSize, long now) {
        boolean needsReview = predictions.stream().anyMatch(p -> p.getScore() < p.getThreshold()
                || p.getLabel().equals(tasksByName.get(p.getTask()).spec().reviewLabel()));
        ClassifiedEvent classified = ClassifiedEvent.newBuilder()
                .setSourceKind(event.kind.sourceKind())
                .setSourceId(event.id)
                .setSourceTopic(event.topic == null ? "" : event.topic)
                .setSourcePartition(event.partition)
                .setSourceOffset(event.offset)
                .setText(config.includeText() ? clip(event.text) : null)
                .setTruncated(truncated)
                .setPredictions(predictions)
                .setNeedsReview(needsReview)
                .setEventTime(Instant.ofEpochMilli(event.eventTime))
                .setProcessedAt(Instant.ofEpochMilli(now))
                .setInferenceMicros(inferenceMicros)
                .setBatchSize(batchSize)
                .build();
        byte[] value = codec.encode(classified);
        byte[] key = event.id.getBytes(StandardCharsets.UTF_8);
        Set<String> topics = new LinkedHashSet<>();
        if (needsReview) {
            metrics.needsReview.inc();
            topics.add(config.reviewTopic());
        } else {
            for (Prediction prediction : predictions) {
                topics.add(tasksByName.get(prediction.getTask()).spec().outputTopic());
            }
        }
        if (truncated) {
            metrics.truncated.inc();
        }
        metrics.endToEndMillis.update(Math.max(0, now - event.eventTime));
        for (String topic : topics) {
            output.collect(new StreamRecord<>(new OutboundRecord(topic, key, value)));
            metrics.recordsOut.inc();
        }
    }

    /** Keeps labelled events small: a megabyte of input text must not make an output record too large for Kafka. */
    private String clip(String text) {
        int max = config.maxOutputTextChars();
        return text.length() <= max ? text : text.substring(0, max);
    }

    @Override
    public void close() throws Exception {
        try {
            if (batchTimer != null) {
                batchTimer.cancel(false);
                batchTimer = null;
            }
            boolean inferenceStopped = stopInferenceThread();
            if (classifiersByModel != null && inferenceStopped) {
                Closeables.closeAll(classifiersByModel.values().toArray(AutoCloseable[]::new));
                classifiersByModel = null;
            }
        } finally {
            super.close();
        }
    }

    /**
     * Stops the inference thread, waiting for a running batch. Returns false if it is still running: then its
     * classifiers must stay open, as closing a model under a running call can crash the process.
     */
    private boolean stopInferenceThread() {
        if (inferenceThread == null) {
            return true;
        }
        inferenceThread.shutdownNow();
        boolean stopped;
        try {
            stopped = inferenceThread.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = inferenceThread.isTerminated();
        }
        if (!stopped) {
            LOG.error("A batch was still running on the inference thread after a minute; its classifiers are left "
                    + "open (leaked until the process ends) rather than closed under a running model");
        }
        inferenceThread = null;
        return stopped;
    }

    /** The operator's metrics, registered once in {@code open()}. */
    private static final class Metrics {
        final Counter recordsIn;
        final Counter recordsOut;
        final Counter deadLetters;
        final Counter needsReview;
        final Counter truncated;
        final Histogram batchSize;
        final Histogram inferenceMicros;
        final Histogram endToEndMillis;
        private final MetricGroup labels;
        /** Task → label → counter: looked up per prediction, so no key is built per record. */
        private final Map<String, Map<String, Counter>> labelCounters = new HashMap<>();

        Metrics(MetricGroup group) {
            recordsIn = group.counter("classifierRecordsIn");
            recordsOut = group.counter("classifierRecordsOut");
            deadLetters = group.counter("deadLetters");
            needsReview = group.counter("needsReview");
            truncated = group.counter("truncatedInputs");
            batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
            inferenceMicros = group.histogram("inferenceMicros", new DescriptiveStatisticsHistogram(1000));
            endToEndMillis = group.histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(1000));
            labels = group.addGroup("labels");
        }

        Counter label(String task, String label) {
            return labelCounters.computeIfAbsent(task, t -> new HashMap<>())
                    .computeIfAbsent(label, l -> labels.addGroup("task", task).addGroup("label", label).counter("count"));
        }
    }
}
