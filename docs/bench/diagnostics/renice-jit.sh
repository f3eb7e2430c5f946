#!/usr/bin/env bash
# Lowers the JIT compiler threads of JVM process PID to nice 19 every second until the process ends (an experiment in
# docs/bench/history.md; not kept). usage: renice-jit.sh PID
pid=${1:?usage: renice-jit.sh PID}
while kill -0 "$pid" 2>/dev/null; do
  for task in /proc/"$pid"/task/*; do
    if grep -q 'CompilerThre' "$task/comm" 2>/dev/null; then
      renice -n 19 -p "${task##*/}" >/dev/null 2>&1
    fi
  done
  sleep 1
done
