# Sourced by the CPU benchmarks: one CPU-bound process beside the measured work, to see how a
# program shares a busy machine. start_busy_process starts it (it ends by itself after one
# hour at most); stop_busy_process, which the benchmarks call from their EXIT trap, ends it.
busy_pid=""

start_busy_process() {
  timeout 3600 sh -c 'while :; do :; done' &
  busy_pid=$!
}

stop_busy_process() {
  if [ -n "$busy_pid" ]; then
    kill "$busy_pid" 2>/dev/null || true
    wait "$busy_pid" 2>/dev/null || true
    busy_pid=""
  fi
}
