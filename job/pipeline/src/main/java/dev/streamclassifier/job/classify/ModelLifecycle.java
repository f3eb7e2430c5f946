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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <p>Updates are handled one at a time, in offset order: the next one starts only once the previous one is applied, so
 * a rollback, a label check or a timing always compares against the version the updates before it left, and every
 * instance that accepts the same updates ends on the same versions. An update that a later waiting one makes moot (an
 * activate followed by another, a shadow followed by another shadow or a stop) is skipped, with a SUPERSEDED event.
 */
final class ModelLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLifecycle.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The version the job started with (bundled or from classifier.models-dir), as a rollback target. */
    static final String STARTING_VERSION = "";
    /** The sequence of the stand-in update that reports a version a restore could not open again. */
    private static final long RESTORE_SEQUENCE = -1;

    /** The versions of one instance, as kept in operator state (as JSON: plain to read, easy to evolve). */
    static final class VersionState {
        public Map<String, String> active = new HashMap<>();
        public Map<String, String> previous = new HashMap<>();
        public Map<String, String> shadowVersion = new HashMap<>();
        public Map<String, Double> shadowShare = new HashMap<>();
        public List<ModelCommand> pending = new ArrayList<>();
        public long lastSequence = -1;
        /** Which instance wrote this state, so each one resumes with its own versions when parallelism is the same. */
        public int subtask = -1;
        public int parallelism = -1;

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
    private final int subtask;
    private final int parallelism;
    private final VersionState state = new VersionState();
    /** Updates taken off the stream and not yet started, in offset order (task thread). */
    private final Deque<ModelCommand> waiting = new ArrayDeque<>();
    /** The update being loaded or waiting to be applied; the next one starts when it is applied. */
    private ModelCommand inFlight;
    /** Outcomes ready to apply between two batches (task thread). */
    private final Deque<Outcome> done = new ArrayDeque<>();
    private boolean applying;
    /** Outcomes the loader handed to the mailbox and the task thread has not taken yet: closed if it never does. */
    private final Set<Outcome> handedOver = ConcurrentHashMap.newKeySet();
    /** Versions swapped out and not yet closed on the loader thread. */
    private final Set<Classifiers.Version> retired = ConcurrentHashMap.newKeySet();

    /**
     * @param opener opens a version (shared per TaskManager when the settings say so)
     * @param applyWhenIdle asks the operator to call {@link #applyDone()} as soon as no batch runs
     * @param output where model events go, among the operator's other records
     * @param subtask this instance's index among {@code parallelism}: names it in model events and picks its state
     */
    ModelLifecycle(ClassifySettings settings, ClassifierOpener opener, Classifiers classifiers,
            MailboxExecutor mailbox, Runnable applyWhenIdle, int subtask, int parallelism, ClassifyMetrics metrics,
            Consumer<OutboundRecord> output) {
        this.settings = settings;
        this.opener = opener;
        this.classifiers = classifiers;
        this.mailbox = mailbox;
        this.applyWhenIdle = applyWhenIdle;
        // Stable across restarts (no attempt number), so 'models list' keeps one row per instance.
        this.instance = "classify (" + (subtask + 1) + "/" + parallelism + ")";
        this.subtask = subtask;
        this.parallelism = parallelism;
        this.state.subtask = subtask;
        this.state.parallelism = parallelism;
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

    /** Takes an update off the stream (task thread): it starts once the updates before it are applied. */
    void onCommand(ModelCommand command) {
        if (command.sequence <= state.lastSequence) {
            return;
        }
        state.lastSequence = command.sequence;
        waiting.add(command);
        startNext();
    }

    /** Starts the next waiting update if none is in flight (task thread). */
    private void startNext() {
        while (inFlight == null && !waiting.isEmpty()) {
            ModelCommand command = waiting.poll();
            ModelCommand later = supersededBy(command);
            if (later != null) {
                LOG.info("{} skips {}: {} after it replaces it", instance, command, later);
                emit(command, command.version, "SUPERSEDED", "a later update replaces it: " + later, null);
                continue;
            }
            inFlight = command;
            start(command);
        }
    }

    /** The waiting update that makes {@code command} moot, if any. */
    private ModelCommand supersededBy(ModelCommand command) {
        for (ModelCommand later : waiting) {
            if (!later.model.equals(command.model)) {
                continue;
            }
            boolean replaces = switch (command.action) {
                // A rollback without a version is relative to what is active, so only a named version replaces.
                case ACTIVATE, ROLLBACK -> later.version != null
                        && (later.action == ModelAction.ACTIVATE || later.action == ModelAction.ROLLBACK);
                case SHADOW -> later.action == ModelAction.SHADOW || later.action == ModelAction.DEACTIVATE_SHADOW;
                default -> false;
            };
            if (replaces) {
                return later;
            }
        }
        return null;
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
                // Read here, on the task thread, which alone changes the active versions. Nothing retires this
                // version while the load runs: only this load's outcome can replace it.
                Classifiers.Version active = classifiers.active(command.model);
                List<String> activeLabels = List.copyOf(active.classifier().manifest().labels);
                BatchClassifier activeClassifier = active.classifier();
                try {
                    loader.execute(() -> load(command, target, activeLabels, activeClassifier));
                } catch (RejectedExecutionException closing) {
                    // The operator is closing; the update stays pending in state and is started after a restore.
                }
            }
            default -> throw new IllegalStateException("unknown action " + command.action);
        }
    }

    /** Opens and verifies a version (loader thread); hands the outcome to the task thread. */
    private void load(ModelCommand command, String target, List<String> activeLabels, BatchClassifier active) {
        Outcome outcome = verify(command, target, activeLabels, active);
        handedOver.add(outcome);
        try {
            mailbox.execute(() -> {
                if (handedOver.remove(outcome)) {
                    finish(outcome);
                }
            }, "apply a model update");
        } catch (RejectedExecutionException closing) {
            if (handedOver.remove(outcome)) {
                closeQuietly(outcome.version());
            }
        }
    }

    /**
     * Opens and checks a candidate. The active version is timed on the same smoke batch in turn with it, on this
     * thread, so both see the load the running job puts on the machine.
     */
    private Outcome verify(ModelCommand command, String target, List<String> activeLabels, BatchClassifier active) {
        BatchClassifier candidate = null;
        try {
            long start = System.nanoTime();
            candidate = opener.open(command.model, storeVersion(target), settings.models(), settings.batch().shape());
            long opened = System.nanoTime();
            VersionCheck.Timing timing = VersionCheck.smoke(command.model, active, candidate, settings.tasks());
            // The loader's CPU is taken from the running job: these two figures say what a switch costs it.
            LOG.info("{} opened {} {} in {} ms and ran the checks in {} ms", instance, command.model,
                    storeVersion(target) == null ? "(its starting version)" : target,
                    (opened - start) / 1_000_000, (System.nanoTime() - opened) / 1_000_000);
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
        if (!applying) {
            applyWhenIdle.run();
        }
    }

    /** Applies what the loader finished, and what that lets finish at once (task thread, while no batch runs). */
    void applyDone() throws Exception {
        if (done.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        int applied = 0;
        applying = true;
        try {
            for (Outcome outcome; (outcome = done.poll()) != null; applied++) {
                apply(outcome);
                if (outcome.command() == inFlight) {
                    inFlight = null;
                    startNext();
                }
            }
        } finally {
            applying = false;
        }
        long micros = (System.nanoTime() - start) / 1000;
        metrics.switchPause(micros);
        LOG.info("{} applied {} model update(s) between two batches in {} ms", instance, applied,
                String.format(Locale.ROOT, "%.2f", micros / 1000.0));
    }

    /**
     * Closes a version that no longer serves on the loader thread: closing an ONNX Runtime session frees its memory and
     * can take longer than the task thread should pause between batches. Whoever takes it out of {@link #retired}
     * closes it, so it is closed once even if {@link #stop()} runs first.
     */
    private void retire(Classifiers.Version version) {
        retired.add(version);
        try {
            loader.execute(() -> closeRetired(version));
        } catch (RejectedExecutionException shutDown) {
            closeRetired(version);
        }
    }

    private void closeRetired(Classifiers.Version version) {
        if (retired.remove(version)) {
            closeQuietly(version);
        }
    }

    private void apply(Outcome outcome) throws Exception {
        ModelCommand command = outcome.command();
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
                .setAction(command.sequence == RESTORE_SEQUENCE ? "RESTORE" : command.action.name())
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
        state.pending.clear();
        if (inFlight != null) {
            state.pending.add(inFlight);
        }
        state.pending.addAll(waiting);
        return state.toJson();
    }

    /**
     * Resumes with the versions of a checkpoint (open, before the first batch): opens the active and shadow versions
     * it names now, and starts its pending updates again. Of the instances' states (union state: all of them), this
     * instance's own is taken when the parallelism is unchanged; otherwise the one that had seen the most updates. A
     * version that cannot be opened again is reported as rejected, and the starting version serves in its place.
     */
    void restore(List<String> states) {
        VersionState restored = null;
        for (String json : states) {
            VersionState candidate = VersionState.fromJson(json);
            if (candidate.subtask == subtask && candidate.parallelism == parallelism) {
                restored = candidate;
                break;
            }
            if (restored == null || candidate.lastSequence > restored.lastSequence) {
                restored = candidate;
            }
        }
        if (restored == null) {
            return;
        }
        state.lastSequence = restored.lastSequence;
        state.previous.putAll(restored.previous);
        for (Map.Entry<String, String> entry : restored.active.entrySet()) {
            String model = entry.getKey();
            if (!classifiers.models().contains(model) || storeVersion(entry.getValue()) == null) {
                continue;
            }
            Classifiers.Version version = reopen(model, entry.getValue(), ModelAction.ACTIVATE);
            if (version == null) {
                continue;
            }
            Classifiers.Version previous = classifiers.swap(model, version);
            closeQuietly(previous);
            state.active.put(model, entry.getValue());
            metrics.modelVersion(model, previous.name(), "active", false);
            metrics.modelVersion(model, version.name(), "active", true);
            LOG.info("{} restored {} {} from the checkpoint", instance, model, entry.getValue());
        }
        for (Map.Entry<String, String> entry : restored.shadowVersion.entrySet()) {
            String model = entry.getKey();
            if (!classifiers.models().contains(model)) {
                continue;
            }
            Classifiers.Version version = reopen(model, entry.getValue(), ModelAction.SHADOW);
            if (version == null) {
                continue;
            }
            double share = restored.shadowShare.getOrDefault(model, 0.1);
            classifiers.shadow(model, new Classifiers.Shadow(version, share));
            state.shadowVersion.put(model, entry.getValue());
            state.shadowShare.put(model, share);
            metrics.modelVersion(model, version.name(), "shadow", true);
        }
        waiting.addAll(restored.pending);
        startNext();
        if (!done.isEmpty()) {
            applyWhenIdle.run();
        }
    }

    /** Opens a version a checkpoint names; null, reported as a rejection, if the store no longer gives it. */
    private Classifiers.Version reopen(String model, String version, ModelAction action) {
        try {
            return new Classifiers.Version(version, opener.open(model, version, settings.models(),
                    settings.batch().shape()));
        } catch (Exception e) {
            String reason = "could not open " + model + " " + version + " again after a restart ("
                    + (e.getMessage() == null ? e.toString() : e.getMessage()) + "); "
                    + (action == ModelAction.SHADOW ? "no shadow runs" : "the version the job started with serves")
                    + " until an update names another";
            LOG.error("{}: {}", instance, reason);
            done.add(new Outcome(new ModelCommand(model, version, action, 0, false, RESTORE_SEQUENCE), version, null,
                    reason));
            return null;
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

    /**
     * Stops the loader (waiting for a load in progress) and closes the versions that were loaded but not applied, and
     * those retired and not yet closed.
     *
     * @return whether the loader stopped; if not, it may still be running a smoke batch on an active version, which
     *     must then be left open
     */
    boolean stop() {
        loader.shutdownNow();
        boolean stopped;
        try {
            stopped = loader.awaitTermination(1, TimeUnit.MINUTES);
            if (!stopped) {
                LOG.error("{}: a model version was still loading after a minute; it is left to the process's end",
                        instance);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = false;
        }
        if (stopped) {
            handedOver.forEach(outcome -> closeQuietly(outcome.version()));
            handedOver.clear();
        }
        done.forEach(outcome -> closeQuietly(outcome.version()));
        done.clear();
        List.copyOf(retired).forEach(this::closeRetired);
        return stopped;
    }
}
