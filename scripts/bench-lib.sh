# bench-lib.sh -- shared parts of the benchmarks (sourced by scripts/bench and scripts/bench-pasta;
# bash). Not a program of its own.
#
#   bench_args "$@"           the common options (--runs N, --quick, --duration S, --out DIR,
#                             --help: prints the calling script's header comment); sets RUNS,
#                             QUICK, DURATION, OUT and, from them, DUR (iperf3 seconds), RR_DUR,
#                             CRR_DUR (tcpbench seconds)
#   bench_install PKG...      apt-get install (as root) unless already there; fails loudly
#   bench_build_jar           builds src/target/passt4j-all.jar when missing or older than the
#                             sources
#   bench_enter_sandbox SELF  re-runs SELF with the same options in scripts/vm/sandbox.sh, with
#                             PASST4J_BENCH_INNER=1 (exported variables pass through)
#   bench_results_open NAME   (inside) STAMP, RES (raw values file), LOGS (log folder), W (a
#                             work folder removed at exit with the background jobs in BGPIDS)
#   log MSG / raw ROUND DAEMON METRIC VALUE / kib PID FIELD (a /proc/PID/status value in kB)
#   measured_pid PID          the process whose memory and CPU count: the java child of our
#                             launcher, or the passt/pasta under a wrapper, else PID
#   sample_proc PID DIR SECS  background loop: the latest VmHWM (kB) into DIR/hwm and
#                             utime+stime (ticks) into DIR/cpu, every 0.25 s, at most SECS s
#   record_proc ROUND DAEMON DIR   raw hwm_kib and cpu_s from what sample_proc left
#   bench_table SPEC DAEMONS NAMES  the table of medians from RES: SPEC is a file of lines
#                             "metric<TAB>divisor<TAB>decimals<TAB>label" (metric as in RES, its
#                             values divided by divisor); columns: each daemon (DAEMONS, named
#                             NAMES), then the ratio of the first daemon to each other one ("ratio"
#                             with two daemons, else "ours/NAME"), then
#                             the number of rounds with a value per daemon. A raw value "n/a"
#                             (the daemon can't do it) shows as n/a when no round has a number.
#   bench_finish TITLE SPEC DAEMONS NAMES  appends "## TITLE", the table, the load (and
#                             BENCH_NOTE) and each round's status/note lines to RES, prints them
#                             and where RES is

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_usage() { # bench_usage SCRIPT: its header comment (from line 2 to the first non-comment)
    awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$1"
}

bench_args() {
    RUNS=5 QUICK=0 OUT=$BENCH_ROOT/bench-results DURATION=
    while [ $# -gt 0 ]; do
        case "$1" in
            --runs) RUNS=${2:-}; shift 2 || shift ;;
            --runs=*) RUNS=${1#--runs=}; shift ;;
            --quick) QUICK=1; shift ;;
            --duration) DURATION=${2:-}; shift 2 || shift ;;
            --duration=*) DURATION=${1#--duration=}; shift ;;
            --out) OUT=${2:-}; shift 2 || shift ;;
            --out=*) OUT=${1#--out=}; shift ;;
            -h|--help) bench_usage "$0"; exit 0 ;;
            *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
        esac
    done
    case "$RUNS" in ''|*[!0-9]*) echo "bench: --runs needs a number" >&2; exit 2 ;; esac
    [ "$RUNS" -ge 1 ] && [ "$RUNS" -le 50 ] || { echo "bench: --runs between 1 and 50" >&2; exit 2; }
    if [ "$QUICK" = 1 ]; then
        RUNS=1; DUR=2; RR_DUR=1; CRR_DUR=1
    else
        DUR=4; RR_DUR=3; CRR_DUR=3
    fi
    if [ -n "$DURATION" ]; then
        case "$DURATION" in *[!0-9]*|'') echo "bench: --duration needs seconds" >&2; exit 2 ;; esac
        [ "$DURATION" -ge 1 ] && [ "$DURATION" -le 60 ] || { echo "bench: --duration between 1 and 60" >&2; exit 2; }
        DUR=$DURATION
    fi
}

bench_install() { # bench_install PKG... (each PKG is "command:package" or "path:package")
    local missing= p c
    for p in "$@"; do
        c=${p%%:*}
        case "$c" in
            /*) [ -e "$c" ] || missing="$missing ${p#*:}" ;;
            *) command -v "$c" >/dev/null || missing="$missing ${p#*:}" ;;
        esac
    done
    [ -n "$missing" ] || return 0
    [ "$(id -u)" = 0 ] || { echo "bench: missing:$missing (install them, or run as root)" >&2; exit 2; }
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2; } \
      || { echo "bench: cannot install$missing" >&2; exit 2; }
}

bench_build_jar() {
    local jar=$BENCH_ROOT/src/target/passt4j-all.jar
    if [ ! -f "$jar" ] || [ -n "$(find "$BENCH_ROOT/src/main" "$BENCH_ROOT/src/pom.xml" "$BENCH_ROOT/pom.xml" -newer "$jar" -type f 2>/dev/null | head -n1)" ]; then
        echo "bench: building passt4j" >&2
        (cd "$BENCH_ROOT" && { mvn -B -q -o -Dstyle.color=never -DskipTests package -pl src -am \
            || mvn -B -q -Dstyle.color=never -DskipTests package -pl src -am; }) >&2 \
            || { echo "bench: build failed" >&2; exit 2; }
    fi
}

bench_enter_sandbox() { # bench_enter_sandbox SELF
    mkdir -p "$OUT"
    OUT=$(cd "$OUT" && pwd)
    export PASST4J_BENCH_INNER=1
    exec "$BENCH_ROOT/scripts/vm/sandbox.sh" "$1" --runs "$RUNS" $([ "$QUICK" = 1 ] && echo --quick) \
        ${DURATION:+--duration "$DURATION"} --out "$OUT"
}

BGPIDS=()
bench_results_open() { # bench_results_open NAME
    STAMP=$(date -u +%Y%m%d-%H%M%S)
    RES=$OUT/$1-$STAMP.txt
    LOGS=$OUT/$1-$STAMP.logs
    mkdir -p "$LOGS"
    W=$(mktemp -d "${TMPDIR:-/tmp}/passt-bench.XXXXXX")
    chmod 755 "$W"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

bench_cleanup() {
    local p
    for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$W"
}

log() { echo "bench: $*" >&2; }
raw() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RES"; }   # round daemon metric value
kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null; }

measured_pid() {
    local p=$1 c
    for _ in 1 2 3; do
        c=$(pgrep -P "$p" -x java 2>/dev/null | head -n1)
        [ -z "$c" ] && c=$(pgrep -P "$p" -x passt 2>/dev/null | head -n1)
        [ -z "$c" ] && c=$(pgrep -P "$p" -x pasta 2>/dev/null | head -n1)
        [ -z "$c" ] && break
        p=$c
    done
    echo "$p"
}

sample_proc() { # sample_proc PID DIR SECS (run it in the background)
    local h c
    for _ in $(seq $(($3 * 4))); do
        h=$(kib "$1" VmHWM); [ -n "$h" ] || break
        c=$(awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null); [ -n "$c" ] || break
        echo "$h" > "$2/hwm"; echo "$c" > "$2/cpu"; sleep 0.25
    done
}

record_proc() { # record_proc ROUND DAEMON DIR
    [ -s "$3/hwm" ] && raw "$1" "$2" hwm_kib "$(cat "$3/hwm")"
    [ -s "$3/cpu" ] && raw "$1" "$2" cpu_s "$(awk -v t="$(getconf CLK_TCK)" '{print $1 / t}' "$3/cpu")"
    return 0
}

bench_table() { # bench_table SPEC DAEMONS NAMES
    awk -F'\t' -v daemons="$2" -v names="$3" '
    FNR == NR { if ($0 !~ /^#/ && NF >= 4) { nm++; M[nm] = $1; DIV[nm] = $2; DEC[nm] = $3; L[nm] = $4 } next }
    /^#/ { next }
    { v[$2, $3, $1] = $4; rounds[$1] = 1 }
    function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function stat(d, i,   r, a, n, x, na) {
        n = 0; na = 0
        for (r in rounds) {
            x = v[d, M[i], r]
            if (x == "n/a") na++
            else if (x != "") a[++n] = x / DIV[i]
        }
        cnt[d] = n
        if (n == 0) return na ? "n/a" : "-"
        return median(a, n)
    }
    function fmt(x, dec) { return (x == "n/a" || x == "-") ? x : sprintf("%." dec "f", x) }
    function num(x) { return x != "n/a" && x != "-" }
    END {
        nd = split(daemons, D, " "); split(names, N, " ")
        w = 44
        for (i = 1; i <= nm; i++) if (length(L[i]) > w) w = length(L[i])
        line = sprintf("| %-" w "s |", "metric (median)"); sep = "|" sprintf("%" (w + 2) "s", "") "|"
        gsub(/ /, "-", sep)
        for (k = 1; k <= nd; k++) { line = line sprintf(" %11s |", N[k]); sep = sep "------------:|" }
        for (k = 2; k <= nd; k++) {
            h = nd == 2 ? "ratio" : "ours/" N[k]
            line = line sprintf(" %16s |", h); sep = sep "-----------------:|"
        }
        line = line sprintf(" %8s |", "runs"); sep = sep "---------:|"
        print line; print sep
        for (i = 1; i <= nm; i++) {
            line = sprintf("| %-" w "s |", L[i]); runs = ""
            for (k = 1; k <= nd; k++) {
                x[k] = stat(D[k], i)
                line = line sprintf(" %11s |", fmt(x[k], DEC[i]))
                runs = runs (k > 1 ? "/" : "") cnt[D[k]]
            }
            for (k = 2; k <= nd; k++) {
                r = (num(x[1]) && num(x[k]) && x[k] + 0 != 0) ? sprintf("%.2fx", x[1] / x[k]) : "n/a"
                line = line sprintf(" %16s |", r)
            }
            print line sprintf(" %8s |", runs)
        }
    }' "$1" "$RES"
}

bench_finish() { # bench_finish TITLE SPEC DAEMONS NAMES
    {
        echo
        echo "## $1"
        bench_table "$2" "$3" "$4"
        echo
        echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)${BENCH_NOTE:+; $BENCH_NOTE}"
        echo
        echo "## runs"
        awk -F'\t' '$3 == "status" || $3 == "note" { print "round " $1 " " $2 ": " $4 }' "$RES"
    } > "$W/summary"
    cat "$W/summary" >> "$RES"
    cat "$W/summary"
    echo
    echo "raw values: $RES"
    echo "logs: $LOGS"
}
