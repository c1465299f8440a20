// The ceiling for a replay: read JSON Lines files and parse every record with
// plain simdjson On Demand, touching every top-level field (numbers as
// doubles, strings as views, nested values skipped over as raw JSON), and
// nothing else. `callroot replay` of the same files is measured beside it
// (BENCHMARKS.md, "End-to-end replay").
//
//   jsonl_raw FILE...   ->   records, seconds, records/s on stdout

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: jsonl_raw FILE.jsonl...\n");
    return 64;
  }
  const auto start = std::chrono::steady_clock::now();
  simdjson::ondemand::parser parser;
  std::uint64_t records = 0, bad = 0;
  double sink = 0;
  for (int f = 1; f < argc; ++f) {
    simdjson::padded_string text;
    if (simdjson::padded_string::load(argv[f]).get(text)) {
      std::fprintf(stderr, "jsonl_raw: cannot read %s\n", argv[f]);
      return 2;
    }
    const char* at = text.data();
    const char* const end = at + text.size();
    while (at < end) {
      const char* nl = static_cast<const char*>(std::memchr(at, '\n', static_cast<std::size_t>(end - at)));
      const std::size_t len = static_cast<std::size_t>((nl ? nl : end) - at);
      // Every line but the last has the file's own bytes after it as padding;
      // the last has the padded_string's.
      simdjson::ondemand::document doc;
      simdjson::ondemand::object obj;
      if (len > 0 && !parser.iterate(at, len, static_cast<std::size_t>(end - at) + simdjson::SIMDJSON_PADDING).get(doc) &&
          !doc.get_object().get(obj)) {
        ++records;
        for (auto field : obj) {
          simdjson::ondemand::value v;
          if (field.value().get(v)) {
            ++bad;
            break;
          }
          simdjson::ondemand::json_type t;
          if (v.type().get(t)) continue;
          if (t == simdjson::ondemand::json_type::number) {
            double d = 0;
            if (!v.get_double().get(d)) sink += d;
          } else if (t == simdjson::ondemand::json_type::string) {
            std::string_view s;
            if (!v.get_string().get(s)) sink += static_cast<double>(s.size());
          } else if (t == simdjson::ondemand::json_type::object) {
            simdjson::ondemand::object nested;
            std::string_view raw;
            if (!v.get_object().get(nested) && !nested.raw_json().get(raw)) sink += static_cast<double>(raw.size());
          } else if (t == simdjson::ondemand::json_type::array) {
            simdjson::ondemand::array nested;
            std::string_view raw;
            if (!v.get_array().get(nested) && !nested.raw_json().get(raw)) sink += static_cast<double>(raw.size());
          }
        }
      }
      at = nl ? nl + 1 : end;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%llu records (%llu malformed), %.3f s, %.0f records/s (checksum %.0f)\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(bad), seconds,
              static_cast<double>(records) / seconds, sink);
  return 0;
}
