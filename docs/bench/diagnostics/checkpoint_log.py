"""What the diagnostics scripts read alike: the checkpoint log's marks and the latency run's produce times."""
import csv
import re


def marks(log, what='Triggering checkpoint'):
    """Epoch ms of the lines of a log written with log4j2-checkpoints.properties that contain `what`."""
    return [int(m.group(1)) for m in (re.match(r'(\d+) .*' + what, line) for line in open(log)) if m]


def classified(latency_csv):
    """(produced epoch ms, produce -> classified ms) of each event of the latency run, in latency.csv's order."""
    rows = csv.DictReader(open(latency_csv))
    return [(int(row['produced_at_epoch_ms']), float(row['classified_ms'])) for row in rows]


def produced(latency_csv):
    """Epoch ms at which each event of the latency run was produced, in the order of the bench's latency.csv."""
    return [produced_at for produced_at, _ in classified(latency_csv)]


def triggers_during(log, produced_ms):
    """The checkpoint triggers that fall between the latency run's first and last produced event."""
    return [t for t in marks(log) if produced_ms[0] < t < produced_ms[-1]]
