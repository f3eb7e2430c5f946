package dev.streamclassifier.job.text;

import java.util.regex.Pattern;

/**
 * Leaves out of an email what its sender did not write for this message: quoted lines, the quoted message below an
 * "On ... wrote:" line or a forwarded original, and the signature. What is left is what the model should read.
 */
public final class QuotedReplies {
    /** A line that starts what follows as quoted or forwarded material, or as a signature. */
    private static final Pattern CUT_FROM = Pattern.compile(
            "(?im)^(?:On .{0,200}wrote:\\s*$|-{2,}\\s*(?:Original|Forwarded) Message\\s*-{2,}.*$"
                    + "|From: .+$\\R(?:Sent|Date): .+$|-- ?$|Sent from my .+$)");
    private static final Pattern QUOTED_LINE = Pattern.compile("(?m)^\\s*>.*(?:\\R|$)");

    private QuotedReplies() {}

    /** The text without quotes and signature; the text itself when that would leave nothing. */
    public static String strip(String text) {
        String kept = text;
        var cut = CUT_FROM.matcher(kept);
        if (cut.find()) {
            kept = kept.substring(0, cut.start());
        }
        kept = QUOTED_LINE.matcher(kept).replaceAll("").strip();
        return kept.isEmpty() ? text : kept;
    }
}
