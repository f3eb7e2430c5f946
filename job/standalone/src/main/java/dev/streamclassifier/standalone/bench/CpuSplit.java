package dev.streamclassifier.standalone.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the bench process's CPU time went between two snapshots, by who spent it. The pipeline run shares this JVM's
 * cores with an in-process Kafka broker and the bench's own producer and reader, none of which a deployed job pays
 * for; this split says how much of the gap to the raw run they account for.
 */
final class CpuSplit {
    static final String CLASSIFY = "classify threads (decode, inference, encode)";
    static final String WRITE = "sink threads (write, commit)";
    static final String SOURCE = "Flink Kafka source";
    static final String PRODUCERS = "Kafka producer I/O threads (job's sink and bench's producer)";
    static final String BENCH = "bench's producer and reader";
    /** Flink's OutputFlusher threads: one per output edge and subtask, each waking every network buffer timeout. */
    static final String FLUSHERS = "Flink network flushers";
    static final String OTHER = "Kafka broker and Flink runtime";
    static final String JIT = "JIT compiler";
    static final String GC = "garbage collector";
    static final String JVM = "rest of the JVM";
    /** Linux reports thread CPU time in clock ticks of 10 ms ({@code getconf CLK_TCK} = 100 on every usual kernel). */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private final Map<Long, Long> threadNanos;
    private final Map<Long, String> threadNames;
    private final long processNanos;
    private final long wallNanos;
    /** CPU time of the JVM's own threads (not visible to ThreadMXBean), by group, where /proc tells it. */
    private final Map<String, Long> jvmNanos;

    private CpuSplit(Map<Long, Long> threadNanos, Map<Long, String> threadNames, long processNanos, long wallNanos,
            Map<String, Long> jvmNanos) {
        this.threadNanos = threadNanos;
        this.threadNames = threadNames;
        this.processNanos = processNanos;
        this.wallNanos = wallNanos;
        this.jvmNanos = jvmNanos;
    }

    static CpuSplit snapshot() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<Long, Long> nanos = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu >= 0) {
                nanos.put(info.getThreadId(), cpu);
                names.put(info.getThreadId(), info.getThreadName());
            }
        }
        long process = ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
        return new CpuSplit(nanos, names, process, System.nanoTime(), jvmThreads());
    }

    /** JIT and GC threads' CPU time from /proc/self/task (Linux); empty elsewhere. */
    private static Map<String, Long> jvmThreads() {
        Map<String, Long> groups = new HashMap<>();
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return groups;
        }
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
            for (Path thread : threads) {
                try {
                    String name = Files.readString(thread.resolve("comm")).strip();
                    String group = name.contains("CompilerThre") ? JIT
                            : name.startsWith("GC Thread") || name.startsWith("G1 ") ? GC : null;
                    if (group == null) {
                        continue;
                    }
                    String stat = Files.readString(thread.resolve("stat"));
                    // Fields after the name in parentheses: state is the 3rd, utime the 14th, stime the 15th.
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    groups.merge(group, ticks * NANOS_PER_TICK, Long::sum);
                } catch (IOException | RuntimeException e) {
                    // A thread that ended while we read: skip it.
                }
            }
        } catch (IOException e) {
            return groups;
        }
        return groups;
    }

    /**
     * How many cores the process kept busy on average between {@code before} and {@code after} (2.0: both of two
     * cores all the time), or NaN where the JVM does not tell its CPU time. At a fixed offered rate this is the load
     * the machine really carried: small batches and the clients' per-request work cost more per event than the
     * throughput run's full batches.
     */
    static double coresBusy(CpuSplit before, CpuSplit after) {
        if (before.processNanos < 0 || after.wallNanos <= before.wallNanos) {
            return Double.NaN;
        }
        return (double) (after.processNanos - before.processNanos) / (after.wallNanos - before.wallNanos);
    }

    /** Share of the process's CPU time between {@code before} and {@code after}, per group, largest first. */
    static Map<String, Double> between(CpuSplit before, CpuSplit after) {
        Map<String, Long> groups = new LinkedHashMap<>();
        for (String group : new String[] {CLASSIFY, WRITE, SOURCE, PRODUCERS, BENCH, FLUSHERS, OTHER, JIT, GC, JVM}) {
            groups.put(group, 0L);
        }
        long javaThreads = 0;
        for (Map.Entry<Long, Long> thread : after.threadNanos.entrySet()) {
            // Threads that ended in between are lost: a few short-lived ones, counted below as the JVM's.
            long spent = thread.getValue() - before.threadNanos.getOrDefault(thread.getKey(), 0L);
            groups.merge(group(after.threadNames.get(thread.getKey())), spent, Long::sum);
            javaThreads += spent;
        }
        long jvm = 0;
        for (String group : new String[] {JIT, GC}) {
            long spent = after.jvmNanos.getOrDefault(group, 0L) - before.jvmNanos.getOrDefault(group, 0L);
            groups.merge(group, spent, Long::sum);
            jvm += spent;
        }
        long total = after.processNanos - before.processNanos;
        groups.merge(JVM, Math.max(0, total - javaThreads - jvm), Long::sum);
        Map<String, Double> shares = new LinkedHashMap<>();
        double sum = Math.max(1, groups.values().stream().mapToLong(Long::longValue).sum());
        groups.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> shares.put(e.getKey(), e.getValue() / sum));
        return shares;
    }

    private static String group(String name) {
        // The classify chain's task threads and their inference threads, which carry the task's name.
        if (name.startsWith("decode")) {
            return CLASSIFY;
        }
        if (name.startsWith("write outputs")) {
            return WRITE;
        }
        if (name.startsWith("Source")) {
            return SOURCE;
        }
        if (name.startsWith("OutputFlusher")) {
            return FLUSHERS;
        }
        if (name.startsWith("kafka-producer-network-thread")) {
            return PRODUCERS;
        }
        if (name.equals("bench-producer") || name.equals("main")) {
            return BENCH;
        }
        return OTHER;
    }
}
