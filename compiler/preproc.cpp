// preproc: placeholder until the preprocessor lands.
#include "compiler/preproc.h"

namespace preproc {
std::vector<Form> preprocess(const std::string& path, const Options& options, ast::Arena& arena,
                             diag::Reporter& reporter) {
    return {};
}
}  // namespace preproc
