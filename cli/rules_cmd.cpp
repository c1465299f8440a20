#include "cli/rules_cmd.h"

#include <cmath>
#include <cstdio>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/rule_source.h"
#include "cli/attribution_mode.h"
#include "cli/command.h"
#include "models/json_writer.h"
#include "rules/loader.h"
#include "rules/published_targets.h"
#include "runtime/pipeline.h"
#include "runtime/replay.h"
#include "runtime/sinks.h"

namespace callroot::cli {

using runtime::CollectingSink;
using runtime::make_logger;
using runtime::replay_into;
using runtime::ReplayOptions;

AttributorFactory rule_factory(std::vector<std::string> default_paths) {
  return [default_paths = std::move(default_paths)](const std::vector<std::string>& paths,
                                                    std::string& error) -> engine::AttributorPtr {
    runtime::AttributionConfig config;
    config.rules = paths.empty() ? default_paths : paths;
    config.method = "rules";
    runtime::RuleLoadReport report;
    auto attributor = runtime::load_attribution(config, report);
    if (!attributor) {
      error = config.rules.empty() ? "the case names no rules and no --rules was given" : "";
      for (const auto& d : report.diagnostics) error += "\n" + d;
    }
    return attributor;
  };
}

int rules_check(const RulesCheckOptions& options) {
  const rules::LoadResult loaded = rules::load_rules(options.paths);
  bool unreadable = false;
  for (const auto& d : loaded.diagnostics) {
    unreadable |= d.code == rules::DiagnosticCode::E022;
    const std::string text = options.json ? rules::render_json(d) : rules::render_text(d);
    std::fputs(text.c_str(), stdout);
    if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
  }
  const std::size_t errors = loaded.error_count(), warnings = loaded.warning_count();
  std::size_t rule_count = loaded.program ? loaded.program->rules().size() : 0;
  std::fprintf(stderr, "rules check: %zu file(s), %zu rule(s), %zu error(s), %zu warning(s)\n",
               loaded.files.size() - 1,  // the published targets are not the user's
               rule_count, errors, warnings);
  if (unreadable) return 2;
  if (errors > 0 || (options.werror && warnings > 0)) return 1;
  return 0;
}

int rules_list(const std::vector<std::string>& paths, bool json, const std::vector<std::string>& replay,
               std::shared_ptr<spdlog::logger> log) {
  const rules::LoadResult loaded = rules::load_rules(paths);
  if (!loaded.program) {
    for (const auto& d : loaded.diagnostics) std::fputs((rules::render_text(d) + "\n").c_str(), stderr);
    return 1;
  }
  // Counters come from scoring real input with the rules.
  rules::RuleStats stats;
  const bool counted = !replay.empty();
  if (counted) {
    // The engine owns its attributor; this one hands the counters back when the engine lets it go.
    struct Counting final : engine::EvidenceProvider {
      std::unique_ptr<engine::RuleSource> inner;
      rules::RuleStats* out;
      Counting(std::unique_ptr<engine::RuleSource> i, rules::RuleStats* o) : inner(std::move(i)), out(o) {}
      ~Counting() override { *out = inner->stats(); }
      void weigh(const engine::ScoringContext& ctx, engine::Candidates& c) override { inner->weigh(ctx, c); }
      [[nodiscard]] bool needs_quantiles() const noexcept override { return inner->needs_quantiles(); }
    };
    CollectingSink sink;
    ReplayOptions options;
    options.files = replay;
    options.progress = false;
    // The rule pack alone, as a method of a registry of its own that counts.
    auto methods = std::make_shared<engine::AttributorRegistry>();
    methods->add("rules", "the rule pack, counting evaluations and matches",
                 [&stats](const engine::AttributorOptions& o, std::string&) -> engine::AttributorPtr {
                   auto rule_source = std::make_unique<engine::RuleSource>(o.rules);
                   rule_source->set_timing(true);
                   std::vector<engine::EvidenceProviderPtr> sources;
                   sources.push_back(std::make_unique<Counting>(std::move(rule_source), &stats));
                   return std::make_unique<engine::Attributor>("rules", std::move(sources));
                 });
    options.config.attribution.program = loaded.program;
    options.config.attribution.method = "rules";
    options.config.attribution.methods = std::move(methods);
    try {
      replay_into(options, sink, log ? log : make_logger());
    } catch (const std::exception& e) {
      if (log) log->error("{}", e.what());
      return 2;
    }
  }
  if (!json) {
    std::printf("%-36s %-7s %6s  %-8s %3s", "rule", "blame", "weight", "severity", "rev");
    if (counted) std::printf(" %11s %8s %9s", "evaluations", "matches", "ns/eval");
    std::printf("  %s\n", "where");
  }
  const auto all = loaded.program->rules();
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& r = all[i];
    const rules::RuleCounters c = i < stats.per_rule.size() ? stats.per_rule[i] : rules::RuleCounters{};
    if (json) {
      nlohmann::ordered_json j{{"schema_version", kJsonSchemaVersion},
                               {"id", r.id},
                               {"blame", to_string(r.target)},
                               {"weight", r.weight},
                               {"severity", rules::severity_name(r.severity)},
                               {"revision", r.revision},
                               {"enabled", r.enabled},
                               {"file", r.file},
                               {"line", r.line},
                               {"description", r.description},
                               {"source", r.source}};
      if (counted) {
        j["evaluations"] = c.evaluations;
        j["matches"] = c.matches;
        j["nanoseconds"] = c.nanoseconds;
      }
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      continue;
    }
    std::printf("%-36s %-7s %6s  %-8s %3d", r.id.c_str(), to_string(r.target), format_number(r.weight, 2).c_str(),
                std::string(rules::severity_name(r.severity)).c_str(), r.revision);
    if (counted) {
      const double per = c.evaluations ? static_cast<double>(c.nanoseconds) / static_cast<double>(c.evaluations) : 0;
      std::printf(" %11llu %8llu %9s", static_cast<unsigned long long>(c.evaluations),
                  static_cast<unsigned long long>(c.matches), format_number(per, 0).c_str());
    }
    std::printf("  %s:%u%s\n", r.file.c_str(), r.line, r.enabled ? "" : "  (disabled)");
  }
  return 0;
}

int rules_targets() {
  const std::string_view text = rules::published_targets_source();
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

int rules_fields() {
  std::fputs(rules::fields_reference_markdown().c_str(), stdout);
  return 0;
}

int rules_test(const RulesTestOptions& options, std::shared_ptr<spdlog::logger> log) {
  // Coverage counts every rule any case loads.
  std::set<std::string> rule_paths(options.rules.begin(), options.rules.end());
  for (const auto& file : options.files) {
    try {
      for (const auto& c : parse_rule_tests(file)) rule_paths.insert(c.rule_paths.begin(), c.rule_paths.end());
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return 2;
    }
  }
  RuleTestOptions run;
  run.files = options.files;
  run.run_regex = options.run_regex;
  run.junit_path = options.junit_path;
  std::set<std::string> ids;
  for (const auto& path : rule_paths) {
    const rules::LoadResult loaded = rules::load_rules(std::vector<std::string>{path});
    if (!loaded.program) continue;  // the cases that use it report the diagnostics
    for (const auto& r : loaded.program->rules()) ids.insert(r.id);
  }
  run.all_rule_ids.assign(ids.begin(), ids.end());
  return run_rule_tests(run, rule_factory(options.rules), log);
}

namespace {

std::string result_text(double v) {
  if (std::isnan(v)) return "unknown";
  return v != 0 ? "true" : "false";
}

/// A predicate's three-valued result as JSON: true, false, or null (unknown).
nlohmann::json result_json(double v) {
  if (std::isnan(v)) return nullptr;
  return v != 0;
}

/// `rules explain --json`: the same story as the text, as one JSON object.
nlohmann::json explain_json(const Verdict& verdict, const std::vector<engine::CandidateTrace>& traces,
                            const rules::Program* program) {
  nlohmann::json j;
  j["schema_version"] = kJsonSchemaVersion;
  j["segment_id"] = verdict.segment_id;
  j["call_id"] = verdict.call_id;
  j["start"] = format_rfc3339(verdict.start);
  j["end"] = format_rfc3339(verdict.end);
  j["quality"] = std::string(to_string(verdict.quality));
  j["mos"] = measured(verdict.mos) ? nlohmann::json(verdict.mos) : nlohmann::json(nullptr);
  j["poor_streams"] = nlohmann::json::array();
  for (const auto& p : verdict.poor_streams) {
    j["poor_streams"].push_back(
        {{"from", std::string(to_string(p.from))}, {"media", std::string(to_string(p.media))}, {"why", p.why}});
  }
  j["candidates"] = nlohmann::json::array();
  if (program != nullptr) {
    const auto rules = program->rules();
    for (const auto& c : traces) {
      nlohmann::json candidate{{"side", std::string(to_string(c.side))}, {"target", to_string(c.target)}, {"id", c.id}};
      candidate["rules"] = nlohmann::json::array();
      for (const auto& r : c.trace.rules) {
        const auto& info = rules[r.rule];
        nlohmann::json rule{{"id", info.id}, {"enabled", r.enabled}};
        if (r.enabled) {
          rule["scope"] = result_json(r.scope);
          rule["when"] = result_json(r.when);
          rule["fired"] = r.fired;
          rule["weight"] = info.weight;
          rule["comparisons"] = nlohmann::json::array();
          for (const auto& cmp : r.comparisons) {
            rule["comparisons"].push_back({{"text", cmp.text},
                                           {"observed", cmp.observed},
                                           {"threshold", cmp.threshold},
                                           {"result", result_json(cmp.result)}});
          }
          if (!r.explanation.empty()) rule["explanation"] = r.explanation;
        }
        candidate["rules"].push_back(std::move(rule));
      }
      j["candidates"].push_back(std::move(candidate));
    }
  }
  j["blame"] = nlohmann::json::array();
  for (const auto& b : verdict.blame) {
    nlohmann::json blame{{"kind", to_string(b.kind)}, {"id", b.id}, {"confidence", b.confidence}};
    blame["evidence"] = nlohmann::json::array();
    for (const auto& e : b.evidence) blame["evidence"].push_back({{"id", e.id}, {"text", e.text}});
    j["blame"].push_back(std::move(blame));
  }
  return j;
}

}  // namespace

int rules_explain(const RulesExplainOptions& options, std::shared_ptr<spdlog::logger> log) {
  std::vector<std::string> diagnostics;
  std::shared_ptr<const rules::Program> program = runtime::load_rule_program(options.rules, diagnostics);
  for (const auto& d : diagnostics) std::fprintf(stderr, "%s\n", d.c_str());
  if (!program) {
    log->error("the rules did not load");
    return 2;
  }
  // The rule pack alone, as a method of a registry of its own that traces the segment asked about.
  std::vector<engine::CandidateTrace> traces;
  auto methods = std::make_shared<engine::AttributorRegistry>();
  methods->add("rules", "the rule pack, tracing one segment",
               [&](const engine::AttributorOptions& o, std::string& error) -> engine::AttributorPtr {
                 engine::AttributorPtr attributor = engine::make_rules(o.rules);
                 auto* rule_source = attributor ? attributor->find<engine::RuleSource>() : nullptr;
                 if (rule_source == nullptr) {
                   error = "the rule pack did not build";
                   return nullptr;
                 }
                 rule_source->set_trace(options.segment_id, &traces);
                 return attributor;
               });

  CollectingSink sink;
  ReplayOptions replay;
  replay.files = options.files;
  replay.progress = false;
  replay.config.attribution.program = program;
  replay.config.attribution.method = "rules";
  replay.config.attribution.methods = std::move(methods);
  try {
    replay_into(replay, sink, log);
  } catch (const std::exception& e) {
    runtime::log_lines(*log, spdlog::level::err, e.what());
    return 2;
  }
  const Verdict* verdict = nullptr;
  for (const auto& v : sink.verdicts) {
    if (v.segment_id == options.segment_id) verdict = &v;
  }
  if (verdict == nullptr) {
    log->error("segment {} is not in the input", options.segment_id);
    return 1;
  }
  if (options.json) {
    const bool poor = verdict->quality == Quality::kPoor;
    std::printf("%s\n", explain_json(*verdict, traces, poor ? program.get() : nullptr).dump(2).c_str());
    return 0;
  }
  std::printf("segment %s (call %s), %s .. %s: %s", verdict->segment_id.c_str(), verdict->call_id.c_str(),
              format_rfc3339(verdict->start).c_str(), format_rfc3339(verdict->end).c_str(),
              std::string(to_string(verdict->quality)).c_str());
  if (measured(verdict->mos)) std::printf(", MOS %s", format_number(verdict->mos, 2).c_str());
  std::printf("\n");
  for (const auto& p : verdict->poor_streams) {
    std::printf("  poor %s %s:", std::string(to_string(p.from)).c_str(), std::string(to_string(p.media)).c_str());
    for (const auto& why : p.why) std::printf(" %s;", why.c_str());
    std::printf("\n");
  }
  if (verdict->quality != Quality::kPoor) {
    std::printf("\nOnly poor segments are attributed: no rule was evaluated.\n");
    return 0;
  }
  const auto rules = program->rules();
  for (const auto& c : traces) {
    std::printf("\n%s side, candidate %s%s%s:\n", std::string(to_string(c.side)).c_str(), to_string(c.target),
                c.id.empty() ? "" : " ", c.id.c_str());
    for (const auto& r : c.trace.rules) {
      const auto& info = rules[r.rule];
      if (!r.enabled) {
        std::printf("  %-34s disabled at this site\n", info.id.c_str());
        continue;
      }
      const std::string fired = r.fired ? "  => FIRED (+" + format_number(info.weight, 2) + ")" : "";
      std::printf("  %-34s scope %s, when %s%s\n", info.id.c_str(), result_text(r.scope).c_str(),
                  result_text(r.when).c_str(), fired.c_str());
      for (const auto& cmp : r.comparisons) {
        std::printf("      %-52s observed %s, threshold %s -> %s\n", cmp.text.c_str(), cmp.observed.c_str(),
                    cmp.threshold.c_str(), result_text(cmp.result).c_str());
      }
      if (!r.explanation.empty()) std::printf("      \"%s\"\n", r.explanation.c_str());
    }
  }
  std::printf("\nblame (confidence = e^w / (1 + sum of e^w over the candidates)):\n");
  for (const auto& b : verdict->blame) {
    std::printf("  %s %s  confidence %s\n", to_string(b.kind), b.id.c_str(), format_number(b.confidence, 3).c_str());
    for (const auto& e : b.evidence) std::printf("    %s: %s\n", e.id.c_str(), e.text.c_str());
  }
  return 0;
}

}  // namespace callroot::cli

namespace callroot::cli {
namespace {

class RulesCommand final : public Command {
 public:
  explicit RulesCommand(CLI::App& parent)
      : Command(parent.add_subcommand("rules", "Check, list, test and explain attribution rules")) {
    app_->require_subcommand(1);
    check_ = app_->add_subcommand("check", "Validate rule files; every diagnostic with its position");
    check_->add_option("paths", check_options_.paths, "Rule files or folders of .rules files")->required();
    check_->add_flag("--json", check_options_.json, "One JSON object per diagnostic");
    check_->add_flag("--werror", check_options_.werror, "Warnings fail the check too");

    list_ = app_->add_subcommand("list", "List rules: id, target, weight, severity, where");
    list_->add_option("paths", list_paths_, "Rule files or folders")->required();
    list_->add_flag("--json", list_json_, "One JSON object per rule");
    list_->add_option("--replay", list_replay_, "Replay these JSON Lines files with the rules and add per-rule counters")
        ->check(CLI::ExistingFile);

    fields_ = app_->add_subcommand("fields", "Print the reference of fields and functions (Markdown)");
    targets_ = app_->add_subcommand(
        "targets", "Print the published targets: the parameters every rule set and the built-in heuristic read");

    test_ = app_->add_subcommand("test", "Run rule tests (.ruletest files)");
    test_->add_option("files", test_options_.files, "Rule test files")->required()->check(CLI::ExistingFile);
    test_->add_option("--rules", test_options_.rules, "Rules for cases that name none")->allow_extra_args(false);
    test_->add_option("--run", test_options_.run_regex, "Only cases whose name matches this regular expression");
    test_->add_option("--junit", test_options_.junit_path, "Write JUnit XML here");

    explain_ = app_->add_subcommand("explain", "Replay and show how one segment's verdict came about");
    explain_->add_option("--segment", explain_options_.segment_id, "The segment id")->required();
    explain_->add_flag("--json", explain_options_.json,
                       "One JSON object (candidates, rules, comparisons, blame) instead of text");
    explain_->add_option("--rules", explain_options_.rules, "Rule files or folders")
        ->required()
        ->allow_extra_args(false);
    explain_->add_option("files", explain_options_.files, "JSON Lines input")->required()->check(CLI::ExistingFile);
  }

  int run(std::shared_ptr<spdlog::logger> log) override {
    if (check_->parsed()) return rules_check(check_options_);
    if (list_->parsed()) return rules_list(list_paths_, list_json_, list_replay_, log);
    if (fields_->parsed()) return rules_fields();
    if (targets_->parsed()) return rules_targets();
    if (test_->parsed()) return rules_test(test_options_, log);
    return rules_explain(explain_options_, log);
  }

 private:
  CLI::App *check_ = nullptr, *list_ = nullptr, *fields_ = nullptr, *targets_ = nullptr, *test_ = nullptr,
           *explain_ = nullptr;
  RulesCheckOptions check_options_;
  std::vector<std::string> list_paths_, list_replay_;
  bool list_json_ = false;
  RulesTestOptions test_options_;
  RulesExplainOptions explain_options_;
};

}  // namespace

CommandPtr add_rules_command(CLI::App& parent) { return std::make_unique<RulesCommand>(parent); }

}  // namespace callroot::cli
