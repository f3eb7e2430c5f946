#!/usr/bin/env python3
"""Groups a bench run's latency spikes and says how long after a checkpoint each began.

usage: spikes.py CHECKPOINT_LOG LATENCY_CSV BOUND_MS
CHECKPOINT_LOG comes from log4j2-checkpoints.properties, LATENCY_CSV from the bench's report directory, BOUND_MS is
the report's bound. Events over the bound that were produced less than 300 ms apart form one spike. The last line
compares the events produced in the 150 ms after a checkpoint's trigger with those produced away from any trigger.
"""
import statistics
import sys

import checkpoint_log


def since(t, marks):
    earlier = [m for m in marks if m <= t]
    return t - earlier[-1] if earlier else None


def main(log, latency_csv, bound):
    triggered, completed = checkpoint_log.marks(log), checkpoint_log.marks(log, 'Completed checkpoint')
    rows = checkpoint_log.classified(latency_csv)
    start = rows[0][0]
    latencies = sorted(latency for _, latency in rows)
    over = [(produced, latency) for produced, latency in rows if latency > bound]
    print(f"{len(rows)} events, {len(over)} over the bound, p99 {latencies[int(len(rows) * 0.99)]:.0f} ms")
    spikes = []
    for produced, latency in over:
        if spikes and produced - spikes[-1][1] < 300:
            spikes[-1][1:] = [produced, max(spikes[-1][2], latency), spikes[-1][3] + 1]
        else:
            spikes.append([produced, produced, latency, 1])
    for first, last, worst, count in spikes:
        print(f"spike {(first - start) / 1000:6.2f}-{(last - start) / 1000:6.2f} s: {count} events, worst {worst:.0f} ms;"
              f" {since(first, triggered)} ms after a checkpoint's trigger, {since(first, completed)} ms after one completed")
    during = [t for t in triggered if start < t < rows[-1][0] - 300]
    near = sorted(latency for produced, latency in rows if any(0 <= produced - t < 150 for t in during))
    away = sorted(latency for produced, latency in rows if all(not -50 <= produced - t < 400 for t in during))
    if not during:
        print("no checkpoint trigger in the log falls inside this latency run: is it the run's log?")
    elif near and away:
        print(f"{len(during)} checkpoints; produced 0-150 ms after a trigger: mean {statistics.mean(near):.0f},"
              f" p90 {near[int(len(near) * 0.9)]:.0f}, max {near[-1]:.0f} ms; away from triggers: mean"
              f" {statistics.mean(away):.0f}, p90 {away[int(len(away) * 0.9)]:.0f}, p99 {away[int(len(away) * 0.99)]:.0f} ms")


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
