#!/bin/bash
# The fault battery with the real daemon and real clients, in one boot; every figure on a "faults:" line:
# - the daemon SIGKILLed while GStreamer decodes, FAULT_KILLS times: no client hangs, no process in D
#   state, and after each restart a clean decode is bit-exact;
# - the daemon SIGSTOPped past the watchdog, FAULT_STOPS times, while the test client plays the clip
#   (client --replay of the jobs GStreamer sent, recorded by the test backend): the jobs fail (errors,
#   not a hang), each stop holding a fetched job: the daemon's late COMPLETE of it is refused (ENOENT)
#   and it goes on, and every picture that
#   comes back without ERROR equals ffmpeg's (none predicted from a failed one passes unflagged);
# - fuzzing with the real daemon: FAULT_FUZZ_JOBS requests whose controls have random bytes mutated
#   (tests/kmod/client.c --fuzz) and FAULT_FUZZ_STREAMS copies of the clip with random bytes changed,
#   through GStreamer: the daemon stays alive, the next clean decode is bit-exact;
# - whole control payloads replaced (client --fuzz-payload), FAULT_PAYLOAD_JOBS requests of every codec
#   the kernel has, beside a clean GStreamer decode in another context: no job past a deadline (neither
#   the module's watchdog nor the daemon's own), the other decode bit-exact;
# - a decode thread frozen inside a library call (the daemon's DAEDALUSD_TEST_FREEZE hook): the job
#   fails at the daemon's deadline, before the module's watchdog, and decoding goes on bit-exact;
# - the REQBUFS/mmap/EXPBUF/REQBUFS 0 loop (client --pin) by an unprivileged user against the memory
#   bounds: the module's count and MemAvailable never pass them;
# - a hostile daemon (tests/kmod/backend.c --garbage), FAULT_HOSTILE connections: every invalid request
#   refused with its documented errno; the real daemon then connects and decodes bit-exact.
# - the daemon SIGKILLed while the stateful node's stock clients decode (ffmpeg h264_v4l2m2m, GStreamer
#   v4l2h264dec), FAULT_STATEFUL_KILLS times each: the stream ends in error, no hang; the next is bit-exact.
# The kernel's log is judged by the harness (no warning, no oops). Staged by tests/vm/faults.test.ts:
# daedalusd.js, client, backend, clip.h264 (320x240: GStreamer's output then has ffmpeg's layout), long.h264
# (the same size, longer: a stream still going when the daemon dies).
. "$DAEDALUS_REPO/tests/vm/guest/lib.sh"
. "$DAEDALUS_REPO/tests/vm/guest/kmod_lib.sh"
R=$DAEDALUS_RESULTS
need gst-launch-1.0 ffmpeg python3
# TCG runs the guest tens of times slower than hardware: the watchdog must not judge that, but for
# the SIGSTOP rounds, which lower it.
load_daedalus job_timeout_ms=30000 stateful=1
P=/sys/module/daedalus_v4l2/parameters
ffmpeg -v error -i "$R/clip.h264" -pix_fmt nv12 -f rawvideo -y "$R/ref.nv12" || fail "reference decode"
ffmpeg -v error -i "$R/clip.h264" -f rawvideo -y "$R/ref.yuv420p" || fail "reference decode"
n=0
daemon() { n=$((n + 1)); start_daemon "$R/daemon-$n.log"; }

# GStreamer 1.22's v4l2slh264dec, the clip to NV12; prints gst-launch's status (124: hung, killed).
gst_decode() { # <clip> <output> [timeout s]
  timeout "${3:-180}" gst-launch-1.0 -q filesrc location="$1" ! h264parse ! v4l2slh264dec ! \
    video/x-raw,format=NV12 ! filesink location="$2" > "$2.log" 2>&1
  echo $?
}
# After a daemon (re)start: a warm-up decode (its first jobs run slowly while V8 compiles, and GStreamer
# waits at most 1 s for a request), then the clip, which must equal ffmpeg's decode. Status 0 if so.
clean_decode() {
  gst_decode "$R/clip.h264" "$R/warm.nv12" > /dev/null
  [ "$(gst_decode "$R/clip.h264" "$R/clean.nv12")" = 0 ] && cmp -s "$R/clean.nv12" "$R/ref.nv12"
}
# Processes in D state in two looks a second apart (a look alone also catches 9p I/O in flight; the
# guest's hung-task detector, which the harness reads, catches longer ones too).
# (No process substitution: the guest has no /dev/fd.)
dstate() {
  local a b l
  a=$(ps -eo stat=,pid=,comm= | awk '$1 ~ /^D/ { print $2, $3 }')
  [ -n "$a" ] || return 0
  sleep 1
  b=$(ps -eo stat=,pid=,comm= | awk '$1 ~ /^D/ { print $2, $3 }')
  while read -r l; do
    [[ $'\n'$b$'\n' == *$'\n'$l$'\n'* ]] && echo "$l"
  done <<< "$a"
}

# The clip's jobs as GStreamer sends them, recorded by the test backend, for client --replay.
start_backend --lenient --quiet --record "$R/clip.jobs"
gst_decode "$R/clip.h264" "$R/recorded.nv12" > /dev/null
stop_backend > /dev/null
daemon
clean_decode || fail "the first clean decode is not bit-exact"

# SIGKILL mid-stream.
hung=0 dst=0 exact=0
for i in $(seq "${FAULT_KILLS:-4}"); do
  gst_decode "$R/clip.h264" "$R/kill.nv12" > "$R/kill.status" &
  G=$!
  sleep "$(awk -v i="$i" 'BEGIN { srand(i); printf "%.2f", 0.3 + rand() * 2 }')"
  kill -KILL "$DPID"; wait "$DPID" 2>/dev/null
  sleep 0.5
  [ -z "$(dstate)" ] || { dstate; dst=$((dst + 1)); }
  daemon
  wait $G
  [ "$(cat "$R/kill.status")" = 124 ] && hung=$((hung + 1))
  clean_decode && exact=$((exact + 1))
done
echo "faults: SIGKILL mid-stream x${FAULT_KILLS:-4}: $hung hung clients, $dst times a process in D state, $exact recovery decodes bit-exact"
[ "$hung" = 0 ] && [ "$dst" = 0 ] && [ "$exact" = "${FAULT_KILLS:-4}" ] || fail "SIGKILL rounds"

# The stateful node's stock clients (module loaded with stateful=1): bookworm's ffmpeg h264_v4l2m2m and
# GStreamer 1.22's v4l2h264dec. m2m_decode prints the client's status (124: hung and stopped by SIGTERM; 137:
# hung past it too, killed).
m2m_decode() { # <client: ffmpeg|gst> <clip> <output> [timeout s]
  case $1 in
    ffmpeg) timeout -k 10 "${4:-180}" ffmpeg -nostdin -hide_banner -xerror -c:v h264_v4l2m2m -i "$2" \
      -fps_mode passthrough -f rawvideo -y "$3" > "$3.log" 2>&1 ;;
    gst) timeout -k 10 "${4:-180}" gst-launch-1.0 -q filesrc location="$2" ! h264parse ! v4l2h264dec ! \
      video/x-raw,format=NV12 ! filesink location="$3" > "$3.log" 2>&1 ;;
  esac
  echo $?
}
# The daemon SIGKILLed once a stateful client has pictures, mid-stream whatever the machine's speed: the
# client reads the long clip through a FIFO, whose last eighth is written only after the kill (ffmpeg
# probes the first ~5 s of a raw stream before its first picture: half of it would not do). The
# stream must end in error (dev-decoder.rst's fatal error: EIO), never a hang, and never end before the
# kill; after a restart the next stream through the same client is bit-exact. FAULT_STATEFUL_KILLS rounds
# per client.
hung=0 erred=0 exact=0 rounds=0 early=0
head=$(($(stat -c %s "$R/long.h264") * 7 / 8))
for c in ffmpeg gst; do
  for i in $(seq "${FAULT_STATEFUL_KILLS:-0}"); do
    rounds=$((rounds + 1))
    rm -f "$R/m2m-kill.nv12" /tmp/kill-go /tmp/kill-in.h264
    mkfifo /tmp/kill-in.h264
    { head -c $head "$R/long.h264"; until [ -e /tmp/kill-go ]; do sleep 0.1; done
      tail -c +$((head + 1)) "$R/long.h264"; } > /tmp/kill-in.h264 2> /dev/null &
    W=$!
    m2m_decode $c /tmp/kill-in.h264 "$R/m2m-kill.nv12" > "$R/m2m-kill.status" &
    G=$!
    # a picture out (320x240 NV12: 115200 bytes; looked for at most 3000 times), then a random moment more
    for _ in $(seq 3000); do
      kill -0 $G 2> /dev/null && [ "$(stat -c %s "$R/m2m-kill.nv12" 2> /dev/null || echo 0)" -lt 115200 ] ||
        break
      sleep 0.1
    done
    sleep "$(awk -v i="$rounds" 'BEGIN { srand(i); printf "%.2f", rand() }')"
    alive=1; kill -0 $G 2> /dev/null || alive=0
    kill -KILL "$DPID"; wait "$DPID" 2> /dev/null
    touch /tmp/kill-go
    wait $G
    kill $W 2> /dev/null; wait $W 2> /dev/null
    st=$(cat "$R/m2m-kill.status")
    out=$(stat -c %s "$R/m2m-kill.nv12" 2> /dev/null || echo 0)
    if [ $alive = 0 ] || [ "$out" -lt 115200 ]; then
      early=$((early + 1))
    else
      case $st in 0) ;; 124 | 137) hung=$((hung + 1)) ;; *) erred=$((erred + 1)) ;; esac
    fi
    echo "stateful kill: $c round $i: client running at the kill: $alive, status $st, $out bytes out"
    daemon
    m2m_decode $c "$R/clip.h264" "$R/warm.nv12" > /dev/null
    # ffmpeg decodes to the stream's own pixel format (yuv420p: the node's YUV420), GStreamer to NV12
    ref=$R/ref.nv12; [ $c = ffmpeg ] && ref=$R/ref.yuv420p
    [ "$(m2m_decode $c "$R/clip.h264" "$R/m2m-clean.raw")" = 0 ] && cmp -s "$R/m2m-clean.raw" "$ref" &&
      exact=$((exact + 1))
  done
done
if [ "$rounds" -gt 0 ]; then
  echo "faults: SIGKILL under the stateful node's clients (ffmpeg h264_v4l2m2m, GStreamer v4l2h264dec) x$rounds: $erred streams ended in error, $hung hung clients, $early ended or had no picture before the kill, $exact next streams bit-exact"
  [ "$hung" = 0 ] && [ "$early" = 0 ] && [ "$erred" = "$rounds" ] && [ "$exact" = "$rounds" ] || fail "SIGKILL rounds under stateful clients"
fi

# Every thread of process $1 stopped (state T): none is inside a system call any more.
stopped() {
  local t st
  for t in /proc/"$1"/task/*; do
    read -r st < "$t/stat" || return 1
    st=${st##*) } && [ "${st%% *}" = T ] || return 1
  done
}

# SIGSTOP past the watchdog (2 s), with a job fetched and not completed: mid-stream (round i from 4 +
# 6 (i - 1) pictures of the clip's 24 on, in turn), so that later pictures predict from the ones that
# failed. The daemon holds a job for milliseconds: a stop that finds none fetched (once all its threads
# are stopped) lets it go on to the next job and stops it again, until one is caught; every caught job
# fails at the watchdog, and the daemon's COMPLETE of it after SIGCONT must be refused (ENOENT).
echo 2000 > $P/job_timeout_ms
t0=$(counter jobs_timedout) hung=0 caught=0 missed=0
errors=0 exact=0 wrong=0 before=0
for i in $(seq "${FAULT_STOPS:-2}"); do
  # The test client, which waits for its requests (GStreamer gives up after 1 s and closes, so its
  # jobs would be aborted, never timed out) and sees which come back with ERROR.
  timeout 180 "$BIN/client" --replay "$R/clip.jobs" --reference "$R/ref.nv12" --timeout-ms 30000 > "$R/stop-$i.log" 2>&1 &
  G=$!
  after=$(((6 * (i - 1)) % 18 + 4)) before=$((before + after)) got=0
  while [ $got = 0 ] && kill -0 $G 2>/dev/null; do
    # Builtins only (no fork per look), while the client runs.
    while kill -0 $G 2>/dev/null; do
      read -r -d '' ctxs < /sys/kernel/debug/daedalus-v4l2/contexts
      [[ $ctxs =~ job\ fetched\ cookie\ [0-9]+\ done\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge "$after" ] && break
    done
    kill -STOP "$DPID"
    until stopped "$DPID"; do sleep 0.01; done
    if grep -q 'job fetched' /sys/kernel/debug/daedalus-v4l2/contexts; then
      got=1 caught=$((caught + 1))
    else
      missed=$((missed + 1)) after=$((BASH_REMATCH[1] + 1))
      kill -CONT "$DPID"
    fi
  done
  sleep 5
  kill -CONT "$DPID"
  wait $G; rc=$?
  [ $rc = 124 ] && hung=$((hung + 1))
  read -r x e w <<< "$(sed -n 's/.*replay: [0-9]* pictures: \([0-9]*\) bit-exact, \([0-9]*\) flagged ERROR, \([0-9]*\) wrong.*/\1 \2 \3/p' "$R/stop-$i.log")"
  [ -n "$w" ] || [ $rc = 124 ] || { cat "$R/stop-$i.log"; fail "client in SIGSTOP round $i"; }
  grep 'completed unflagged and wrong' "$R/stop-$i.log"
  errors=$((errors + ${e:-0})) exact=$((exact + ${x:-0})) wrong=$((wrong + ${w:-0}))
  kill -0 "$DPID" 2>/dev/null || fail "the daemon died after SIGCONT"
done
echo 30000 > $P/job_timeout_ms
late=$(cat "$R"/daemon-*.log | grep -c 'was already finished by the kernel')
other=$(cat "$R"/daemon-*.log | grep -c 'could not complete job')
timedout=$(($(counter jobs_timedout) - t0))
echo "faults: SIGSTOP past the watchdog x${FAULT_STOPS:-2} ($caught with a job fetched, $missed stops let go on finding none): $hung hung clients, $errors buffers back with ERROR, $timedout jobs timed out, $late late COMPLETEs refused with ENOENT, $other refused otherwise; of the pictures without ERROR $exact bit-exact, $wrong wrong"
[ "$hung" = 0 ] && [ "$errors" -ge "${FAULT_STOPS:-2}" ] && [ "$timedout" -ge "${FAULT_STOPS:-2}" ] &&
  [ "$other" = 0 ] || fail "SIGSTOP rounds"
[ "$wrong" = 0 ] || fail "$wrong pictures after a stall completed without ERROR and differ from ffmpeg's"
[ "$exact" -ge "$before" ] || fail "$exact pictures bit-exact, fewer than the $before decoded before the stalls"
[ "$caught" = "${FAULT_STOPS:-2}" ] || fail "$caught of ${FAULT_STOPS:-2} stops caught a fetched job (the client ended first)"
[ "$late" -ge "$caught" ] || fail "$caught jobs fetched when stopped, $late completed late and refused"
clean_decode || fail "not bit-exact after the SIGSTOP rounds"

# Fuzzed controls (the C client against the real daemon) and fuzzed bitstreams (through GStreamer).
client --fuzz "${FAULT_SEED:-1}" -n "${FAULT_FUZZ_JOBS:-40}" -s 320x240 --expect any \
  --timeout-ms 60000 > "$R/fuzz-ctrls.log" 2>&1 || { cat "$R/fuzz-ctrls.log"; fail "fuzzed controls"; }
f=$(grep -h 'fuzz:' "$R/fuzz-ctrls.log") res=$(grep -ho 'frames ok=[0-9]* error=[0-9]*' "$R/fuzz-ctrls.log")
kill -0 "$DPID" 2>/dev/null || fail "the daemon died of fuzzed controls"
hung=0
for i in $(seq "${FAULT_FUZZ_STREAMS:-4}"); do
  python3 - "$R/clip.h264" "$R/fuzz.h264" "$((${FAULT_SEED:-1} * 1000 + i))" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
rng = random.Random(int(sys.argv[3]))
for _ in range(rng.randint(1, 64)):
    # past the first 32 bytes (SPS and PPS) half of the time; any byte else
    at = rng.randrange(32 if rng.random() < 0.5 else 0, len(data))
    data[at] = rng.randrange(256)
open(sys.argv[2], "wb").write(data)
PY
  [ "$(gst_decode "$R/fuzz.h264" "$R/fuzz.nv12")" = 124 ] && hung=$((hung + 1))
  kill -0 "$DPID" 2>/dev/null || fail "the daemon died of fuzzed stream $i"
done
echo "faults: fuzz (seed ${FAULT_SEED:-1}): ${FAULT_FUZZ_JOBS:-40} requests with mutated controls (${f#*fuzz: }; $res), ${FAULT_FUZZ_STREAMS:-4} mutated streams ($hung hung clients); the daemon alive"
[ "$hung" = 0 ] || fail "fuzzed streams hung a client"
clean_decode || fail "not bit-exact after fuzzing"

# Whole control payloads, every codec, beside a clean decode in another context.
t0=$(counter jobs_timedout) o0=$(cat "$R"/daemon-*.log | grep -c 'FAILED .*still running after')
gst_decode "$R/clip.h264" "$R/beside.nv12" > "$R/beside.status" &
G=$!
refused=0 taken=0 res=
for c in $(kernel_codecs); do
  client -c "$c" --fuzz "$((${FAULT_SEED:-1} + 7))" --fuzz-payload -n "${FAULT_PAYLOAD_JOBS:-12}" -s 320x256 \
    --expect any --timeout-ms 60000 > "$R/payload-$c.log" 2>&1 || { cat "$R/payload-$c.log"; fail "whole payloads of $c"; }
  read -r r t <<< "$(sed -n 's/.*fuzz: \([0-9]*\) mutated whole control payloads refused, \([0-9]*\) taken.*/\1 \2/p' "$R/payload-$c.log")"
  refused=$((refused + ${r:-0})) taken=$((taken + ${t:-0}))
  res="$res $c $(grep -ho 'ok=[0-9]* error=[0-9]*' "$R/payload-$c.log")"
  kill -0 "$DPID" 2>/dev/null || fail "the daemon died of whole $c control payloads"
done
wait $G
exact=no; [ "$(cat "$R/beside.status")" = 0 ] && cmp -s "$R/beside.nv12" "$R/ref.nv12" && exact=yes
timedout=$(($(counter jobs_timedout) - t0)) overran=$(($(cat "$R"/daemon-*.log | grep -c 'FAILED .*still running after') - o0))
echo "faults: whole control payloads (seed $((${FAULT_SEED:-1} + 7))): ${FAULT_PAYLOAD_JOBS:-12} requests of each of $(kernel_codecs | wc -w) codecs, $refused refused by the driver, $taken taken (${res# }); past a deadline: $timedout jobs by the module's watchdog, $overran by the daemon's; beside them a GStreamer decode bit-exact: $exact"
[ "$timedout" = 0 ] && [ "$overran" = 0 ] && [ "$exact" = yes ] || fail "whole control payloads"

# The REQBUFS/mmap/EXPBUF/REQBUFS 0 loop against the bounds (the default ones), beside the daemon.
PIN_FAILED= lines=
for mode in ${FAULT_PIN_MODES:-expbuf}; do
  pin_check "$(cat $P/ctx_mem_limit_mb)" 32 --pin "$mode"
  lines="$lines $mode: $PIN_LINE;"
done
echo "faults: the REQBUFS/mmap/EXPBUF/REQBUFS 0 loop against the context's bound:$lines"
[ -z "$PIN_FAILED" ] || fail "memory past the bound$PIN_FAILED"

# A hostile daemon in the real daemon's place, then the real daemon again.
kill -TERM "$DPID"; wait "$DPID"
sent=0 refused=0
for i in $(seq "${FAULT_HOSTILE:-1}"); do
  start_backend --garbage --quiet
  client -n 3 > "$R/hostile-client-$i.log" 2>&1 || { cat "$R/hostile-client-$i.log"; fail "client beside the hostile daemon"; }
  stop_backend
  read -r s r <<< "$(sed -n 's/.*hostile: \([0-9]*\) invalid requests, \([0-9]*\) refused.*/\1 \2/p' "$BACKEND_LOG")"
  sent=$((sent + ${s:-0})) refused=$((refused + ${r:-0}))
done
echo "faults: hostile daemon x${FAULT_HOSTILE:-1}: $sent invalid requests, $refused refused with their documented errno"
[ "$sent" -gt 0 ] && [ "$sent" = "$refused" ] || fail "hostile daemon"
# The real daemon again, with a decode thread that freezes: its first VP8 job blocks in nanosleep for
# good (the daemon's DAEDALUSD_TEST_FREEZE hook). The daemon takes its deadline from the module's
# watchdog when it connects: 6 s then, so 4.5 s; the watchdog goes back to 30 s once it has, so that
# the daemon's deadline comes first however slow the guest runs (with 6 s against 4.5 s, a guest slowed
# by a busy host let the watchdog fail the job first). The job fails at the deadline, the thread is
# retired, the context moves; then a clean decode.
echo 6000 > $P/job_timeout_ms
t0=$(counter jobs_timedout)
export DAEDALUSD_TEST_FREEZE=vp8:1
daemon
unset DAEDALUSD_TEST_FREEZE
grep -q 'job deadline 4500 ms' "$R/daemon-$n.log" || { cat "$R/daemon-$n.log"; fail "the daemon took no 4.5 s deadline"; }
echo 30000 > $P/job_timeout_ms
client -c vp8 -n 4 -s 320x240 --unchecked --expect any --timeout-ms 60000 > "$R/frozen.log" 2>&1 ||
  { cat "$R/frozen.log"; fail "the VP8 client beside a frozen thread"; }
frozen=$(grep -c 'freezes' "$R/daemon-$n.log") overran=$(grep -c 'FAILED .*still running after' "$R/daemon-$n.log")
timedout=$(($(counter jobs_timedout) - t0)) res=$(grep -ho 'ok=[0-9]* error=[0-9]*' "$R/frozen.log")
exact=no; clean_decode && exact=yes
echo "faults: frozen decode thread (DAEDALUSD_TEST_FREEZE=vp8:1): $frozen job frozen, $overran failed at the daemon's deadline, $timedout at the module's watchdog; the VP8 client $res; a clean decode after it bit-exact: $exact"
[ "$frozen" = 1 ] && [ "$overran" = 1 ] && [ "$timedout" = 0 ] && [ "$exact" = yes ] ||
  fail "frozen decode thread (or not bit-exact after the hostile daemon)"
kill -TERM "$DPID"; wait "$DPID"
[ -z "$(dstate)" ] || fail "a process in D state at the end"
rmmod daedalus_v4l2 || fail "rmmod after the battery"
ok "fault battery: kernel and daemon survived, every recovery decode bit-exact"
