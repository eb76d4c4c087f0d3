// The beamlite executable: everything is in cli.
#include "vm/cli.h"

int main(int argc, char** argv) {
    return cli::main(argc, argv);
}
