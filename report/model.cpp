#include "report/model.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "ingest/decoder.h"
#include "ingest/jsonl_reader.h"
#include "models/catalog.h"
#include "models/directory.h"
#include "models/metric_store.h"
#include "models/net.h"

namespace callroot::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TimeMs time_of(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return 0;
  return parse_rfc3339(it->get<std::string>()).value_or(0);
}

std::string text_of(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double number_of(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : kNaN;
}

/// Everything one site's verdicts say about its components.
class SiteBuilder {
 public:
  Site& site(const std::string& name) {
    auto [it, added] = index_.try_emplace(name, sites_.size());
    if (added) sites_.push_back(Site{name, {}, 0, 0});
    return sites_[it->second];
  }
  std::vector<Site> take() { return std::move(sites_); }

 private:
  std::vector<Site> sites_;
  std::unordered_map<std::string, std::size_t> index_;
};

void add_unique(std::vector<std::string>& list, const std::string& value, std::size_t cap) {
  if (value.empty() || list.size() >= cap || std::find(list.begin(), list.end(), value) != list.end()) return;
  list.push_back(value);
}

struct Reader {
  const ReportOptions& options;
  ReportStats& stats;
  Model model;
  SiteBuilder sites;
  std::unordered_map<std::string, Call> calls;
  std::map<std::string, std::uint64_t> blamed;  // "kind id" -> poor segments

  void verdict(const nlohmann::json& v) {
    ++stats.verdicts;
    ++model.segments;
    SegmentRow row;
    row.segment_id = text_of(v, "segment_id");
    row.start = time_of(v, "start");
    row.end = time_of(v, "end");
    row.quality = text_of(v, "quality");
    row.mos = number_of(v, "mos");
    const bool poor = row.quality == "poor";
    if (model.first == 0 || (row.start != 0 && row.start < model.first)) model.first = row.start;
    model.last = std::max(model.last, row.end);
    if (poor) {
      ++model.poor;
      ++stats.poor;
    } else if (row.quality == "good") {
      ++model.good;
    } else {
      ++model.unclassified;
    }
    if (const auto b = v.find("blame"); b != v.end() && b->is_array() && !b->empty()) {
      const auto& top = b->front();
      row.blame_kind = text_of(top, "kind");
      row.blame_id = text_of(top, "id");
      row.blame_site = text_of(top, "site");
      row.confidence = number_of(top, "confidence");
    }
    if (poor) {
      ++model.blame_by_kind[kind_index(row.blame_kind.empty() ? "unknown" : row.blame_kind)];
      if (!row.blame_kind.empty()) ++blamed[row.blame_kind + " " + row.blame_id];
      if (const auto ps = v.find("poor_streams"); ps != v.end() && ps->is_array()) {
        for (const auto& s : *ps) {
          if (const auto why = s.find("why"); why != s.end() && why->is_array()) {
            for (const auto& w : *why) {
              if (w.is_string()) row.why.push_back(text_of(s, "from") + " " + w.get<std::string>());
            }
          }
        }
      }
    }
    // The components each side crossed, each counted once per segment.
    std::set<std::string> counted;
    if (const auto paths = v.find("paths"); paths != v.end() && paths->is_array()) {
      for (const auto& path : *paths) {
        const std::string site_name = text_of(path, "site");
        const auto hops = path.find("hops");
        if (site_name.empty() || hops == path.end() || !hops->is_array()) continue;
        Site& site = sites.site(site_name);
        std::vector<std::string> keys;  // the path's components, client first, each once
        for (const auto& h : *hops) {
          Hop hop{text_of(h, "kind"), text_of(h, "id"), text_of(h, "detail")};
          if (hop.kind.empty() || hop.id.empty()) continue;
          if (poor) row.hops.push_back(hop);
          const std::string key = hop.kind + "/" + hop.id;
          auto [it, added] = site.nodes.try_emplace(key);
          Node& node = it->second;
          if (added) {
            node.kind = hop.kind;
            node.id = hop.id;
            node.site = site_name;
          }
          add_unique(node.details, hop.detail, 8);
          if (keys.empty() || keys.back() != key) {
            if (!keys.empty()) {
              Node& below = site.nodes[keys.back()];
              add_unique(below.parents, key, 4);
            }
            keys.push_back(key);
          }
          if (counted.insert(site_name + "|" + key).second) {
            ++node.segments;
            node.poor += poor;
            node.blamed += poor && hop.kind == row.blame_kind && hop.id == row.blame_id;
          }
        }
        // Depth from the top of the tree (the WAN end of the path).
        for (std::size_t i = 0; i < keys.size(); ++i) {
          Node& node = site.nodes[keys[i]];
          node.depth = std::max(node.depth, static_cast<int>(keys.size() - 1 - i));
        }
        if (counted.insert(site_name).second) {
          ++site.segments;
          site.poor += poor;
        }
      }
    }
    if (poor && row.blame_kind == "remote") {
      Site& site = sites.site("remote");
      Node& node = site.nodes["remote/far side"];
      node.kind = "remote";
      node.id = "far side";
      node.site = "remote";
      ++node.segments;
      ++node.poor;
      ++node.blamed;
      ++site.segments;
      ++site.poor;
    }
    Call& call = calls[text_of(v, "call_id")];
    if (call.id.empty()) call.id = text_of(v, "call_id");
    call.poor += poor;
    call.segments.push_back(std::move(row));
  }

  void incident(const nlohmann::json& x) {
    ++stats.incident_records;
    const std::string id = text_of(x, "id");
    auto it = std::find_if(model.incidents.begin(), model.incidents.end(),
                           [&](const IncidentRow& r) { return r.id == id; });
    if (it == model.incidents.end()) {
      model.incidents.push_back(IncidentRow{});
      it = model.incidents.end() - 1;
      it->id = id;
      it->since = time_of(x, "since");
    }
    it->kind = text_of(x, "kind");
    it->component = text_of(x, "component");
    it->site = text_of(x, "site");
    const TimeMs updated = std::max(time_of(x, "updated"), time_of(x, "until"));
    if (updated != 0) {
      it->last = std::max(it->last, updated);
      it->updates.push_back(updated);
    }
    it->closed = it->closed || text_of(x, "state") == "closed";
    if (const double n = number_of(x, "count"); !std::isnan(n)) it->segments = static_cast<std::uint64_t>(n);
    if (const double n = number_of(x, "user_count"); !std::isnan(n)) it->users = static_cast<std::uint64_t>(n);
    if (const double c = number_of(x, "confidence"); !std::isnan(c)) it->confidence = c;
    if (const auto ev = x.find("evidence"); ev != x.end() && ev->is_array()) {
      it->evidence.clear();
      for (std::size_t i = 0; i < ev->size() && i < 3; ++i) {
        if (!it->evidence.empty()) it->evidence += "; ";
        it->evidence += text_of((*ev)[i], "text");
      }
    }
  }

  void read_verdicts() {
    for (const std::string& path : options.verdicts) {
      std::ifstream in(path);
      if (!in) throw std::runtime_error("cannot read " + path);
      std::string line;
      for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (line.empty()) continue;
        const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded() || !j.is_object()) {
          throw std::runtime_error(path + ":" + std::to_string(n) + ": not a JSON object (a verdict or incident record)");
        }
        const std::string type = text_of(j, "type");
        if (type == "verdict") verdict(j);
        else if (type == "incident") incident(j);
      }
    }
  }

  void choose_calls() {
    std::vector<Call> poor_calls;
    for (auto& [id, call] : calls) {
      if (call.poor == 0) continue;
      std::sort(call.segments.begin(), call.segments.end(),
                [](const SegmentRow& a, const SegmentRow& b) { return a.start < b.start; });
      call.worst_mos = kNaN;
      std::map<std::string, std::uint64_t> votes;
      for (const SegmentRow& s : call.segments) {
        if (!std::isnan(s.mos) && (std::isnan(call.worst_mos) || s.mos < call.worst_mos)) call.worst_mos = s.mos;
        if (s.quality == "poor" && !s.blame_kind.empty()) ++votes[s.blame_kind + "\n" + s.blame_id];
      }
      if (!votes.empty()) {
        const auto best = std::max_element(votes.begin(), votes.end(),
                                           [](const auto& a, const auto& b) { return a.second < b.second; });
        const auto cut = best->first.find('\n');
        call.blame_kind = best->first.substr(0, cut);
        call.blame_id = best->first.substr(cut + 1);
      }
      poor_calls.push_back(std::move(call));
    }
    // Worst first: most poor segments, then the lowest MOS, then the id (a stable page order).
    std::sort(poor_calls.begin(), poor_calls.end(), [](const Call& a, const Call& b) {
      if (a.poor != b.poor) return a.poor > b.poor;
      const double ma = std::isnan(a.worst_mos) ? 5 : a.worst_mos, mb = std::isnan(b.worst_mos) ? 5 : b.worst_mos;
      if (ma != mb) return ma < mb;
      return a.id < b.id;
    });
    if (poor_calls.size() > options.max_calls) poor_calls.resize(options.max_calls);
    model.calls = std::move(poor_calls);
    calls.clear();
  }

  void finish() {
    model.sites = sites.take();
    std::sort(model.sites.begin(), model.sites.end(), [](const Site& a, const Site& b) {
      return (a.name == "remote") != (b.name == "remote") ? b.name == "remote" : a.name < b.name;
    });
    for (Site& site : model.sites) {
      // Clients are drawn only when blamed; the others are counted on their access point.
      std::erase_if(site.nodes, [](const auto& kv) { return kv.second.kind == "client" && kv.second.blamed == 0; });
    }
    stats.sites = model.sites.size();
    model.top.assign(blamed.begin(), blamed.end());
    std::sort(model.top.begin(), model.top.end(),
              [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    if (model.top.size() > 15) model.top.resize(15);
    std::sort(model.incidents.begin(), model.incidents.end(), [](const IncidentRow& a, const IncidentRow& b) {
      return a.since != b.since ? a.since < b.since : a.id < b.id;
    });
    for (IncidentRow& r : model.incidents) {
      if (r.last < r.since) r.last = r.since;
    }
  }
};

/// The columns worth drawing for a blamed hop: what harms media on it.
std::vector<std::size_t> hop_columns(Family family) {
  switch (family) {
    case Family::kWifiClient: return {col::kRssi, col::kTxRetry};
    case Family::kWifiAp: return {col::kChannelUtil, col::kInterference, col::kApTxRetry};
    case Family::kSwitchPort: return {col::kInErrors, col::kOutDiscards, col::kInFcsErrors, col::kOutUtil};
    case Family::kWanLink: return {col::kLoss, col::kLatency, col::kJitter};
    case Family::kClientDevice: return {col::kCpu};
  }
  return {};
}

/// The inputs: call records of the calls drawn, and the telemetry of their blamed hops.
void read_inputs(const ReportOptions& options, ReportStats& stats, Model& model) {
  if (options.inputs.empty()) return;
  model.have_inputs = true;
  std::set<std::string> wanted;
  for (const Call& c : model.calls) {
    for (const SegmentRow& s : c.segments) wanted.insert(s.segment_id);
  }
  Directory dir;
  ingest::RecordDecoder decoder(dir);
  MetricStoreConfig store_config;
  store_config.retention = std::numeric_limits<std::uint32_t>::max();  // a report looks at the whole input
  MetricStore store(store_config);
  std::vector<Event> events;
  for (const std::string& path : options.inputs) {
    ingest::JsonlReader reader(path);
    std::string_view line;
    while (reader.next(line)) {
      ++stats.input_records;
      events.clear();
      if (!decoder.decode_many(line, events, /*padded=*/true)) {
        ++stats.input_rejected;
        continue;
      }
      for (Event& e : events) {
        if (auto* sample = std::get_if<TelemetrySample>(&e)) {
          store.record(*sample);
        } else if (auto* seg = std::get_if<CallSegment>(&e); seg != nullptr && wanted.count(seg->segment_id) > 0) {
          auto& points = model.streams[seg->segment_id];
          for (const Stream& st : seg->streams) {
            if (st.media != Media::kAudio) continue;
            points.push_back(StreamPoint{seg->start, seg->end, std::string(to_string(st.from)),
                                         st.get(StreamMetric::kJitterAvg), st.get(StreamMetric::kLossAvg),
                                         st.get(StreamMetric::kRttAvg)});
          }
        }
      }
    }
  }
  // The series of each call's blamed hop, over the call and a few minutes around it.
  for (const Call& call : model.calls) {
    if (call.segments.empty()) continue;
    const TimeWindow window{call.segments.front().start - 5 * 60'000, call.segments.back().end + 5 * 60'000};
    std::vector<std::pair<Family, std::uint32_t>> entities;
    std::vector<std::string> names;
    if (call.blame_kind == "client") {
      if (const auto mac = Mac::parse(call.blame_id)) {
        if (const auto id = dir.find_client(*mac)) {
          entities.emplace_back(Family::kWifiClient, id->value);
          names.push_back(call.blame_id);
          entities.emplace_back(Family::kClientDevice, id->value);
          names.push_back(call.blame_id);
        }
      }
    } else if (call.blame_kind == "ap") {
      if (const auto ap = dir.find_ap(call.blame_id)) {
        for (const std::uint32_t radio : dir.radios_of(*ap)) {
          entities.emplace_back(Family::kWifiAp, radio);
          names.push_back(call.blame_id + " " + std::string(Directory::band_name(dir.radio_band(radio))));
        }
      }
    } else if (call.blame_kind == "switch") {
      const auto sw = dir.switch_(call.blame_id);
      std::set<std::string> ports;
      for (const SegmentRow& s : call.segments) {
        for (const Hop& h : s.hops) {
          if (h.kind == "switch" && h.id == call.blame_id && !h.detail.empty()) ports.insert(h.detail);
        }
      }
      for (const std::string& port : ports) {
        if (const auto p = sw ? dir.port(*sw, port) : std::nullopt) {
          entities.emplace_back(Family::kSwitchPort, p->value);
          names.push_back(call.blame_id + " " + port);
        }
      }
    } else if (call.blame_kind == "wan") {
      if (const auto link = dir.link(call.blame_id)) {
        entities.emplace_back(Family::kWanLink, link->value);
        names.push_back(call.blame_id);
      }
    }
    auto& out = model.hop_series[call.id];
    for (std::size_t i = 0; i < entities.size() && out.size() < 6; ++i) {
      const auto [family, entity] = entities[i];
      if (store.rows(family, entity) == 0) continue;
      for (const std::size_t column : hop_columns(family)) {
        Series s;
        const ColumnSpec& spec = family_columns(family)[column];
        s.label = names[i] + " " + std::string(spec.name);
        s.unit = std::string(unit_suffix(spec.unit));
        store.samples(family, entity, column, window, s.points);
        if (!s.points.empty() && out.size() < 6) out.push_back(std::move(s));
      }
    }
  }
}

}  // namespace

std::size_t kind_index(const std::string& kind) noexcept {
  for (std::size_t i = 0; i < std::size(kKinds); ++i) {
    if (kind == kKinds[i]) return i;
  }
  return 5;
}

Model build_model(const ReportOptions& options, ReportStats& stats) {
  Reader r{options, stats, {}, {}, {}, {}};
  r.read_verdicts();
  r.choose_calls();
  r.finish();
  Model model = std::move(r.model);
  read_inputs(options, stats, model);
  for (const Site& s : model.sites) stats.components_drawn += s.nodes.size();
  stats.calls_drawn = model.calls.size();
  return model;
}

}  // namespace callroot::report
