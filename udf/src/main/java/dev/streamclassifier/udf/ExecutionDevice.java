package dev.streamclassifier.udf;

import java.util.Locale;

/** Where ONNX Runtime runs a model. */
public enum ExecutionDevice {
    CPU,
    /** The CUDA execution provider; needs the {@code onnxruntime_gpu} artifact and CUDA 12.x + cuDNN 9 on the host. */
    CUDA;

    /** Parses {@code cpu} or {@code cuda}, saying what is accepted when the value is neither. */
    public static ExecutionDevice parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown device '" + value + "': use 'cpu' or 'cuda'", e);
        }
    }
}
