#!/usr/bin/env bash
# CPU profile (async-profiler, from Maven Central) of the bench's measured pipeline passes only: starts profiling when
# the warm-up is done, stops when the pipeline's figure is printed.
# Usage, from the project's root after `mvn -B -q package -DskipTests`:
#   docs/bench/diagnostics/profile-passes.sh --model chat-moderation --events 5000
#   python3 docs/bench/diagnostics/profile-summary.py /tmp/profile/passes.collapsed
set -euo pipefail
out=/tmp/profile
mkdir -p "$out"
jar="$HOME/.m2/repository/tools/profiler/async-profiler/2.9/async-profiler-2.9.jar"
[ -f "$jar" ] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:2.9
(cd "$out" && jar xf "$jar" linux-x64/libasyncProfiler.so)   # the JDK's jar tool: no unzip needed
lib="$out/linux-x64/libasyncProfiler.so"

java -jar job/target/stream-classifier.jar bench "$@" --report "$out/report" --json > "$out/bench.out" 2> "$out/bench.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT   # a failed attach must not leave the bench running
until grep -q "warm-up done" "$out/bench.err"; do
  kill -0 "$pid" 2>/dev/null || { cat "$out/bench.err"; exit 1; }
  sleep 0.5
done
# jcmd splits an unquoted argument at '=': the inner quotes keep the profiler's options in one piece. On two busy cores
# the JVM can miss jcmd's attach timeout (AttachNotSupportedException), hence a few tries.
for try in 1 2 3 4 5; do
  attach=$(jcmd "$pid" JVMTI.agent_load "$lib" "'start,event=cpu,interval=5000000,threads'" 2>&1) && break
  [ "$try" = 5 ] && { echo "could not attach the profiler to $pid: $attach" >&2; exit 1; }
  sleep 0.2
done
rm -f "$out/passes.collapsed"   # a stale profile must not pass for this run's
until grep -q "(ratio" "$out/bench.err"; do
  kill -0 "$pid" 2>/dev/null || { cat "$out/bench.err"; exit 1; }
  sleep 0.5
done
jcmd "$pid" JVMTI.agent_load "$lib" "'stop,file=$out/passes.collapsed,collapsed'" > /dev/null
wait "$pid"
trap - EXIT
grep -E "pass:|\(ratio" "$out/bench.err"
echo "profile: $out/passes.collapsed"
