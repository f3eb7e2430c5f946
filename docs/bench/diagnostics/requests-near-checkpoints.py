#!/usr/bin/env python3
"""Were the broker's answers late after checkpoints? Compares request timings near triggers with those elsewhere.

usage: requests-near-checkpoints.py REQUEST_LOG CHECKPOINT_LOG LATENCY_CSV
REQUEST_LOG and CHECKPOINT_LOG come from log4j2-requests.properties and log4j2-checkpoints.properties, loaded
together; LATENCY_CSV from the bench's report directory. Within the latency run, for the client that sent the most
fetches (the job's Kafka source) and the one that sent the most produce requests (the bench's producer), it prints
the broker's time per request (total, and its share waiting in purgatory) and the client's gap between an answer and
its next request, for requests answered in the 300 ms after a checkpoint's trigger ("near") and elsewhere ("away").
If both look alike near and away, the events reached the job on time and whatever delayed them after a trigger
happened inside the job.
"""
import collections
import json
import statistics
import sys

import checkpoint_log

MARKER = 'Completed request:'


def summary(values):
    values = sorted(values)
    return (f"n {len(values)}, mean {statistics.mean(values):.1f}, p90 {values[int(len(values) * 0.9)]:.1f},"
            f" p99 {values[int(len(values) * 0.99)]:.1f}, max {values[-1]:.1f} ms") if values else "none"


def main(request_log, log, latency_csv):
    produced = checkpoint_log.produced(latency_csv)
    start, end = produced[0], produced[-1]
    triggers = checkpoint_log.triggers_during(log, produced)
    if not triggers:
        sys.exit("no checkpoint trigger in the log falls inside this latency run: are the logs from the same run?")
    requests = collections.defaultdict(list)  # (api, client) -> [(answered at, total ms, remote ms)]
    for line in open(request_log):
        at = line.find(MARKER)
        if at < 0:
            continue
        answered = int(line.split(' ', 1)[0])
        if not start <= answered <= end:
            continue
        request = json.loads(line[at + len(MARKER):])
        header = request['requestHeader']
        requests[(header['requestApiKeyName'], header.get('clientId', ''))].append(
            (answered, request['totalTimeMs'], request['remoteTimeMs']))
    print(f"latency run {(end - start) / 1000:.0f} s, {len(triggers)} checkpoint triggers in it")
    for api in ('FETCH', 'PRODUCE'):
        busiest = max((key for key in requests if key[0] == api), key=lambda key: len(requests[key]), default=None)
        if busiest is None:
            print(f"{api}: no requests in the run (is kafka.request.logger at DEBUG?)")
            continue
        timings = requests[busiest]
        near = lambda t: any(0 <= t - trigger < 300 for trigger in triggers)
        gaps = [(answered, following[0] - following[1] - answered)
                for (answered, _, _), following in zip(timings, timings[1:])]
        print(f"{api} from {busiest[1]}:")
        for label, keep in (('near', near), ('away', lambda t: not near(t))):
            print(f"  {label}: broker total {summary([total for t, total, _ in timings if keep(t)])}")
            print(f"  {label}: of which in purgatory {summary([remote for t, _, remote in timings if keep(t)])}")
            print(f"  {label}: client's gap to its next request {summary([gap for t, gap in gaps if keep(t)])}")


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
