#!/usr/bin/env python3
"""Samples a JVM's CPU by thread group, and the machine's stolen and idle CPU, every 0.5 s until the JVM exits.

usage: cpu-timeline.py PID > cpu.csv     (beside a bench: PID=$(pgrep -f 'stream-classifier.jar bench'))
Writes CSV: epoch ms at the end of each interval, then cores used in it (1.0 = one core busy the whole interval) by:
inference (the classify inference threads), task (decode -> classify task threads), source (task and fetcher), sink,
broker (the in-process Kafka broker), clients (Kafka producer I/O threads: the job's sink and the bench's producer),
flink (Flink's runtime: output flushers, timers, actors), bench (the bench's producer and reader), jit, gc, other;
then the machine's steal (taken by the hypervisor) and idle. On exit it prints to stderr the threads that used the
most CPU, by kernel name, with how many threads bore it, to see what "other" holds. batches.py --cpu lines these up
with the latency run's seconds: a slower batch with steal or a busy JIT compiler in the same second was slowed from
outside the job's own work.
"""
import collections
import os
import sys
import time

GROUPS = ('inference', 'task', 'source', 'sink', 'broker', 'clients', 'flink', 'bench', 'jit', 'gc', 'other')
# Kernel thread names are the first 15 characters of the Java names; first match wins.
PREFIXES = (('classify infer', 'inference'), ('decode', 'task'), ('Source', 'source'), ('write outputs', 'sink'),
            ('kafka-producer-', 'clients'), ('kafka-coordinat', 'clients'),
            ('bench-producer', 'bench'), ('main', 'bench'), ('java', 'bench'), ('executor-', 'broker'),
            ('C1 Compiler', 'jit'), ('C2 Compiler', 'jit'), ('GC Thread', 'gc'), ('G1 ', 'gc'),
            ('OutputFlusher', 'flink'), ('flink-', 'flink'), ('Checkpoint', 'flink'), ('Time', 'flink'),
            ('jobmanager', 'flink'), ('AsyncOperation', 'flink'), ('Flink', 'flink'),
            ('data-plane', 'broker'), ('kafka-', 'broker'), ('ExpirationReap', 'broker'), ('quorum', 'broker'),
            ('raft', 'broker'), ('broker', 'broker'), ('group-coordina', 'broker'), ('transaction', 'broker'))
TICKS = os.sysconf('SC_CLK_TCK')


def group(comm):
    """The group of a thread by its kernel name."""
    for prefix, name in PREFIXES:
        if comm.startswith(prefix):
            return name
    return 'other'


def threads(pid):
    """CPU ticks used so far, per thread id, with the thread's kernel name."""
    ticks = {}
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/comm') as comm, open(f'/proc/{pid}/task/{tid}/stat') as stat:
                name, fields = comm.read().strip(), stat.read().rsplit(')', 1)[1].split()
            ticks[tid] = (name, int(fields[11]) + int(fields[12]))
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread ended between listing and reading
    return ticks


def machine():
    """The machine's (steal, idle) ticks so far, over all CPUs."""
    with open('/proc/stat') as stat:
        fields = stat.readline().split()[1:]
    return int(fields[7]), int(fields[3]) + int(fields[4])


def main(pid):
    print('epoch_ms,' + ','.join(GROUPS) + ',steal,idle')
    before, machine_before, at = threads(pid), machine(), time.time()
    by_name = collections.Counter()
    threads_by_name = collections.defaultdict(set)
    while os.path.exists(f'/proc/{pid}'):
        time.sleep(0.5)
        try:
            now, machine_now, then = threads(pid), machine(), time.time()
        except FileNotFoundError:
            break
        ticks_elapsed = (then - at) * TICKS
        used = dict.fromkeys(GROUPS, 0)
        for tid, (name, ticks) in now.items():
            ticks_in_interval = ticks - before.get(tid, (name, 0))[1]
            used[group(name)] += ticks_in_interval
            by_name[name] += ticks_in_interval
            threads_by_name[name].add(tid)
        steal, idle = (n - b for n, b in zip(machine_now, machine_before))
        print(f"{int(then * 1000)}," + ','.join(f"{used[g] / ticks_elapsed:.2f}" for g in GROUPS)
              + f",{steal / ticks_elapsed:.2f},{idle / ticks_elapsed:.2f}", flush=True)
        before, machine_before, at = now, machine_now, then
    for name, ticks in by_name.most_common(25):
        print(f"{ticks / TICKS:8.1f} s CPU  {group(name):9s} {name} ({len(threads_by_name[name])} threads)",
              file=sys.stderr)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
