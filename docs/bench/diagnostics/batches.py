#!/usr/bin/env python3
"""Splits a latency run's time into where events waited, from the classify operator's per-batch log.

usage: batches.py BATCH_LOG LATENCY_CSV BOUND_MS [--checkpoints CHECKPOINT_LOG] [--cpu CPU_CSV]
BATCH_LOG comes from log4j2-batches.properties, LATENCY_CSV from the bench's report directory, BOUND_MS is the bench's
latency_bound_ms, CHECKPOINT_LOG from log4j2-checkpoints.properties, CPU_CSV from cpu-timeline.py.

Each batch's first event went through four stretches, each ending at a time the log gives:
  upstream   produced -> arrived in the operator's buffer: producer, broker, source, network, decode
  queued     arrived -> handed to the inference thread: waiting for the batch in front (and the max delay, if any)
  inference  handed -> finished on the inference thread (the model, or a slower host)
  emit       finished -> emitted on the task thread (a task thread busy elsewhere, e.g. in a checkpoint)
Per second of the run it prints the offered rate, what the slots did, and the latency of the events produced in that
second (* over the bound), then compares the seconds over the bound with the others, and, given the checkpoint log,
batches handed in the 150 ms after a trigger with those handed away from any trigger (not within 50 ms before to
400 ms after one). Given the CPU timeline, each second also shows the cores the inference threads got, and those the
JIT compiler, the rest of the JVM and the hypervisor (steal) took, and a last line gives every group's cores over
the whole run with the inference threads' time inside a batch against their time on a CPU.
"""
import argparse
import collections
import csv
import math
import re
import statistics
import sys

import checkpoint_log

LINE = re.compile(r'(\d+) (.*) - batch size=(\d+) produced=(\d+) arrived=(\d+) handed=(\d+) started=(\d+)'
                  r' finished=(\d+) emitted=(\d+)')
Batch = collections.namedtuple('Batch', 'slot size produced arrived handed started finished emitted')


def read_batches(log):
    """The batches in emit order."""
    return [Batch(m.group(2), *map(int, m.groups()[2:])) for m in filter(None, map(LINE.match, open(log)))]


def mean(values):
    return statistics.mean(values) if values else float('nan')


def stretches(batches):
    """Mean ms of each stretch over these batches, and inference ms per text."""
    return {
        'batches': len(batches),
        'size': mean([b.size for b in batches]),
        'upstream': mean([b.arrived - b.produced for b in batches]),
        'queued': mean([b.handed - b.arrived for b in batches]),
        'inference': mean([b.finished - b.handed for b in batches]),
        'ms/text': sum(b.finished - b.started for b in batches) / max(1, sum(b.size for b in batches)),
        'emit': mean([b.emitted - b.finished for b in batches]),
        'emit max': max((b.emitted - b.finished for b in batches), default=0),
    }


def show(title, row):
    print(f"{title:28s} " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))


def cpu_in(samples, lo, hi):
    """Mean cores per group over the CPU samples whose 0.5 s interval centres in [lo, hi)."""
    these = [s for s in samples if lo <= int(s['epoch_ms']) - 250 < hi]
    if not these:
        return None
    mean_of = lambda *groups: mean([sum(float(s[g]) for g in groups) for s in these])
    return {'inference': mean_of('inference'), 'jit': mean_of('jit'), 'gc': mean_of('gc'),
            'rest': mean_of('task', 'source', 'sink', 'broker', 'clients', 'flink', 'bench', 'other'),
            'steal': mean_of('steal'), 'idle': mean_of('idle')}


def main(batch_log, latency_csv, bound, checkpoints=None, cpu=None):
    samples = list(csv.DictReader(open(cpu))) if cpu else []
    rows = checkpoint_log.classified(latency_csv)
    produced = [p for p, _ in rows]
    start, end = produced[0], produced[-1]
    batches = [b for b in read_batches(batch_log) if start <= b.produced <= end]
    if not batches:
        sys.exit("no batch in the log holds an event of this latency run: is it the run's log?")
    slots = sorted({b.slot for b in batches})
    print(f"{len(batches)} batches on {len(slots)} slots, {len(rows)} events; columns per second of the run:")
    print("   s  offered  batches  size  busy  ms/text  upstream  queued  inference  emit(max)  p99 of produced"
          + ("   cores: inference  jit  gc  rest  steal  idle" if samples else ""))
    over, within, cpu_over, cpu_within = [], [], [], []
    for second in range(0, (end - start) // 1000 + 1):
        lo, hi = start + second * 1000, start + (second + 1) * 1000
        these = [b for b in batches if lo <= b.handed < hi]
        latencies = sorted(latency for p, latency in rows if lo <= p < hi)
        if not these or not latencies:
            continue
        p99 = latencies[math.ceil(len(latencies) * 0.99) - 1]  # as the bench's own percentile
        (over if p99 > bound else within).extend(these)
        cores = cpu_in(samples, lo, hi)
        if cores:
            (cpu_over if p99 > bound else cpu_within).append(cores)
        s = stretches(these)
        busy = sum(b.finished - b.started for b in these) / (1000 * len(slots))
        print(f"{second:4d} {len(latencies):8d} {s['batches']:8d} {s['size']:5.1f} {busy:5.0%} {s['ms/text']:8.2f}"
              f" {s['upstream']:9.1f} {s['queued']:7.1f} {s['inference']:10.1f} {s['emit']:5.1f}({s['emit max']:3d})"
              f" {p99:8.0f}{' *' if p99 > bound else '  '}"
              + (" " * 20 + "  ".join(f"{cores[k]:.2f}" for k in cores) if cores else ""))
    show("seconds over the bound:", stretches(over))
    show("seconds within:", stretches(within))
    for title, seconds in (("cores, seconds over:", cpu_over), ("cores, seconds within:", cpu_within)):
        if seconds:
            show(title, {k: mean([c[k] for c in seconds]) for k in seconds[0]})
    run = [c for c in samples if start <= int(c['epoch_ms']) - 250 < end]
    if run:
        whole = {k: mean([float(c[k]) for c in run]) for k in run[0] if k != 'epoch_ms'}
        # Time inside a batch against time on a CPU: the difference is time other threads had the inference's core.
        inside = sum(b.finished - b.started for b in batches) / 1000
        on_cpu = whole['inference'] * (end - start) / 1000
        print("whole run, cores: " + ", ".join(f"{k} {v:.2f}" for k, v in whole.items())
              + f"; inference threads inside a batch {inside:.1f} s, on a CPU {on_cpu:.1f} s")
    if checkpoints:
        triggers = checkpoint_log.triggers_during(checkpoints, produced)
        near = [b for b in batches if any(0 <= b.handed - t < 150 for t in triggers)]
        away = [b for b in batches if all(not -50 <= b.handed - t < 400 for t in triggers)]
        show(f"0-150 ms after {len(triggers)} triggers:", stretches(near))
        show("away from triggers:", stretches(away))


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('batch_log')
    parser.add_argument('latency_csv')
    parser.add_argument('bound_ms', type=float)
    parser.add_argument('--checkpoints')
    parser.add_argument('--cpu')
    args = parser.parse_args()
    main(args.batch_log, args.latency_csv, args.bound_ms, args.checkpoints, args.cpu)
