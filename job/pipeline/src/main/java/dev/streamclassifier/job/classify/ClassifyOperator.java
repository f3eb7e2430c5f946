package dev.streamclassifier.job.classify;

import dev.streamclassifier.job.classify.Labeller.Labelled;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.job.sink.DeadLetters;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;

/**
 * Classifies text events in batches: the Flink side of it (buffer, timer, state, the hand-off to the inference thread);
 * {@link BatchInference} runs the models and {@link Labeller} turns scores into output records.
 *
 * <p>Each instance buffers events and hands a batch to an {@link InferenceThread} of its own, so the next batch forms
 * while one runs. A batch starts when the inference thread is free and the batch is due: full, or its first event has
 * waited the batch's max delay (at once when that is zero, so under load batches grow by themselves while the previous
 * one runs). A full batch that finds the inference thread busy holds the task thread until it is free, which is how
 * back-pressure reaches the source. Results are emitted on the task thread, in input order.
 *
 * <p>A checkpoint does not wait for inference: as Flink's async I/O operator keeps its in-flight elements, the running
 * batch's and the buffer's events go into operator state. Their results are emitted after the barrier, so they belong
 * to the next checkpoint's Kafka transaction; after a failure that transaction is aborted and the restored events are
 * classified again, so the transactional sink downstream stays exactly-once. At end of input the running batch is
 * awaited and the rest classified.
 *
 * <p>Dead letters leave on the main output with everything else: its own (a text the model fails on) and those of
 * inputs that could not be decoded, which arrive as {@linkplain TextEvent#undecodable undecodable} events. The sink
 * then has one input edge, where side outputs would cost an edge each, and each edge a network flusher thread.
 */
public class ClassifyOperator extends AbstractStreamOperator<OutboundRecord>
        implements OneInputStreamOperator<TextEvent, OutboundRecord>, ProcessingTimeService.ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;
    /** Hides the base class's logger, so this operator's lines carry its own name and can be set on their own. */
    private static final Logger LOG = LoggerFactory.getLogger(ClassifyOperator.class);

    private final ClassifySettings settings;
    private final ClassifierOpener opener;

    private transient Classifiers classifiers;
    private transient BatchInference inference;
    private transient Labeller labeller;
    private transient DeadLetters deadLetters;
    private transient ClassifyMetrics metrics;
    private transient List<TextEvent> buffer;
    private transient ScheduledFuture<?> batchTimer;
    /** When {@link #batchTimer} fires; a timer whose callback was already queued when it was cancelled fires too. */
    private transient long batchDeadline;
    private transient InferenceThread inferenceThread;
    /** Where the inference thread asks the task thread to emit a finished batch. */
    private transient MailboxExecutor mailbox;
    /** The batch on the inference thread, or null; read and written by the task thread only. */
    private transient RunningBatch running;
    /** The running batch's and the buffer's events as of the last checkpoint. */
    private transient ListState<TextEvent> inFlightState;
    /** Model updates: null unless a model store is configured. */
    private transient ModelLifecycle lifecycle;
    /** The model versions serving and asked for, as of the last checkpoint (every instance's: union state). */
    private transient ListState<String> versionState;

    /** A batch handed to the inference thread and its result to come. */
    private record RunningBatch(List<TextEvent> events, CompletableFuture<BatchInference.Result> result) {}

    public ClassifyOperator(ClassifySettings settings) {
        this(settings, ClassifierOpener.MODELS);
    }

    /** @param opener opens each model on the TaskManager (tests wrap the real one to inject faults) */
    public ClassifyOperator(ClassifySettings settings, ClassifierOpener opener) {
        this.settings = settings;
        this.opener = opener;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        inFlightState = context.getOperatorStateStore().getListState(
                new ListStateDescriptor<>("in-flight events", TextEvent.class));
        versionState = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("model versions", String.class));
    }

    @Override
    public void open() throws Exception {
        super.open();
        classifiers = Classifiers.open(settings.tasks().modelNames(), opener, settings.models(),
                settings.batch().shape());
        inference = new BatchInference(settings.tasks(), classifiers);
        labeller = new Labeller(settings.tasks(), settings.output());
        deadLetters = new DeadLetters(settings.output().deadLetterTopic(), settings.output().maxRecordBytes());
        buffer = new ArrayList<>(settings.batch().maxSize());
        metrics = new ClassifyMetrics(getMetricGroup(), () -> buffer.size());
        mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(getOperatorConfig().getChainIndex());
        String name = getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks();
        inferenceThread = new InferenceThread(name + " inference");
        if (settings.models().updates() != null) {
            lifecycle = new ModelLifecycle(settings, Classifiers.effective(opener, settings.models()), classifiers,
                    mailbox, this::applyModelUpdatesIfIdle, getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                    getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(), metrics,
                    record -> output.collect(new StreamRecord<>(record)));
            List<String> restoredVersions = new ArrayList<>();
            versionState.get().forEach(restoredVersions::add);
            lifecycle.restore(restoredVersions);
        }
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
        if (event.command != null) {
            if (lifecycle != null) {
                lifecycle.onCommand(event.command);
            } else {
                LOG.warn("Ignored {}: model-store.uri is not set", event);
            }
            return;
        }
        if (event.deadLetter != null) {
            // Keeps the input's timestamp (the Kafka record's), which the sink writes with the dead letter.
            output.collect(element.replace(event.deadLetter));
            return;
        }
        add(event);
    }

    private void add(TextEvent event) throws Exception {
        buffer.add(event);
        metrics.eventIn();
        if (buffer.size() == 1) {
            long delay = settings.batch().maxDelay().toMillis();
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
        if (lifecycle != null) {
            versionState.update(List.of(lifecycle.snapshot()));
        }
    }

    /** Applies finished model updates now if no batch runs; else the batch's end applies them. */
    private void applyModelUpdatesIfIdle() {
        if (running == null && lifecycle != null) {
            try {
                lifecycle.applyDone();
            } catch (Exception e) {
                throw new IllegalStateException("Cannot apply a model update: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public void finish() throws Exception {
        awaitRunningBatch();
        if (!buffer.isEmpty()) {
            List<TextEvent> events = takeBuffer();
            emit(events, inference.infer(events));
        }
        super.finish();
    }

    /**
     * Starts the buffered batch on the inference thread when it is due and the thread is free; a full batch waits for
     * the thread. Runs on the task thread after every event, timer and finished batch.
     */
    private void startBatchIfDue() throws Exception {
        if (running != null && running.result.isDone()) {
            awaitRunningBatch();
        }
        if (running == null && lifecycle != null) {
            // Between two batches: the one place a model version may change.
            lifecycle.applyDone();
        }
        if (buffer.isEmpty()) {
            return;
        }
        boolean full = buffer.size() >= settings.batch().maxSize();
        // A pending timer means the first event may still wait; with no delay there is never one.
        if (!full && batchTimer != null) {
            return;
        }
        if (running != null) {
            if (!full) {
                return;
            }
            awaitRunningBatch();
            if (lifecycle != null) {
                lifecycle.applyDone();
            }
        }
        List<TextEvent> events = takeBuffer();
        CompletableFuture<BatchInference.Result> result = inferenceThread.run(() -> inference.infer(events));
        running = new RunningBatch(events, result);
        result.whenComplete((scores, failure) -> {
            try {
                mailbox.execute(this::startBatchIfDue, "emit a classified batch");
            } catch (RejectedExecutionException closing) {
                // The task is shutting down; whoever closes it has already stopped waiting for this batch.
            }
        });
    }

    /** Waits for the batch on the inference thread, if any, and emits it. */
    private void awaitRunningBatch() throws Exception {
        RunningBatch batch = running;
        if (batch == null) {
            return;
        }
        running = null;
        try {
            emit(batch.events, batch.result.get());
        } catch (ExecutionException e) {
            throw asException(e.getCause());
        }
    }

    private List<TextEvent> takeBuffer() {
        if (batchTimer != null) {
            batchTimer.cancel(false);
            batchTimer = null;
        }
        List<TextEvent> events = buffer;
        buffer = new ArrayList<>(settings.batch().maxSize());
        return events;
    }

    /** The inference thread's failure, to throw on the task thread; an Error (a crashed runtime) is thrown as is. */
    private static Exception asException(Throwable failure) {
        if (failure instanceof Error error) {
            throw error;
        }
        return failure instanceof Exception exception ? exception : new IllegalStateException(failure);
    }

    private void emit(List<TextEvent> batch, BatchInference.Result result) {
        int size = batch.size();
        metrics.batch(size, result.inferenceMicros());
        metrics.cache(result.cacheLookups(), result.cacheHits());
        metrics.shadow(result.shadow(), result.shadowMicros(), result.shadowFailures());
        long now = getProcessingTimeService().getCurrentProcessingTime();
        LOG.debug("Emitting a batch of {} classified in {} µs", size, result.inferenceMicros());
        for (int i = 0; i < size; i++) {
            TextEvent event = batch.get(i);
            String failure = result.failures()[i];
            if (failure != null) {
                metrics.deadLetter();
                output.collect(new StreamRecord<>(deadLetters.of(event, "INFERENCE", failure)));
                continue;
            }
            Labelled labelled = labeller.label(event, result.perEvent().get(i), size, result.inferenceMicros(), now);
            if (labelled.tooLarge() != null) {
                metrics.deadLetter();
                output.collect(new StreamRecord<>(deadLetters.of(event, "OUTPUT_TOO_LARGE", labelled.tooLarge())));
                continue;
            }
            metrics.labelled(labelled, now - event.eventTime);
            for (OutboundRecord record : labelled.records()) {
                output.collect(new StreamRecord<>(record));
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (batchTimer != null) {
                batchTimer.cancel(false);
                batchTimer = null;
            }
            boolean inferenceStopped = inferenceThread == null || inferenceThread.stop();
            inferenceThread = null;
            boolean loaderStopped = lifecycle == null || lifecycle.stop();
            lifecycle = null;
            // A thread that did not stop may still be running a model: its sessions are left to the process's end.
            if (classifiers != null && inferenceStopped && loaderStopped) {
                classifiers.close();
                classifiers = null;
            }
        } finally {
            super.close();
        }
    }
}
