// The beamlite executable: everything is in cli.
#include "driver/cli.h"

int main(int argc, char** argv) {
    return cli::main(argc, argv);
}
