package dev.streamclassifier.models;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Fine-tunes a BERT-style sentence encoder with low-rank adapters on every linear layer, together with a linear
 * classification head, on DJL's PyTorch engine (CPU). The encoder is written here with DJL operations because DJL's
 * own {@code BertBlock} is not Hugging Face BERT (other normalisation and residuals); its weights are the fp32 ONNX
 * initializers ({@link EncoderWeights}), frozen. The forward pass is the one the ONNX graph runs (embeddings, six
 * post-norm blocks with erf GELU, masked mean pooling, L2 normalisation), so what is learnt here is what the job runs
 * once {@link LoraAdapters#applyTo} merges the adapters.
 *
 * <p>Training: AdamW, linear warm-up then linear decay, gradients clipped to a global norm, any step whose loss or
 * gradient is not finite skipped (one such step otherwise turns every weight into NaN).
 */
final class EncoderFineTuner implements AutoCloseable {
    private static final float LAYER_NORM_EPSILON = 1e-12f;
    private static final float MASKED = -1e9f;
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float ADAM_EPSILON = 1e-8f;

    /** How to fine-tune. */
    record Settings(int rank, float alpha, int epochs, int batchSize, int maxTokens, double encoderLearningRate,
            double headLearningRate, double weightDecay, double warmupShare, double maxGradientNorm, long seed,
            int threads) {

        String describe() {
            return String.format(Locale.ROOT, "LoRA r%d alpha %.0f on all linear layers, %d epoch(s), batch %d, "
                    + "%d tokens, lr %.0e (adapters) / %.0e (head), AdamW, %.0f%% warm-up, clip %.1f, seed %d",
                    rank, alpha, epochs, batchSize, maxTokens, encoderLearningRate, headLearningRate,
                    100 * warmupShare, maxGradientNorm, seed);
        }
    }

    /** What a training run did: mean loss of the first and the last epoch, skipped steps, speed. */
    record Report(int steps, int skippedSteps, double firstEpochLoss, double lastEpochLoss, double seconds,
            double examplesPerSecond) {}

    private final Engine engine;
    private final NDManager root;
    private final EncoderWeights weights;
    private final Settings settings;
    private final int classes;
    private final NDArray word;
    private final NDArray position;
    private final NDArray type;
    private final NDArray[] embeddingNorm;
    private final NDArray[][] weight;
    private final NDArray[][] bias;
    private final NDArray[][] norms;
    private final NDArray[][] loraA;
    private final NDArray[][] loraB;
    private final NDArray headWeight;
    private final NDArray headBias;
    private final List<Trainable> trainables = new ArrayList<>();

    /** An array being trained, with its AdamW mean and variance; the head's arrays learn at the head's rate. */
    private record Trainable(NDArray value, NDArray mean, NDArray variance, boolean head) {}

    private EncoderFineTuner(Engine engine, EncoderWeights weights, int classes, Settings settings) {
        this.engine = engine;
        this.root = engine.newBaseManager();
        this.weights = weights;
        this.settings = settings;
        this.classes = Math.max(1, classes);
        int hidden = weights.hidden;
        word = root.create(weights.wordEmbeddings, new Shape(weights.vocabulary, hidden));
        position = root.create(weights.positionEmbeddings, new Shape(weights.positions, hidden));
        type = root.create(weights.typeEmbeddings, new Shape(weights.typeEmbeddings.length / hidden, hidden));
        embeddingNorm = vectors(weights.layerNorm("embeddings.LayerNorm"));
        int layers = weights.layers;
        int linears = EncoderWeights.LINEARS.size();
        weight = new NDArray[layers][linears];
        bias = new NDArray[layers][linears];
        norms = new NDArray[layers][];
        loraA = new NDArray[layers][linears];
        loraB = new NDArray[layers][linears];
        Random random = new Random(settings.seed());
        for (int layer = 0; layer < layers; layer++) {
            for (int i = 0; i < linears; i++) {
                EncoderWeights.Linear linear = weights.linear(layer, EncoderWeights.LINEARS.get(i));
                weight[layer][i] = root.create(linear.weight(), new Shape(linear.in(), linear.out()));
                bias[layer][i] = root.create(linear.bias());
                if (settings.rank() > 0) {
                    // A random, B zero: the adapted encoder starts as the base encoder (the usual LoRA start).
                    loraA[layer][i] = trainable(uniform(random, linear.in() * settings.rank(), linear.in()),
                            new Shape(linear.in(), settings.rank()), false);
                    loraB[layer][i] = trainable(new float[settings.rank() * linear.out()],
                            new Shape(settings.rank(), linear.out()), false);
                }
            }
            float[][] attention = weights.layerNorm("encoder.layer." + layer + ".attention.output.LayerNorm");
            float[][] output = weights.layerNorm("encoder.layer." + layer + ".output.LayerNorm");
            norms[layer] = new NDArray[] {root.create(attention[0]), root.create(attention[1]),
                    root.create(output[0]), root.create(output[1])};
        }
        headWeight = trainable(uniform(random, hidden * this.classes, hidden), new Shape(hidden, this.classes), true);
        headBias = trainable(new float[this.classes], new Shape(this.classes), true);
    }

    /**
     * Starts the PyTorch engine (libtorch is unpacked from the Maven artifact into {@code ~/.djl.ai} on first use,
     * never downloaded) and loads the frozen weights.
     */
    static EncoderFineTuner open(EncoderWeights weights, int classes, Settings settings) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(Math.max(1, settings.threads())));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Engine engine;
        try {
            engine = Engine.getEngine("PyTorch");
        } catch (RuntimeException | LinkageError e) {
            throw new IllegalStateException("Cannot start DJL's PyTorch engine for fine-tuning (" + e.getMessage()
                    + "). It unpacks libtorch into ~/.djl.ai: set DJL_CACHE_DIR to a writable directory with ~500 MB "
                    + "free, and do not set PYTORCH_VERSION, PYTORCH_FLAVOR or PYTORCH_LIBRARY_PATH.", e);
        }
        engine.setRandomSeed((int) settings.seed());
        return new EncoderFineTuner(engine, weights, classes, settings);
    }

    /** Sentence embeddings of token id sequences (special tokens included), as the ONNX embedder computes them. */
    float[][] embed(long[][] ids) {
        float[][] result = new float[ids.length][];
        int batchSize = Math.max(1, settings.batchSize());
        for (int from = 0; from < ids.length; from += batchSize) {
            long[][] batch = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + batchSize));
            try (NDManager step = root.newSubManager()) {
                float[] flat = encode(step, batch).toFloatArray();
                for (int i = 0; i < batch.length; i++) {
                    result[from + i] = Arrays.copyOfRange(flat, i * weights.hidden, (i + 1) * weights.hidden);
                }
            }
        }
        return result;
    }

    /**
     * Trains adapters and head on {@code ids} (each truncated to {@link Settings#maxTokens()}) with gold
     * {@code labels}, reporting loss and rate to {@code progress}.
     */
    Report train(long[][] ids, int[] labels) {
        long start = System.nanoTime();
        Random random = new Random(settings.seed());
        int batchSize = Math.max(1, settings.batchSize());
        int batchesPerEpoch = (ids.length + batchSize - 1) / batchSize;
        int totalSteps = Math.max(1, batchesPerEpoch * settings.epochs());
        int warmupSteps = Math.max(1, (int) Math.ceil(settings.warmupShare() * totalSteps));
        Progress progress = new Progress("fine-tuning", (long) totalSteps * batchSize);
        int step = 0;
        int skipped = 0;
        double firstEpochLoss = Double.NaN;
        double epochLoss = 0;
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            epochLoss = 0;
            int counted = 0;
            for (int[] batch : lengthGroupedBatches(ids, batchSize, random)) {
                double rate = step < warmupSteps ? (step + 1.0) / warmupSteps
                        : Math.max(0.0, (totalSteps - step) / (double) Math.max(1, totalSteps - warmupSteps));
                step++;
                float loss = step(ids, labels, batch, rate, step);
                if (Float.isFinite(loss)) {
                    epochLoss += loss;
                    counted++;
                } else {
                    skipped++;
                }
                progress.update((long) step * batchSize, String.format(Locale.ROOT, "loss %.4f", counted == 0
                        ? Double.NaN : epochLoss / counted));
            }
            epochLoss /= Math.max(1, counted);
            if (epoch == 0) {
                firstEpochLoss = epochLoss;
            }
            System.err.printf(Locale.ROOT, "fine-tuning epoch %d/%d: mean loss %.4f%n", epoch + 1, settings.epochs(),
                    epochLoss);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Report(step, skipped, firstEpochLoss, epochLoss, seconds,
                (double) ids.length * settings.epochs() / Math.max(1e-9, seconds));
    }

    /** The mean cross-entropy of one batch, without training (for tests and reports). */
    float loss(long[][] ids, int[] labels) {
        try (NDManager step = root.newSubManager()) {
            return lossOf(step, ids, labels).getFloat();
        }
    }

    /** The adapters as trained so far. */
    LoraAdapters adapters() {
        List<LoraAdapters.Adapter> adapters = new ArrayList<>();
        for (int layer = 0; layer < weights.layers; layer++) {
            for (int i = 0; i < EncoderWeights.LINEARS.size(); i++) {
                if (loraA[layer][i] == null) {
                    continue;
                }
                EncoderWeights.Linear linear = weights.linear(layer, EncoderWeights.LINEARS.get(i));
                adapters.add(new LoraAdapters.Adapter(EncoderWeights.key(layer, EncoderWeights.LINEARS.get(i)),
                        linear.in(), linear.out(), loraA[layer][i].toFloatArray(), loraB[layer][i].toFloatArray()));
            }
        }
        return new LoraAdapters(settings.rank(), settings.alpha(), adapters);
    }

    /**
     * The classification head trained with the adapters, as a linear head on the L2-normalised embedding the ONNX
     * graph outputs (the training-time feature scale folded into the weights).
     */
    Head head() {
        int hidden = weights.hidden;
        float[] flat = headWeight.toFloatArray();
        float scale = (float) Math.sqrt(hidden);
        float[][] rows = new float[classes][hidden];
        for (int j = 0; j < hidden; j++) {
            for (int c = 0; c < rows.length; c++) {
                rows[c][j] = flat[j * rows.length + c] * scale;
            }
        }
        return new Head(hidden, rows, headBias.toFloatArray());
    }

    private float step(long[][] ids, int[] labels, int[] batch, double rateFactor, int stepNumber) {
        long[][] batchIds = new long[batch.length][];
        int[] batchLabels = new int[batch.length];
        for (int i = 0; i < batch.length; i++) {
            batchIds[i] = ids[batch[i]];
            batchLabels[i] = labels[batch[i]];
        }
        float loss;
        try (NDManager step = root.newSubManager(); GradientCollector collector = engine.newGradientCollector()) {
            NDArray lossArray = lossOf(step, batchIds, batchLabels);
            loss = lossArray.getFloat();
            if (!Float.isFinite(loss)) {
                return loss;
            }
            collector.backward(lossArray);
        }
        double squares = 0;
        for (Trainable parameter : trainables) {
            try (NDArray gradient = parameter.value().getGradient(); NDArray square = gradient.square();
                    NDArray sum = square.sum()) {
                squares += sum.getFloat();
            }
        }
        double norm = Math.sqrt(squares);
        if (!Double.isFinite(norm)) {
            trainables.forEach(parameter -> JniUtils.zeroGrad((PtNDArray) parameter.value()));
            return Float.NaN;
        }
        float rescale = (float) Math.min(1.0, settings.maxGradientNorm() / Math.max(1e-12, norm));
        double correction = Math.sqrt(1 - Math.pow(BETA2, stepNumber)) / (1 - Math.pow(BETA1, stepNumber));
        for (Trainable parameter : trainables) {
            NDArray value = parameter.value();
            double learningRate = rateFactor
                    * (parameter.head() ? settings.headLearningRate() : settings.encoderLearningRate());
            try (NDArray gradient = value.getGradient()) {
                // AdamW, which also zeroes the gradient for the next step
                value.getNDArrayInternal().adamUpdate(new NDList(value, gradient, parameter.mean(),
                        parameter.variance()), new NDList(value), (float) learningRate,
                        (float) (learningRate * correction),
                        (float) settings.weightDecay(), rescale, -1f, BETA1, BETA2, ADAM_EPSILON, true, true);
            }
        }
        return loss;
    }

    private NDArray lossOf(NDManager step, long[][] ids, int[] labels) {
        NDArray features = encode(step, ids).mul((float) Math.sqrt(weights.hidden));
        NDArray logProbabilities = features.matMul(headWeight).add(headBias).logSoftmax(-1);
        long[] gold = Arrays.stream(labels).mapToLong(l -> l).toArray();
        NDArray oneHot = step.create(gold).oneHot(classes);
        return logProbabilities.mul(oneHot).sum(new int[] {1}).mean().neg();
    }

    /** Masked mean pooling of the last hidden state, L2-normalised: {@code [batch, hidden]}. */
    private NDArray encode(NDManager step, long[][] ids) {
        int batch = ids.length;
        int length = Arrays.stream(ids).mapToInt(row -> Math.min(row.length, settings.maxTokens())).max().orElse(1);
        long[] flatIds = new long[batch * length];
        float[] flatMask = new float[batch * length];
        for (int i = 0; i < batch; i++) {
            int n = Math.min(ids[i].length, length);
            for (int t = 0; t < n; t++) {
                flatIds[i * length + t] = ids[i][t];
                flatMask[i * length + t] = 1f;
            }
        }
        NDArray input = step.create(flatIds, new Shape(batch, length));
        NDArray mask = step.create(flatMask, new Shape(batch, length));
        NDArray positions = step.arange(0, length, 1, DataType.INT64);
        NDArray types = step.zeros(new Shape(batch, length), DataType.INT64);
        NDArray x = lookup(input, word).add(lookup(positions, position)).add(lookup(types, type));
        x = layerNorm(x, embeddingNorm[0], embeddingNorm[1]);
        // 0 where there is a token, a large negative number on padding: softmax then gives padding no weight
        NDArray attentionBias = mask.sub(1f).mul(-MASKED).reshape(batch, 1, 1, length);
        for (int layer = 0; layer < weights.layers; layer++) {
            x = block(layer, x, attentionBias, batch, length);
        }
        NDArray mask3d = mask.expandDims(2);
        NDArray mean = x.mul(mask3d).sum(new int[] {1}).div(mask3d.sum(new int[] {1}).maximum(1e-9f));
        NDArray norm = mean.square().sum(new int[] {1}, true).sqrt().maximum(1e-12f);
        return mean.div(norm);
    }

    private NDArray block(int layer, NDArray x, NDArray attentionBias, int batch, int length) {
        int heads = weights.heads;
        int width = EncoderWeights.HEAD_WIDTH;
        NDArray query = linear(x, layer, 0).reshape(batch, length, heads, width).transpose(0, 2, 1, 3);
        NDArray key = linear(x, layer, 1).reshape(batch, length, heads, width).transpose(0, 2, 3, 1);
        NDArray value = linear(x, layer, 2).reshape(batch, length, heads, width).transpose(0, 2, 1, 3);
        NDArray scores = query.matMul(key).div((float) Math.sqrt(width)).add(attentionBias);
        NDArray context = scores.softmax(-1).matMul(value).transpose(0, 2, 1, 3).reshape(batch, length,
                weights.hidden);
        NDArray attended = layerNorm(linear(context, layer, 3).add(x), norms[layer][0], norms[layer][1]);
        NDArray inner = Activation.gelu(linear(attended, layer, 4));
        return layerNorm(linear(inner, layer, 5).add(attended), norms[layer][2], norms[layer][3]);
    }

    /**
     * {@code x W + b}, plus {@code (alpha / r) x A B} when the layer has an adapter. The input comes first in every
     * operation: results live in the input's manager, which is closed after each step.
     */
    private NDArray linear(NDArray x, int layer, int index) {
        NDArray y = x.matMul(weight[layer][index]).add(bias[layer][index]);
        if (loraA[layer][index] != null) {
            y = y.add(x.matMul(loraA[layer][index]).matMul(loraB[layer][index])
                    .mul(settings.alpha() / settings.rank()));
        }
        return y;
    }

    private NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        return LayerNorm.layerNorm(x, new Shape(weights.hidden), gamma, beta, LAYER_NORM_EPSILON).singletonOrThrow();
    }

    private static NDArray lookup(NDArray ids, NDArray table) {
        return Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /** Batches of similar length (less padding), in a shuffled order; ties in length are shuffled too. */
    private static List<int[]> lengthGroupedBatches(long[][] ids, int batchSize, Random random) {
        Integer[] order = new Integer[ids.length];
        Arrays.setAll(order, i -> i);
        java.util.Collections.shuffle(Arrays.asList(order), random);
        Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
        List<int[]> batches = new ArrayList<>();
        for (int from = 0; from < order.length; from += batchSize) {
            int to = Math.min(order.length, from + batchSize);
            int[] batch = new int[to - from];
            for (int i = from; i < to; i++) {
                batch[i - from] = order[i];
            }
            batches.add(batch);
        }
        java.util.Collections.shuffle(batches, random);
        return batches;
    }

    private NDArray trainable(float[] values, Shape shape, boolean head) {
        NDArray parameter = root.create(values, shape);
        parameter.setRequiresGradient(true);
        trainables.add(new Trainable(parameter, parameter.zerosLike(), parameter.zerosLike(), head));
        return parameter;
    }

    private NDArray[] vectors(float[][] values) {
        return new NDArray[] {root.create(values[0]), root.create(values[1])};
    }

    /** Kaiming-uniform values for a layer with {@code fanIn} inputs, from {@code random} (reproducible by seed). */
    private static float[] uniform(Random random, int count, int fanIn) {
        float bound = (float) (1 / Math.sqrt(fanIn));
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (random.nextFloat() * 2 - 1) * bound;
        }
        return values;
    }

    @Override
    public void close() {
        root.close();
    }
}
