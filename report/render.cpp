// The page: inline CSS, inline SVG, a few lines of script for paging.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "engine/quality.h"
#include "models/text.h"
#include "report/model.h"

namespace callroot::report {
namespace {

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2a44;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d1e3}
section{background:#fff;margin:16px 24px;padding:12px 16px;border:1px solid #e3e3e3;border-radius:6px}
h2{font-size:16px;margin:4px 0 10px}h3{font-size:14px;margin:6px 0}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #e3e3e3;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px}.muted{color:#777}.scroll{overflow-x:auto}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}td.n{text-align:right}
svg text{font:11px system-ui,sans-serif;fill:#333}.node text{font-size:10px}.legend span{display:inline-block;width:14px;height:14px;vertical-align:middle;margin:0 4px 0 12px;border:1px solid #999}
.edge{stroke:#bbb;stroke-width:1.2}.call{border-top:1px solid #eee;padding-top:6px}.pager button{margin-right:6px}
.threshold{stroke:#d62728;stroke-dasharray:4 3;stroke-width:1}.axis{stroke:#999;stroke-width:.8}
)";

// Pages the calls (PER_PAGE is set before it), then marks the page ready.
constexpr const char* kScript = R"(
(function(){
  var calls=document.querySelectorAll('article.call');
  var pages=Math.max(1,Math.ceil(calls.length/PER_PAGE)),page=0;
  var label=document.getElementById('page-label');
  function show(p){page=Math.min(Math.max(p,0),pages-1);
    for(var i=0;i<calls.length;i++){calls[i].hidden=Math.floor(i/PER_PAGE)!==page;}
    if(label)label.textContent='page '+(page+1)+' of '+pages;}
  var prev=document.getElementById('prev'),next=document.getElementById('next');
  if(prev)prev.onclick=function(){show(page-1);};
  if(next)next.onclick=function(){show(page+1);};
  show(0);
  document.body.setAttribute('data-ready','1');
})();
)";

std::string esc(std::string_view s) { return escape_markup(s); }

std::string num(double v, int digits = 3) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string pct(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? "0%" : num(100.0 * static_cast<double>(part) / static_cast<double>(whole), 3) + "%";
}

std::string hhmm(TimeMs t) {
  const std::string s = format_rfc3339(t);  // 2026-03-02T09:05:11.127Z
  return s.size() >= 16 ? s.substr(11, 5) : s;
}

/// White to red by how much of the poor segments through it were blamed on it.
std::string heat_color(double heat) {
  heat = std::clamp(heat, 0.0, 1.0);
  const auto mix = [heat](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * heat)); };
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", mix(0xf4, 0xcb), mix(0xf1, 0x18), mix(0xf1, 0x1d));
  return buf;
}

const char* kind_color(const std::string& kind) {
  if (kind == "client") return "#6a51a3";
  if (kind == "ap") return "#2171b5";
  if (kind == "switch") return "#238b45";
  if (kind == "wan") return "#d94801";
  if (kind == "remote") return "#737373";
  return "#969696";
}

/// A component is hot when most of the poor segments through it were blamed
/// on it, and more than one: a single verdict is not a pattern.
double heat_of(const Node& n) {
  if (n.poor == 0) return 0;
  const double share = static_cast<double>(n.blamed) / static_cast<double>(n.poor);
  return n.blamed >= 2 ? share : share * 0.35;
}

void summary(const Model& m, std::string& o) {
  o += "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">";
  o += "<div class=\"card\"><b>" + std::to_string(m.segments) + "</b>segments</div>";
  o += "<div class=\"card\"><b>" + pct(m.poor, m.segments) + "</b>poor (" + std::to_string(m.poor) + ")</div>";
  o += "<div class=\"card\"><b>" + std::to_string(m.incidents.size()) + "</b>incidents</div>";
  o += "<div class=\"card\"><b>" + std::to_string(m.sites.size()) + "</b>sites</div></div>";
  // Blame by kind: one bar each.
  const std::uint64_t most = std::max<std::uint64_t>(1, *std::max_element(m.blame_by_kind.begin(), m.blame_by_kind.end()));
  o += "<h3>Poor segments by what was blamed</h3><svg class=\"blame-by-kind\" width=\"520\" height=\"" +
       std::to_string(6 * 22 + 6) + "\">";
  for (std::size_t k = 0; k < 6; ++k) {
    const double w = 360.0 * static_cast<double>(m.blame_by_kind[k]) / static_cast<double>(most);
    const std::string y = std::to_string(k * 22 + 4);
    o += "<g data-kind=\"" + std::string(kKinds[k]) + "\"><text x=\"0\" y=\"" + std::to_string(k * 22 + 17) + "\">" +
         kKinds[k] + "</text><rect x=\"70\" y=\"" + y + "\" width=\"" + px(w) + "\" height=\"16\" fill=\"" +
         kind_color(kKinds[k]) + "\"/><text x=\"" + px(76 + w) + "\" y=\"" + std::to_string(k * 22 + 17) + "\">" +
         std::to_string(m.blame_by_kind[k]) + "</text></g>";
  }
  o += "</svg>";
  if (!m.top.empty()) {
    o += "<h3>Blamed most</h3><table class=\"top\"><tr><th>component</th><th>poor segments blamed</th></tr>";
    for (const auto& [name, n] : m.top) {
      o += "<tr><td>" + esc(name) + "</td><td class=\"n\">" + std::to_string(n) + "</td></tr>";
    }
    o += "</table>";
  }
  o += "</section>";
}

void topology(const Model& m, std::string& o) {
  o += "<section id=\"topology\"><h2>Where the poor calls went</h2><p class=\"legend muted\">Fill: share of the "
       "poor segments through a component that were blamed on it<span style=\"background:" + heat_color(0) +
       "\"></span>none<span style=\"background:" + heat_color(0.5) + "\"></span>half<span style=\"background:" +
       heat_color(1) + "\"></span>all. Ring: its poor share. WAN links at the top, then switches, access points, "
       "and the clients that were blamed. Hover for the counts.</p>";
  for (const Site& site : m.sites) {
    // Children under their first parent; leaves in order, parents over their children.
    std::map<std::string, std::vector<const Node*>> children;
    std::vector<const Node*> roots;
    int max_depth = 0;
    for (const auto& [key, node] : site.nodes) {
      max_depth = std::max(max_depth, node.depth);
      const std::string* parent = nullptr;
      for (const std::string& p : node.parents) {
        if (site.nodes.count(p) > 0) {
          parent = &p;
          break;
        }
      }
      if (parent != nullptr) children[*parent].push_back(&node);
      else roots.push_back(&node);
    }
    std::map<std::string, double> x;
    double slot = 0;
    const auto place = [&](const auto& self, const Node* n) -> double {
      const auto it = children.find(n->key());
      if (it == children.end()) return x[n->key()] = slot++;
      double sum = 0;
      for (const Node* c : it->second) sum += self(self, c);
      return x[n->key()] = sum / static_cast<double>(it->second.size());
    };
    for (const Node* r : roots) place(place, r);
    const double width = std::max(300.0, slot * 86 + 40);
    const double height = (max_depth + 1) * 78.0 + 30;
    const auto cx = [&](const Node& n) { return 40 + x[n.key()] * 86; };
    const auto cy = [&](const Node& n) { return 28 + n.depth * 78.0; };
    o += "<figure class=\"site\" data-site=\"" + esc(site.name) + "\"><h3>" + esc(site.name) + " &middot; " +
         std::to_string(site.segments) + " segments, " + pct(site.poor, site.segments) +
         " poor</h3><div class=\"scroll\"><svg class=\"topology\" width=\"" + px(width) + "\" height=\"" + px(height) +
         "\">";
    for (const auto& [key, node] : site.nodes) {
      for (const std::string& p : node.parents) {
        const auto it = site.nodes.find(p);
        if (it == site.nodes.end()) continue;
        o += "<line class=\"edge\" x1=\"" + px(cx(node)) + "\" y1=\"" + px(cy(node)) + "\" x2=\"" + px(cx(it->second)) +
             "\" y2=\"" + px(cy(it->second)) + "\"/>";
      }
    }
    for (const auto& [key, node] : site.nodes) {
      const double heat = heat_of(node);
      const double poor_share =
          node.segments == 0 ? 0 : static_cast<double>(node.poor) / static_cast<double>(node.segments);
      const std::string fill = heat_color(heat);
      const std::string ring = "stroke=\"" + std::string(poor_share > 0.2 ? "#e6550d" : "#888") +
                               "\" stroke-width=\"" + px(1 + 4 * poor_share) + "\"";
      const double X = cx(node), Y = cy(node);
      std::string shape;
      if (node.kind == "ap" || node.kind == "client") {
        shape = "<circle cx=\"" + px(X) + "\" cy=\"" + px(Y) + "\" r=\"" + (node.kind == "ap" ? "15" : "10") +
                "\" fill=\"" + fill + "\" " + ring + "/>";
      } else if (node.kind == "remote") {
        shape = "<polygon points=\"" + px(X) + "," + px(Y - 16) + " " + px(X + 16) + "," + px(Y) + " " + px(X) + "," +
                px(Y + 16) + " " + px(X - 16) + "," + px(Y) + "\" fill=\"" + fill + "\" " + ring + "/>";
      } else {
        shape = "<rect x=\"" + px(X - 20) + "\" y=\"" + px(Y - 13) + "\" width=\"40\" height=\"26\" rx=\"" +
                (node.kind == "wan" ? "13" : "3") + "\" fill=\"" + fill + "\" " + ring + "/>";
      }
      std::string details;
      for (const std::string& d : node.details) details += (details.empty() ? " (" : ", ") + d;
      if (!details.empty()) details += ")";
      const bool hot = heat >= 0.5;
      o += "<g class=\"node" + std::string(hot ? " hot" : "") + "\" data-kind=\"" + esc(node.kind) + "\" data-id=\"" +
           esc(node.id) + "\" data-blamed=\"" + std::to_string(node.blamed) + "\" data-poor=\"" +
           std::to_string(node.poor) + "\" data-segments=\"" + std::to_string(node.segments) + "\"><title>" +
           esc(node.kind + " " + node.id + details) + ": " + std::to_string(node.segments) + " segments, " +
           std::to_string(node.poor) + " poor (" + pct(node.poor, node.segments) + "), " + std::to_string(node.blamed) +
           " blamed on it (" + pct(node.blamed, node.poor) + " of its poor)</title>" + shape + "<text x=\"" + px(X) +
           "\" y=\"" + px(Y + 28) + "\" text-anchor=\"middle\">" +
           esc(node.id.size() > 17 ? node.id.substr(0, 16) + "\u2026" : node.id) + "</text></g>";
    }
    o += "</svg></div></figure>";
  }
  o += "</section>";
}

void incidents(const Model& m, std::size_t max_rows, std::string& o) {
  o += "<section id=\"incidents\"><h2>Incidents</h2>";
  if (m.incidents.empty()) {
    o += "<p class=\"muted\">No incident was opened.</p></section>";
    return;
  }
  const std::size_t rows = std::min(m.incidents.size(), max_rows);
  const double left = 240, span_w = 760;
  const double t0 = static_cast<double>(m.first), t1 = static_cast<double>(std::max(m.last, m.first + 1));
  const auto tx = [&](TimeMs t) { return left + span_w * (static_cast<double>(t) - t0) / (t1 - t0); };
  o += "<div class=\"scroll\"><svg class=\"timeline\" width=\"" + px(left + span_w + 20) + "\" height=\"" +
       px(rows * 20.0 + 40) + "\">";
  for (int i = 0; i <= 4; ++i) {
    const TimeMs t = m.first + static_cast<TimeMs>((t1 - t0) * i / 4);
    o += "<line class=\"axis\" x1=\"" + px(tx(t)) + "\" y1=\"14\" x2=\"" + px(tx(t)) + "\" y2=\"" +
         px(rows * 20.0 + 20) + "\"/><text x=\"" + px(tx(t)) + "\" y=\"10\" text-anchor=\"middle\">" + hhmm(t) +
         "</text>";
  }
  for (std::size_t i = 0; i < rows; ++i) {
    const IncidentRow& r = m.incidents[i];
    const double y = 20 + 20.0 * static_cast<double>(i);
    const double x0 = tx(r.since), x1 = std::max(tx(r.last), x0 + 3);
    o += "<g class=\"incident\" data-kind=\"" + esc(r.kind) + "\" data-id=\"" + esc(r.component) + "\" data-state=\"" +
         (r.closed ? "closed" : "open") + "\"><title>" + esc(r.kind + " " + r.component) + " at " + esc(r.site) + ": " +
         std::to_string(r.segments) + " segments, " + std::to_string(r.users) + " users, confidence " +
         num(r.confidence) + ", " + (r.closed ? "closed" : "open at the end") + "; " + esc(r.evidence) +
         "</title><text x=\"0\" y=\"" + px(y + 12) + "\">" +
         esc((r.kind + " " + r.component).substr(0, 36)) + "</text><rect x=\"" + px(x0) + "\" y=\"" + px(y + 2) +
         "\" width=\"" + px(x1 - x0) + "\" height=\"13\" rx=\"3\" fill=\"" + kind_color(r.kind) + "\" opacity=\"" +
         (r.closed ? "0.9" : "0.55") + "\"/>";
    for (const TimeMs u : r.updates) {
      o += "<line x1=\"" + px(tx(u)) + "\" y1=\"" + px(y + 1) + "\" x2=\"" + px(tx(u)) + "\" y2=\"" + px(y + 16) +
           "\" stroke=\"#222\" stroke-width=\"1\"/>";
    }
    o += "</g>";
  }
  o += "</svg></div>";
  if (rows < m.incidents.size()) {
    o += "<p class=\"muted\">The first " + std::to_string(rows) + " of " + std::to_string(m.incidents.size()) +
         " incidents.</p>";
  }
  o += "</section>";
}

/// A small chart of one quantity over a call: one step line per series, an optional threshold.
struct Line {
  std::string label, color;
  std::vector<std::pair<TimeMs, double>> points;  ///< one per sample, or two per segment (its start and end)
  bool steps = false;
};

void chart(std::string& o, const std::string& title, const std::vector<Line>& lines, double threshold, TimeMs t0,
           TimeMs t1) {
  const double w = 420, h = 90, left = 40;
  double top = std::isnan(threshold) ? 0 : threshold * 1.25, bottom = 0;
  for (const Line& l : lines) {
    for (const auto& [t, v] : l.points) {
      if (std::isnan(v)) continue;
      top = std::max(top, v * 1.1);
      bottom = std::min(bottom, v * 1.1);
    }
  }
  if (top <= bottom) top = bottom + 1;
  const auto X = [&](TimeMs t) {
    return left + w * (static_cast<double>(t - t0)) / std::max(1.0, static_cast<double>(t1 - t0));
  };
  const auto Y = [&](double v) { return 8 + h * (top - v) / (top - bottom); };
  o += "<svg class=\"chart\" width=\"" + px(left + w + 10) + "\" height=\"" + px(h + 30) + "\"><text x=\"" +
       px(left) + "\" y=\"8\">" + esc(title) + "</text><line class=\"axis\" x1=\"" + px(left) + "\" y1=\"" +
       px(Y(bottom)) + "\" x2=\"" + px(left + w) + "\" y2=\"" + px(Y(bottom)) + "\"/><text x=\"0\" y=\"" + px(Y(top) + 10) +
       "\">" + num(top) + "</text><text x=\"0\" y=\"" + px(Y(bottom)) + "\">" + num(bottom) + "</text><text x=\"" +
       px(left) + "\" y=\"" + px(h + 24) + "\">" + hhmm(t0) + "</text><text x=\"" + px(left + w) + "\" y=\"" +
       px(h + 24) + "\" text-anchor=\"end\">" + hhmm(t1) + "</text>";
  if (!std::isnan(threshold)) {
    o += "<line class=\"threshold\" x1=\"" + px(left) + "\" y1=\"" + px(Y(threshold)) + "\" x2=\"" + px(left + w) +
         "\" y2=\"" + px(Y(threshold)) + "\"><title>CQD threshold " + num(threshold) + "</title></line>";
  }
  double legend_x = left + 180;
  for (const Line& l : lines) {
    std::string d;
    for (std::size_t i = 0; i < l.points.size(); ++i) {
      const auto& [t, v] = l.points[i];
      if (std::isnan(v)) continue;
      // A segment's average holds over its whole span: its two points join; the next segment starts anew.
      const bool move = d.empty() || (l.steps && i % 2 == 0);
      d += (move ? "M" : "L") + px(X(t)) + " " + px(Y(v)) + " ";
    }
    if (!d.empty()) {
      o += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + l.color + "\" stroke-width=\"2\"><title>" +
           esc(l.label) + "</title></path>";
    }
    o += "<text x=\"" + px(legend_x) + "\" y=\"8\" fill=\"" + l.color + "\">" + esc(l.label) + "</text>";
    legend_x += 120;
  }
  o += "</svg>";
}

void calls(const Model& m, std::string& o) {
  o += "<section id=\"calls\"><h2>Calls with poor segments, worst first</h2>";
  if (m.calls.empty()) {
    o += "<p class=\"muted\">No poor segment.</p></section>";
    return;
  }
  if (!m.have_inputs) {
    o += "<p class=\"muted\">Give the input files after the verdicts to see each stream's jitter, loss and round "
         "trip, and the telemetry of the hop blamed.</p>";
  }
  o += "<div class=\"pager\"><button id=\"prev\" type=\"button\">previous</button><button id=\"next\" "
       "type=\"button\">next</button><span id=\"page-label\"></span></div>";
  static constexpr const char* kDirectionColor[] = {"#1f77b4", "#ff7f0e"};
  for (const Call& call : m.calls) {
    const TimeMs t0 = call.segments.front().start, t1 = call.segments.back().end;
    o += "<article class=\"call\" data-call=\"" + esc(call.id) + "\" data-blame-kind=\"" + esc(call.blame_kind) +
         "\" data-blame-id=\"" + esc(call.blame_id) + "\"><h3>call " + esc(call.id) + "</h3><p class=\"muted\">" +
         std::to_string(call.poor) + " of " + std::to_string(call.segments.size()) + " segments poor, worst MOS " +
         num(call.worst_mos) + "; blamed: " + esc(call.blame_kind.empty() ? "nothing" : call.blame_kind + " " + call.blame_id) +
         "</p>";
    // The segments, coloured by quality.
    const double w = 420, left = 40;
    const auto at = [&](TimeMs t) {
      return left + w * static_cast<double>(t - t0) / std::max(1.0, static_cast<double>(t1 - t0));
    };
    o += "<svg class=\"segments\" width=\"" + px(left + w + 10) + "\" height=\"26\">";
    for (const SegmentRow& s : call.segments) {
      const double x0 = at(s.start), x1 = at(s.end);
      std::string why;
      for (const std::string& reason : s.why) why += "; " + reason;
      o += "<rect class=\"segment\" data-quality=\"" + esc(s.quality) + "\" x=\"" + px(x0) + "\" y=\"4\" width=\"" +
           px(std::max(2.0, x1 - x0 - 1)) + "\" height=\"16\" fill=\"" +
           (s.quality == "poor" ? "#de2d26" : s.quality == "good" ? "#74c476" : "#bdbdbd") + "\"><title>" +
           esc(s.segment_id) + ": " + esc(s.quality) + ", MOS " + num(s.mos) +
           (s.blame_kind.empty() ? "" : ", blamed " + esc(s.blame_kind + " " + s.blame_id) + " (" + num(s.confidence) + ")") +
           esc(why) + "</title></rect>";
    }
    o += "</svg>";
    if (m.have_inputs) {
      std::vector<Line> jitter, loss, rtt;
      for (int d = 0; d < 2; ++d) {
        const std::string from = d == 0 ? "caller" : "callee";
        Line j{"sent by " + from, kDirectionColor[d], {}, true}, l = j, r = j;
        for (const SegmentRow& s : call.segments) {
          const auto it = m.streams.find(s.segment_id);
          if (it == m.streams.end()) continue;
          for (const StreamPoint& p : it->second) {
            if (p.from != from) continue;
            j.points.insert(j.points.end(), {{p.start, p.jitter_ms}, {p.end, p.jitter_ms}});
            l.points.insert(l.points.end(), {{p.start, p.loss_pct}, {p.end, p.loss_pct}});
            r.points.insert(r.points.end(), {{p.start, p.rtt_ms}, {p.end, p.rtt_ms}});
          }
        }
        jitter.push_back(std::move(j));
        loss.push_back(std::move(l));
        rtt.push_back(std::move(r));
      }
      o += "<div class=\"charts\">";
      chart(o, "jitter (ms)", jitter, engine::cqd::kAudioJitterMs, t0, t1);
      chart(o, "packet loss (%)", loss, engine::cqd::kAudioLossPct, t0, t1);
      chart(o, "round trip (ms)", rtt, engine::cqd::kAudioRttMs, t0, t1);
      if (const auto it = m.hop_series.find(call.id); it != m.hop_series.end()) {
        for (const Series& s : it->second) {
          if (s.points.empty()) continue;
          const TimeMs a = std::min(t0, s.points.front().first), b = std::max(t1, s.points.back().first);
          chart(o, s.label + " (" + s.unit + ")", {Line{"telemetry", "#6a51a3", s.points, false}},
                std::nan(""), a, b);
        }
      }
      o += "</div>";
    }
    o += "</article>";
  }
  o += "</section>";
}

}  // namespace

void render(const Model& m, const ReportOptions& options, std::string& o) {
  o += "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
       "content=\"width=device-width,initial-scale=1\"><title>" +
       esc(options.title) + "</title><style>" + kStyle + "</style></head><body data-report=\"callroot\">";
  o += "<header><h1>" + esc(options.title) + "</h1><p>" + (m.segments == 0 ? std::string("no verdicts") :
       format_rfc3339(m.first) + " to " + format_rfc3339(m.last)) + " &middot; " + std::to_string(m.segments) +
       " segments from " + std::to_string(options.verdicts.size()) + " verdict file(s)" +
       (m.have_inputs ? " and " + std::to_string(options.inputs.size()) + " input file(s)" : "") + "</p></header>";
  summary(m, o);
  topology(m, o);
  incidents(m, options.max_incident_rows, o);
  calls(m, o);
  o += "<script>var PER_PAGE=" + std::to_string(options.calls_per_page) + ";" + kScript + "</script></body></html>\n";
}

}  // namespace callroot::report
