// node: the start-up configuration, kept once for the BIFs to read.
#include "vm/node.h"

#include "vm/timer.h"

namespace node {

namespace {

Config& stored() {
    static Config config;
    return config;
}

}  // namespace

void set_config(Config config) {
    start_ns();
    stored() = std::move(config);
}

const Config& config() {
    return stored();
}

int64_t start_ns() {
    static const int64_t start = timer::now_ns();
    return start;
}

}  // namespace node
