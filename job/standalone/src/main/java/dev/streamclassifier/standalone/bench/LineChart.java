package dev.streamclassifier.standalone.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** A small PNG line chart (Java2D only): a few named series of (x, y) points, axes with ticks, a legend. */
final class LineChart {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b)};
    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;
    private static final int LEFT = 90;
    private static final int RIGHT = 30;
    private static final int TOP = 60;
    private static final int BOTTOM = 70;

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final boolean logX;
    private final List<Series> series = new ArrayList<>();

    LineChart(String title, String xLabel, String yLabel, boolean logX) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.logX = logX;
    }

    record Series(String name, double[] x, double[] y) {}

    LineChart add(String name, double[] x, double[] y) {
        series.add(new Series(name, x, y));
        return this;
    }

    void write(Path file) throws IOException {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        double minX = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double maxY = 0;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                minX = Math.min(minX, tx(s.x[i]));
                maxX = Math.max(maxX, tx(s.x[i]));
                maxY = Math.max(maxY, s.y[i]);
            }
        }
        if (maxX <= minX) {
            maxX = minX + 1;
        }
        maxY = niceCeiling(maxY);
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString(title, LEFT, 35);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.setColor(new Color(0xdddddd));
        for (int tick = 0; tick <= 5; tick++) {
            int y = TOP + plotHeight - tick * plotHeight / 5;
            g.drawLine(LEFT, y, LEFT + plotWidth, y);
        }
        g.setColor(Color.BLACK);
        g.drawRect(LEFT, TOP, plotWidth, plotHeight);
        for (int tick = 0; tick <= 5; tick++) {
            int y = TOP + plotHeight - tick * plotHeight / 5;
            String label = format(maxY * tick / 5);
            g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), y + 5);
        }
        List<Double> xTicks = new ArrayList<>();
        for (Series s : series) {
            for (double x : s.x) {
                if (!xTicks.contains(x)) {
                    xTicks.add(x);
                }
            }
        }
        if (xTicks.size() > 12) {
            xTicks.clear();
            for (int tick = 0; tick <= 6; tick++) {
                xTicks.add(untx(minX + (maxX - minX) * tick / 6));
            }
        }
        for (double x : xTicks) {
            int px = LEFT + (int) ((tx(x) - minX) / (maxX - minX) * plotWidth);
            String label = format(x);
            g.drawLine(px, TOP + plotHeight, px, TOP + plotHeight + 5);
            g.drawString(label, px - g.getFontMetrics().stringWidth(label) / 2, TOP + plotHeight + 20);
        }
        g.drawString(xLabel, LEFT + plotWidth / 2 - g.getFontMetrics().stringWidth(xLabel) / 2, HEIGHT - 25);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(yLabel, -(TOP + plotHeight / 2 + g.getFontMetrics().stringWidth(yLabel) / 2), 25);
        rotated.dispose();
        for (int s = 0; s < series.size(); s++) {
            Series one = series.get(s);
            g.setColor(COLORS[s % COLORS.length]);
            g.setStroke(new BasicStroke(2.2f));
            int previousX = -1;
            int previousY = -1;
            for (int i = 0; i < one.x.length; i++) {
                int px = LEFT + (int) ((tx(one.x[i]) - minX) / (maxX - minX) * plotWidth);
                int py = TOP + plotHeight - (int) (one.y[i] / maxY * plotHeight);
                if (previousX >= 0) {
                    g.drawLine(previousX, previousY, px, py);
                }
                if (one.x.length <= 20) {
                    g.fillOval(px - 4, py - 4, 8, 8);
                }
                previousX = px;
                previousY = py;
            }
            g.fillRect(LEFT + 15, TOP + 12 + s * 20, 14, 4);
            g.setColor(Color.BLACK);
            g.drawString(one.name, LEFT + 36, TOP + 18 + s * 20);
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private double tx(double x) {
        return logX ? Math.log(Math.max(x, 1e-9)) / Math.log(2) : x;
    }

    private double untx(double x) {
        return logX ? Math.pow(2, x) : x;
    }

    private static double niceCeiling(double value) {
        if (value <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String format(double value) {
        return Math.abs(value - Math.rint(value)) < 1e-9 ? Long.toString(Math.round(value))
                : String.format(Locale.ROOT, "%.2f", value);
    }
}
