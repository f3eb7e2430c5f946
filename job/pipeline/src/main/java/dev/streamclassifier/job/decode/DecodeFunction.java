package dev.streamclassifier.job.decode;

import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.job.sink.DeadLetters;
import dev.streamclassifier.job.sink.Encoding;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;

/**
 * Decodes raw input records into {@link TextEvent}s; a record that cannot be decoded becomes an
 * {@linkplain TextEvent#undecodable undecodable} event carrying its dead letter with the reason, which the classify
 * step writes out, and the job goes on.
 */
public class DecodeFunction extends RichMapFunction<RawRecord, TextEvent> {
    private static final long serialVersionUID = 1L;

    private final DecodeSettings settings;
    private final String deadLetterTopic;
    private final int maxRecordBytes;
    private final Encoding encoding;
    private transient InputDecoder decoder;
    private transient DeadLetters deadLetters;
    private transient Counter decodeFailures;

    /**
     * @param maxRecordBytes the most a dead letter may take; the raw record is cut to fit
     * @param encoding how dead letters are encoded
     */
    public DecodeFunction(DecodeSettings settings, String deadLetterTopic, int maxRecordBytes, Encoding encoding) {
        this.settings = settings;
        this.deadLetterTopic = deadLetterTopic;
        this.maxRecordBytes = maxRecordBytes;
        this.encoding = encoding;
    }

    @Override
    public void open(OpenContext openContext) {
        decoder = new InputDecoder(settings);
        deadLetters = new DeadLetters(deadLetterTopic, maxRecordBytes, encoding);
        decodeFailures = getRuntimeContext().getMetricGroup().counter("deadLetters");
    }

    @Override
    public TextEvent map(RawRecord record) {
        try {
            return decoder.decode(record);
        } catch (DecodeException e) {
            decodeFailures.inc();
            return TextEvent.undecodable(record, deadLetters.of(record, e.kind(), e.getMessage()));
        }
    }
}
