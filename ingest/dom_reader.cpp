#include "ingest/dom_reader.h"

#include <algorithm>
#include <utility>

#include "ingest/echo.h"

namespace callroot::ingest::detail {

// ---- text -----------------------------------------------------------------------

std::string_view type_name(dom::element_type t) noexcept {
  switch (t) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "a number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "an unknown value";
}

bool is_unknown_enum(std::string_view s) noexcept {
  return s.empty() || ascii_iequals(s, "unknown") || ascii_iequals(s, "unknownFutureValue");
}

std::string not_a_timestamp(std::string_view s) { return quoted(s) + " is not an RFC 3339 timestamp"; }

std::optional<Mac> identifying_mac(std::string_view s, bool& ok) {
  ok = true;
  s = trim(s);
  if (s.empty() || s.find_first_not_of("0:-.") == std::string_view::npos) return std::nullopt;
  const auto m = Mac::parse(s);
  if (!m) {
    ok = false;
    return std::nullopt;
  }
  if (m->is_placeholder()) return std::nullopt;
  return m;
}

// ---- paths ----------------------------------------------------------------------

PathScope::PathScope(std::string& path, std::string_view key) : path_(path), size_(path.size()) {
  if (!path_.empty()) path_ += '.';
  path_ += key;
}

PathScope::PathScope(std::string& path, std::size_t index) : path_(path), size_(path.size()) {
  path_ += '[';
  path_ += std::to_string(index);
  path_ += ']';
}

// ---- documents --------------------------------------------------------------------

namespace {

/// The offset of the quote that closes the JSON string opening at `open`
/// (escaped characters skipped), or json.size() when it never closes.
std::size_t closing_quote(std::string_view json, std::size_t open) noexcept {
  std::size_t i = open + 1;
  for (; i < json.size() && json[i] != '"'; ++i) {
    if (json[i] == '\\') ++i;
  }
  return std::min(i, json.size());
}

/// Whether the digits of an integer literal (sign excluded) are beyond what
/// simdjson's DOM reads as a 64-bit integer.
bool beyond_64_bits(std::string_view digits, bool negative) {
  const std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  return digits.size() > limit.size() || (digits.size() == limit.size() && digits > limit);
}

/// `json` with every integer literal beyond 64 bits written with an exponent
/// (`123…e0`), which the parser reads as a double. Returns false when there
/// was none. simdjson's DOM rejects a whole document for one such integer,
/// even in a field no decoder reads; with the exponent it parses, and a
/// field that is read meets its own range check.
bool widen_big_integers(std::string_view json, std::string& out) {
  out.clear();
  bool changed = false;
  std::size_t copied = 0;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '"') {
      i = closing_quote(json, i);
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) continue;
    const bool negative = c == '-';
    const std::size_t digits = negative ? i + 1 : i;
    std::size_t d = digits;
    while (d < json.size() && json[d] >= '0' && json[d] <= '9') ++d;
    const bool integer = d == json.size() || (json[d] != '.' && json[d] != 'e' && json[d] != 'E');
    std::size_t end = d;
    while (end < json.size() && std::string_view("+-.eE0123456789").find(json[end]) != std::string_view::npos) ++end;
    if (integer && d > digits && beyond_64_bits(json.substr(digits, d - digits), negative)) {
      out.append(json.substr(copied, d - copied));
      out += "e0";
      copied = d;
      changed = true;
    }
    i = end - 1;
  }
  if (changed) out.append(json.substr(copied));
  return changed;
}

}  // namespace

std::optional<DomDocument> DomReader::open_document(std::string_view json, bool padded,
                                                    std::span<const std::string_view> envelope_types,
                                                    std::string_view expected) {
  if (!start_document(json.size())) return std::nullopt;
  dom::element root;
  if (!parse_value(json, padded, root)) return std::nullopt;
  DomDocument doc;
  if (root.get_object().get(doc.body) != simdjson::SUCCESS) {
    not_object(root.type());
    return std::nullopt;
  }
  const auto t = field(doc.body, "type");
  std::string_view type;
  if (!t || t->get_string().get(type) != simdjson::SUCCESS) return doc;
  if (std::find(envelope_types.begin(), envelope_types.end(), type) == envelope_types.end()) return doc;

  // The envelope: its body is the document.
  if (type != expected) {
    fail_at(RejectReason::kBadValue, "type", quoted(type) + " disagrees with the decoder for " + quoted(expected));
    return std::nullopt;
  }
  const dom::object top = doc.body;
  const auto body = field(top, "body");
  if (!body) {
    missing("body");
    return std::nullopt;
  }
  if (body->get_object().get(doc.body) != simdjson::SUCCESS) {
    wrong_type("body", "an object", body->type());
    return std::nullopt;
  }
  doc.envelope = top;
  return doc;
}

bool DomReader::start_document(std::size_t bytes) {
  path.clear();
  warnings_.clear();
  dropped_ = 0;
  if (bytes <= limits_.max_document_bytes) return true;
  return fail(RejectReason::kTooLarge, "the document has " + std::to_string(bytes) + " bytes, more than the maximum " +
                                           std::to_string(limits_.max_document_bytes));
}

bool DomReader::parse_value(std::string_view json, bool padded, dom::element& root) {
  if (auto e = parser_.parse(json.data(), json.size(), !padded).get(root); e) {
    std::string widened;
    if (e != simdjson::NUMBER_ERROR || !widen_big_integers(json, widened) ||
        parser_.parse(widened.data(), widened.size(), true).get(root) != simdjson::SUCCESS) {
      fail(RejectReason::kBadJson, path.empty() ? std::string(simdjson::error_message(e))
                                                : "`" + path + "`: " + simdjson::error_message(e));
      return false;
    }
    // Said without the reader's suffix: nothing was left out.
    if (warnings_.size() < limits_.max_warnings) warnings_.emplace_back("an integer beyond 64 bits is read as a double");
  }
  return true;
}

void DomReader::release_large_buffers() {
  constexpr std::size_t kKeptCapacity = 1 << 20;
  if (parser_.capacity() > kKeptCapacity) parser_ = dom::parser();
}

// ---- large documents, piece by piece ------------------------------------------------

namespace {

/// A structural scan of JSON text: strings, nesting and separators, no values.
class Scanner {
 public:
  Scanner(std::string_view json, std::string& error) : s_(json), error_(error) {}

  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  [[nodiscard]] bool at(char c) {
    skip_space();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool expect(char c) {
    if (!at(c)) return fail(std::string("expected `") + c + "`");
    ++i_;
    return true;
  }
  /// A string's raw content (escapes left as they are) into `out`.
  bool string(std::string_view& out) {
    if (!at('"')) return fail("expected a string");
    const std::size_t begin = i_ + 1;
    i_ = closing_quote(s_, i_);
    if (i_ >= s_.size()) return fail("a string does not end");
    out = s_.substr(begin, i_ - begin);
    ++i_;
    return true;
  }
  /// Skips one value of any kind; its bytes are checked later by the DOM parser.
  bool value() {
    skip_space();
    if (i_ >= s_.size()) return fail("expected a value");
    const char c = s_[i_];
    if (c == '"') {
      std::string_view ignored;
      return string(ignored);
    }
    if (c != '{' && c != '[') {
      const std::size_t begin = i_;
      while (i_ < s_.size() && std::string_view(",]} \t\n\r").find(s_[i_]) == std::string_view::npos) ++i_;
      return i_ > begin || fail("expected a value");
    }
    // Nesting counted in one stack of closers, so `[}` is caught here.
    std::string closers;
    while (i_ < s_.size()) {
      const char x = s_[i_];
      if (x == '"') {
        std::string_view ignored;
        if (!string(ignored)) return false;
        continue;
      }
      if (x == '{' || x == '[') {
        if (closers.size() >= 1024) return fail("nested more than 1,024 deep");
        closers.push_back(x == '{' ? '}' : ']');
      } else if (x == '}' || x == ']') {
        if (closers.empty() || closers.back() != x) return fail(std::string("unexpected `") + x + "`");
        closers.pop_back();
        if (closers.empty()) {
          ++i_;
          return true;
        }
      }
      ++i_;
    }
    return fail("the document ends inside a value");
  }
  /// Calls `member(key)` for each member of the object starting here; the
  /// callback consumes the value.
  template <class Member>
  bool object(Member&& member) {
    if (!expect('{')) return false;
    if (at('}')) return ++i_, true;
    for (;;) {
      std::string_view key;
      if (!string(key) || !expect(':') || !member(key)) return false;
      if (at(',')) {
        ++i_;
        continue;
      }
      return expect('}');
    }
  }
  [[nodiscard]] std::size_t pos() const noexcept { return i_; }
  bool fail(std::string what) {
    if (error_.empty()) error_ = what + " at byte " + std::to_string(i_);
    return false;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
  std::string& error_;
};

/// The elements of the array starting at the scanner's position.
bool scan_array(Scanner& sc, ArraySplit& out) {
  out.elements.clear();
  if (!sc.at('[')) return sc.fail("expected an array");
  out.open = sc.pos();
  if (!sc.expect('[')) return false;
  if (sc.at(']')) {
    out.close = sc.pos();
    return sc.expect(']');
  }
  for (;;) {
    sc.skip_space();
    const std::size_t begin = sc.pos();
    if (!sc.value()) return false;
    out.elements.emplace_back(begin, sc.pos());
    if (sc.at(',')) {
      if (!sc.expect(',')) return false;
      continue;
    }
    out.close = sc.pos();
    return sc.expect(']');
  }
}

/// The JSON type of the value that starts with `c`.
dom::element_type type_of(char c) noexcept {
  switch (c) {
    case '{': return dom::element_type::OBJECT;
    case '[': return dom::element_type::ARRAY;
    case '"': return dom::element_type::STRING;
    case 't':
    case 'f': return dom::element_type::BOOL;
    case 'n': return dom::element_type::NULL_VALUE;
    default: return dom::element_type::DOUBLE;
  }
}

}  // namespace

SplitResult split_array_field(std::string_view json, std::string_view key, std::string_view envelope_type,
                              ArraySplit& out, std::string& error) {
  error.clear();
  Scanner sc(json, error);
  if (!sc.at('{')) {
    // Another JSON value is "not an object", as the DOM path says; the rest is not JSON.
    const std::string_view rest = json.substr(std::min(sc.pos(), json.size()));
    const bool literal = rest.starts_with("true") || rest.starts_with("false") || rest.starts_with("null");
    if (rest.empty() || (!literal && std::string_view("[\"-0123456789").find(rest.front()) == std::string_view::npos)) {
      sc.fail("expected an object");
      return SplitResult::kMalformed;
    }
    out.other = type_of(rest.front());
    return SplitResult::kNotObject;
  }
  std::string_view top_type;
  // Per level (the top, the body): the first member named `key`, as
  // simdjson's lookup takes the first of twice the same key.
  struct Found {
    bool seen = false;
    dom::element_type type = dom::element_type::NULL_VALUE;
    ArraySplit split;
  } top, body;
  const auto member = [&](Found& f) {
    sc.skip_space();
    f.seen = true;
    f.type = sc.pos() < json.size() ? type_of(json[sc.pos()]) : dom::element_type::NULL_VALUE;
    return f.type == dom::element_type::ARRAY ? scan_array(sc, f.split) : sc.value();
  };
  const bool ok = sc.object([&](std::string_view k) {
    if (k == "type" && sc.at('"')) return sc.string(top_type);
    if (k == key && !top.seen) return member(top);
    if (k == "body" && sc.at('{')) {
      return sc.object([&](std::string_view bk) { return bk == key && !body.seen ? member(body) : sc.value(); });
    }
    return sc.value();
  });
  sc.skip_space();
  if (!ok || (sc.pos() != json.size() && !sc.fail("unexpected bytes after the document"))) return SplitResult::kMalformed;
  const bool envelope = top_type == envelope_type;
  Found& f = envelope ? body : top;
  out = std::move(f.split);
  out.in_body = envelope;
  out.other = f.type;
  if (!f.seen || f.type == dom::element_type::NULL_VALUE) return SplitResult::kNoArray;
  return f.type == dom::element_type::ARRAY ? SplitResult::kFound : SplitResult::kNotArray;
}

// ---- where we are -------------------------------------------------------------

std::string DomReader::here(std::string_view key) const {
  std::string out = path;
  if (!key.empty()) {
    if (!out.empty()) out += '.';
    out += key;
  }
  return out;
}

// ---- rejections -------------------------------------------------------------------

bool DomReader::fail(RejectReason r, std::string detail) {
  error_.reason = r;
  error_.detail = std::move(detail);
  return false;
}

bool DomReader::fail_at(RejectReason r, std::string_view key, std::string_view what) {
  return fail(r, "field `" + here(key) + "`: " + std::string(what));
}

bool DomReader::missing(std::string_view key, std::string_view why) {
  std::string detail = "field `" + here(key) + "` is required";
  if (!why.empty()) detail += std::string(" (") + std::string(why) + ")";
  return fail(RejectReason::kMissingField, std::move(detail));
}

bool DomReader::not_object(dom::element_type got) {
  return fail(RejectReason::kNotObject, "the document is " + std::string(type_name(got)) + ", not an object");
}

bool DomReader::wrong_type(std::string_view key, std::string_view expected, dom::element_type got) {
  return fail_at(RejectReason::kWrongType, key,
                 "expected " + std::string(expected) + ", got " + std::string(type_name(got)));
}

// ---- warnings ---------------------------------------------------------------------

void DomReader::warn(std::string_view key, std::string_view what) {
  if (warnings_.size() >= limits_.max_warnings) {
    ++dropped_;
    return;
  }
  warnings_.push_back(here(key) + ": " + std::string(what) + std::string(warning_suffix_));
}

void DomReader::warn_type(std::string_view key, std::string_view expected, dom::element_type got,
                          std::string_view outcome) {
  warn(key, "expected " + std::string(expected) + ", got " + std::string(type_name(got)) + std::string(outcome));
}

// ---- values -----------------------------------------------------------------------

std::optional<dom::element> DomReader::field(dom::object obj, std::string_view key) {
  dom::element el;
  if (obj.at_key(key).get(el) != simdjson::SUCCESS) return std::nullopt;
  if (el.type() == dom::element_type::NULL_VALUE) return std::nullopt;
  return el;
}

bool DomReader::array_field(dom::object obj, std::string_view key, std::optional<dom::array>& out) {
  out.reset();
  const auto el = field(obj, key);
  if (!el) return true;
  dom::array arr;
  if (el->get_array().get(arr) != simdjson::SUCCESS) return wrong_type(key, "an array", el->type());
  out = arr;
  return true;
}

std::string_view DomReader::text(dom::object obj, std::string_view key, std::string_view outcome) {
  const auto el = field(obj, key);
  if (!el) return {};
  std::string_view s;
  if (el->get_string().get(s) != simdjson::SUCCESS) {
    warn_type(key, "a string", el->type(), outcome);
    return {};
  }
  return s;
}

}  // namespace callroot::ingest::detail
