package dev.streamclassifier.models;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The evaluation report's PNG plots, drawn with Java2D (no plotting library): confusion matrix, reliability diagram,
 * accuracy-vs-coverage curve. Headless: works on a server without a display.
 */
final class Plots {
    private static final Color INK = new Color(40, 40, 40);
    private static final Color GRID = new Color(225, 225, 225);
    private static final Color BLUE = new Color(52, 101, 164);
    private static final Color ORANGE = new Color(230, 126, 34);

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {}

    /** Row-normalised confusion matrix (gold rows, predicted columns) with counts in the cells. */
    static void confusionMatrix(Evaluation evaluation, String title, Path file) throws IOException {
        List<String> labels = evaluation.labels();
        long[][] confusion = evaluation.confusion();
        boolean unknownRow = evaluation.unknownGold() > 0;
        int rows = labels.size() + (unknownRow ? 1 : 0);
        int cols = labels.size();
        int cell = Math.max(28, Math.min(70, 560 / Math.max(rows, cols)));
        int left = 190;
        int top = 70;
        int width = left + cols * cell + 40;
        int height = top + rows * cell + 120;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        title(g, title, width);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics metrics = g.getFontMetrics();
        for (int r = 0; r < rows; r++) {
            long rowTotal = 0;
            for (long value : confusion[r]) {
                rowTotal += value;
            }
            for (int c = 0; c < cols; c++) {
                double share = rowTotal == 0 ? 0 : (double) confusion[r][c] / rowTotal;
                int shade = (int) Math.round(255 - 200 * share);
                g.setColor(new Color(shade, shade, 255));
                g.fillRect(left + c * cell, top + r * cell, cell, cell);
                g.setColor(GRID);
                g.drawRect(left + c * cell, top + r * cell, cell, cell);
                String count = Long.toString(confusion[r][c]);
                g.setColor(share > 0.55 ? Color.WHITE : INK);
                g.drawString(count, left + c * cell + (cell - metrics.stringWidth(count)) / 2,
                        top + r * cell + (cell + metrics.getAscent()) / 2 - 2);
            }
            g.setColor(INK);
            String label = r < labels.size() ? labels.get(r) : "(unknown to model)";
            label = shorten(label, metrics, left - 10);
            g.drawString(label, left - 8 - metrics.stringWidth(label), top + r * cell + (cell + metrics.getAscent()) / 2 - 2);
        }
        AffineTransform original = g.getTransform();
        for (int c = 0; c < cols; c++) {
            String label = shorten(labels.get(c), metrics, 150);
            g.setTransform(original);
            g.translate(left + c * cell + cell / 2 + 4, top + rows * cell + 8);
            g.rotate(Math.PI / 4);
            g.drawString(label, 0, 0);
        }
        g.setTransform(original);
        g.drawString("rows: gold label; columns: predicted; shade: share of the row", 10, height - 12);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    /** Accuracy per confidence bin against the diagonal, with bar widths showing how many predictions fall in it. */
    static void reliabilityDiagram(Evaluation evaluation, int bins, String title, Path file) throws IOException {
        List<Evaluation.Bin> reliability = evaluation.reliability(bins);
        Chart chart = new Chart(title, "confidence (top score)", "accuracy");
        chart.drawGrid();
        long max = reliability.stream().mapToLong(Evaluation.Bin::count).max().orElse(1);
        Graphics2D g = chart.graphics;
        for (Evaluation.Bin bin : reliability) {
            if (bin.count() == 0) {
                continue;
            }
            int x0 = chart.x(bin.from()) + 2;
            int x1 = chart.x(bin.to()) - 2;
            g.setColor(new Color(52, 101, 164, 60 + (int) (150.0 * bin.count() / max)));
            g.fillRect(x0, chart.y(bin.accuracy()), x1 - x0, chart.y(0) - chart.y(bin.accuracy()));
        }
        g.setColor(ORANGE);
        g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1, new float[] {6, 6}, 0));
        g.drawLine(chart.x(0), chart.y(0), chart.x(1), chart.y(1));
        g.setStroke(new BasicStroke(1f));
        g.setColor(INK);
        g.drawString(String.format(Locale.ROOT, "ECE %.4f (%d bins); darker bars hold more predictions; dashed: perfect "
                + "calibration", evaluation.expectedCalibrationError(bins), bins), chart.left, chart.height - 12);
        chart.write(file);
    }

    /** Accuracy of the kept predictions against the share kept, one point per threshold, the chosen one marked. */
    static void coverageCurve(Evaluation evaluation, double threshold, String title, Path file) throws IOException {
        List<Evaluation.CoveragePoint> points = evaluation.coverage();
        double lowest = points.stream().mapToDouble(Evaluation.CoveragePoint::accuracy).min().orElse(0);
        double floor = Math.max(0, Math.floor(lowest * 10) / 10 - 0.1);
        Chart chart = new Chart(title, "coverage (share of texts not sent to review)", "accuracy of the kept texts");
        chart.yFrom = floor;
        chart.drawGrid();
        Graphics2D g = chart.graphics;
        g.setColor(BLUE);
        g.setStroke(new BasicStroke(2.5f));
        Evaluation.CoveragePoint previous = null;
        for (Evaluation.CoveragePoint point : points) {
            if (point.coverage() == 0) {
                continue;
            }
            if (previous != null) {
                g.drawLine(chart.x(previous.coverage()), chart.y(previous.accuracy()), chart.x(point.coverage()),
                        chart.y(point.accuracy()));
            }
            g.fillOval(chart.x(point.coverage()) - 3, chart.y(point.accuracy()) - 3, 6, 6);
            previous = point;
        }
        Evaluation.CoveragePoint chosen = evaluation.coverageAt(threshold);
        g.setColor(ORANGE);
        g.fillOval(chart.x(chosen.coverage()) - 6, chart.y(chosen.accuracy()) - 6, 12, 12);
        g.setColor(INK);
        g.drawString(String.format(Locale.ROOT, "threshold %.2f: keeps %.1f%% at accuracy %.4f (orange); points: "
                        + "thresholds 0, 0.05, ..., 0.95", threshold, 100 * chosen.coverage(), chosen.accuracy()),
                chart.left, chart.height - 12);
        chart.write(file);
    }

    /** One way of reading long texts: its name, its cost against truncation's and its accuracy. */
    record CostPoint(String name, double relativeCost, double accuracy) {}

    /** Accuracy against cost, one labelled point per reading, with the 1.5x cost line drawn for reference. */
    static void accuracyVsCost(List<CostPoint> points, String title, Path file) throws IOException {
        double costTo = Math.max(2, Math.ceil(points.stream().mapToDouble(CostPoint::relativeCost).max().orElse(1)));
        double lowest = points.stream().mapToDouble(CostPoint::accuracy).min().orElse(0);
        Chart chart = new Chart(title, "cost per text, x truncation's", "accuracy");
        chart.xTo = costTo;
        chart.yFrom = Math.max(0, Math.floor(lowest * 10) / 10 - 0.1);
        chart.drawGrid();
        Graphics2D g = chart.graphics;
        g.setColor(ORANGE);
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1, new float[] {6, 6}, 0));
        g.drawLine(chart.x(1.5), chart.y(chart.yFrom), chart.x(1.5), chart.y(1));
        g.setStroke(new BasicStroke(1f));
        for (CostPoint point : points) {
            g.setColor(BLUE);
            g.fillOval(chart.x(point.relativeCost()) - 5, chart.y(point.accuracy()) - 5, 10, 10);
            g.setColor(INK);
            g.drawString(String.format(Locale.ROOT, "%s (%.3f)", point.name(), point.accuracy()),
                    chart.x(point.relativeCost()) + 8, chart.y(point.accuracy()) - 6);
        }
        g.drawString("points: windows x tokens per window (0: the model's window); dashed: 1.5x truncation's cost",
                chart.left, chart.height - 12);
        chart.write(file);
    }

    private static Graphics2D canvas(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        return g;
    }

    private static void title(Graphics2D g, String title, int width) {
        g.setColor(INK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, Math.max(10, (width - g.getFontMetrics().stringWidth(title)) / 2), 30);
    }

    private static String shorten(String text, FontMetrics metrics, int width) {
        if (metrics.stringWidth(text) <= width) {
            return text;
        }
        String cut = text;
        while (cut.length() > 1 && metrics.stringWidth(cut + "…") > width) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "…";
    }

    /** A square chart: x in [0, xTo], y in [yFrom, 1], with axes, grid and labels. */
    private static final class Chart {
        final int width = 720;
        final int height = 600;
        final int left = 80;
        final int top = 60;
        final int plot = 460;
        final BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        final Graphics2D graphics = canvas(image);
        final String xLabel;
        final String yLabel;
        double yFrom = 0;
        double xTo = 1;
        private boolean gridDrawn;

        Chart(String title, String xLabel, String yLabel) {
            this.xLabel = xLabel;
            this.yLabel = yLabel;
            title(graphics, title, width);
        }

        int x(double value) {
            return left + (int) Math.round(value / xTo * plot);
        }

        int y(double value) {
            return top + plot - (int) Math.round((value - yFrom) / (1 - yFrom) * plot);
        }

        void drawGrid() {
            gridDrawn = true;
            Graphics2D g = graphics;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (int i = 0; i <= 10; i++) {
                double fx = xTo * i / 10.0;
                double fy = yFrom + (1 - yFrom) * i / 10.0;
                g.setColor(GRID);
                g.drawLine(x(fx), y(yFrom), x(fx), y(1));
                g.drawLine(x(0), y(fy), x(xTo), y(fy));
                g.setColor(INK);
                String xs = String.format(Locale.ROOT, "%.1f", fx);
                g.drawString(xs, x(fx) - g.getFontMetrics().stringWidth(xs) / 2, y(yFrom) + 18);
                String ys = String.format(Locale.ROOT, "%.2f", fy);
                g.drawString(ys, x(0) - 8 - g.getFontMetrics().stringWidth(ys), y(fy) + 4);
            }
            g.setColor(INK);
            g.drawRect(x(0), y(1), plot, plot);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            g.drawString(xLabel, x(xTo / 2) - g.getFontMetrics().stringWidth(xLabel) / 2, y(yFrom) + 42);
            AffineTransform original = g.getTransform();
            g.translate(22, y((1 + yFrom) / 2) + g.getFontMetrics().stringWidth(yLabel) / 2);
            g.rotate(-Math.PI / 2);
            g.drawString(yLabel, 0, 0);
            g.setTransform(original);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        }

        void write(Path file) throws IOException {
            if (!gridDrawn) {
                // Drawn last here so it frames what was drawn, when a caller did not need it underneath.
                drawGrid();
            }
            graphics.dispose();
            ImageIO.write(image, "png", file.toFile());
        }
    }
}
