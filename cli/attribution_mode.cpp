#include "cli/attribution_mode.h"

#include "eval/reference_attribution.h"

namespace callroot::cli {

const engine::AttributorRegistry& attribution_methods() {
  static const engine::AttributorRegistry methods = [] {
    engine::AttributorRegistry r = engine::builtin_attributors();
    eval::add_reference_methods(r);
    return r;
  }();
  return methods;
}

std::string attribution_method_list() { return attribution_methods().names(); }

}  // namespace callroot::cli
