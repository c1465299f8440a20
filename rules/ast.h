#pragma once
/// The syntax tree of a rule file. Every node keeps its SourceRange; quantities
/// are already normalized (durations in ms, bitrates in kbps) with their Dim.
/// The checker annotates expression nodes in place (`Expr::check`).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/source.h"
#include "rules/types.h"

namespace callroot::rules {

struct FieldDef;
struct MacroDef;

enum class ExprKind : std::uint8_t {
  kNumber,   ///< `30ms`: number (base unit) + dim
  kString,   ///< `"hq"`
  kBool,     ///< `true`, `false`
  kName,     ///< `a` or `a.b.c`: a field, param, macro, list or enum value (resolved by the checker)
  kCall,     ///< `f(args)`: name in `text`, args in `kids`
  kNeg,      ///< `-x`
  kNot,      ///< `not x`
  kBinary,   ///< `+ - * /`
  kCompare,  ///< `< <= > >= == !=`
  kAnd,      ///< n-ary
  kOr,       ///< n-ary
  kIn,       ///< `x [not] in [..]` (items in kids[1..]) or `x [not] in list` (list name in `text`)
};

enum class BinOp : std::uint8_t { kAdd, kSub, kMul, kDiv, kLt, kLe, kGt, kGe, kEq, kNe };
std::string_view binop_text(BinOp op) noexcept;

/// What a name resolved to (set by the checker).
enum class NameKind : std::uint8_t { kUnresolved, kField, kSeries, kParam, kMacro, kEnumValue, kScopeMedia, kScopeDirection, kSite };

/// The checker's view of a node.
struct CheckInfo {
  bool ok = false;  ///< false: an error was reported below; do not report again
  bool symbol = false;  ///< a bare identifier that is no known name: an enum value if its context has an enum type
  ValueType type = ValueType::kNumber;
  Dim dim;
  EnumSet set = EnumSet::kNone;
  NameKind name = NameKind::kUnresolved;
  const FieldDef* field = nullptr;  ///< kField / kSeries
  Agg agg = Agg::kAvg;              ///< kField of a hop column
  int index = -1;                   ///< kParam: param index; kEnumValue: value index; kMacro: macro index
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kNumber;
  SourceRange range;
  BinOp op = BinOp::kAdd;  ///< kBinary, kCompare
  bool negated = false;    ///< kIn: `not in`
  double number = 0;       ///< kNumber (base unit), kBool (0/1)
  Dim dim;                 ///< kNumber
  std::string text;        ///< kName: dotted name; kString: value; kCall: function; kIn: list name (or empty)
  SourceRange text_range;  ///< kCall: the function name; kIn: the list name
  std::vector<ExprPtr> kids;
  CheckInfo check;
};

/// A literal of a list or a param: a quantity, a string, a boolean or a bare identifier.
struct Literal {
  enum class Kind : std::uint8_t { kNumber, kString, kBool, kSymbol } kind = Kind::kNumber;
  SourceRange range;
  double number = 0;
  Dim dim;
  std::string text;  ///< kString value, kSymbol identifier
};

struct ListDef {
  std::string name;
  SourceRange name_range;
  std::vector<Literal> items;
};

struct MacroDef {
  std::string name;
  SourceRange name_range;
  ExprPtr body;  ///< null after a syntax error
};

struct ParamDef {
  std::string name;
  SourceRange name_range;
  Literal value;
  bool valid = false;  ///< false after a syntax error
};

/// `{expr}` parts of an explanation; text parts have `expr == nullptr`.
struct TemplatePart {
  std::string text;
  ExprPtr expr;
};

enum class Property : std::uint8_t { kRevision, kDescription, kScope, kWhen, kBlame, kWeight, kSeverity, kExplain, kSource, kEnabled };
inline constexpr std::size_t kPropertyCount = 10;
std::string_view property_name(Property p) noexcept;
/// Property named `s`, or -1.
int find_property(std::string_view s) noexcept;

struct RuleDef {
  std::string id;
  SourceRange id_range;
  /// Where each property was given (line 0: absent); also catches duplicates.
  SourceRange prop_range[kPropertyCount]{};
  SourceRange value_range[kPropertyCount]{};  ///< the value of each property
  ExprPtr scope;
  ExprPtr when;
  std::optional<Literal> revision, weight;
  std::string blame, severity;  ///< identifiers as written (checked by the checker)
  std::optional<bool> enabled;
  std::optional<std::string> description, source;
  std::vector<TemplatePart> explain;
  bool has_explain = false;
  bool incomplete = false;  ///< a property had a syntax error (no E011 then: it may be that property)
};

struct SiteOverride {
  enum class Kind : std::uint8_t { kParam, kDisable, kEnable } kind = Kind::kParam;
  std::string name;  ///< param name or rule id
  SourceRange name_range;
  Literal value;  ///< kParam
};

struct SiteDef {
  std::string name;
  SourceRange name_range;
  std::vector<SiteOverride> overrides;
};

/// One parsed file, in source order per kind.
struct FileAst {
  const SourceFile* file = nullptr;
  std::vector<ListDef> lists;
  std::vector<MacroDef> macros;
  std::vector<ParamDef> params;
  std::vector<RuleDef> rules;
  std::vector<SiteDef> sites;
};

}  // namespace callroot::rules
