#include "rules/published_targets.h"

#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <utility>

#include "rules/loader.h"
#include "rules/program.h"

namespace callroot::rules {

const Program& published_targets() {
  static const std::shared_ptr<const Program> program = [] {
    LoadResult r = load_rules_from_text(std::span<const std::pair<std::string, std::string>>{});
    if (!r.program) {
      // The file is part of the build and its tests; a broken one is a bug.
      std::fprintf(stderr, "callroot: the built-in published targets do not compile\n");
      std::abort();
    }
    return r.program;
  }();
  return *program;
}

double published_target(std::string_view name) { return published_targets().param(name); }

}  // namespace callroot::rules
