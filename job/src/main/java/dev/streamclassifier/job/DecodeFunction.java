package dev.streamclassifier.job;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.util.Map;

/**
 * Decodes raw input records into {@link TextEvent}s; a record that cannot be decoded goes to the dead-letter side
 * output ({@link DeadLetters#TAG}) with the reason, and the job goes on.
 */
public class DecodeFunction extends ProcessFunction<RawRecord, TextEvent> {
    private static final long serialVersionUID = 1L;

    private final Map<EventKind, InputFormat> formats;
    private final String deadLetterTopic;
    private transient InputDecoder decoder;
    private transient DeadLetters deadLetters;
    private transient Counter decodeFailures;

    public DecodeFunction(Map<EventKind, InputFormat> formats, String deadLetterTopic) {
        this.formats = Map.copyOf(formats);
        this.deadLetterTopic = deadLetterTopic;
    }

    @Override
    public void open(OpenContext openContext) {
        decoder = new InputDecoder(formats);
        deadLetters = new DeadLetters(deadLetterTopic);
        decodeFailures = getRuntimeContext().getMetricGroup().counter("deadLetters");
    }

    @Override
    public void processElement(RawRecord record, Context context, Collector<TextEvent> out) {
        try {
            out.collect(decoder.decode(record));
        } catch (DecodeException e) {
            decodeFailures.inc();
            context.output(DeadLetters.TAG, deadLetters.of(record, e.kind(), e.getMessage()));
        }
    }
}
