package dev.streamclassifier.udf;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX Runtime session over a text model that takes {@code input_ids}, {@code attention_mask} and optionally
 * {@code token_type_ids} ({@code [batch, sequence]}, int64) and returns one float vector per text from one output
 * ({@code [batch, width]}).
 *
 * <p>{@link #run} is thread-safe (ONNX Runtime's {@code run} is); {@link #close()} is idempotent and must not race with
 * {@code run}. The JVM-wide {@link OrtEnvironment} is never closed.
 */
public final class OnnxTextModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxTextModel.class);


    private final OrtEnvironment environment;
    private final OrtSession session;
    private final String outputName;
    private final int outputWidth;
    private final boolean takesTokenTypes;
    private final ExecutionDevice device;
    private boolean closed;

    private OnnxTextModel(OrtEnvironment environment, OrtSession session, String outputName, int outputWidth,
            boolean takesTokenTypes, ExecutionDevice device) {
        this.environment = environment;
        this.session = session;
        this.outputName = outputName;
        this.outputWidth = outputWidth;
        this.takesTokenTypes = takesTokenTypes;
        this.device = device;
    }

    /**
     * Opens a session on {@code modelBytes} (an ONNX file's content). The session checks that the model has the
     * inputs this class feeds and the named 2-D float output.
     *
     * @param description names the model in log lines and errors
     * @param intraOpThreads ONNX Runtime's intra-op thread count; slots x threads should not exceed the cores
     * @param device CPU, or CUDA with a logged fall-back to CPU when the CUDA provider cannot load
     */
    public static OnnxTextModel open(String description, byte[] modelBytes, String outputName, int intraOpThreads,
            ExecutionDevice device) throws OrtException {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        ExecutionDevice used = device;
        OrtSession session;
        try (OrtSession.SessionOptions options = sessionOptions(intraOpThreads)) {
            if (device == ExecutionDevice.CUDA) {
                used = addCudaOrFallBack(options, description);
            }
            session = environment.createSession(modelBytes, options);
        }
        try {
            Set<String> inputs = session.getInputNames();
            for (String required : new String[] {"input_ids", "attention_mask"}) {
                if (!inputs.contains(required)) {
                    throw new IllegalArgumentException("Model " + description + " has inputs " + inputs
                            + " but needs '" + required + "': is this a BERT-style text model?");
                }
            }
            NodeInfo output = session.getOutputInfo().get(outputName);
            if (output == null) {
                throw new IllegalArgumentException("Model " + description + " has outputs "
                        + session.getOutputNames() + " but the manifest names '" + outputName + "'");
            }
            long[] shape = ((TensorInfo) output.getInfo()).getShape();
            if (shape.length != 2) {
                throw new IllegalArgumentException("Output '" + outputName + "' of model " + description
                        + " must be [batch, width], has " + shape.length + " dimensions");
            }
            LOG.info("Opened ONNX model {} on {} with {} intra-op threads; output {} width {}", description, used,
                    intraOpThreads, outputName, shape[1]);
            return new OnnxTextModel(environment, session, outputName, (int) shape[1],
                    inputs.contains("token_type_ids"), used);
        } catch (RuntimeException | OrtException e) {
            try {
                session.close();
            } catch (OrtException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    private static OrtSession.SessionOptions sessionOptions(int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            // ONNX Runtime's worker threads spin between calls by default; in a job that shares its cores with Kafka
            // clients, Flink's network stack and (in tests) a broker, that spinning takes CPU from the work.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return options;
        } catch (OrtException e) {
            options.close();
            throw e;
        }
    }

    /** ONNX Runtime does not fall back by itself when the CUDA provider cannot load; we decide here, loudly. */
    private static ExecutionDevice addCudaOrFallBack(OrtSession.SessionOptions options, String description) {
        try {
            options.addCUDA(0);
            return ExecutionDevice.CUDA;
        } catch (OrtException | UnsatisfiedLinkError | IllegalArgumentException e) {
            LOG.warn("CUDA was requested for model {} but cannot be used ({}); running on CPU. For the GPU, build with "
                    + "-Pgpu (onnxruntime_gpu) on a host with CUDA 12.x and cuDNN 9.", description, e.getMessage());
            return ExecutionDevice.CPU;
        }
    }

    /** The device the session actually runs on (CPU after a CUDA fall-back). */
    public ExecutionDevice device() {
        return device;
    }

    public int outputWidth() {
        return outputWidth;
    }

    /** Runs the model on one padded batch and returns one row of {@link #outputWidth()} floats per text. */
    public float[][] run(TokenBatch batch) throws OrtException {
        long[] shape = batch.shape();
        Map<String, OnnxTensor> feeds = new HashMap<>(4);
        try (OnnxTensor ids = OnnxTensor.createTensor(environment, LongBuffer.wrap(batch.ids()), shape);
                OnnxTensor mask = OnnxTensor.createTensor(environment, LongBuffer.wrap(batch.attentionMask()), shape);
                OnnxTensor types = takesTokenTypes
                        ? OnnxTensor.createTensor(environment, LongBuffer.wrap(batch.typeIds()), shape)
                        : null) {
            feeds.put("input_ids", ids);
            feeds.put("attention_mask", mask);
            if (types != null) {
                feeds.put("token_type_ids", types);
            }
            try (OrtSession.Result result = session.run(feeds, Set.of(outputName))) {
                OnnxValue value = result.get(outputName)
                        .orElseThrow(() -> new IllegalStateException("Model returned no '" + outputName + "'"));
                // getValue copies into Java arrays, so nothing refers to native memory after the result closes.
                return (float[][]) value.getValue();
            }
        }
    }

    @Override
    public void close() throws OrtException {
        if (!closed) {
            closed = true;
            session.close();
        }
    }
}
