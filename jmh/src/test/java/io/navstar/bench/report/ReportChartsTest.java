package io.navstar.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ratio chart's width: every subject's name must fit under its bar, or XChart drops every other name. */
class ReportChartsTest {
    @TempDir
    Path dir;

    @Test
    void aRatioChartOfFewShortNamesKeepsTheDefaultWidth() throws IOException {
        assertEquals(800, width(List.of("tc", "haproxy", "iptables")));
    }

    @Test
    void aRatioChartWidensSoThatEveryNameFitsUnderItsBar() throws IOException {
        // lb-wrk's nine paths: at 800 pixels XChart showed sock, tc-stopped, xdp, iptables and haproxy only
        List<String> paths = List.of("sock", "tc", "tc-stopped", "tc-floor", "xdp", "xdp-floor", "iptables", "nft",
                "haproxy");
        int width = width(paths);
        assertTrue(width >= paths.size() * "tc-stopped".length() * 9, "chart " + width + " pixels wide");
    }

    @Test
    void aRatioChartStopsWideningAtItsLimit() throws IOException {
        assertEquals(1600, width(Collections.nCopies(40, "a-path-with-a-long-name")));
    }

    private int width(List<String> subjects) throws IOException {
        List<Double> ratios = Collections.nCopies(subjects.size(), 0.9);
        ReportCharts.Png png = new ReportCharts(dir).ratios("t" + subjects.size(), "direct", subjects, ratios);
        return ImageIO.read(dir.resolve(png.file()).toFile()).getWidth();
    }
}
