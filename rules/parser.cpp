#include "rules/parser.h"

#include <algorithm>
#include <array>

#include "rules/lexer.h"

namespace callroot::rules {
namespace {

constexpr std::array<std::string_view, 5> kStatements{"rule", "macro", "param", "list", "site"};
constexpr std::string_view kPropertyList =
    "revision, description, scope, when, blame, weight, severity, explain, source, enabled";

bool is_statement(const Token& t) {
  return t.kind == Tok::kIdent && std::find(kStatements.begin(), kStatements.end(), t.text) != kStatements.end();
}
bool is_reserved(std::string_view s) { return s == "and" || s == "or" || s == "not" || s == "in" || s == "true" || s == "false"; }

SourceRange join(const SourceRange& a, const SourceRange& b) {
  SourceRange r = a;
  if (b.line == a.line && b.end_column > a.end_column) r.end_column = b.end_column;
  if (b.line != a.line && a.file != nullptr) {
    r.end_column = static_cast<std::uint32_t>(a.file->line_text(a.line).size()) + 1;
  }
  return r;
}

class Parser {
 public:
  Parser(const SourceFile& f, std::vector<Diagnostic>& diags, std::vector<Token> toks, bool in_template = false)
      : f_(f), diags_(diags), toks_(std::move(toks)), in_template_(in_template) {}

  FileAst file() {
    FileAst ast;
    ast.file = &f_;
    while (cur().kind != Tok::kEof) {
      failed_ = false;
      const Token& t = cur();
      if (t.kind == Tok::kIdent && t.text == "rule") {
        rule(ast);
      } else if (t.kind == Tok::kIdent && t.text == "macro") {
        macro(ast);
      } else if (t.kind == Tok::kIdent && t.text == "param") {
        param(ast);
      } else if (t.kind == Tok::kIdent && t.text == "list") {
        list(ast);
      } else if (t.kind == Tok::kIdent && t.text == "site") {
        site(ast);
      } else {
        fail(t, "a statement (`rule`, `macro`, `param`, `list` or `site`)",
             t.kind == Tok::kRBrace ? "this `}` closes nothing" : "");
      }
      if (failed_) sync_top();
    }
    return ast;
  }

  ExprPtr top_expr() {
    depth_ = 0;
    nodes_ = 0;
    return expr();
  }

  ExprPtr whole_expr() {
    ExprPtr e = top_expr();
    if (e && cur().kind != Tok::kEof) {
      fail(cur(), in_template_ ? "`}`" : "end of expression");
      return nullptr;
    }
    return e;
  }

 private:
  const Token& cur() const { return toks_[i_]; }
  const Token& peek(std::size_t k) const { return toks_[std::min(i_ + k, toks_.size() - 1)]; }
  const Token& advance() {
    const Token& t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }
  bool at_ident(std::string_view s) const { return cur().kind == Tok::kIdent && cur().text == s; }

  std::string found(const Token& t) const {
    if (t.kind == Tok::kEof && in_template_) return "`}`";
    return t.describe();
  }

  /// E001 at `t` (once per statement; a bad token was already reported as E020).
  void fail(const Token& t, std::string_view expected, std::string hint = {}) {
    if (!failed_ && t.kind != Tok::kError) {
      diags_.push_back(Diagnostic{DiagnosticCode::E001, t.range,
                                  "expected " + std::string(expected) + ", found " + found(t), std::move(hint)});
    }
    failed_ = true;
  }

  bool expect(Tok k, std::string_view what = {}) {
    if (cur().kind == k) {
      advance();
      return true;
    }
    fail(cur(), what.empty() ? tok_name(k) : what);
    return false;
  }

  void sync_top() {
    advance();
    while (cur().kind != Tok::kEof && !(cur().line_start && is_statement(cur()))) advance();
  }

  /// Inside a block: to the next line starting with an identifier (a property
  /// or override), a statement keyword, or the closing `}`.
  void sync_block() {
    if (cur().kind != Tok::kRBrace) advance();
    while (cur().kind != Tok::kEof && cur().kind != Tok::kRBrace && !(cur().line_start && cur().kind == Tok::kIdent)) {
      advance();
    }
  }

  bool ident(std::string& out, SourceRange& r, std::string_view what) {
    if (cur().kind != Tok::kIdent) {
      fail(cur(), what);
      return false;
    }
    out = std::string(cur().text);
    r = cur().range;
    advance();
    return true;
  }

  bool dotted(std::string& out, SourceRange& r, std::string_view what) {
    if (!ident(out, r, what)) return false;
    while (cur().kind == Tok::kDot && peek(1).kind == Tok::kIdent) {
      advance();
      out += '.';
      out += cur().text;
      r = join(r, cur().range);
      advance();
    }
    return true;
  }

  bool literal(Literal& lit) {
    const Token& t = cur();
    lit.range = t.range;
    if (t.kind == Tok::kNumber) {
      lit.kind = Literal::Kind::kNumber;
      lit.number = t.number;
      lit.dim = t.dim;
      advance();
      return true;
    }
    if (t.kind == Tok::kMinus && peek(1).kind == Tok::kNumber) {
      advance();
      lit.kind = Literal::Kind::kNumber;
      lit.number = -cur().number;
      lit.dim = cur().dim;
      lit.range = join(t.range, cur().range);
      advance();
      return true;
    }
    if (t.kind == Tok::kString) {
      lit.kind = Literal::Kind::kString;
      lit.text = t.value;
      advance();
      return true;
    }
    if (t.kind == Tok::kIdent && (t.text == "true" || t.text == "false")) {
      lit.kind = Literal::Kind::kBool;
      lit.number = t.text == "true" ? 1 : 0;
      advance();
      return true;
    }
    if (t.kind == Tok::kIdent && !is_reserved(t.text)) {
      lit.kind = Literal::Kind::kSymbol;
      lit.text = std::string(t.text);
      advance();
      return true;
    }
    fail(t, "a literal (a quantity, a string, `true`, `false` or an identifier)");
    return false;
  }

  void list(FileAst& ast) {
    advance();
    ListDef d;
    if (!ident(d.name, d.name_range, "a list name")) return;
    if (!expect(Tok::kAssign) || !expect(Tok::kLBracket)) return;
    if (cur().kind != Tok::kRBracket) {
      do {
        Literal lit;
        if (!literal(lit)) return;
        d.items.push_back(std::move(lit));
      } while (cur().kind == Tok::kComma && advance().kind == Tok::kComma);
    }
    if (!expect(Tok::kRBracket, "`,` or `]`")) return;
    ast.lists.push_back(std::move(d));
  }

  void macro(FileAst& ast) {
    advance();
    MacroDef d;
    if (!ident(d.name, d.name_range, "a macro name")) return;
    if (!expect(Tok::kAssign)) return;
    d.body = top_expr();
    if (!d.body) return;
    ast.macros.push_back(std::move(d));
  }

  void param(FileAst& ast) {
    advance();
    ParamDef d;
    if (!ident(d.name, d.name_range, "a param name")) return;
    if (!expect(Tok::kAssign)) return;
    if (!literal(d.value)) return;
    d.valid = true;
    ast.params.push_back(std::move(d));
  }

  void site(FileAst& ast) {
    advance();
    SiteDef d;
    if (cur().kind != Tok::kString) {
      fail(cur(), "a site name in quotes", "write `site \"hq\" { ... }`");
      return;
    }
    d.name = cur().value;
    d.name_range = cur().range;
    advance();
    if (!expect(Tok::kLBrace)) return;
    for (;;) {
      if (cur().kind == Tok::kRBrace) {
        advance();
        break;
      }
      if (cur().kind == Tok::kEof || (cur().line_start && is_statement(cur()))) {
        fail(cur(), "`}` to close the site block");
        failed_ = false;  // the statement that follows is fine
        break;
      }
      site_override(d);
      if (failed_) {
        failed_ = false;
        sync_block();
      }
    }
    ast.sites.push_back(std::move(d));
  }

  void site_override(SiteDef& d) {
    SiteOverride o;
    if (at_ident("disable") || at_ident("enable")) {
      o.kind = at_ident("disable") ? SiteOverride::Kind::kDisable : SiteOverride::Kind::kEnable;
      advance();
      if (!dotted(o.name, o.name_range, "a rule id")) return;
    } else {
      if (!ident(o.name, o.name_range, "a param override (`name = value`), `disable RULE` or `enable RULE`")) return;
      if (!expect(Tok::kAssign)) return;
      if (!literal(o.value)) return;
    }
    d.overrides.push_back(std::move(o));
  }

  void rule(FileAst& ast) {
    advance();
    RuleDef r;
    if (!dotted(r.id, r.id_range, "a rule id")) return;
    if (!expect(Tok::kLBrace)) return;
    for (;;) {
      if (cur().kind == Tok::kRBrace) {
        advance();
        break;
      }
      if (cur().kind == Tok::kEof || (cur().line_start && is_statement(cur()))) {
        fail(cur(), "`}` to close rule `" + r.id + "`");
        failed_ = false;
        break;
      }
      property(r);
      if (failed_) {
        failed_ = false;
        r.incomplete = true;
        sync_block();
      }
    }
    ast.rules.push_back(std::move(r));
  }

  void property(RuleDef& r) {
    const Token& name = cur();
    const int p = name.kind == Tok::kIdent ? find_property(name.text) : -1;
    if (p < 0) {
      fail(name, "a property or `}`", "properties are " + std::string(kPropertyList));
      return;
    }
    const auto prop = static_cast<Property>(p);
    const SourceRange prop_range = name.range;
    advance();
    if (!expect(Tok::kColon)) return;
    if (r.prop_range[p].line != 0) {
      diags_.push_back(Diagnostic{DiagnosticCode::E010, prop_range,
                                  "property `" + std::string(property_name(prop)) + "` given twice in rule `" + r.id + "`",
                                  "the first is at line " + std::to_string(r.prop_range[p].line) + "; keep one"});
    }
    r.prop_range[p] = prop_range;
    const Token& v = cur();
    r.value_range[p] = v.range;
    switch (prop) {
      case Property::kScope:
      case Property::kWhen: {
        ExprPtr e = top_expr();
        if (!e) return;
        r.value_range[p] = e->range;
        (prop == Property::kScope ? r.scope : r.when) = std::move(e);
        return;
      }
      case Property::kDescription:
      case Property::kSource:
        if (v.kind != Tok::kString) return fail(v, "a string");
        (prop == Property::kDescription ? r.description : r.source) = v.value;
        advance();
        return;
      case Property::kExplain:
        if (v.kind != Tok::kString) return fail(v, "a string");
        r.explain = explain_template(v);
        r.has_explain = true;
        advance();
        return;
      case Property::kBlame:
      case Property::kSeverity:
        if (v.kind != Tok::kIdent) {
          return fail(v, prop == Property::kBlame ? "a target (`client`, `ap`, `switch`, `wan` or `remote`)"
                                                   : "a severity (`info`, `minor`, `major` or `critical`)");
        }
        (prop == Property::kBlame ? r.blame : r.severity) = std::string(v.text);
        advance();
        return;
      case Property::kRevision:
      case Property::kWeight: {
        Literal lit;
        if (!literal(lit)) return;
        r.value_range[p] = lit.range;
        (prop == Property::kRevision ? r.revision : r.weight) = lit;
        return;
      }
      case Property::kEnabled:
        if (v.kind != Tok::kIdent || (v.text != "true" && v.text != "false")) return fail(v, "`true` or `false`");
        r.enabled = v.text == "true";
        advance();
        return;
    }
  }

  /// Splits the raw text of an explain string into text and `{expr}` parts;
  /// each expression is lexed and parsed in place, so positions are exact.
  std::vector<TemplatePart> explain_template(const Token& t) {
    std::vector<TemplatePart> parts;
    const std::string_view s = f_.text;
    std::uint32_t i = t.offset + 1;
    const std::uint32_t end = t.end_offset - 1;
    std::string text;
    auto flush = [&] {
      if (!text.empty()) parts.push_back(TemplatePart{std::move(text), nullptr});
      text.clear();
    };
    while (i < end) {
      const char c = s[i];
      if (c == '\\' && i + 1 < end) {
        const char e = s[i + 1];
        text += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        i += 2;
      } else if ((c == '{' || c == '}') && i + 1 < end && s[i + 1] == c) {
        text += c;
        i += 2;
      } else if (c == '{') {
        std::uint32_t close = i + 1;
        while (close < end && s[close] != '}') ++close;
        if (close >= end) {
          const std::uint32_t col = i - f_.line_starts[t.range.line - 1] + 1;
          diags_.push_back(Diagnostic{DiagnosticCode::E020, SourceRange{&f_, t.range.line, col, col + 1},
                                      "unterminated `{` in explanation", "close it with `}`, or write `{{` for a brace"});
          return parts;
        }
        flush();
        Parser sub(f_, diags_, lex(f_, diags_, i + 1, close), true);
        ExprPtr e = sub.whole_expr();
        if (e) parts.push_back(TemplatePart{{}, std::move(e)});
        i = close + 1;
      } else {
        text += c;
        ++i;
      }
    }
    flush();
    return parts;
  }

  // ---- expressions ----

  struct Depth {
    Parser& p;
    bool ok;
    explicit Depth(Parser& parser) : p(parser), ok(++parser.depth_ <= kMaxDepth) {
      if (!ok && !p.failed_) {
        p.diags_.push_back(Diagnostic{DiagnosticCode::E016, p.cur().range,
                                      "expression nested deeper than " + std::to_string(kMaxDepth) + " levels",
                                      "split it into macros"});
        p.failed_ = true;
      }
    }
    ~Depth() { --p.depth_; }
  };

  ExprPtr node(ExprKind k, SourceRange r) {
    if (++nodes_ > kMaxNodes) {
      if (!failed_) {
        diags_.push_back(Diagnostic{DiagnosticCode::E016, r,
                                    "expression longer than " + std::to_string(kMaxNodes) + " nodes",
                                    "split it into macros or several rules"});
      }
      failed_ = true;
      return nullptr;
    }
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->range = r;
    return e;
  }

  ExprPtr expr() {
    Depth d(*this);
    if (!d.ok) return nullptr;
    return nary(ExprKind::kOr, "or", [this] { return nary(ExprKind::kAnd, "and", [this] { return not_expr(); }); });
  }

  template <class Sub>
  ExprPtr nary(ExprKind k, std::string_view kw, Sub sub) {
    ExprPtr first = sub();
    if (!first || !at_ident(kw)) return first;
    ExprPtr e = node(k, first->range);
    if (!e) return nullptr;
    e->kids.push_back(std::move(first));
    while (at_ident(kw)) {
      advance();
      ExprPtr next = sub();
      if (!next) return nullptr;
      e->range = join(e->range, next->range);
      e->kids.push_back(std::move(next));
    }
    return e;
  }

  ExprPtr not_expr() {
    if (at_ident("not")) {
      const SourceRange r = cur().range;
      advance();
      Depth d(*this);
      if (!d.ok) return nullptr;
      ExprPtr inner = not_expr();
      if (!inner) return nullptr;
      ExprPtr e = node(ExprKind::kNot, join(r, inner->range));
      if (!e) return nullptr;
      e->kids.push_back(std::move(inner));
      return e;
    }
    return comparison();
  }

  static bool compare_op(Tok t, BinOp& op) {
    switch (t) {
      case Tok::kLt: op = BinOp::kLt; return true;
      case Tok::kLe: op = BinOp::kLe; return true;
      case Tok::kGt: op = BinOp::kGt; return true;
      case Tok::kGe: op = BinOp::kGe; return true;
      case Tok::kEq: op = BinOp::kEq; return true;
      case Tok::kNe: op = BinOp::kNe; return true;
      default: return false;
    }
  }

  ExprPtr comparison() {
    ExprPtr lhs = additive();
    if (!lhs) return nullptr;
    BinOp op{};
    if (compare_op(cur().kind, op)) {
      advance();
      ExprPtr rhs = additive();
      if (!rhs) return nullptr;
      ExprPtr e = node(ExprKind::kCompare, join(lhs->range, rhs->range));
      if (!e) return nullptr;
      e->op = op;
      e->kids.push_back(std::move(lhs));
      e->kids.push_back(std::move(rhs));
      return e;
    }
    const bool neg = at_ident("not") && peek(1).kind == Tok::kIdent && peek(1).text == "in";
    if (!neg && !at_ident("in")) return lhs;
    if (neg) advance();
    advance();
    ExprPtr e = node(ExprKind::kIn, lhs->range);
    if (!e) return nullptr;
    e->negated = neg;
    e->kids.push_back(std::move(lhs));
    if (cur().kind == Tok::kIdent && !is_reserved(cur().text)) {
      e->text = std::string(cur().text);
      e->text_range = cur().range;
      e->range = join(e->range, cur().range);
      advance();
      return e;
    }
    if (!expect(Tok::kLBracket, "`[` or a list name")) return nullptr;
    if (cur().kind != Tok::kRBracket) {
      do {
        Literal lit;
        if (!literal(lit)) return nullptr;
        ExprPtr item = from_literal(lit);
        if (!item) return nullptr;
        e->kids.push_back(std::move(item));
      } while (cur().kind == Tok::kComma && advance().kind == Tok::kComma);
    }
    e->range = join(e->range, cur().range);
    if (!expect(Tok::kRBracket, "`,` or `]`")) return nullptr;
    return e;
  }

  ExprPtr from_literal(const Literal& lit) {
    static constexpr ExprKind kinds[] = {ExprKind::kNumber, ExprKind::kString, ExprKind::kBool, ExprKind::kName};
    ExprPtr e = node(kinds[static_cast<int>(lit.kind)], lit.range);
    if (!e) return nullptr;
    e->number = lit.number;
    e->dim = lit.dim;
    e->text = lit.text;
    return e;
  }

  template <class Sub>
  ExprPtr binary_chain(Sub sub, Tok a, BinOp oa, Tok b, BinOp ob) {
    ExprPtr lhs = sub();
    while (lhs && (cur().kind == a || cur().kind == b)) {
      const BinOp op = cur().kind == a ? oa : ob;
      advance();
      ExprPtr rhs = sub();
      if (!rhs) return nullptr;
      ExprPtr e = node(ExprKind::kBinary, join(lhs->range, rhs->range));
      if (!e) return nullptr;
      e->op = op;
      e->kids.push_back(std::move(lhs));
      e->kids.push_back(std::move(rhs));
      lhs = std::move(e);
    }
    return lhs;
  }

  ExprPtr additive() {
    return binary_chain([this] { return term(); }, Tok::kPlus, BinOp::kAdd, Tok::kMinus, BinOp::kSub);
  }
  ExprPtr term() {
    return binary_chain([this] { return unary(); }, Tok::kStar, BinOp::kMul, Tok::kSlash, BinOp::kDiv);
  }

  ExprPtr unary() {
    if (cur().kind == Tok::kMinus) {
      const SourceRange r = cur().range;
      advance();
      Depth d(*this);
      if (!d.ok) return nullptr;
      ExprPtr inner = unary();
      if (!inner) return nullptr;
      // Fold `-30ms` into a negative quantity.
      if (inner->kind == ExprKind::kNumber) {
        inner->number = -inner->number;
        inner->range = join(r, inner->range);
        return inner;
      }
      ExprPtr e = node(ExprKind::kNeg, join(r, inner->range));
      if (!e) return nullptr;
      e->kids.push_back(std::move(inner));
      return e;
    }
    return primary();
  }

  ExprPtr primary() {
    const Token& t = cur();
    switch (t.kind) {
      case Tok::kNumber: {
        ExprPtr e = node(ExprKind::kNumber, t.range);
        if (!e) return nullptr;
        e->number = t.number;
        e->dim = t.dim;
        advance();
        return e;
      }
      case Tok::kString: {
        ExprPtr e = node(ExprKind::kString, t.range);
        if (!e) return nullptr;
        e->text = t.value;
        advance();
        return e;
      }
      case Tok::kLParen: {
        advance();
        ExprPtr e = expr();
        if (!e) return nullptr;
        if (!expect(Tok::kRParen, "`)`")) return nullptr;
        return e;
      }
      case Tok::kIdent: break;
      default: fail(t, "an expression"); return nullptr;
    }
    if (t.text == "true" || t.text == "false") {
      ExprPtr e = node(ExprKind::kBool, t.range);
      if (!e) return nullptr;
      e->number = t.text == "true" ? 1 : 0;
      advance();
      return e;
    }
    if (t.line_start && peek(1).kind == Tok::kColon && find_property(t.text) >= 0) {
      fail(t, "an expression", "the expression before `" + std::string(t.text) + ":` is incomplete");
      return nullptr;
    }
    if (is_reserved(t.text)) {
      fail(t, "an expression", "`" + std::string(t.text) + "` is a keyword");
      return nullptr;
    }
    if (peek(1).kind == Tok::kLParen) return call();
    std::string name;
    SourceRange r;
    dotted(name, r, "a name");
    if (cur().kind == Tok::kDot) {
      fail(peek(1), "an identifier after `.`");
      return nullptr;
    }
    ExprPtr e = node(ExprKind::kName, r);
    if (!e) return nullptr;
    e->text = std::move(name);
    return e;
  }

  ExprPtr call() {
    const Token& name = cur();
    ExprPtr e = node(ExprKind::kCall, name.range);
    if (!e) return nullptr;
    e->text = std::string(name.text);
    e->text_range = name.range;
    advance();
    advance();  // (
    Depth d(*this);
    if (!d.ok) return nullptr;
    if (cur().kind != Tok::kRParen) {
      for (;;) {
        ExprPtr arg = expr();
        if (!arg) return nullptr;
        e->kids.push_back(std::move(arg));
        if (cur().kind != Tok::kComma) break;
        advance();
      }
    }
    e->range = join(e->range, cur().range);
    if (!expect(Tok::kRParen, "`,` or `)`")) return nullptr;
    return e;
  }

  const SourceFile& f_;
  std::vector<Diagnostic>& diags_;
  std::vector<Token> toks_;
  std::size_t i_ = 0;
  bool failed_ = false;
  bool in_template_ = false;
  int depth_ = 0;
  int nodes_ = 0;
};

}  // namespace

std::string_view binop_text(BinOp op) noexcept {
  switch (op) {
    case BinOp::kAdd: return "+";
    case BinOp::kSub: return "-";
    case BinOp::kMul: return "*";
    case BinOp::kDiv: return "/";
    case BinOp::kLt: return "<";
    case BinOp::kLe: return "<=";
    case BinOp::kGt: return ">";
    case BinOp::kGe: return ">=";
    case BinOp::kEq: return "==";
    case BinOp::kNe: return "!=";
  }
  return "?";
}

namespace {
constexpr std::array<std::string_view, kPropertyCount> kProperties{
    "revision", "description", "scope", "when", "blame", "weight", "severity", "explain", "source", "enabled"};
}

std::string_view property_name(Property p) noexcept { return kProperties[static_cast<std::size_t>(p)]; }
int find_property(std::string_view s) noexcept {
  for (std::size_t i = 0; i < kProperties.size(); ++i) {
    if (kProperties[i] == s) return static_cast<int>(i);
  }
  return -1;
}

FileAst parse_file(const SourceFile& file, std::vector<Diagnostic>& diags) {
  Parser p(file, diags, lex(file, diags));
  return p.file();
}

ExprPtr parse_expression(const SourceFile& file, std::vector<Diagnostic>& diags) {
  Parser p(file, diags, lex(file, diags));
  return p.whole_expr();
}

}  // namespace callroot::rules
