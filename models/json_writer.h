#pragma once
/// A minimal streaming JSON writer for the output records. Verdicts are written
/// on the scoring path, so this appends to one reused string instead of
/// building a DOM (nlohmann/json is used where convenience matters more).

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace callroot {

/// `schema_version` of every JSON record callroot writes (verdicts, incidents,
/// the daemon's acknowledgements, the commands' --json output). It changes
/// when a field changes meaning or goes away; new fields do not change it.
inline constexpr int kJsonSchemaVersion = 1;

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { sep(); out_ += '{'; first_ = true; return *this; }
  JsonWriter& end_object() { out_ += '}'; first_ = false; return *this; }
  JsonWriter& begin_array() { sep(); out_ += '['; first_ = true; return *this; }
  JsonWriter& end_array() { out_ += ']'; first_ = false; return *this; }
  JsonWriter& key(std::string_view k) {
    sep();
    write_string(k);
    out_ += ':';
    first_ = true;  // the value that follows needs no comma
    return *this;
  }
  /// The key `first.second`, from two names that need no escaping (a
  /// metric's column and aggregate): written without building it first.
  JsonWriter& dotted_key(std::string_view first, std::string_view second) {
    sep();
    out_ += '"';
    out_.append(first);
    out_ += '.';
    out_.append(second);
    out_ += "\":";
    first_ = true;
    return *this;
  }
  JsonWriter& value(std::string_view s) { sep(); write_string(s); return *this; }
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(bool b) { sep(); out_ += b ? "true" : "false"; return *this; }
  JsonWriter& value(std::int64_t v) { sep(); out_ += std::to_string(v); return *this; }
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(std::uint64_t v) { sep(); out_ += std::to_string(v); return *this; }
  /// Non-finite numbers have no JSON form and are written as null.
  JsonWriter& value(double v, int max_decimals = 3);
  JsonWriter& null() { sep(); out_ += "null"; return *this; }
  /// An RFC 3339 timestamp string.
  JsonWriter& time(std::int64_t ms);

 private:
  void sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void write_string(std::string_view s);

  std::string& out_;
  bool first_ = true;
};

/// Formats a number with at most `max_decimals` decimals and no trailing zeros
/// (`null` when not finite).
std::string format_number(double v, int max_decimals = 3);
/// The same into `out`, which has room for kMaxNumberChars; returns the length.
inline constexpr std::size_t kMaxNumberChars = 64;
std::size_t format_number(double v, int max_decimals, char* out) noexcept;

}  // namespace callroot
