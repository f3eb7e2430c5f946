package dev.streamclassifier.job.classify;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamclassifier.job.event.OutboundRecord;
import dev.streamclassifier.job.lifecycle.ModelCommand;
import dev.streamclassifier.job.sink.RecordEncoder;
import dev.streamclassifier.schemas.ModelAction;
import dev.streamclassifier.schemas.ModelEvent;
import dev.streamclassifier.udf.BatchClassifier;
import dev.streamclassifier.udf.BatchShape;
import dev.streamclassifier.udf.Closeables;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Model updates inside one classify instance. An update arrives among the events; the new version is opened and
 * verified ({@link VersionCheck}) on a loader thread of its own while the active version keeps serving, and then
 * takes over between two batches, on the task thread, so no batch ever mixes versions and no batch waits for a load. A
 * version that fails verification is rejected and the active one keeps serving. Every outcome is logged, counted and
 * written to the model-events topic. What is active, and what was asked for and not yet applied, is kept in operator
 * state, so a restore resumes with the same versions.
 */
final class ModelLifecycle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLifecycle.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The version the job started with (bundled or from classifier.models-dir), as a rollback target. */
    static final String STARTING_VERSION = "";

    /** The versions of one instance, as kept in operator state (as JSON: plain to read, easy to evolve). */
    static final class VersionState {
        public Map<String, String> active = new HashMap<>();
        public Map<String, String> previous = new HashMap<>();
        public Map<String, String> shadowVersion = new HashMap<>();
        public Map<String, Double> shadowShare = new HashMap<>();
        public List<ModelCommand> pending = new ArrayList<>();
        public long lastSequence = -1;

        String toJson() {
            try {
                return JSON.writeValueAsString(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        static VersionState fromJson(String json) {
            try {
                return JSON.readValue(json, VersionState.class);
            } catch (IOException e) {
                throw new UncheckedIOException("unreadable model versions in the checkpoint: " + json, e);
            }
        }
    }

    /** What the loader made of an update: the verified version, or why it was rejected. */
    private record Outcome(ModelCommand command, String target, Classifiers.Version version, String rejection) {}

    private final ClassifySettings settings;
    private final ClassifierOpener opener;
    private final Classifiers classifiers;
    private final MailboxExecutor mailbox;
    private final Runnable applyWhenIdle;
    private final String instance;
    private final ClassifyMetrics metrics;
    private final RecordEncoder<ModelEvent> events;
    private final Consumer<OutboundRecord> output;
    private final ExecutorService loader;
    private final VersionState state = new VersionState();
    private final List<Outcome> done = new ArrayList<>();
    /** Versions swapped out, to be closed on the loader thread. */
    private final Queue<Classifiers.Version> retired = new ConcurrentLinkedQueue<>();
    /** The last activate or rollback per model: a load it supersedes is dropped. */
    private final Map<String, Long> latestSwitch = new ConcurrentHashMap<>();

    /**
     * @param opener opens a version (shared per TaskManager when the settings say so)
     * @param applyWhenIdle asks the operator to call {@link #applyDone()} as soon as no batch runs
     * @param output where model events go, among the operator's other records
     */
    ModelLifecycle(ClassifySettings settings, ClassifierOpener opener, Classifiers classifiers,
            MailboxExecutor mailbox, Runnable applyWhenIdle, String instance, ClassifyMetrics metrics,
            Consumer<OutboundRecord> output) {
        this.settings = settings;
        this.opener = opener;
        this.classifiers = classifiers;
        this.mailbox = mailbox;
        this.applyWhenIdle = applyWhenIdle;
        this.instance = instance;
        this.metrics = metrics;
        this.output = output;
        this.events = settings.output().encoding().encoder(ModelEvent.getClassSchema());
        this.loader = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, instance + " model loader");
            thread.setDaemon(true);
            return thread;
        });
        for (String model : classifiers.models()) {
            metrics.modelVersion(model, classifiers.active(model).name(), "active", true);
        }
    }

    /** Takes an update off the stream (task thread): loads its version in the background. */
    void onCommand(ModelCommand command) {
        if (command.sequence <= state.lastSequence) {
            return;
        }
        state.lastSequence = command.sequence;
        start(command);
    }

    private void start(ModelCommand command) {
        if (!classifiers.models().contains(command.model)) {
            finish(new Outcome(command, command.version, null, "no task of this job uses model '" + command.model
                    + "' (its tasks use " + classifiers.models() + ")"));
            return;
        }
        switch (command.action) {
            case DEACTIVATE_SHADOW -> finish(new Outcome(command, null, null, null));
            case ACTIVATE, ROLLBACK, SHADOW -> {
                String target = command.action != ModelAction.ROLLBACK || command.version != null ? command.version
                        : state.previous.get(command.model);
                if (target == null) {
                    finish(new Outcome(command, null, null, "there is no previous version to roll back to"));
                    return;
                }
                if (command.action != ModelAction.SHADOW) {
                    latestSwitch.put(command.model, command.sequence);
                }
                state.pending.add(command);
                // Read here, on the task thread, which alone changes the active versions.
                Classifiers.Version active = classifiers.active(command.model);
                List<String> activeLabels = List.copyOf(active.classifier().manifest().labels);
                BatchClassifier activeClassifier = active.classifier();
                try {
                    loader.execute(() -> load(command, target, activeLabels, activeClassifier));
                } catch (RejectedExecutionException closing) {
                    // The operator is closing; the update stays pending in state and is applied after a restore.
                }
            }
            default -> throw new IllegalStateException("unknown action " + command.action);
        }
    }

    /** Opens and verifies a version (loader thread); hands the outcome to the task thread. */
    private void load(ModelCommand command, String target, List<String> activeLabels, BatchClassifier active) {
        Outcome outcome;
        Long latest = latestSwitch.get(command.model);
        if (command.action != ModelAction.SHADOW && latest != null && latest > command.sequence) {
            outcome = new Outcome(command, target, null, null);
        } else {
            outcome = verify(command, target, activeLabels, active);
        }
        Outcome result = outcome;
        try {
            mailbox.execute(() -> finish(result), "apply a model update");
        } catch (RejectedExecutionException closing) {
            closeQuietly(result.version());
        }
    }

    /**
     * Opens and checks a candidate. The active version is timed on the same smoke batch in turn with it, on this
     * thread, so both see the load the running job puts on the machine.
     */
    private Outcome verify(ModelCommand command, String target, List<String> activeLabels, BatchClassifier active) {
        BatchClassifier candidate = null;
        try {
            candidate = opener.open(command.model, storeVersion(target), settings.models(), settings.batch().shape());
            VersionCheck.Timing timing = VersionCheck.smoke(command.model, active, candidate, settings.tasks());
            List<String> problems = VersionCheck.problems(command.model, candidate.manifest(), activeLabels,
                    command.allowLabelChange, settings.tasks(), timing.candidateMicros(), timing.activeMicros(),
                    settings.models().updates().maxLatencyRatio());
            if (!problems.isEmpty()) {
                closeQuietly(new Classifiers.Version(target, candidate));
                return new Outcome(command, target, null, String.join("; ", problems));
            }
            return new Outcome(command, target, new Classifiers.Version(storeVersion(target), candidate),
                    null);
        } catch (Exception e) {
            if (candidate != null) {
                closeQuietly(new Classifiers.Version(target, candidate));
            }
            return new Outcome(command, target, null, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** Queues an outcome (task thread) and has it applied as soon as no batch runs. */
    private void finish(Outcome outcome) {
        done.add(outcome);
        applyWhenIdle.run();
    }

    /** Applies what the loader finished (task thread, while no batch runs). */
    void applyDone() throws Exception {
        if (done.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        for (Outcome outcome : done) {
            apply(outcome);
        }
        int applied = done.size();
        done.clear();
        long micros = (System.nanoTime() - start) / 1000;
        metrics.switchPause(micros);
        LOG.info("{} applied {} model update(s) between two batches in {} ms", instance, applied,
                String.format(Locale.ROOT, "%.2f", micros / 1000.0));
    }

    /**
     * Closes a version that no longer serves on the loader thread: closing an ONNX Runtime session frees its memory and
     * can take longer than the task thread should pause between batches.
     */
    private void retire(Classifiers.Version version) {
        retired.add(version);
        try {
            loader.execute(this::closeRetired);
        } catch (RejectedExecutionException shutDown) {
            closeRetired();
        }
    }

    private void closeRetired() {
        for (Classifiers.Version version; (version = retired.poll()) != null; ) {
            closeQuietly(version);
        }
    }

    private void apply(Outcome outcome) throws Exception {
        ModelCommand command = outcome.command();
        state.pending.removeIf(pending -> pending.sequence == command.sequence);
        String model = command.model;
        if (outcome.rejection() != null) {
            LOG.warn("Rejected {} of {}: {}; {} keeps serving", command, model, outcome.rejection(),
                    classifiers.models().contains(model) ? classifiers.active(model).name() : "nothing");
            metrics.versionRejected();
            emit(command, outcome.target(), "REJECTED", outcome.rejection(), null);
            return;
        }
        if (command.action == ModelAction.DEACTIVATE_SHADOW) {
            Classifiers.Shadow stopped = classifiers.shadow(model, null);
            state.shadowVersion.remove(model);
            state.shadowShare.remove(model);
            if (stopped != null) {
                retire(stopped.version());
                metrics.modelVersion(model, stopped.version().name(), "shadow", false);
            }
            emit(command, stopped == null ? null : stopped.version().name(), "SHADOW_STOPPED", null, null);
            return;
        }
        if (outcome.version() == null) {
            LOG.info("Skipped {}: a later update of {} supersedes it", command, model);
            return;
        }
        if (command.action == ModelAction.SHADOW) {
            Classifiers.Shadow replaced = classifiers.shadow(model,
                    new Classifiers.Shadow(outcome.version(), command.shadowShare));
            if (replaced != null) {
                retire(replaced.version());
                metrics.modelVersion(model, replaced.version().name(), "shadow", false);
            }
            state.shadowVersion.put(model, outcome.target());
            state.shadowShare.put(model, command.shadowShare);
            metrics.modelVersion(model, outcome.version().name(), "shadow", true);
            LOG.info("{} runs {} {} in shadow on {}% of its events", instance, model, outcome.version().name(),
                    Math.round(command.shadowShare * 100));
            emit(command, outcome.target(), "SHADOWING", null, null);
            return;
        }
        Classifiers.Version previous = classifiers.swap(model, outcome.version());
        retire(previous);
        state.previous.put(model, previous.version() != null ? previous.version() : STARTING_VERSION);
        state.active.put(model, outcome.target());
        metrics.modelVersion(model, previous.name(), "active", false);
        metrics.modelVersion(model, outcome.version().name(), "active", true);
        metrics.versionActivated();
        Classifiers.Shadow shadow = classifiers.shadow(model);
        if (shadow != null && outcome.target().equals(shadow.version().version())) {
            // Promoted: the shadow run has served its purpose.
            classifiers.shadow(model, null);
            retire(shadow.version());
            state.shadowVersion.remove(model);
            state.shadowShare.remove(model);
            metrics.modelVersion(model, shadow.version().name(), "shadow", false);
        }
        LOG.info("{} now serves {} {} (was {})", instance, model, outcome.version().name(), previous.name());
        emit(command, outcome.version().name(), "ACTIVE", null, previous.name());
    }

    /** The store's version for a target; null for the version the job started with. */
    private static String storeVersion(String target) {
        return target == null || target.equals(STARTING_VERSION) ? null : target;
    }

    private void emit(ModelCommand command, String version, String outcome, String reason, String previous) {
        ModelEvent event = ModelEvent.newBuilder()
                .setModel(command.model)
                .setVersion(version)
                .setAction(command.action.name())
                .setOutcome(outcome)
                .setReason(reason)
                .setPreviousVersion(previous)
                .setInstance(instance)
                .setAt(Instant.now())
                .build();
        String topic = settings.models().updates().eventsTopic();
        output.accept(new OutboundRecord(topic, command.model.getBytes(StandardCharsets.UTF_8),
                events.encode(event, topic)));
    }

    /** The state to checkpoint: the versions serving and the updates not yet applied. */
    String snapshot() {
        return state.toJson();
    }

    /**
     * Resumes with the versions of a checkpoint (open, before the first batch): opens the active and shadow versions
     * it names now, and starts its pending updates again. Of the instances' states (union state: all of them), the one
     * that had seen the most updates wins; they differ only in what was still loading.
     */
    void restore(List<String> states) throws Exception {
        VersionState restored = null;
        for (String json : states) {
            VersionState candidate = VersionState.fromJson(json);
            if (restored == null || candidate.lastSequence > restored.lastSequence) {
                restored = candidate;
            }
        }
        if (restored == null) {
            return;
        }
        state.lastSequence = restored.lastSequence;
        state.previous.putAll(restored.previous);
        BatchShape shape = settings.batch().shape();
        for (Map.Entry<String, String> entry : restored.active.entrySet()) {
            String model = entry.getKey();
            if (!classifiers.models().contains(model)) {
                continue;
            }
            if (storeVersion(entry.getValue()) == null) {
                continue;
            }
            BatchClassifier classifier = opener.open(model, entry.getValue(), settings.models(), shape);
            Classifiers.Version previous = classifiers.swap(model, new Classifiers.Version(entry.getValue(), classifier));
            previous.classifier().close();
            state.active.put(model, entry.getValue());
            metrics.modelVersion(model, previous.name(), "active", false);
            metrics.modelVersion(model, classifiers.active(model).name(), "active", true);
            LOG.info("Restored {} {} from the checkpoint", model, entry.getValue());
        }
        for (Map.Entry<String, String> entry : restored.shadowVersion.entrySet()) {
            String model = entry.getKey();
            if (!classifiers.models().contains(model)) {
                continue;
            }
            BatchClassifier classifier = opener.open(model, entry.getValue(), settings.models(), shape);
            double share = restored.shadowShare.getOrDefault(model, 0.1);
            classifiers.shadow(model, new Classifiers.Shadow(new Classifiers.Version(entry.getValue(), classifier),
                    share));
            state.shadowVersion.put(model, entry.getValue());
            state.shadowShare.put(model, share);
            metrics.modelVersion(model, entry.getValue(), "shadow", true);
        }
        for (ModelCommand pending : restored.pending) {
            start(pending);
        }
    }

    private static void closeQuietly(Classifiers.Version version) {
        if (version == null) {
            return;
        }
        try {
            Closeables.closeAll(version.classifier());
        } catch (Exception e) {
            LOG.warn("Could not close model version {}: {}", version.name(), e.toString());
        }
    }

    /** Stops the loader (waiting for a load in progress) and closes the versions that were loaded but not applied. */
    @Override
    public void close() throws Exception {
        loader.shutdownNow();
        if (!loader.awaitTermination(1, TimeUnit.MINUTES)) {
            LOG.error("A model version was still loading after a minute; it is left to the process's end");
        }
        for (Outcome outcome : done) {
            closeQuietly(outcome.version());
        }
        done.clear();
        closeRetired();
    }
}
