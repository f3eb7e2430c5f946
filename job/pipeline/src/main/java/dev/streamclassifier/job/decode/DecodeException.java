package dev.streamclassifier.job.decode;

/** An input record that cannot become a {@link TextEvent}; the message is the dead letter's reason. */
public class DecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    /** DECODE for bytes that are not a valid message, VALIDATION for a valid message the job cannot classify. */
    private final String kind;

    public DecodeException(String kind, String message) {
        super(message);
        this.kind = kind;
    }

    public DecodeException(String kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }
}
