#pragma once
/// The parser of the rule language: recursive descent over the tokens of
/// lexer.h, one function per production of the grammar below (docs/rules.md §2).
///
/// ```ebnf
/// file        = { statement } ;
/// statement   = list | macro | param | rule | site ;
/// list        = "list" ident "=" "[" [ literal { "," literal } ] "]" ;
/// macro       = "macro" ident "=" expr ;
/// param       = "param" ident "=" literal ;
/// rule        = "rule" dotted "{" { property } "}" ;
/// property    = ( "revision" | "description" | "scope" | "when" | "blame" | "weight"
///               | "severity" | "explain" | "source" | "enabled" ) ":" value ;
///   value of scope, when      = expr
///            description, explain, source = string   (explain: a template with {expr})
///            blame, severity  = ident
///            revision, weight = literal
///            enabled          = "true" | "false"
/// site        = "site" string "{" { override } "}" ;
/// override    = ident "=" literal | "disable" dotted | "enable" dotted ;
///
/// expr        = or_expr ;
/// or_expr     = and_expr { "or" and_expr } ;
/// and_expr    = not_expr { "and" not_expr } ;
/// not_expr    = "not" not_expr | comparison ;
/// comparison  = additive [ compare_op additive
///                        | [ "not" ] "in" ( "[" [ literal { "," literal } ] "]" | ident ) ] ;
/// compare_op  = "<" | "<=" | ">" | ">=" | "==" | "!=" ;
/// additive    = term { ( "+" | "-" ) term } ;
/// term        = unary { ( "*" | "/" ) unary } ;
/// unary       = "-" unary | primary ;
/// primary     = quantity | string | "true" | "false" | call | dotted | "(" expr ")" ;
/// call        = ident "(" [ expr { "," expr } ] ")" ;
/// dotted      = ident { "." ident } ;
/// literal     = quantity | "-" quantity | string | "true" | "false" | ident ;
/// quantity    = number [ unit ] ;   unit = base [ "/s" ] | "/s"
/// ```
///
/// Errors: E001 "expected X, found Y" (E020 comes from the lexer); E016 when
/// an expression nests deeper than kMaxDepth or has more than kMaxNodes nodes.
/// After an error the parser resynchronises: inside a rule at the next line
/// that starts with a property name or at the closing `}`, at top level at
/// the next line that starts with `rule`, `macro`, `param`, `list` or `site`,
/// so that every error of a file is reported.

#include <vector>

#include "rules/ast.h"
#include "rules/diagnostic.h"

namespace callroot::rules {

inline constexpr int kMaxDepth = 64;
inline constexpr int kMaxNodes = 4096;

/// Parses `file`; diagnostics are appended to `diags`. Never throws on bad input.
FileAst parse_file(const SourceFile& file, std::vector<Diagnostic>& diags);

/// Parses one expression (for tests and tools); null after an error.
ExprPtr parse_expression(const SourceFile& file, std::vector<Diagnostic>& diags);

}  // namespace callroot::rules
