#include "report/report.h"

#include "report/model.h"

namespace callroot::report {

ReportStats write_report(const ReportOptions& options, std::ostream& out) {
  ReportStats stats;
  const Model model = build_model(options, stats);
  std::string page;
  render(model, options, page);
  out.write(page.data(), static_cast<std::streamsize>(page.size()));
  return stats;
}

}  // namespace callroot::report
