// The lexer and parser: normalized quantities, precedence, positions, recovery.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/lexer.h"
#include "rules/parser.h"

namespace callroot::rules {
namespace {

/// The tree as an s-expression: (and a (not b)), (< x 30[ms]).
std::string show(const Expr& e) {
  auto kids = [&](std::string head, std::size_t from = 0) {
    std::string s = "(" + head;
    for (std::size_t i = from; i < e.kids.size(); ++i) s += " " + show(*e.kids[i]);
    return s + ")";
  };
  switch (e.kind) {
    case ExprKind::kNumber: {
      std::string s = format_number(e.number);
      if (!e.dim.plain()) s += "[" + dim_name(e.dim) + "]";
      return s;
    }
    case ExprKind::kString: return "\"" + e.text + "\"";
    case ExprKind::kBool: return e.number != 0 ? "true" : "false";
    case ExprKind::kName: return e.text;
    case ExprKind::kCall: return kids(e.text + "()");
    case ExprKind::kNeg: return kids("neg");
    case ExprKind::kNot: return kids("not");
    case ExprKind::kBinary:
    case ExprKind::kCompare: return kids(std::string(binop_text(e.op)));
    case ExprKind::kAnd: return kids("and");
    case ExprKind::kOr: return kids("or");
    case ExprKind::kIn: return e.text.empty() ? kids(e.negated ? "not-in" : "in") : "(" + std::string(e.negated ? "not-in " : "in ") + show(*e.kids[0]) + " " + e.text + ")";
  }
  return "?";
}

std::string parse(const std::string& text, std::vector<Diagnostic>* diags_out = nullptr) {
  SourceFile f("e", text);
  std::vector<Diagnostic> diags;
  ExprPtr e = parse_expression(f, diags);
  if (diags_out != nullptr) *diags_out = diags;
  return e ? show(*e) : "<error>";
}

TEST(Lexer, QuantitiesAreNormalized) {
  SourceFile f("e", "1.5s 1500ms 2min 10Mbps 64kbps 5% -72dBm 2/s 7fps 5GHz 3dB/s");
  std::vector<Diagnostic> diags;
  const auto toks = lex(f, diags);
  ASSERT_TRUE(diags.empty());
  std::vector<std::string> got;
  for (const Token& t : toks) {
    if (t.kind == Tok::kNumber) got.push_back(format_number(t.number) + " " + dim_name(t.dim));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"1500 ms", "1500 ms", "120000 ms", "10000 kbps", "64 kbps", "5 %",
                                           "72 dBm", "2 /s", "7 fps", "5 GHz", "3 dB/s"}));
}

TEST(Lexer, SlashIsDivisionUnlessAUnit) {
  SourceFile f("e", "a / s 4/sx");
  std::vector<Diagnostic> diags;
  const auto toks = lex(f, diags);
  std::vector<Tok> kinds;
  for (const Token& t : toks) kinds.push_back(t.kind);
  EXPECT_EQ(kinds, (std::vector<Tok>{Tok::kIdent, Tok::kSlash, Tok::kIdent, Tok::kNumber, Tok::kSlash, Tok::kIdent, Tok::kEof}));
}

TEST(Lexer, PositionsAndStrings) {
  SourceFile f("e", "# comment\n  \"a\\\"b\\n\" x");
  std::vector<Diagnostic> diags;
  const auto toks = lex(f, diags);
  ASSERT_GE(toks.size(), 2u);
  EXPECT_EQ(toks[0].value, "a\"b\n");
  EXPECT_EQ(toks[0].range.line, 2u);
  EXPECT_EQ(toks[0].range.column, 3u);
  EXPECT_EQ(toks[0].range.end_column, 11u);
  EXPECT_TRUE(toks[0].line_start);
  EXPECT_FALSE(toks[1].line_start);
}

TEST(Parser, Precedence) {
  EXPECT_EQ(parse("a or b and c"), "(or a (and b c))");
  EXPECT_EQ(parse("a and b or c"), "(or (and a b) c)");
  EXPECT_EQ(parse("not a and b"), "(and (not a) b)");
  EXPECT_EQ(parse("not not a"), "(not (not a))");
  EXPECT_EQ(parse("not x < 3"), "(not (< x 3))");
  EXPECT_EQ(parse("a + b * c < d - e / f"), "(< (+ a (* b c)) (- d (/ e f)))");
  EXPECT_EQ(parse("a - b - c"), "(- (- a b) c)");
  EXPECT_EQ(parse("-x * 2"), "(* (neg x) 2)");
  EXPECT_EQ(parse("x < -72dBm"), "(< x -72[dBm])");
  EXPECT_EQ(parse("(a or b) and c"), "(and (or a b) c)");
  EXPECT_EQ(parse("a or b or c"), "(or a b c)");
  EXPECT_EQ(parse("media in [audio, video] and x not in l"), "(and (in media audio video) (not-in x l))");
  EXPECT_EQ(parse("x not in [1ms]"), "(not-in x 1[ms])");
  EXPECT_EQ(parse("for(c.d.e < 3, 2min)"), "(for() (< c.d.e 3) 120000[ms])");
  EXPECT_EQ(parse("room_health() != healthy"), "(!= (room_health()) healthy)");
  EXPECT_EQ(parse("peripheral(\"mic\") == absent"), "(== (peripheral() \"mic\") absent)");
}

TEST(Parser, ExpectedFound) {
  std::vector<Diagnostic> d;
  EXPECT_EQ(parse("a <", &d), "<error>");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message, "expected an expression, found end of file");
  EXPECT_EQ(parse("(a or b", &d), "<error>");
  EXPECT_EQ(d[0].message, "expected `)`, found end of file");
  EXPECT_EQ(parse("a b", &d), "<error>");
  EXPECT_EQ(d[0].message, "expected end of expression, found `b`");
  EXPECT_EQ(d[0].range.column, 3u);
}

TEST(Parser, RecursionGuardDoesNotCrash) {
  std::vector<Diagnostic> d;
  EXPECT_EQ(parse(std::string(100000, '('), &d), "<error>");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, DiagnosticCode::E016);
  EXPECT_EQ(parse(std::string(100000, '-') + "x", &d), "<error>");
  EXPECT_EQ(d[0].code, DiagnosticCode::E016);
  std::string nots;
  for (int i = 0; i < 70; ++i) nots += "not ";
  EXPECT_EQ(parse(nots + "x", &d), "<error>");
  EXPECT_EQ(d[0].code, DiagnosticCode::E016);
  // 64 levels are fine.
  EXPECT_NE(parse(std::string(63, '(') + "x" + std::string(63, ')'), &d), "<error>");
}

TEST(Parser, FileStructureAndRecovery) {
  SourceFile f("t.rules", R"(list av = [audio, video]
param p = -3dBm
macro m = x and y
rule a.b {
  when: ??? x
  blame: client
  weight: 2
  explain: "rssi {client.wifi.rssi_dbm.avg} ({p}) {{literal}}"
}
site "hq" {
  p = -4dBm
  disable a.b
  enable a.b
}
)");
  std::vector<Diagnostic> diags;
  const FileAst ast = parse_file(f, diags);
  ASSERT_EQ(ast.lists.size(), 1u);
  EXPECT_EQ(ast.lists[0].items.size(), 2u);
  ASSERT_EQ(ast.params.size(), 1u);
  EXPECT_EQ(ast.params[0].value.number, -3);
  ASSERT_EQ(ast.macros.size(), 1u);
  ASSERT_EQ(ast.rules.size(), 1u);
  const RuleDef& r = ast.rules[0];
  EXPECT_EQ(r.id, "a.b");
  EXPECT_EQ(r.blame, "client");  // parsed after the broken `when`
  ASSERT_TRUE(r.weight);
  EXPECT_EQ(r.weight->number, 2);
  ASSERT_EQ(r.explain.size(), 5u);
  EXPECT_EQ(r.explain[0].text, "rssi ");
  ASSERT_TRUE(r.explain[1].expr);
  EXPECT_EQ(r.explain[1].expr->text, "client.wifi.rssi_dbm.avg");
  EXPECT_EQ(r.explain[1].expr->range.line, 8u);
  EXPECT_EQ(r.explain[1].expr->range.column, 19u);
  EXPECT_EQ(r.explain[4].text, ") {literal}");
  ASSERT_EQ(ast.sites.size(), 1u);
  EXPECT_EQ(ast.sites[0].overrides.size(), 3u);
  // `?` three times: E020 each, no E001 on top.
  ASSERT_EQ(diags.size(), 3u);
  for (const Diagnostic& d : diags) EXPECT_EQ(d.code, DiagnosticCode::E020);
}

}  // namespace
}  // namespace callroot::rules
