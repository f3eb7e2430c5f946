#!/usr/bin/env python3
"""Which pipeline threads sat idle right after each checkpoint's trigger, from a JFR recording of a latency run.

usage: parks-near-checkpoints.py RECORDING.jfr CHECKPOINT_LOG LATENCY_CSV
Record with -XX:StartFlightRecording=...,settings=profile (thread parks of 10 ms or more) and
-Dlog4j2.configurationFile=log4j2-checkpoints.properties; LATENCY_CSV is the run's latency.csv. Prints, for every
trigger inside the latency run, the parks of 15 ms or more that overlap the 120 ms after it on the source task, its
fetcher and the decode -> classify tasks.
"""
import json
import subprocess
import sys
from datetime import datetime

import checkpoint_log

THREADS = ('Source: read', 'Source Data Fetcher', 'decode -> classify')


def epoch_ms(iso):
    return datetime.fromisoformat(iso[:26] + '+00:00').timestamp() * 1000


def millis(duration):
    # ISO-8601 as jfr prints it: PT0.0153S, or PT1M2.5S
    minutes, _, seconds = duration[2:-1].rpartition('M')
    return (int(minutes or 0) * 60 + float(seconds)) * 1000


def main(recording, log, latency_csv):
    produced = checkpoint_log.produced(latency_csv)
    triggers = checkpoint_log.triggers_during(log, produced)
    printed = subprocess.run(['jfr', 'print', '--json', '--stack-depth', '1', '--events', 'jdk.ThreadPark', recording],
                             check=True, capture_output=True, text=True).stdout
    parks = []
    for event in json.loads(printed)['recording']['events']:
        values = event['values']
        thread = (values.get('eventThread') or {}).get('javaName') or ''
        if thread.startswith(THREADS):
            parks.append((epoch_ms(values['startTime']), millis(values['duration']), thread))
    for trigger in triggers:
        print(f"trigger at {(trigger - produced[0]) / 1000:.2f} s into the latency run")
        for start, duration, thread in sorted(parks):
            if duration >= 15 and start + duration >= trigger and start <= trigger + 120:
                print(f"  {thread}: idle {duration:.0f} ms from {start - trigger:+.0f} ms")


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
