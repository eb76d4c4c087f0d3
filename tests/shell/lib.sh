# What tests/shell/run.sh and oracle.sh share: the banner line (erl's
# `Eshell V13.1.5  (abort with ^G)`, beamlite's own) becomes BANNER.
normalise() {
    sed -e '1s/^\(Eshell V\|beamlite \).*/BANNER/'
}
