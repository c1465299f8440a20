#include "rules/program.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace callroot::rules {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kKinds = 5;  // client, ap, switch, wan, remote

enum class Op : std::uint8_t {
  kConst, kSlot, kParam, kSite, kSiteEq, kMaskAny, kSeries,
  kNeg, kAdd, kSub, kMul, kDiv, kAbs, kMin, kMax,
  kCmp, kIn, kAnd, kOr, kNot, kFraction, kFor,
};

/// One node of a compiled expression. Children are node indexes; n-ary
/// operands and `in` constants live in side arrays (b = first, c = count).
struct Node {
  Op op = Op::kConst;
  BinOp cmp = BinOp::kEq;
  std::uint32_t a = 0, b = 0, c = 0;
  double k = 0;
  std::uint32_t trace = kNone;  ///< comparisons: index into Impl::traces
};

struct TraceInfo {
  std::string text;
  ValueType type = ValueType::kNumber;
  Dim dim;
  EnumSet set = EnumSet::kNone;
  std::string threshold;  ///< for `in`, media/direction and site tests: the written values
  bool mask = false;      ///< kMaskAny: observed is a mask of `set`
  bool site = false;      ///< kSiteEq / site `in`: observed is a site index
};

struct Part {
  std::string text;
  std::uint32_t node = kNone;
  ValueType type = ValueType::kNumber;
  Dim dim;
  EnumSet set = EnumSet::kNone;
  bool site = false;
};

struct CompiledRule {
  std::uint32_t scope = kNone;
  std::uint32_t when = kNone;
  std::vector<Part> explain;
};

struct ForAux {
  std::uint32_t series_first = 0, series_count = 0, duration = 0;
};

std::size_t kind_index(ComponentKind k) noexcept { return static_cast<std::size_t>(k); }

std::string source_text(const SourceRange& r) {
  if (r.file == nullptr || r.line == 0) return {};
  const std::string_view line = r.file->line_text(r.line);
  const std::size_t b = std::min<std::size_t>(r.column - 1, line.size());
  const std::size_t e = std::min<std::size_t>(r.end_column - 1, line.size());
  return std::string(line.substr(b, e > b ? e - b : 0));
}

}  // namespace

struct Program::Impl {
  std::vector<Slot> slots;
  std::array<std::vector<std::uint32_t>, kKinds> slots_for;
  std::array<std::vector<std::uint32_t>, kKinds> rules_for;
  std::vector<RuleInfo> rules;
  std::vector<CompiledRule> compiled;
  std::vector<Node> nodes;
  std::vector<std::uint32_t> kids;
  std::vector<double> consts;
  std::vector<std::uint32_t> series;  ///< slot indexes of fraction/for conditions
  std::vector<ForAux> fors;
  std::vector<TraceInfo> traces;
  std::vector<std::string> sites{""};
  std::vector<std::pair<std::string, std::uint32_t>> site_lookup;  ///< sorted by name
  std::vector<std::pair<int, EnumSet>> param_cols;  ///< (param index, enum set for identifier values)
  std::vector<std::string> param_names;             ///< by param index
  std::vector<double> param_values;                 ///< [site * param_cols.size() + col]
  std::vector<double> param_defaults;               ///< by param index: the number defined (NaN for a symbol)
  std::vector<std::uint8_t> enabled;                ///< [site * rules.size() + rule]
};

namespace {

class Compiler {
 public:
  Compiler(const CheckedRules& r, Program::Impl& p) : r_(r), p_(p) {}

  void run() {
    for (const CheckedSite& s : r_.sites) site(s.name);
    for (const CheckedParam& prm : r_.params) p_.param_names.push_back(prm.def->name);
    for (std::size_t i = 0; i < r_.rules.size(); ++i) rule(static_cast<std::uint32_t>(i));
    tables();
    for (std::size_t i = 0; i < p_.sites.size(); ++i) p_.site_lookup.emplace_back(p_.sites[i], static_cast<std::uint32_t>(i));
    std::sort(p_.site_lookup.begin(), p_.site_lookup.end());
  }

 private:
  std::uint32_t site(const std::string& name) {
    for (std::size_t i = 1; i < p_.sites.size(); ++i) {
      if (p_.sites[i] == name) return static_cast<std::uint32_t>(i);
    }
    p_.sites.push_back(name);
    return static_cast<std::uint32_t>(p_.sites.size() - 1);
  }

  /// Media of a scope: `media == X` / `media in [..]` conjuncts narrow it.
  std::uint8_t scope_media(const Expr* e) const {
    if (e == nullptr || !e->check.ok) return 0b111;
    switch (e->kind) {
      case ExprKind::kAnd: {
        std::uint8_t m = 0b111;
        for (const ExprPtr& k : e->kids) m &= scope_media(k.get());
        return m;
      }
      case ExprKind::kName:
        if (e->check.name == NameKind::kMacro) return scope_media(r_.macros[static_cast<std::size_t>(e->check.index)].def->body.get());
        return 0b111;
      case ExprKind::kCompare:
        if (e->op == BinOp::kEq) {
          for (int s = 0; s < 2; ++s) {
            const Expr& m = *e->kids[static_cast<std::size_t>(s)];
            const Expr& v = *e->kids[static_cast<std::size_t>(1 - s)];
            if (m.check.name == NameKind::kScopeMedia && v.check.name == NameKind::kEnumValue) {
              return static_cast<std::uint8_t>(1u << v.check.index);
            }
          }
        }
        return 0b111;
      case ExprKind::kIn:
        if (!e->negated && e->kids[0]->check.name == NameKind::kScopeMedia) return in_mask(*e, EnumSet::kMedia);
        return 0b111;
      default: return 0b111;
    }
  }

  std::vector<const Literal*> list_items(const Expr& e, std::vector<Literal>& tmp) const {
    std::vector<const Literal*> out;
    if (!e.text.empty()) {
      const CheckedList& l = r_.lists[static_cast<std::size_t>(r_.list_by_name.at(e.text))];
      for (const Literal& lit : l.def->items) out.push_back(&lit);
      return out;
    }
    tmp.clear();
    tmp.reserve(e.kids.size());
    for (std::size_t i = 1; i < e.kids.size(); ++i) {
      const Expr& k = *e.kids[i];
      Literal lit;
      lit.kind = k.kind == ExprKind::kNumber ? Literal::Kind::kNumber
                 : k.kind == ExprKind::kString ? Literal::Kind::kString
                 : k.kind == ExprKind::kBool ? Literal::Kind::kBool
                                              : Literal::Kind::kSymbol;
      lit.number = k.number;
      lit.text = k.text;
      tmp.push_back(std::move(lit));
    }
    for (const Literal& lit : tmp) out.push_back(&lit);
    return out;
  }

  std::uint8_t in_mask(const Expr& e, EnumSet set) const {
    std::vector<Literal> tmp;
    std::uint8_t m = 0;
    for (const Literal* l : list_items(e, tmp)) {
      const int i = enum_index(set, l->text);
      if (i >= 0) m |= static_cast<std::uint8_t>(1u << i);
    }
    return m;
  }

  std::uint32_t add(Node n) {
    p_.nodes.push_back(n);
    return static_cast<std::uint32_t>(p_.nodes.size() - 1);
  }
  std::uint32_t constant(double v) { return add(Node{Op::kConst, BinOp::kEq, 0, 0, 0, v}); }

  std::uint32_t slot(Slot s) {
    std::string key = s.name + "|" + std::to_string(static_cast<int>(s.kind)) + "|" + std::to_string(s.media_mask);
    auto [it, fresh] = slot_key_.emplace(key, static_cast<std::uint32_t>(p_.slots.size()));
    if (fresh) p_.slots.push_back(std::move(s));
    rule_slots_.insert(it->second);
    return it->second;
  }

  std::uint32_t param(int index, EnumSet set) {
    for (std::size_t i = 0; i < p_.param_cols.size(); ++i) {
      if (p_.param_cols[i].first == index && p_.param_cols[i].second == set) return static_cast<std::uint32_t>(i);
    }
    p_.param_cols.emplace_back(index, set);
    return static_cast<std::uint32_t>(p_.param_cols.size() - 1);
  }

  std::uint32_t trace(const Expr& e, const Expr& typed, std::string threshold = {}) {
    TraceInfo t;
    t.text = source_text(e.range);
    t.type = typed.check.type;
    t.dim = typed.check.dim;
    t.set = typed.check.set;
    t.threshold = std::move(threshold);
    p_.traces.push_back(std::move(t));
    return static_cast<std::uint32_t>(p_.traces.size() - 1);
  }

  std::uint32_t field(const Expr& e) {
    const FieldDef& f = *e.check.field;
    Slot s;
    s.field = &f;
    switch (f.source) {
      case FieldSource::kHopColumn:
        if (e.check.name == NameKind::kSeries) {
          s.kind = SlotKind::kSeries;
          s.hop = f.hop;
          s.family = f.family;
          s.column = f.column;
          s.name = f.name;
          const std::uint32_t id = slot(std::move(s));
          auto it = std::find(series_->begin(), series_->end(), id);
          const auto pos = static_cast<std::uint32_t>(it - series_->begin());
          if (it == series_->end()) series_->push_back(id);
          return add(Node{Op::kSeries, BinOp::kEq, pos, 0, 0, f.scale});
        }
        s.kind = SlotKind::kHopColumn;
        s.hop = f.hop;
        s.family = f.family;
        s.column = f.column;
        s.agg = e.check.agg;
        s.name = f.name + "." + std::string(agg_name(e.check.agg));
        return add(Node{Op::kSlot, BinOp::kEq, slot(std::move(s)), 0, 0, e.check.agg == Agg::kCount ? 1.0 : f.scale});
      case FieldSource::kEndpoint:
        s.kind = SlotKind::kEndpoint;
        s.endpoint = f.endpoint;
        s.name = f.name;
        break;
      case FieldSource::kStream:
      case FieldSource::kStreamPoor: {
        s.kind = f.source == FieldSource::kStream ? SlotKind::kStream : SlotKind::kStreamPoor;
        s.metric = f.metric;
        s.direction = f.direction;
        s.media_mask = media_;
        s.name = f.name;
        if (media_ != 0b111) {
          std::string m;
          for (int i = 0; i < 3; ++i) {
            if (media_ & (1u << i)) m += (m.empty() ? "" : ",") + std::string(enum_values(EnumSet::kMedia)[static_cast<std::size_t>(i)]);
          }
          s.name += "[" + m + "]";
        }
        break;
      }
      case FieldSource::kPeerOrganization:
        s.kind = SlotKind::kPeerOrganization;
        s.name = f.name;
        break;
      case FieldSource::kSite: return add(Node{Op::kSite});
      case FieldSource::kScopeMedia:
      case FieldSource::kScopeDirection:
        // Only inside comparisons (compare_scope); never alone after checking.
        return constant(kNaN);
    }
    return add(Node{Op::kSlot, BinOp::kEq, slot(std::move(s)), 0, 0, f.scale});
  }

  double literal_as(const Literal& l, EnumSet set) const {
    if (l.kind == Literal::Kind::kSymbol) {
      const int i = enum_index(set, l.text);
      return i < 0 ? kNaN : i;
    }
    return literal_value(l);
  }

  /// `media`/`direction` tests: true when any poor stream has one of the values.
  std::uint32_t mask_test(const Expr& e, const Expr& name, std::uint8_t mask, bool negate, std::string threshold) {
    const bool media = name.check.name == NameKind::kScopeMedia;
    std::uint32_t t = trace(e, name, std::move(threshold));
    p_.traces[t].mask = true;
    p_.traces[t].set = media ? EnumSet::kMedia : EnumSet::kDirection;
    std::uint32_t n = add(Node{Op::kMaskAny, BinOp::kEq, media ? 0u : 1u, mask, 0, 0, t});
    return negate ? add(Node{Op::kNot, BinOp::kEq, n}) : n;
  }

  std::uint32_t compile(const Expr& e, EnumSet ctx = EnumSet::kNone) {
    const CheckInfo& c = e.check;
    switch (e.kind) {
      case ExprKind::kNumber:
      case ExprKind::kBool: return constant(e.number);
      case ExprKind::kString: return constant(kNaN);
      case ExprKind::kName:
        switch (c.name) {
          case NameKind::kField:
          case NameKind::kSeries:
          case NameKind::kSite:
          case NameKind::kScopeMedia:
          case NameKind::kScopeDirection: return field(e);
          case NameKind::kParam: {
            const Literal& v = r_.params[static_cast<std::size_t>(c.index)].def->value;
            if (v.kind == Literal::Kind::kString) return constant(kNaN);
            return add(Node{Op::kParam, BinOp::kEq, param(c.index, v.kind == Literal::Kind::kSymbol ? ctx : EnumSet::kNone)});
          }
          case NameKind::kMacro: return compile(*r_.macros[static_cast<std::size_t>(c.index)].def->body, ctx);
          case NameKind::kEnumValue: return constant(c.index);
          case NameKind::kUnresolved: {
            const int i = enum_index(ctx, e.text);
            return constant(i < 0 ? kNaN : i);
          }
        }
        return constant(kNaN);
      case ExprKind::kNeg: return add(Node{Op::kNeg, BinOp::kEq, compile(*e.kids[0])});
      case ExprKind::kNot: return add(Node{Op::kNot, BinOp::kEq, compile(*e.kids[0])});
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        std::vector<std::uint32_t> ks;
        for (const ExprPtr& k : e.kids) ks.push_back(compile(*k));
        const auto first = static_cast<std::uint32_t>(p_.kids.size());
        p_.kids.insert(p_.kids.end(), ks.begin(), ks.end());
        return add(Node{e.kind == ExprKind::kAnd ? Op::kAnd : Op::kOr, BinOp::kEq, 0, first, static_cast<std::uint32_t>(ks.size())});
      }
      case ExprKind::kBinary: {
        static constexpr Op ops[] = {Op::kAdd, Op::kSub, Op::kMul, Op::kDiv};
        const std::uint32_t a = compile(*e.kids[0]);
        const std::uint32_t b = compile(*e.kids[1]);
        return add(Node{ops[static_cast<int>(e.op)], BinOp::kEq, a, b});
      }
      case ExprKind::kCompare: return compare(e);
      case ExprKind::kIn: return in(e);
      case ExprKind::kCall: return call(e);
    }
    return constant(kNaN);
  }

  std::uint32_t compare(const Expr& e) {
    const Expr& a = *e.kids[0];
    const Expr& b = *e.kids[1];
    const bool neg = e.op == BinOp::kNe;
    for (int s = 0; s < 2; ++s) {
      const Expr& n = s == 0 ? a : b;
      const Expr& v = s == 0 ? b : a;
      if (n.check.name == NameKind::kScopeMedia || n.check.name == NameKind::kScopeDirection) {
        const auto bit = static_cast<std::uint8_t>(1u << std::max(0, v.check.index));
        return mask_test(e, n, bit, neg, v.text);
      }
      if (n.check.name == NameKind::kSite && v.kind == ExprKind::kString) {
        const std::uint32_t t = trace(e, n, "\"" + v.text + "\"");
        p_.traces[t].site = true;
        const std::uint32_t node = add(Node{Op::kSiteEq, BinOp::kEq, site(v.text), 0, 0, 0, t});
        return neg ? add(Node{Op::kNot, BinOp::kEq, node}) : node;
      }
    }
    const Expr& typed = a.check.symbol || a.check.name == NameKind::kEnumValue ? b : a;
    const std::uint32_t l = compile(a, b.check.set);
    const std::uint32_t r = compile(b, a.check.set);
    return add(Node{Op::kCmp, e.op, l, r, 0, 0, trace(e, typed)});
  }

  std::uint32_t in(const Expr& e) {
    const Expr& a = *e.kids[0];
    std::vector<Literal> tmp;
    const std::vector<const Literal*> items = list_items(e, tmp);
    std::string shown = "[";
    for (const Literal* l : items) {
      if (shown.size() > 1) shown += ", ";
      shown += l->kind == Literal::Kind::kString ? "\"" + l->text + "\""
               : l->kind == Literal::Kind::kSymbol ? l->text
                                                   : format_value(l->number, a.check.type, l->dim, EnumSet::kNone);
    }
    shown += "]";
    if (a.check.name == NameKind::kScopeMedia || a.check.name == NameKind::kScopeDirection) {
      return mask_test(e, a, in_mask(e, a.check.name == NameKind::kScopeMedia ? EnumSet::kMedia : EnumSet::kDirection),
                       e.negated, shown);
    }
    const bool is_site = a.check.name == NameKind::kSite;
    const auto first = static_cast<std::uint32_t>(p_.consts.size());
    for (const Literal* l : items) p_.consts.push_back(is_site ? site(l->text) : literal_as(*l, a.check.set));
    const std::uint32_t t = trace(e, a, shown);
    p_.traces[t].site = is_site;
    const std::uint32_t n = add(Node{Op::kIn, BinOp::kEq, compile(a), first, static_cast<std::uint32_t>(items.size()), 0, t});
    return e.negated ? add(Node{Op::kNot, BinOp::kEq, n}) : n;
  }

  std::uint32_t call(const Expr& e) {
    const FunctionDef& f = *find_function(e.text);
    switch (f.fn) {
      case Function::kFraction:
      case Function::kFor: {
        std::vector<std::uint32_t> series;
        std::vector<std::uint32_t>* saved = series_;
        series_ = &series;
        const std::uint32_t cond = compile(*e.kids[0]);
        series_ = saved;
        const auto first = static_cast<std::uint32_t>(p_.series.size());
        p_.series.insert(p_.series.end(), series.begin(), series.end());
        const auto count = static_cast<std::uint32_t>(series.size());
        if (f.fn == Function::kFraction) return add(Node{Op::kFraction, BinOp::kEq, cond, first, count});
        p_.fors.push_back(ForAux{first, count, compile(*e.kids[1])});
        return add(Node{Op::kFor, BinOp::kEq, cond, static_cast<std::uint32_t>(p_.fors.size() - 1)});
      }
      case Function::kPeripheral: {
        Slot s;
        s.kind = SlotKind::kPeripheral;
        s.peripheral = e.kids[0]->text;
        s.name = "peripheral(\"" + s.peripheral + "\")";
        return add(Node{Op::kSlot, BinOp::kEq, slot(std::move(s)), 0, 0, 1});
      }
      case Function::kRoomHealth: {
        Slot s;
        s.kind = SlotKind::kRoomHealth;
        s.name = "room_health()";
        return add(Node{Op::kSlot, BinOp::kEq, slot(std::move(s)), 0, 0, 1});
      }
      case Function::kAbs: return add(Node{Op::kAbs, BinOp::kEq, compile(*e.kids[0])});
      case Function::kMin:
      case Function::kMax: {
        const std::uint32_t a = compile(*e.kids[0]);
        const std::uint32_t b = compile(*e.kids[1]);
        return add(Node{f.fn == Function::kMin ? Op::kMin : Op::kMax, BinOp::kEq, a, b});
      }
    }
    return constant(kNaN);
  }

  void rule(std::uint32_t index) {
    const CheckedRule& cr = r_.rules[index];
    const RuleDef& d = *cr.def;
    RuleInfo info;
    info.id = d.id;
    info.file = cr.file != nullptr ? cr.file->path : std::string();
    info.line = d.id_range.line;
    info.target = cr.target;
    info.weight = cr.weight;
    info.severity = cr.severity;
    info.revision = cr.revision;
    info.enabled = cr.enabled;
    info.description = d.description.value_or("");
    info.source = d.source.value_or("");
    rule_slots_.clear();
    media_ = scope_media(d.scope.get());
    CompiledRule c;
    if (d.scope) c.scope = compile(*d.scope);
    if (d.when) c.when = compile(*d.when);
    for (const TemplatePart& part : d.explain) {
      Part out;
      out.text = part.text;
      if (part.expr) {
        out.node = compile(*part.expr);
        out.type = part.expr->check.type;
        out.dim = part.expr->check.dim;
        out.set = part.expr->check.set;
        out.site = part.expr->check.name == NameKind::kSite;
      }
      c.explain.push_back(std::move(out));
    }
    const std::size_t k = kind_index(cr.target);
    if (k < kKinds) {
      p_.rules_for[k].push_back(index);
      auto& sf = p_.slots_for[k];
      sf.insert(sf.end(), rule_slots_.begin(), rule_slots_.end());
      std::sort(sf.begin(), sf.end());
      sf.erase(std::unique(sf.begin(), sf.end()), sf.end());
    }
    p_.rules.push_back(std::move(info));
    p_.compiled.push_back(std::move(c));
  }

  void tables() {
    const std::size_t nsites = p_.sites.size();
    const std::size_t ncols = p_.param_cols.size();
    const std::size_t nrules = p_.rules.size();
    p_.param_values.assign(nsites * ncols, kNaN);
    p_.enabled.assign(nsites * nrules, 0);
    for (const CheckedParam& prm : r_.params) {
      const Literal& l = prm.def->value;
      p_.param_defaults.push_back(l.kind == Literal::Kind::kSymbol ? kNaN : literal_value(l));
    }
    for (std::size_t s = 0; s < nsites; ++s) {
      for (std::size_t c = 0; c < ncols; ++c) {
        const auto& [pi, set] = p_.param_cols[c];
        p_.param_values[s * ncols + c] = literal_as(r_.params[static_cast<std::size_t>(pi)].def->value, set);
      }
      for (std::size_t r = 0; r < nrules; ++r) p_.enabled[s * nrules + r] = p_.rules[r].enabled ? 1 : 0;
    }
    for (const CheckedSite& cs : r_.sites) {
      const std::uint32_t s = site(cs.name);
      for (std::size_t i = 0; i < cs.params.size(); ++i) {
        for (std::size_t c = 0; c < ncols; ++c) {
          if (p_.param_cols[c].first == cs.param_index[i]) {
            p_.param_values[s * ncols + c] = literal_as(cs.params[i]->value, p_.param_cols[c].second);
          }
        }
      }
      for (const auto& [rule, on] : cs.rule_switches) p_.enabled[s * nrules + static_cast<std::size_t>(rule)] = on ? 1 : 0;
    }
  }

  const CheckedRules& r_;
  Program::Impl& p_;
  std::map<std::string, std::uint32_t> slot_key_;
  std::set<std::uint32_t> rule_slots_;
  std::uint8_t media_ = 0b111;
  std::vector<std::uint32_t>* series_ = nullptr;
};

bool truthy(double v) noexcept { return v == 1.0; }

/// Evaluation of one candidate: a tree walk over the node array. Values are
/// doubles; truth is 1, 0 or NaN (unknown), so that Kleene's logic falls out
/// of NaN propagation plus explicit and/or/not.
struct Evaluator {
  const Program::Impl& p;
  const Candidate& in;
  const double* params;
  RuleTrace* trace = nullptr;
  std::array<std::span<const Sample>, kMaxColumns> series{};
  std::size_t row = 0;

  void record(const Node& n, double lhs, double rhs, double result) {
    const TraceInfo& t = p.traces[n.trace];
    CompareTrace c;
    c.text = t.text;
    c.lhs = lhs;
    c.rhs = rhs;
    c.result = result;
    if (t.mask) {
      std::string m;
      const auto vals = enum_values(t.set);
      for (std::size_t i = 0; i < vals.size(); ++i) {
        if (static_cast<unsigned>(lhs) & (1u << i)) m += (m.empty() ? "" : ", ") + std::string(vals[i]);
      }
      c.observed = "[" + m + "]";
    } else if (t.site) {
      c.observed = lhs == 0 ? "(no site block)" : "\"" + p.sites[static_cast<std::size_t>(lhs)] + "\"";
    } else {
      c.observed = format_value(lhs, t.type, t.dim, t.set);
    }
    c.threshold = !t.threshold.empty() ? t.threshold : format_value(rhs, t.type, t.dim, t.set);
    trace->comparisons.push_back(std::move(c));
  }

  double run(std::uint32_t i) {
    const Node& n = p.nodes[i];
    switch (n.op) {
      case Op::kConst: return n.k;
      case Op::kSlot: return in.values[n.a] * n.k;
      case Op::kParam: return params[n.a];
      case Op::kSite: return in.site;
      case Op::kSiteEq: {
        const double r = in.site == n.a ? 1 : 0;
        if (trace != nullptr) record(n, in.site, n.a, r);
        return r;
      }
      case Op::kMaskAny: {
        const std::uint8_t m = n.a == 0 ? in.media_mask : in.direction_mask;
        const double r = (m & n.b) != 0 ? 1 : 0;
        if (trace != nullptr) record(n, m, n.b, r);
        return r;
      }
      case Op::kSeries: {
        const auto& s = series[n.a];
        return row < s.size() ? s[row].value * n.k : kNaN;
      }
      case Op::kNeg: return -run(n.a);
      case Op::kAdd: return run(n.a) + run(n.b);
      case Op::kSub: return run(n.a) - run(n.b);
      case Op::kMul: return run(n.a) * run(n.b);
      case Op::kDiv: {
        const double a = run(n.a);
        const double b = run(n.b);
        return b == 0 ? kNaN : a / b;
      }
      case Op::kAbs: return std::fabs(run(n.a));
      case Op::kMin:
      case Op::kMax: {
        const double a = run(n.a);
        const double b = run(n.b);
        if (std::isnan(a) || std::isnan(b)) return kNaN;
        return n.op == Op::kMin ? std::min(a, b) : std::max(a, b);
      }
      case Op::kCmp: {
        const double a = run(n.a);
        const double b = run(n.b);
        double r = kNaN;
        if (!std::isnan(a) && !std::isnan(b)) {
          switch (n.cmp) {
            case BinOp::kLt: r = a < b; break;
            case BinOp::kLe: r = a <= b; break;
            case BinOp::kGt: r = a > b; break;
            case BinOp::kGe: r = a >= b; break;
            case BinOp::kEq: r = a == b; break;
            case BinOp::kNe: r = a != b; break;
            default: break;
          }
        }
        if (trace != nullptr) record(n, a, b, r);
        return r;
      }
      case Op::kIn: {
        const double a = run(n.a);
        double r = kNaN;
        if (!std::isnan(a)) {
          r = 0;
          for (std::uint32_t k = 0; k < n.c; ++k) {
            if (p.consts[n.b + k] == a) {
              r = 1;
              break;
            }
          }
        }
        if (trace != nullptr) record(n, a, kNaN, r);
        return r;
      }
      case Op::kAnd:
      case Op::kOr: {
        const bool is_and = n.op == Op::kAnd;
        const double dominant = is_and ? 0 : 1;
        bool unknown = false;
        bool decided = false;
        for (std::uint32_t k = 0; k < n.c; ++k) {
          const double v = run(p.kids[n.b + k]);
          if (v == dominant) {
            decided = true;
            if (trace == nullptr) break;  // a trace shows every comparison
          } else if (std::isnan(v)) {
            unknown = true;
          }
        }
        if (decided) return dominant;
        return unknown ? kNaN : 1 - dominant;
      }
      case Op::kNot: {
        const double v = run(n.a);
        return std::isnan(v) ? v : (v != 0 ? 0 : 1);
      }
      case Op::kFraction:
      case Op::kFor: return samples(n);
    }
    return kNaN;
  }

  double samples(const Node& n) {
    const std::uint32_t first = n.op == Op::kFor ? p.fors[n.b].series_first : n.b;
    const std::uint32_t count = n.op == Op::kFor ? p.fors[n.b].series_count : n.c;
    if (in.samples == nullptr || count == 0) return kNaN;
    std::size_t rows = std::numeric_limits<std::size_t>::max();
    for (std::uint32_t k = 0; k < count && k < kMaxColumns; ++k) {
      const std::uint32_t s = p.series[first + k];
      series[k] = in.samples->samples(p.slots[s], s);
      rows = std::min(rows, series[k].size());
    }
    RuleTrace* saved = trace;
    trace = nullptr;  // per-sample comparisons would flood the trace
    double result = kNaN;
    if (n.op == Op::kFraction) {
      std::size_t known = 0, yes = 0;
      for (row = 0; row < rows; ++row) {
        const double v = run(n.a);
        if (std::isnan(v)) continue;
        ++known;
        yes += v == 1 ? 1 : 0;
      }
      if (known > 0) result = 100.0 * static_cast<double>(yes) / static_cast<double>(known);
    } else {
      const double need = run(p.fors[n.b].duration);
      bool known = false;
      bool in_run = false;
      TimeMs start = 0;
      for (row = 0; row < rows && !std::isnan(need); ++row) {
        const double v = run(n.a);
        known = known || !std::isnan(v);
        if (v != 1) {
          in_run = false;
          continue;
        }
        const TimeMs ts = series[0][row].ts;
        if (!in_run) {
          in_run = true;
          start = ts;
        }
        if (static_cast<double>(ts - start) >= need) {
          result = 1;
          break;
        }
      }
      if (std::isnan(result) && known) result = 0;
    }
    row = 0;
    trace = saved;
    return result;
  }

  std::string render(const CompiledRule& c) {
    std::string out;
    RuleTrace* saved = trace;
    trace = nullptr;
    for (const Part& part : c.explain) {
      if (part.node == kNone) {
        out += part.text;
      } else if (part.site) {
        const double s = run(part.node);
        out += s == 0 ? "(no site block)" : p.sites[static_cast<std::size_t>(s)];
      } else {
        out += format_value(run(part.node), part.type, part.dim, part.set);
      }
    }
    trace = saved;
    return out;
  }
};

std::size_t enum_of(EnumSet set, std::string_view name) noexcept {
  const int i = enum_index(set, name);
  return i < 0 ? 0 : static_cast<std::size_t>(i);
}

}  // namespace

Program::Program(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Program::~Program() = default;

std::span<const Slot> Program::slots() const noexcept { return impl_->slots; }
std::span<const std::uint32_t> Program::slots_for(ComponentKind target) const noexcept {
  const std::size_t k = kind_index(target);
  return k < kKinds ? std::span<const std::uint32_t>(impl_->slots_for[k]) : std::span<const std::uint32_t>();
}
std::span<const RuleInfo> Program::rules() const noexcept { return impl_->rules; }
std::span<const std::uint32_t> Program::rules_for(ComponentKind target) const noexcept {
  const std::size_t k = kind_index(target);
  return k < kKinds ? std::span<const std::uint32_t>(impl_->rules_for[k]) : std::span<const std::uint32_t>();
}

std::uint32_t Program::site_index(std::string_view name) const noexcept {
  if (name.empty()) return kDefaultSite;
  const auto& v = impl_->site_lookup;
  auto it = std::lower_bound(v.begin(), v.end(), name, [](const auto& e, std::string_view n) { return e.first < n; });
  return it != v.end() && it->first == name ? it->second : kDefaultSite;
}
std::span<const std::string> Program::site_names() const noexcept { return impl_->sites; }

bool Program::enabled(std::uint32_t rule, std::uint32_t site) const noexcept {
  if (site >= impl_->sites.size() || rule >= impl_->rules.size()) return false;
  return impl_->enabled[site * impl_->rules.size() + rule] != 0;
}

double Program::param(std::string_view name, std::uint32_t site) const noexcept {
  if (site >= impl_->sites.size()) return kNaN;
  for (std::size_t c = 0; c < impl_->param_cols.size(); ++c) {
    if (impl_->param_names[static_cast<std::size_t>(impl_->param_cols[c].first)] == name) {
      return impl_->param_values[site * impl_->param_cols.size() + c];
    }
  }
  // A param no rule reads keeps the value it was defined with.
  for (std::size_t i = 0; i < impl_->param_names.size(); ++i) {
    if (impl_->param_names[i] == name) return impl_->param_defaults[i];
  }
  return kNaN;
}

void Program::evaluate(ComponentKind target, const Candidate& in, std::vector<Firing>& out, Trace* trace,
                       RuleStats* stats) const {
  const Impl& p = *impl_;
  assert(in.values.size() >= p.slots.size());
  const std::uint32_t site = in.site < p.sites.size() ? in.site : kDefaultSite;
  const std::size_t nrules = p.rules.size();
  const std::uint8_t* enabled = p.enabled.data() + site * nrules;
  Evaluator ev{p, in, p.param_values.data() + site * p.param_cols.size()};
  if (stats != nullptr && stats->per_rule.size() < nrules) stats->per_rule.resize(nrules);
  for (const std::uint32_t r : rules_for(target)) {
    RuleTrace* rt = nullptr;
    if (trace != nullptr) {
      trace->rules.emplace_back();
      trace->rules.back().rule = r;
      rt = &trace->rules.back();
    }
    if (enabled[r] == 0) {
      if (rt != nullptr) {
        rt->enabled = false;
        rt->scope = rt->when = kNaN;
      }
      continue;
    }
    std::chrono::steady_clock::time_point t0;
    if (stats != nullptr && stats->timing) t0 = std::chrono::steady_clock::now();
    const CompiledRule& c = p.compiled[r];
    ev.trace = rt;
    const double scope = c.scope == kNone ? 1.0 : ev.run(c.scope);
    const double when = truthy(scope) ? ev.run(c.when) : kNaN;
    const bool fired = truthy(scope) && truthy(when);
    if (fired) out.push_back(Firing{r, p.rules[r].weight, ev.render(c)});
    if (rt != nullptr) {
      rt->scope = scope;
      rt->when = when;
      rt->fired = fired;
      rt->explanation = fired ? out.back().text : ev.render(c);
    }
    if (stats != nullptr) {
      RuleCounters& rc = stats->per_rule[r];
      ++rc.evaluations;
      rc.matches += fired ? 1 : 0;
      if (stats->timing) {
        rc.nanoseconds += static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
      }
    }
  }
}

void RuleStats::merge(const RuleStats& o) {
  if (per_rule.size() < o.per_rule.size()) per_rule.resize(o.per_rule.size());
  for (std::size_t i = 0; i < o.per_rule.size(); ++i) {
    per_rule[i].evaluations += o.per_rule[i].evaluations;
    per_rule[i].matches += o.per_rule[i].matches;
    per_rule[i].nanoseconds += o.per_rule[i].nanoseconds;
  }
}

std::optional<Aggregate> store_aggregate(Agg a) noexcept {
  switch (a) {
    case Agg::kAvg: return Aggregate::kAvg;
    case Agg::kMin: return Aggregate::kMin;
    case Agg::kMax: return Aggregate::kMax;
    case Agg::kP50: return Aggregate::kP50;
    case Agg::kP95: return Aggregate::kP95;
    case Agg::kLast: return Aggregate::kLast;
    case Agg::kCount: return Aggregate::kCount;
    case Agg::kRate:
    case Agg::kShare:
    case Agg::kSamples: return std::nullopt;
  }
  return std::nullopt;
}

double connection_value(Connection c) noexcept { return static_cast<double>(enum_of(EnumSet::kConnection, to_string(c))); }
double device_type_value(DeviceType d) noexcept { return static_cast<double>(enum_of(EnumSet::kDeviceType, to_string(d))); }
double room_health_value(RoomHealthState s) noexcept { return static_cast<double>(enum_of(EnumSet::kRoomHealth, to_string(s))); }
double peripheral_value(PeripheralState s) noexcept { return static_cast<double>(enum_of(EnumSet::kPeripheral, to_string(s))); }

std::shared_ptr<const Program> compile(const CheckedRules& rules) {
  auto impl = std::make_unique<Program::Impl>();
  Compiler(rules, *impl).run();
  return std::shared_ptr<const Program>(new Program(std::move(impl)));
}

}  // namespace callroot::rules
