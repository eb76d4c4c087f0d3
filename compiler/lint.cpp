// lint: placeholder until the checker lands.
#include "compiler/lint.h"

namespace lint {
void check(const ast::Module& module, diag::Reporter& reporter) {}
}  // namespace lint
