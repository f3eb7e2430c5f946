#!/usr/bin/env python3
"""Splits a latency run's time into where events waited, from the classify operator's per-batch log.

usage: batches.py BATCH_LOG LATENCY_CSV BOUND_MS [--checkpoints CHECKPOINT_LOG] [--cpu CPU_CSV]
BATCH_LOG comes from log4j2-batches.properties, LATENCY_CSV from the bench's report directory, BOUND_MS is the report's
bound, CHECKPOINT_LOG from log4j2-checkpoints.properties, CPU_CSV from cpu-timeline.py.

Each batch's oldest event went through four stretches, each ending at a time the log gives:
  upstream   produced -> handed to the inference thread, for batches that found the thread idle (the default max
             delay is 0, so such a batch starts when its first event reaches the operator): broker, source, decode
  inference  handed -> finished on the inference thread (the model, or a slower host)
  emit       finished -> emitted on the task thread (a task thread busy elsewhere, e.g. in a checkpoint)
  buffered   batches that found the thread busy: produced -> handed includes waiting for the previous batch
Per second of the run it prints the offered rate, what the slots did, and the latency of the events produced in that
second (* over the bound), then compares the seconds over the bound with the others, and, given the checkpoint log,
batches handed in the 150 ms after a trigger with the rest. Given the CPU timeline, each second also shows the cores
the inference threads got, and those the JIT compiler, the rest of the JVM and the hypervisor (steal) took.
"""
import argparse
import collections
import csv
import re
import statistics
import sys

import checkpoint_log

LINE = re.compile(r'(\d+) (.*) - batch size=(\d+) oldest=(\d+) handed=(\d+) started=(\d+) finished=(\d+) emitted=(\d+)')
Batch = collections.namedtuple('Batch', 'slot size oldest handed started finished emitted idle_start')


def read_batches(log):
    """The batches in emit order, each knowing whether its slot was idle when it was handed over."""
    batches, last_emitted = [], {}
    for m in filter(None, map(LINE.match, open(log))):
        slot = m.group(2)
        size, oldest, handed, started, finished, emitted = map(int, m.groups()[2:])
        idle = handed > last_emitted.get(slot, 0)
        last_emitted[slot] = emitted
        batches.append(Batch(slot, size, oldest, handed, started, finished, emitted, idle))
    return batches


def mean(values):
    return statistics.mean(values) if values else float('nan')


def stretches(batches):
    """Mean ms of each stretch over these batches, and inference ms per text."""
    idle = [b for b in batches if b.idle_start]
    busy = [b for b in batches if not b.idle_start]
    return {
        'batches': len(batches),
        'size': mean([b.size for b in batches]),
        'upstream': mean([b.handed - b.oldest for b in idle]),
        'buffered': mean([b.handed - b.oldest for b in busy]),
        'idle starts': f"{len(idle) / len(batches):.0%}" if batches else '-',
        'inference': mean([b.finished - b.handed for b in batches]),
        'ms/text': sum(b.finished - b.started for b in batches) / max(1, sum(b.size for b in batches)),
        'emit': mean([b.emitted - b.finished for b in batches]),
        'emit max': max((b.emitted - b.finished for b in batches), default=0),
    }


def show(title, row):
    print(f"{title:28s} " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()))


def cpu_in(samples, lo, hi):
    """Mean cores per group over the CPU samples taken in [lo, hi)."""
    these = [s for s in samples if lo <= int(s['epoch_ms']) < hi]
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
    batches = [b for b in read_batches(batch_log) if start <= b.oldest <= end]
    if not batches:
        sys.exit("no batch in the log holds an event of this latency run: is it the run's log?")
    slots = sorted({b.slot for b in batches})
    print(f"{len(batches)} batches on {len(slots)} slots, {len(rows)} events; columns per second of the run:")
    print("   s  offered  batches  size  busy  ms/text  upstream  inference  emit(max)  p99 of produced"
          + ("   cores: inference  jit  gc  rest  steal  idle" if samples else ""))
    over, within, cpu_over, cpu_within = [], [], [], []
    for second in range(0, (end - start) // 1000 + 1):
        lo, hi = start + second * 1000, start + (second + 1) * 1000
        these = [b for b in batches if lo <= b.handed < hi]
        latencies = sorted(latency for p, latency in rows if lo <= p < hi)
        if not these or not latencies:
            continue
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        (over if p99 > bound else within).extend(these)
        cores = cpu_in(samples, lo, hi)
        if cores:
            (cpu_over if p99 > bound else cpu_within).append(cores)
        s = stretches(these)
        busy = sum(b.finished - b.started for b in these) / (1000 * len(slots))
        print(f"{second:4d} {len(latencies):8d} {s['batches']:8d} {s['size']:5.1f} {busy:5.0%} {s['ms/text']:8.2f}"
              f" {s['upstream']:9.1f} {s['inference']:10.1f} {s['emit']:5.1f}({s['emit max']:3d})"
              f" {p99:8.0f}{' *' if p99 > bound else '  '}"
              + (" " * 20 + "  ".join(f"{cores[k]:.2f}" for k in cores) if cores else ""))
    show("seconds over the bound:", stretches(over))
    show("seconds within:", stretches(within))
    for title, seconds in (("cores, seconds over:", cpu_over), ("cores, seconds within:", cpu_within)):
        if seconds:
            show(title, {k: mean([c[k] for c in seconds]) for k in seconds[0]})
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
