# Shared by run.sh and oracle.sh (sourced): the tests and how their output
# is made comparable.
#
# A test is NAME.bl here, an Erlang module whose main/1 makes processes
# crash and log, and prints nothing itself: what is compared is what the
# logger prints (on standard output, as OTP's default handler does), in the
# order it was logged. NAME.out is OTP's output, normalised.

report_tests() {
    local f
    for f in "$dir"/*.bl; do [ -f "$f" ] && basename "$f" .bl; done
}

# What differs between two runs of the same program, even under OTP, is
# replaced by a placeholder: the date and time in each report's header,
# pids, refs, and the memory and reduction counts of crash reports. Pids
# are replaced after the reports are laid out, so a report whose layout
# depends on a pid's width would differ (none here does).
normalise() {
    sed -E -e 's/^=([A-Z]+ REPORT)==== .* ===$/=\1==== DATE ===/' \
        -e 's/<[0-9]+\.[0-9]+\.[0-9]+>/<PID>/g' \
        -e 's/#Ref<[0-9.]+>/#Ref<REF>/g' \
        -e 's/^( +(heap_size|stack_size|reductions)): [0-9]+$/\1: N/'
}
