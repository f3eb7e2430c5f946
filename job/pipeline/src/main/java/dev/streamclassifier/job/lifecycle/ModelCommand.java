package dev.streamclassifier.job.lifecycle;

import dev.streamclassifier.schemas.ModelAction;

/**
 * One model update as it travels from the control topic to every classify instance (a Flink POJO): the
 * {@code ModelUpdate} record's fields, and its offset in the control topic, which orders updates.
 */
public class ModelCommand {
    public String model;
    public String version;
    public ModelAction action;
    public double shadowShare;
    public boolean allowLabelChange;
    /** The control record's offset: updates apply in this order, and a restored instance knows which it has seen. */
    public long sequence;

    public ModelCommand() {}

    public ModelCommand(String model, String version, ModelAction action, double shadowShare,
            boolean allowLabelChange, long sequence) {
        this.model = model;
        this.version = version;
        this.action = action;
        this.shadowShare = shadowShare;
        this.allowLabelChange = allowLabelChange;
        this.sequence = sequence;
    }

    @Override
    public String toString() {
        return action + " " + model + (version == null ? "" : " " + version)
                + (action == ModelAction.SHADOW ? " on " + Math.round(shadowShare * 100) + "% of events" : "");
    }
}
