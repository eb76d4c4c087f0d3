#!/usr/bin/env bash
# Issue 17's demo: bench/net/echo_server.bl and echo_load.bl on beamlite
# and on Erlang/OTP, N connections on loopback, one process per
# connection at each end (server and load generator are two OS
# processes, each bound by the file limit).
#   bench/net/run.sh [N [ROUNDS [VM...]]]      VM: beamlite, otp (default both)
# Prints, per VM: connections held, round trips per second (every
# connection doing ROUNDS round trips of a 32-byte message at once, each
# echo checked), and the server's memory per idle connection: the growth
# of its resident set from listening to holding N idle connections,
# divided by N (process, socket and buffers; the kernel's socket memory
# is not in it, on either VM).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${1:-1000}
rounds=${2:-100}
shift 2 2>/dev/null || shift $#
vms=${*:-beamlite otp}
beamlite=${BEAMLITE:-$root/build/release/beamlite}

# As many descriptors as allowed: the hard limit bounds N (each end holds
# one per connection).
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/echo_server.bl" "$work/echo_server.erl"
cp "$here/echo_load.bl" "$work/echo_load.erl"
(cd "$work" && erlc echo_server.erl echo_load.erl)

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# Waits until FILE has a line matching PATTERN (at most 120 s).
wait_for() {
    for _ in $(seq 1200); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "timeout waiting for '$2' in $1" >&2
    return 1
}

start() {  # VM ROLE ARGS...
    local vm=$1 role=$2
    shift 2
    if [ "$vm" = beamlite ]; then
        exec "$beamlite" run "$here/$role.bl" "$@"
    else
        local args
        args=$(printf '"%s",' "$@")
        cd "$work" && exec erl -noshell +P 4000000 +Q 1048576 \
            -eval "$role:main([${args%,}]), halt()."
    fi
}

for vm in $vms; do
    (start "$vm" echo_server 0 >"$work/server.$vm" 2>&1) &
    server=$!
    wait_for "$work/server.$vm" listening || exit 1
    port=$(awk '/listening/ {print $2}' "$work/server.$vm")
    pid=$server  # erl execs beam.smp: the same process
    sleep 0.5
    base=$(rss_kb "$pid")
    (start "$vm" echo_load "$port" "$n" "$rounds" >"$work/load.$vm" 2>&1) &
    load=$!
    wait_for "$work/load.$vm" '^held' || exit 1
    sleep 1
    held=$(rss_kb "$pid")
    wait "$load"
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    echo "== $vm: N=$n rounds=$rounds"
    cat "$work/load.$vm"
    echo "server memory per connection: $(( (held - base) * 1024 / n )) bytes (RSS $base KiB -> $held KiB)"
done
