package dev.streamclassifier.job.decode;

import dev.streamclassifier.job.event.RawRecord;
import dev.streamclassifier.job.event.TextEvent;
import dev.streamclassifier.job.lifecycle.ModelCommands;
import dev.streamclassifier.job.sink.DeadLetters;
import dev.streamclassifier.job.sink.Encoding;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes raw input records into {@link TextEvent}s; a record that cannot be decoded becomes an
 * {@linkplain TextEvent#undecodable undecodable} event carrying its dead letter with the reason, which the classify
 * step writes out, and the job goes on. Model updates from the control topic become {@linkplain TextEvent#command
 * command} events; every instance gets each update, and the first instance alone dead-letters one it cannot read.
 */
public class DecodeFunction extends RichFlatMapFunction<RawRecord, TextEvent> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DecodeFunction.class);

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
    public void flatMap(RawRecord record, Collector<TextEvent> out) {
        if (record.control) {
            try {
                out.collect(TextEvent.command(ModelCommands.decode(record.value, record.offset), record));
            } catch (IllegalArgumentException e) {
                LOG.warn("Ignored the model update at {}: {}", record, e.getMessage());
                if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
                    decodeFailures.inc();
                    out.collect(TextEvent.undecodable(record, deadLetters.of(record, "MODEL_UPDATE", e.getMessage())));
                }
            }
            return;
        }
        try {
            out.collect(decoder.decode(record));
        } catch (DecodeException e) {
            decodeFailures.inc();
            out.collect(TextEvent.undecodable(record, deadLetters.of(record, e.kind(), e.getMessage())));
        }
    }
}
