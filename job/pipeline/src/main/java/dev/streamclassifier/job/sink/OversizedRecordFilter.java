package dev.streamclassifier.job.sink;

import dev.streamclassifier.job.event.OutboundRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.metrics.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last guard in front of the sink: a record larger than the sink may write would fail the sink, the job would
 * restart from its checkpoint, meet the same record and fail again, for ever. Dead letters and labelled events are cut
 * to fit before they get here; whatever still does not is dropped, with an ERROR line and the
 * {@code oversizedRecordsDropped} metric, so that one record cannot stall the stream.
 */
public final class OversizedRecordFilter extends RichFilterFunction<OutboundRecord> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OversizedRecordFilter.class);

    private final int maxRecordBytes;
    private transient Counter dropped;

    public OversizedRecordFilter(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void open(OpenContext openContext) {
        dropped = getRuntimeContext().getMetricGroup().counter("oversizedRecordsDropped");
    }

    @Override
    public boolean filter(OutboundRecord record) {
        int size = (record.key == null ? 0 : record.key.length) + (record.value == null ? 0 : record.value.length);
        if (size <= maxRecordBytes) {
            return true;
        }
        dropped.inc();
        LOG.error("Dropped a record of {} bytes for topic {}: over sink.max-record-bytes ({}), it would fail the sink "
                + "on every retry. This is a bug: such records should have been cut before.", size, record.topic,
                maxRecordBytes);
        return false;
    }
}
