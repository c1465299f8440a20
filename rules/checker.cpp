#include "rules/checker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "rules/fields.h"
#include "rules/published_targets.h"

namespace callroot::rules {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

CheckInfo typed(bool ok, ValueType t, Dim d = {}, EnumSet s = EnumSet::kNone) {
  CheckInfo c;
  c.ok = ok;
  c.type = t;
  c.dim = d;
  c.set = s;
  return c;
}

std::string quote(std::string_view s) { return "`" + std::string(s) + "`"; }

std::string type_name(const CheckInfo& c) {
  switch (c.type) {
    case ValueType::kNumber: return c.dim.plain() ? "plain number" : "number in " + dim_name(c.dim);
    case ValueType::kBool: return "boolean";
    case ValueType::kEnum: return "enum (" + std::string(enum_set_name(c.set)) + ")";
    case ValueType::kString: return "string";
  }
  return "?";
}

std::string literal_kind_name(const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::kNumber: return l.dim.plain() ? "plain number" : "number in " + dim_name(l.dim);
    case Literal::Kind::kString: return "string";
    case Literal::Kind::kBool: return "boolean";
    case Literal::Kind::kSymbol: return "identifier";
  }
  return "?";
}

/// How a plain number `v` is written in dimension `d`: `30ms`, `1%`.
std::string with_unit(double v, Dim d) {
  if (d.base == BaseUnit::kPct && std::fabs(v) < 1 && v != 0) return format_number(v * 100) + "%";
  std::string s = format_number(v);
  switch (d.base) {
    case BaseUnit::kNone: break;
    case BaseUnit::kPct: s += "%"; break;
    default: s += dim_name({d.base, 0}); break;
  }
  for (int i = 0; i < d.per_s; ++i) s += "/s";
  return s;
}

std::optional<ComponentKind> parse_target(std::string_view s) {
  if (s == "client") return ComponentKind::kClient;
  if (s == "ap") return ComponentKind::kAp;
  if (s == "switch") return ComponentKind::kSwitch;
  if (s == "wan") return ComponentKind::kWan;
  if (s == "remote") return ComponentKind::kRemote;
  return std::nullopt;
}

class Checker {
 public:
  Checker(CheckedRules& out, std::vector<Diagnostic>& diags) : r_(out), diags_(diags) {}

  void run() {
    collect();
    for (std::size_t i = 0; i < r_.macros.size(); ++i) check_macro(static_cast<int>(i), nullptr);
    for (CheckedRule& rule : r_.rules) check_rule(rule);
    check_sites();
    unused();
  }

 private:
  struct Ctx {
    Usage* usage = nullptr;
    bool series = false;  ///< inside fraction()/for(): columns without aggregate
    const FieldDef* series_field = nullptr;  ///< the first column inside it
  };

  void report(DiagnosticCode c, const SourceRange& r, std::string msg, std::string hint = {}) {
    diags_.push_back(Diagnostic{c, r, std::move(msg), std::move(hint)});
  }

  std::string first_at(const SourceRange& r) const {
    return "first defined at " + (r.file ? r.file->path : std::string("?")) + ":" + std::to_string(r.line);
  }

  // ---- definitions ----

  std::unordered_map<std::string, SourceRange> defined_;  // params, macros, lists share one namespace

  bool define(const std::string& name, const SourceRange& r, std::string_view what) {
    const auto [it, fresh] = defined_.emplace(name, r);
    if (!fresh) {
      report(DiagnosticCode::E010, r, "duplicate definition of " + std::string(what) + " " + quote(name),
             first_at(it->second) + "; params, macros and lists share one namespace");
    }
    return fresh;
  }

  void collect() {
    for (FileAst& f : r_.files) {
      // Definitions in source order, so that the second one is the duplicate.
      struct Def {
        const SourceRange* at;
        const void* def;
        int kind;
      };
      std::vector<Def> defs;
      for (const ListDef& d : f.lists) defs.push_back({&d.name_range, &d, 0});
      for (const MacroDef& d : f.macros) defs.push_back({&d.name_range, &d, 1});
      for (const ParamDef& d : f.params) defs.push_back({&d.name_range, &d, 2});
      std::stable_sort(defs.begin(), defs.end(), [](const Def& a, const Def& b) {
        return std::tie(a.at->line, a.at->column) < std::tie(b.at->line, b.at->column);
      });
      for (const Def& def : defs) {
        if (def.kind == 0) {
          const auto& d = *static_cast<const ListDef*>(def.def);
          if (!define(d.name, d.name_range, "list")) continue;
          r_.list_by_name.emplace(d.name, static_cast<int>(r_.lists.size()));
          r_.lists.push_back(CheckedList{&d});
        } else if (def.kind == 1) {
          const auto& d = *static_cast<const MacroDef*>(def.def);
          if (!define(d.name, d.name_range, "macro")) continue;
          r_.macro_by_name.emplace(d.name, static_cast<int>(r_.macros.size()));
          r_.macros.emplace_back();
          r_.macros.back().def = &d;
        } else {
          const auto& d = *static_cast<const ParamDef*>(def.def);
          if (!define(d.name, d.name_range, "param")) continue;
          r_.param_by_name.emplace(d.name, static_cast<int>(r_.params.size()));
          r_.params.push_back(CheckedParam{&d});
        }
      }
      for (const RuleDef& d : f.rules) {
        const auto [it, fresh] = r_.rule_by_id.emplace(d.id, static_cast<int>(r_.rules.size()));
        if (!fresh) {
          report(DiagnosticCode::E009, d.id_range, "duplicate rule id " + quote(d.id),
                 first_at(r_.rules[static_cast<std::size_t>(it->second)].def->id_range) + "; rule ids are unique across all files");
          continue;
        }
        r_.rules.push_back(CheckedRule{&d, f.file});
      }
    }
  }

  // ---- names ----

  std::vector<std::string> known_names() const {
    std::vector<std::string> names;
    for (const auto& [n, _] : defined_) names.push_back(n);
    for (const FieldDef& f : all_fields()) names.push_back(f.name);
    return names;
  }

  /// A bare identifier left without an enum context: an undefined name.
  bool value(Expr& e) {
    if (!e.check.ok) return false;
    if (!e.check.symbol) return true;
    e.check.ok = false;
    if (e.check.name == NameKind::kParam) {
      report(DiagnosticCode::E006, e.range,
             "param " + quote(e.text) + " holds an identifier; it can only be compared with an enum",
             "give the param a quantity, a string or a boolean");
      return false;
    }
    const std::string s = suggest(e.text, known_names());
    report(DiagnosticCode::E007, e.range, "undefined name " + quote(e.text),
           s.empty() ? "define it with `param`, `macro` or `list`, or use a field (see `callroot rules fields`)"
                     : "did you mean " + quote(s) + "?");
    return false;
  }

  bool boolean(Expr& e, std::string_view where) {
    if (!value(e)) return false;
    if (e.check.type == ValueType::kBool) return true;
    report(DiagnosticCode::E021, e.range, std::string(where) + " is not a condition but a value of type " + type_name(e.check),
           e.check.type == ValueType::kNumber ? "compare it: `... > 10`" : "compare it with `==`");
    return false;
  }

  bool number(Expr& e) {
    if (!value(e)) return false;
    if (e.check.type == ValueType::kNumber) return true;
    report(DiagnosticCode::E006, e.range, "expected a number, found a value of type " + type_name(e.check));
    return false;
  }

  /// Resolves a symbol (or a symbol param) against enum `set`.
  bool resolve_symbol(Expr& e, EnumSet set) {
    if (e.check.name == NameKind::kParam) {
      const ParamDef& p = *r_.params[static_cast<std::size_t>(e.check.index)].def;
      return literal_in_set(p.value, set);
    }
    const int idx = enum_index(set, e.text);
    if (idx < 0) {
      report_enum(e.range, e.text, set);
      e.check.ok = false;
      return false;
    }
    e.check.symbol = false;
    e.check.name = NameKind::kEnumValue;
    e.check.index = idx;
    e.check.type = ValueType::kEnum;
    e.check.set = set;
    return true;
  }

  void report_enum(const SourceRange& r, const std::string& v, EnumSet set) {
    std::vector<std::string> vals;
    std::string all;
    for (std::string_view x : enum_values(set)) {
      vals.emplace_back(x);
      all += (all.empty() ? "" : ", ") + std::string(x);
    }
    const std::string s = suggest(v, vals);
    report(DiagnosticCode::E013, r, "unknown " + std::string(enum_set_name(set)) + " value " + quote(v),
           s.empty() ? "values are " + all : "did you mean " + quote(s) + "? values are " + all);
  }

  bool literal_in_set(const Literal& l, EnumSet set) {
    if (l.kind != Literal::Kind::kSymbol) {
      report(DiagnosticCode::E006, l.range,
             "expected a " + std::string(enum_set_name(set)) + " value, found a literal of type " + literal_kind_name(l));
      return false;
    }
    if (enum_index(set, l.text) < 0) {
      report_enum(l.range, l.text, set);
      return false;
    }
    return true;
  }

  void set_literal_type(CheckInfo& c, const Literal& l) {
    c.ok = true;
    switch (l.kind) {
      case Literal::Kind::kNumber: c.type = ValueType::kNumber; c.dim = l.dim; break;
      case Literal::Kind::kString: c.type = ValueType::kString; break;
      case Literal::Kind::kBool: c.type = ValueType::kBool; break;
      case Literal::Kind::kSymbol: c.symbol = true; break;
    }
  }

  void name(Expr& e, Ctx& ctx) {
    CheckInfo& c = e.check;
    if (e.text.find('.') == std::string::npos) {
      if (auto it = r_.param_by_name.find(e.text); it != r_.param_by_name.end()) {
        CheckedParam& p = r_.params[static_cast<std::size_t>(it->second)];
        p.used = true;
        set_literal_type(c, p.def->value);
        c.name = NameKind::kParam;
        c.index = it->second;
        return;
      }
      if (auto it = r_.macro_by_name.find(e.text); it != r_.macro_by_name.end()) {
        CheckedMacro& m = r_.macros[static_cast<std::size_t>(it->second)];
        m.used = true;
        if (!check_macro(it->second, &e)) return;  // cycle or error inside: reported there
        c = m.def->body->check;
        c.name = NameKind::kMacro;
        c.index = it->second;
        c.field = nullptr;
        ctx.usage->merge(m.usage);
        return;
      }
      if (auto it = r_.list_by_name.find(e.text); it != r_.list_by_name.end()) {
        r_.lists[static_cast<std::size_t>(it->second)].used = true;
        report(DiagnosticCode::E006, e.range, "list " + quote(e.text) + " can only be used after `in`",
               "write `x in " + e.text + "`");
        return;
      }
    }
    const FieldLookup f = lookup_field(e.text);
    if (f.def == nullptr) {
      if (e.text.find('.') == std::string::npos) {
        c.ok = true;
        c.symbol = true;  // an enum value if the context has an enum type
        return;
      }
      const std::string s = suggest_field(e.text);
      report(DiagnosticCode::E002, e.range, "unknown field " + quote(e.text),
             s.empty() ? "see `callroot rules fields` for the list of fields" : "did you mean " + quote(s) + "?");
      return;
    }
    const FieldDef& d = *f.def;
    c.field = &d;
    c.type = d.type;
    c.dim = d.dim;
    c.set = d.set;
    c.name = NameKind::kField;
    if (d.source == FieldSource::kScopeMedia || d.source == FieldSource::kScopeDirection) {
      c.name = d.source == FieldSource::kScopeMedia ? NameKind::kScopeMedia : NameKind::kScopeDirection;
      if (!ctx.usage->scope_only) ctx.usage->scope_only = e.range;
    } else if (d.source == FieldSource::kSite) {
      c.name = NameKind::kSite;
    }
    ctx.usage->fields = true;
    if (d.source == FieldSource::kHopColumn) {
      if (d.hop == ComponentKind::kSwitch && !ctx.usage->switch_field) ctx.usage->switch_field = e.range;
      if (d.hop == ComponentKind::kWan && !ctx.usage->wan_field) ctx.usage->wan_field = e.range;
      if (ctx.series) {
        if (f.agg) {
          report(DiagnosticCode::E014, e.range, "column " + quote(d.name) + " has an aggregate inside `fraction`/`for`",
                 "these functions look at every sample: write " + quote(d.name));
          return;
        }
        if (ctx.series_field != nullptr && (ctx.series_field->family != d.family || ctx.series_field->hop != d.hop)) {
          report(DiagnosticCode::E004, e.range,
                 "columns inside `fraction`/`for` come from one family; " + quote(d.name) + " is not of " +
                     quote(std::string(ctx.series_field->name.substr(0, ctx.series_field->name.rfind('.')))),
                 "use one `fraction`/`for` per family");
          return;
        }
        ctx.series_field = &d;
        c.name = NameKind::kSeries;
      } else {
        if (!f.agg) {
          report(DiagnosticCode::E014, e.range, "column " + quote(d.name) + " needs an aggregate",
                 "write " + quote(d.name + ".avg") + " (or .min, .max, .p50, .p95, .last, .count, .rate)");
          return;
        }
        if (counter_only(*f.agg) && !(d.family == Family::kSwitchPort && col::is_port_counter(d.column))) {
          report(DiagnosticCode::E014, e.range,
                 "`." + std::string(agg_name(*f.agg)) + "` applies to a switch port's error and discard columns only",
                 "use it on switch.port.in_errors_per_s, out_errors_per_s, in_fcs_errors_per_s, in_discards_per_s or "
                 "out_discards_per_s");
          return;
        }
        c.agg = *f.agg;
        c.dim = aggregate_dim(d, *f.agg);
      }
    }
    c.ok = true;
  }

  // ---- expressions ----

  void expr(Expr& e, Ctx& ctx) {
    CheckInfo& c = e.check;
    c = CheckInfo{};
    switch (e.kind) {
      case ExprKind::kNumber:
        c = typed(true, ValueType::kNumber, e.dim);
        return;
      case ExprKind::kString:
        c = typed(true, ValueType::kString);
        return;
      case ExprKind::kBool:
        c = typed(true, ValueType::kBool);
        return;
      case ExprKind::kName: name(e, ctx); return;
      case ExprKind::kCall: call(e, ctx); return;
      case ExprKind::kNeg:
        expr(*e.kids[0], ctx);
        if (!number(*e.kids[0])) return;
        c = e.kids[0]->check;
        c.name = NameKind::kUnresolved;
        c.field = nullptr;
        return;
      case ExprKind::kNot:
        expr(*e.kids[0], ctx);
        if (!boolean(*e.kids[0], "the operand of `not`")) return;
        c = typed(true, ValueType::kBool);
        return;
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        bool ok = true;
        for (ExprPtr& k : e.kids) {
          expr(*k, ctx);
          ok = boolean(*k, e.kind == ExprKind::kAnd ? "an operand of `and`" : "an operand of `or`") && ok;
        }
        c = typed(ok, ValueType::kBool);
        return;
      }
      case ExprKind::kBinary: arithmetic(e, ctx); return;
      case ExprKind::kCompare: compare(e, ctx); return;
      case ExprKind::kIn: in(e, ctx); return;
    }
  }

  void arithmetic(Expr& e, Ctx& ctx) {
    Expr& a = *e.kids[0];
    Expr& b = *e.kids[1];
    expr(a, ctx);
    expr(b, ctx);
    const bool ok_a = number(a);
    const bool ok_b = number(b);
    if (!ok_a || !ok_b) return;
    const Dim da = a.check.dim, db = b.check.dim;
    Dim out;
    bool ok = true;
    switch (e.op) {
      case BinOp::kAdd:
      case BinOp::kSub:
        ok = da == db;
        out = da;
        break;
      case BinOp::kMul:
        ok = da.plain() || db.plain();
        out = da.plain() ? db : da;
        break;
      case BinOp::kDiv:
        ok = da == db || db.plain();
        out = da == db ? Dim{} : da;
        break;
      default: break;
    }
    if (!ok) {
      report(DiagnosticCode::E005, e.range,
             "units do not match: " + dim_name(da) + " " + std::string(binop_text(e.op)) + " " + dim_name(db),
             e.op == BinOp::kAdd || e.op == BinOp::kSub ? "both sides of `+`/`-` need one unit"
                                                        : "one side of `*` (the right side of `/`) must be a plain number");
      return;
    }
    e.check = typed(true, ValueType::kNumber, out);
  }

  void unit_mismatch(Expr& e, Expr& a, Expr& b) {
    // Point at the literal when there is one: that is what to fix.
    Expr* lit = b.kind == ExprKind::kNumber ? &b : a.kind == ExprKind::kNumber ? &a : nullptr;
    Expr* other = lit == &b ? &a : &b;
    std::string hint;
    if (lit != nullptr && lit->dim.plain()) {
      hint = "write " + quote(with_unit(lit->number, other->check.dim));
    } else if (a.check.dim.base == BaseUnit::kPct || b.check.dim.base == BaseUnit::kPct) {
      hint = "percent and ratio are different dimensions: 0.01 is `1%`";
    } else {
      hint = "both sides need the same unit";
    }
    report(DiagnosticCode::E005, lit != nullptr ? lit->range : e.range,
           "units do not match: " + dim_name(a.check.dim) + " " + std::string(binop_text(e.op)) + " " +
               dim_name(b.check.dim),
           hint);
  }

  void compare(Expr& e, Ctx& ctx) {
    Expr& a = *e.kids[0];
    Expr& b = *e.kids[1];
    expr(a, ctx);
    expr(b, ctx);
    if (!a.check.ok || !b.check.ok) return;
    const bool equality = e.op == BinOp::kEq || e.op == BinOp::kNe;
    // Enum values take their set from the other side.
    if (a.check.symbol && !b.check.symbol && b.check.type == ValueType::kEnum) {
      if (!resolve_symbol(a, b.check.set)) return;
    } else if (b.check.symbol && !a.check.symbol && a.check.type == ValueType::kEnum) {
      if (!resolve_symbol(b, a.check.set)) return;
    }
    // A param holding an enum value stays a symbol once resolved against the other side.
    auto enum_param = [](const Expr& x, const Expr& other) {
      return x.check.symbol && x.check.name == NameKind::kParam && !other.check.symbol &&
             other.check.type == ValueType::kEnum;
    };
    if (!enum_param(a, b) && !value(a)) return;
    if (!enum_param(b, a) && !value(b)) return;
    const CheckInfo& ca = a.check;
    const CheckInfo& cb = b.check;
    const ValueType ta = ca.symbol ? ValueType::kEnum : ca.type;
    const ValueType tb = cb.symbol ? ValueType::kEnum : cb.type;
    if (ta != tb || (ta == ValueType::kEnum && !ca.symbol && !cb.symbol && ca.set != cb.set)) {
      report(DiagnosticCode::E006, e.range, "cannot compare " + type_name(ca) + " with " + type_name(cb),
             ta == ValueType::kEnum || tb == ValueType::kEnum ? "compare an enum field with one of its values" : "");
      return;
    }
    if (ta == ValueType::kNumber && ca.dim != cb.dim) {
      unit_mismatch(e, a, b);
      return;
    }
    if (ta != ValueType::kNumber && !equality) {
      report(DiagnosticCode::E006, e.range,
             "values of type " + type_name(ta == ValueType::kEnum && ca.symbol ? cb : ca) + " can only be compared with `==` or `!=`");
      return;
    }
    e.check = typed(true, ValueType::kBool);
  }

  /// Checks `item` (an `in` list element) against the left side's type.
  bool in_item(const Literal& l, const CheckInfo& left) {
    switch (left.type) {
      case ValueType::kEnum: return literal_in_set(l, left.set);
      case ValueType::kNumber:
        if (l.kind != Literal::Kind::kNumber) break;
        if (l.dim != left.dim) {
          report(DiagnosticCode::E005, l.range,
                 "units do not match: " + dim_name(left.dim) + " in [" + dim_name(l.dim) + "]",
                 l.dim.plain() ? "write " + quote(with_unit(l.number, left.dim)) : "use the unit of the left side");
          return false;
        }
        return true;
      case ValueType::kString:
        if (l.kind != Literal::Kind::kString) break;
        return true;
      case ValueType::kBool:
        if (l.kind != Literal::Kind::kBool) break;
        return true;
    }
    report(DiagnosticCode::E006, l.range, "expected a value of type " + type_name(left) + ", found " + literal_kind_name(l));
    return false;
  }

  void in(Expr& e, Ctx& ctx) {
    Expr& a = *e.kids[0];
    expr(a, ctx);
    if (!value(a)) return;
    bool ok = true;
    if (!e.text.empty()) {
      auto it = r_.list_by_name.find(e.text);
      if (it == r_.list_by_name.end()) {
        std::vector<std::string> lists;
        for (const auto& [n, _] : r_.list_by_name) lists.push_back(n);
        const std::string s = suggest(e.text, lists);
        report(DiagnosticCode::E007, e.text_range, "undefined list " + quote(e.text),
               s.empty() ? "define it: `list " + e.text + " = [ ... ]`" : "did you mean " + quote(s) + "?");
        return;
      }
      CheckedList& l = r_.lists[static_cast<std::size_t>(it->second)];
      l.used = true;
      for (const Literal& item : l.def->items) ok = in_item(item, a.check) && ok;
    } else {
      for (std::size_t i = 1; i < e.kids.size(); ++i) {
        Expr& k = *e.kids[i];
        Literal lit;
        lit.range = k.range;
        lit.number = k.number;
        lit.dim = k.dim;
        lit.text = k.text;
        lit.kind = k.kind == ExprKind::kNumber ? Literal::Kind::kNumber
                   : k.kind == ExprKind::kString ? Literal::Kind::kString
                   : k.kind == ExprKind::kBool ? Literal::Kind::kBool
                                                : Literal::Kind::kSymbol;
        if (!in_item(lit, a.check)) {
          ok = false;
          continue;
        }
        k.check = typed(true, a.check.type, lit.dim, a.check.set);
        if (lit.kind == Literal::Kind::kSymbol) {
          k.check.name = NameKind::kEnumValue;
          k.check.index = enum_index(a.check.set, lit.text);
        }
      }
    }
    e.check = typed(ok, ValueType::kBool);
  }

  void call(Expr& e, Ctx& ctx) {
    const FunctionDef* f = find_function(e.text);
    if (f == nullptr) {
      std::vector<std::string> names;
      for (const FunctionDef& d : all_functions()) names.emplace_back(d.name);
      const std::string s = suggest(e.text, names);
      report(DiagnosticCode::E003, e.text_range, "unknown function " + quote(e.text),
             s.empty() ? "functions are fraction, for, peripheral, room_health, abs, min, max"
                       : "did you mean " + quote(s) + "?");
      return;
    }
    if (e.kids.size() != f->arity) {
      report(DiagnosticCode::E004, e.range,
             quote(e.text) + " takes " + std::to_string(f->arity) + " argument" + (f->arity == 1 ? "" : "s") + ", found " +
                 std::to_string(e.kids.size()),
             "write " + quote(f->signature));
      return;
    }
    CheckInfo& c = e.check;
    switch (f->fn) {
      case Function::kFraction:
      case Function::kFor: {
        if (ctx.series) {
          report(DiagnosticCode::E004, e.range, quote(e.text) + " cannot be nested inside `fraction`/`for`");
          return;
        }
        Ctx inner = ctx;
        inner.series = true;
        inner.series_field = nullptr;
        expr(*e.kids[0], inner);
        ctx.usage->fields = true;
        if (!e.kids[0]->check.ok) return;
        if (!value(*e.kids[0])) return;
        if (e.kids[0]->check.type != ValueType::kBool) {
          report(DiagnosticCode::E004, e.kids[0]->range,
                 "the first argument of " + quote(e.text) + " must be a condition, found a value of type " + type_name(e.kids[0]->check),
                 "write " + quote(f->signature));
          return;
        }
        if (inner.series_field == nullptr) {
          report(DiagnosticCode::E004, e.kids[0]->range,
                 "the condition of " + quote(e.text) + " reads no column", "use a column without aggregate, e.g. `client.wifi.rssi_dbm < -75dBm`");
          return;
        }
        if (f->fn == Function::kFraction) {
          c = typed(true, ValueType::kNumber, Dim{BaseUnit::kPct, 0});
          return;
        }
        Expr& d = *e.kids[1];
        Usage du;
        Ctx dctx{&du};
        expr(d, dctx);
        if (!number(d)) return;
        if (d.check.dim != Dim{BaseUnit::kMs, 0} || du.fields) {
          report(DiagnosticCode::E004, d.range, "the second argument of `for` must be a constant duration",
                 "write a duration such as `2min` or `30s`, or a param holding one");
          return;
        }
        c = typed(true, ValueType::kBool);
        return;
      }
      case Function::kPeripheral: {
        Expr& a = *e.kids[0];
        if (a.kind != ExprKind::kString) {
          report(DiagnosticCode::E004, a.range, "`peripheral` takes a peripheral name in quotes",
                 "write `peripheral(\"microphone\")`");
          return;
        }
        a.check = typed(true, ValueType::kString);
        ctx.usage->fields = true;
        c = typed(true, ValueType::kEnum, {}, EnumSet::kPeripheral);
        return;
      }
      case Function::kRoomHealth:
        ctx.usage->fields = true;
        c = typed(true, ValueType::kEnum, {}, EnumSet::kRoomHealth);
        return;
      case Function::kAbs:
        expr(*e.kids[0], ctx);
        if (!number(*e.kids[0])) return;
        c = typed(true, ValueType::kNumber, e.kids[0]->check.dim);
        return;
      case Function::kMin:
      case Function::kMax: {
        expr(*e.kids[0], ctx);
        expr(*e.kids[1], ctx);
        const bool a = number(*e.kids[0]);
        const bool b = number(*e.kids[1]);
        if (!a || !b) return;
        if (e.kids[0]->check.dim != e.kids[1]->check.dim) {
          report(DiagnosticCode::E005, e.range,
                 "units do not match: " + quote(e.text) + " of " + dim_name(e.kids[0]->check.dim) + " and " +
                     dim_name(e.kids[1]->check.dim),
                 "both arguments need the same unit");
          return;
        }
        c = typed(true, ValueType::kNumber, e.kids[0]->check.dim);
        return;
      }
    }
  }

  // ---- macros, rules, sites ----

  /// Checks macro `i` once; `ref` is the reference that led here (for cycles).
  bool check_macro(int i, const Expr* ref) {
    CheckedMacro& m = r_.macros[static_cast<std::size_t>(i)];
    if (m.state == CheckedMacro::State::kDone) return m.def->body && m.def->body->check.ok;
    if (m.state == CheckedMacro::State::kVisiting) {
      std::string chain;
      for (int k : stack_) chain += r_.macros[static_cast<std::size_t>(k)].def->name + " -> ";
      chain += m.def->name;
      report(DiagnosticCode::E008, ref != nullptr ? ref->range : m.def->name_range, "macro cycle: " + chain,
             "a macro cannot use itself, directly or through other macros");
      cycle_ = true;
      return false;
    }
    m.state = CheckedMacro::State::kVisiting;
    stack_.push_back(i);
    bool ok = false;
    if (m.def->body) {
      Ctx ctx{&m.usage};
      expr(*m.def->body, ctx);
      ok = m.def->body->check.ok;
      if (ok && m.def->body->check.symbol) ok = value(*m.def->body);
    }
    stack_.pop_back();
    m.state = CheckedMacro::State::kDone;
    if (cycle_ && m.def->body) {
      m.def->body->check.ok = false;
      ok = false;
      if (stack_.empty()) cycle_ = false;
    }
    return ok;
  }

  void target_fields(const CheckedRule& r, const Usage& u, std::string_view prop) {
    const std::string id = quote(r.def->id);
    if (u.switch_field && r.target != ComponentKind::kSwitch) {
      report(DiagnosticCode::E015, *u.switch_field,
             "a `switch.*` field in rule " + id + ", which does not blame `switch`",
             "`switch.*` fields name the candidate port: use them in rules with `blame: switch`");
    }
    if (u.wan_field && r.target != ComponentKind::kWan) {
      report(DiagnosticCode::E015, *u.wan_field, "a `wan.*` field in rule " + id + ", which does not blame `wan`",
             "`wan.*` fields name the candidate link: use them in rules with `blame: wan`");
    }
    if (u.scope_only && prop != "scope") {
      report(DiagnosticCode::E015, *u.scope_only, "`media` and `direction` can only be used in `scope`",
             "move this test to the rule's `scope`");
    }
  }

  /// W004: a condition that reads no field is constant.
  void constant(const Expr& e, const Usage& u, std::string_view prop, const RuleDef& r) {
    if (u.fields || u.scope_only || !e.check.ok) return;
    const double v = fold(e);
    if (std::isnan(v)) return;
    report(DiagnosticCode::W004, e.range,
           "the `" + std::string(prop) + "` of rule " + quote(r.id) + " is always " + (v != 0 ? "true" : "false"),
           "it reads no field; compare a field with the value");
  }

  double fold(const Expr& e) const {
    const CheckInfo& c = e.check;
    switch (e.kind) {
      case ExprKind::kNumber:
      case ExprKind::kBool: return e.number;
      case ExprKind::kString: return kNaN;
      case ExprKind::kName:
        if (c.name == NameKind::kParam) return literal_value(r_.params[static_cast<std::size_t>(c.index)].def->value);
        if (c.name == NameKind::kMacro) return fold(*r_.macros[static_cast<std::size_t>(c.index)].def->body);
        if (c.name == NameKind::kEnumValue) return c.index;
        return kNaN;
      case ExprKind::kNeg: return -fold(*e.kids[0]);
      case ExprKind::kNot: {
        const double v = fold(*e.kids[0]);
        return std::isnan(v) ? v : (v != 0 ? 0 : 1);
      }
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        const bool is_and = e.kind == ExprKind::kAnd;
        double r = is_and ? 1 : 0;
        for (const ExprPtr& k : e.kids) {
          const double v = fold(*k);
          if (std::isnan(v)) r = kNaN;
          else if ((v != 0) != is_and) return is_and ? 0 : 1;
        }
        return r;
      }
      case ExprKind::kBinary:
      case ExprKind::kCompare: {
        const double a = fold(*e.kids[0]);
        const double b = fold(*e.kids[1]);
        if (std::isnan(a) || std::isnan(b)) return kNaN;
        switch (e.op) {
          case BinOp::kAdd: return a + b;
          case BinOp::kSub: return a - b;
          case BinOp::kMul: return a * b;
          case BinOp::kDiv: return b == 0 ? kNaN : a / b;
          case BinOp::kLt: return a < b;
          case BinOp::kLe: return a <= b;
          case BinOp::kGt: return a > b;
          case BinOp::kGe: return a >= b;
          case BinOp::kEq: return a == b;
          case BinOp::kNe: return a != b;
        }
        return kNaN;
      }
      default: return kNaN;
    }
  }

  void check_rule(CheckedRule& r) {
    const RuleDef& d = *r.def;
    auto prop_at = [&](Property p) { return d.prop_range[static_cast<int>(p)]; };
    auto val_at = [&](Property p) { return d.value_range[static_cast<int>(p)]; };
    bool has_target = false;
    if (prop_at(Property::kBlame).line != 0 && !d.blame.empty()) {
      if (auto t = parse_target(d.blame)) {
        r.target = *t;
        has_target = true;
      } else {
        const std::vector<std::string> targets{"client", "ap", "switch", "wan", "remote"};
        const std::string s = suggest(d.blame, targets);
        report(DiagnosticCode::E012, val_at(Property::kBlame), "unknown blame target " + quote(d.blame),
               (s.empty() ? std::string() : "did you mean " + quote(s) + "? ") + "targets are client, ap, switch, wan, remote");
      }
    }
    if (!d.incomplete && (prop_at(Property::kWhen).line == 0 || prop_at(Property::kBlame).line == 0)) {
      const bool no_when = prop_at(Property::kWhen).line == 0;
      const bool no_blame = prop_at(Property::kBlame).line == 0;
      report(DiagnosticCode::E011, d.id_range,
             "rule " + quote(d.id) + " has no " + (no_when && no_blame ? "`when` and no `blame`" : no_when ? "`when`" : "`blame`"),
             "every rule needs `when: CONDITION` and `blame: client|ap|switch|wan|remote`");
    }
    if (!d.severity.empty()) {
      const int s = find_severity(d.severity);
      if (s < 0) {
        report(DiagnosticCode::E012, val_at(Property::kSeverity), "unknown severity " + quote(d.severity),
               "severities are info, minor, major, critical");
      } else {
        r.severity = static_cast<Severity>(s);
      }
    }
    if (d.weight) {
      const Literal& w = *d.weight;
      if (w.kind != Literal::Kind::kNumber || !w.dim.plain() || !(w.number > 0) || !std::isfinite(w.number)) {
        report(DiagnosticCode::E012, w.range, "weight must be a positive plain number",
               "a weight is log-odds added to the candidate, e.g. `weight: 2.5`");
      } else {
        r.weight = w.number;
      }
    }
    if (d.revision) {
      const Literal& v = *d.revision;
      if (v.kind != Literal::Kind::kNumber || !v.dim.plain() || v.number < 1 || v.number != std::floor(v.number) ||
          v.number > 1e9) {
        report(DiagnosticCode::E012, v.range, "revision must be a positive whole number", "e.g. `revision: 3`");
      } else {
        r.revision = static_cast<int>(v.number);
      }
    }
    if (d.enabled) r.enabled = *d.enabled;

    auto condition = [&](Expr* e, std::string_view prop) {
      if (e == nullptr) return;
      Usage u;
      Ctx ctx{&u};
      expr(*e, ctx);
      if (has_target) target_fields(r, u, prop);
      if (boolean(*e, "the `" + std::string(prop) + "` of rule " + quote(d.id))) constant(*e, u, prop, d);
    };
    condition(d.scope.get(), "scope");
    condition(d.when.get(), "when");
    for (const TemplatePart& part : d.explain) {
      if (!part.expr) continue;
      Usage u;
      Ctx ctx{&u};
      expr(*part.expr, ctx);
      if (value(*part.expr) && has_target) target_fields(r, u, "explain");
    }
    if (!d.scope) {
      report(DiagnosticCode::W003, d.id_range, "rule " + quote(d.id) + " has no scope: it applies to every poor segment",
             "add e.g. `scope: media in [audio, video]`");
    }
    if (!d.description || !d.source) {
      const char* what = !d.description && !d.source ? "description or source" : !d.description ? "description" : "source";
      report(DiagnosticCode::W005, d.id_range, "rule " + quote(d.id) + " has no " + what,
             "say what the rule detects (`description`) and where its threshold comes from (`source`)");
    }
  }

  void check_sites() {
    std::unordered_map<std::string, std::size_t> by_name;
    for (const FileAst& f : r_.files) {
      for (const SiteDef& s : f.sites) {
        auto [it, fresh] = by_name.emplace(s.name, r_.sites.size());
        if (fresh) {
          r_.sites.emplace_back();
          r_.sites.back().name = s.name;
        }
        CheckedSite& site = r_.sites[it->second];
        for (const SiteOverride& o : s.overrides) {
          if (o.kind != SiteOverride::Kind::kParam) {
            auto rit = r_.rule_by_id.find(o.name);
            if (rit == r_.rule_by_id.end()) {
              std::vector<std::string> ids;
              for (const auto& [id, _] : r_.rule_by_id) ids.push_back(id);
              const std::string sug = suggest(o.name, ids);
              report(DiagnosticCode::E017, o.name_range, "site " + quote(s.name) + " names an unknown rule " + quote(o.name),
                     sug.empty() ? "rule ids are defined with `rule ID { ... }`" : "did you mean " + quote(sug) + "?");
              continue;
            }
            site.rule_switches.emplace_back(rit->second, o.kind == SiteOverride::Kind::kEnable);
            continue;
          }
          auto pit = r_.param_by_name.find(o.name);
          if (pit == r_.param_by_name.end()) {
            std::vector<std::string> names;
            for (const auto& [n, _] : r_.param_by_name) names.push_back(n);
            const std::string sug = suggest(o.name, names);
            report(DiagnosticCode::E018, o.name_range, "site " + quote(s.name) + " overrides an unknown param " + quote(o.name),
                   sug.empty() ? "declare it first: `param " + o.name + " = ...`" : "did you mean " + quote(sug) + "?");
            continue;
          }
          const Literal& def = r_.params[static_cast<std::size_t>(pit->second)].def->value;
          if (def.kind != o.value.kind || (def.kind == Literal::Kind::kNumber && def.dim != o.value.dim)) {
            report(DiagnosticCode::E019, o.value.range,
                   "param " + quote(o.name) + " is of type " + literal_kind_name(def) + ", the override is of type " +
                       literal_kind_name(o.value),
                   def.kind == Literal::Kind::kNumber && o.value.kind == Literal::Kind::kNumber && o.value.dim.plain()
                       ? "write " + quote(with_unit(o.value.number, def.dim))
                       : "an override keeps the param's unit");
            continue;
          }
          site.params.push_back(&o);
          site.param_index.push_back(pit->second);
        }
      }
    }
  }

  void unused() {
    for (const CheckedMacro& m : r_.macros) {
      if (!m.used) {
        report(DiagnosticCode::W001, m.def->name_range, "macro " + quote(m.def->name) + " is never used",
               "remove it, or use it in a rule");
      }
    }
    for (const CheckedParam& p : r_.params) {
      // The published targets are there for any pack to use, not all of them.
      if (!p.used && p.def->name_range.file->path != kPublishedTargetsPath) {
        report(DiagnosticCode::W002, p.def->name_range, "param " + quote(p.def->name) + " is never used",
               "remove it, or use it in a rule");
      }
    }
    for (const CheckedList& l : r_.lists) {
      if (!l.used) {
        report(DiagnosticCode::W002, l.def->name_range, "list " + quote(l.def->name) + " is never used",
               "remove it, or use it after `in`");
      }
    }
  }

  CheckedRules& r_;
  std::vector<Diagnostic>& diags_;
  std::vector<int> stack_;
  bool cycle_ = false;
};

}  // namespace

void Usage::merge(const Usage& o) {
  fields = fields || o.fields;
  if (!switch_field) switch_field = o.switch_field;
  if (!wan_field) wan_field = o.wan_field;
  if (!scope_only) scope_only = o.scope_only;
}

double literal_value(const Literal& l) noexcept {
  switch (l.kind) {
    case Literal::Kind::kNumber:
    case Literal::Kind::kBool: return l.number;
    default: return kNaN;
  }
}

CheckedRules check(std::vector<FileAst> files, std::vector<Diagnostic>& diags) {
  CheckedRules out;
  out.files = std::move(files);
  Checker(out, diags).run();
  return out;
}

}  // namespace callroot::rules
