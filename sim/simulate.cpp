#include "sim/simulate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>

#include "models/json_writer.h"
#include "models/time.h"

namespace callroot::sim {

std::string_view to_string(Preset p) noexcept {
  switch (p) {
    case Preset::kDemo: return "demo";
    case Preset::kCampus: return "campus";
    case Preset::kEnterprise: return "enterprise";
    case Preset::kMixed: return "mixed";
  }
  return "demo";
}

std::optional<Preset> parse_preset(std::string_view name) noexcept {
  for (const Preset p : {Preset::kDemo, Preset::kCampus, Preset::kEnterprise, Preset::kMixed}) {
    if (name == to_string(p)) return p;
  }
  return std::nullopt;
}

namespace {

constexpr TimeMs kSecond = 1000;
constexpr TimeMs kMinute = 60 * kSecond;
constexpr TimeMs kHour = 60 * kMinute;
// Long call legs are cut into segments of at most this length, as Teams does.
constexpr TimeMs kMaxSegment = 5 * kMinute;
// A roam that would leave a sliver of a segment makes the call be redrawn:
// segments that short carry too few telemetry samples to be scored.
constexpr TimeMs kMinPiece = 30 * kSecond;
// Every planted fault gets at least this many poor segments, and every
// confounder this many segments across it.
constexpr std::size_t kMinFaultSegments = 6;
constexpr std::size_t kMinConfounderSegments = 4;
// A telemetry gap planted inside a fault gets at least this many of the
// fault's segments under it, so "insufficient data" is exercised.
constexpr std::size_t kMinGapSegments = 2;
// Ordinary calls that would push a fault past this share of the segments
// (one in 20) are redrawn, so most segments stay good whatever the seed.
constexpr int kFaultShareDivisor = 20;
// A gap this close to a segment counts as in its telemetry: the samples
// around a segment describe it as much as those inside it.
constexpr TimeMs kEvidencePadding = 30 * kSecond;
// Faults that share a client stay this far apart in time, so no segment
// window sees two of them.
constexpr TimeMs kFaultMargin = 2 * kMinute;

// ---------------------------------------------------------------- randomness

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

struct Range {
  double lo = 0;
  double hi = 0;
};

/// mt19937_64 is fully specified by the standard; the std:: distributions are
/// not, so every draw is derived here with plain arithmetic. Each part of the
/// scenario has its own named stream, so changing one part leaves the others
/// as they were.
class Rng {
 public:
  Rng(std::uint64_t seed, std::string_view stream) : engine_(splitmix64(seed ^ fnv1a(stream))) {}

  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double uniform(Range r) { return uniform(r.lo, r.hi); }
  /// Irwin-Hall: the sum of 12 uniforms has variance 1. Unlike Box-Muller it
  /// needs no log/sin/cos, whose last bits differ between C libraries.
  double normal(double mean, double sd) {
    double s = 0;
    for (int i = 0; i < 12; ++i) s += uniform();
    return mean + sd * (s - 6.0);
  }
  bool chance(double p) { return uniform() < p; }
  /// Integer in [lo, hi]; the modulo bias is irrelevant at these sizes.
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(engine_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(engine_() % n); }
  std::uint64_t bits() { return engine_(); }
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[index(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

/// A mean-reverting AR(1) deviation around a mean that may move (the daily
/// load): gauges drift like real telemetry instead of jumping every sample.
class Wander {
 public:
  Wander() = default;
  Wander(Rng& rng, double sd, double phi, Range clamp)
      : phi_(phi), step_sd_(sd * std::sqrt(1.0 - phi * phi)), clamp_(clamp), dev_(rng.normal(0, sd)) {}
  double next(Rng& rng, double mean) {
    dev_ = phi_ * dev_ + rng.normal(0, step_sd_);
    return std::clamp(mean + dev_, clamp_.lo, clamp_.hi);
  }

 private:
  double phi_ = 0;
  double step_sd_ = 0;
  Range clamp_{};
  double dev_ = 0;
};

// Stream metrics are rounded as they are drawn, so the truth's check of the
// CQD thresholds sees exactly the numbers written.
double round_to(double v, double scale) { return std::round(v * scale) / scale; }
double r1(double v) { return round_to(v, 10); }
double r2(double v) { return round_to(v, 100); }
double r3(double v) { return round_to(v, 1000); }

/// How busy the organization is at t, 0.1 (night) to 1 (business hours), by
/// the UTC hour of day (the sites are taken to be on UTC): a ramp from 06:00
/// to 09:00, a lunch dip, a ramp down from 17:00 to 20:00. Infrastructure
/// utilization and the call rate follow it.
double business_load(TimeMs t) {
  const TimeMs day_ms = 24 * kHour;
  const double h = static_cast<double>(((t % day_ms) + day_ms) % day_ms) / static_cast<double>(kHour);
  if (h < 6) return 0.1;
  if (h < 9) return 0.1 + 0.9 * (h - 6) / 3;
  if (h < 12) return 1.0;
  if (h < 13) return 0.85;
  if (h < 17) return 1.0;
  if (h < 20) return 1.0 - 0.9 * (h - 17) / 3;
  return 0.1;
}

// ---------------------------------------------------------------- configuration

struct Config {
  Preset preset = Preset::kDemo;
  std::uint64_t seed = 0;
  int sites = 0, hq_aps = 0, branch_aps = 0, clients = 0, hours = 0, interval_s = 0, segments = 0;
  int aps_per_switch = 4;
  int switch_ports = 0;  ///< 0: only the ports in use report
  TimeMs start = 0, end = 0;
  TimeMs warmup = 0;             ///< faults and confounders start no earlier than start + warmup
  int fault_instances = 0;       ///< per kind; 0: the demo's fixed five faults
  int confounder_instances = 0;  ///< per kind
  int gaps_on_faults = 0, gaps_elsewhere = 0;
  double background_share = 0;
  /// An odd error on a healthy port now and then, as real ports have: noise
  /// that a method must not take for a fault. The demo shows planted faults
  /// only, so its ports are clean.
  bool stray_port_errors = false;
  /// Faults as they come on real networks: mild to severe, some in bursts,
  /// starting and ending in the middle of calls, so a fault may leave a call
  /// it touched good. The truth then follows the streams as written.
  bool realistic = false;
  /// Decoys: a busy 2.4 GHz radio, lone CRC errors, a switch whose counters
  /// restart from zero, a switch gone silent for ten minutes. None harms a call.
  bool decoys = false;
  int externals = 0;
};

// 2026-03-02T09:00:00Z (the demo's hour) and 08:00:00Z (a morning ramping up
// into business hours: the first hour is the warm-up).
constexpr TimeMs kDemoStart = 1772442000000;
constexpr TimeMs kMorningStart = 1772438400000;

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("simulate: " + what);
}

Config resolve(const SimulateOptions& o) {
  require(!o.out_dir.empty(), "out_dir is empty");
  Config c;
  c.preset = o.preset;
  c.seed = o.seed;
  struct Size {
    int sites, aps, clients, hours, interval_s, segments;
    TimeMs start;
  };
  // The enterprise's controller is polled every minute: 4,000 clients every
  // 30 s would only make the files twice as large.
  static constexpr Size kDemo{2, 8, 50, 1, 30, 300, kDemoStart};
  static constexpr Size kCampus{4, 10, 400, 3, 30, 3000, kMorningStart};
  static constexpr Size kEnterprise{20, 10, 4000, 3, 60, 30000, kMorningStart};
  const Size& size = o.preset == Preset::kDemo ? kDemo : o.preset == Preset::kEnterprise ? kEnterprise : kCampus;
  c.sites = size.sites;
  int aps = size.aps;
  c.clients = size.clients;
  c.hours = size.hours;
  c.interval_s = size.interval_s;
  c.segments = size.segments;
  c.start = size.start;
  if (o.preset != Preset::kDemo) {
    const bool campus = o.preset != Preset::kEnterprise;  // mixed is campus-sized
    c.fault_instances = campus ? 3 : 6;
    c.confounder_instances = campus ? 2 : 5;
    c.gaps_on_faults = campus ? 2 : 4;
    c.gaps_elsewhere = campus ? 2 : 4;
    c.background_share = 0.01;
    c.stray_port_errors = true;
    c.realistic = c.decoys = o.preset == Preset::kMixed;
  }
  if (o.sites != 0) c.sites = o.sites;
  if (o.aps_per_site != 0) aps = o.aps_per_site;
  if (o.clients != 0) c.clients = o.clients;
  if (o.hours != 0) c.hours = o.hours;
  if (o.interval_s != 0) c.interval_s = o.interval_s;
  if (o.segments != 0) c.segments = o.segments;
  if (o.start_ms != 0) c.start = o.start_ms;
  if (o.aps_per_switch != 0) c.aps_per_switch = o.aps_per_switch;
  c.switch_ports = o.switch_ports;

  require(c.sites >= 1 && c.sites <= 60, "sites must be 1..60");
  require(aps >= 2 && aps <= 64, "aps per site must be 2..64");
  require(c.clients >= std::max(24, 12 * c.sites), "clients must be at least 24 and 12 per site");
  require(c.clients <= 2000 * c.sites && c.clients <= 100000, "clients must be at most 2,000 per site and 100,000");
  require(c.hours >= 1 && c.hours <= 48, "hours must be 1..48");
  require(c.interval_s >= 5 && c.interval_s <= 300, "interval_s must be 5..300");
  require(c.segments >= 60 && c.segments <= 1000000, "segments must be 60..1,000,000");
  require(c.start > 0 && c.start < 253402300799000 - 49 * kHour, "start_ms is out of range");
  require(c.aps_per_switch >= 1 && c.aps_per_switch <= 16, "aps per switch must be 1..16");
  require(c.switch_ports >= 0 && c.switch_ports <= 96, "switch ports must be 0..96");

  c.hq_aps = aps;
  // The demo's branch office is half the size of its headquarters.
  c.branch_aps = o.preset == Preset::kDemo ? std::max(2, aps / 2) : aps;
  c.end = c.start + c.hours * kHour;
  // Baselines need a normal first hour; a one-hour scenario gets a short one.
  if (o.preset != Preset::kDemo) c.warmup = c.hours >= 2 ? kHour : 15 * kMinute;
  c.externals = std::clamp(c.clients / 20, 16, 200);
  return c;
}

// ---------------------------------------------------------------- the organization

enum class DeviceKind { kPc, kMobile, kRoomSystem };

std::string_view device_name(DeviceKind d) {
  switch (d) {
    case DeviceKind::kPc: return "pc";
    case DeviceKind::kMobile: return "mobile";
    case DeviceKind::kRoomSystem: return "room_system";
  }
  return "unknown";
}

struct Site {
  std::string id, name, label;  // label: the hostname prefix, e.g. "HQ", "BR03"
  int octet = 0;
  std::string cidr, wifi_cidr, wired_cidr;
  std::string edge;
  int core = -1;
  std::vector<int> access, aps, links, clients;
};

struct Switch {
  std::string id, name;
  int site = 0;
  int parent = -1;          // uplink switch, or -1 when the uplink is the WAN edge
  std::string parent_port;  // port on the parent
  int wired_ports = 0;      // client ports handed out so far
};

struct Ap {
  std::string id, name;
  int site = 0;
  int sw = 0;
  std::string port;
  std::string bssid24, bssid5;
  int ch24 = 1, ch5 = 36;
};

struct Link {
  std::string id, provider;
  int site = 0;
  int capacity_mbps = 0;
  std::vector<std::string> public_ips;
  double latency_mean = 15;
  int clients = 0;
};

/// Where a client is attached from `since` on (Wi-Fi AP radio or switch port).
struct Attachment {
  TimeMs since = 0;
  int ap = -1;  // -1: wired
  bool band5 = true;
  int sw = -1;
  std::string port;
};

struct Client {
  std::string mac, user, hostname, ip;
  int site = 0;
  DeviceKind device = DeviceKind::kPc;
  bool wired = false;
  bool battery = false;
  int link = 0;
  std::string reflexive_ip;  // the public address of the WAN link its media leaves by
  double rssi_mean = -55;    // how far its desk is from the AP
  bool roams = false;
  bool reserved = false;                // taken by a client fault or confounder
  bool borderline = false;              // the borderline_client confounder
  std::vector<Attachment> attachments;  // by since
};

/// A participant outside the organization.
struct External {
  std::string user, ip;
  bool wifi = false;
  DeviceKind device = DeviceKind::kPc;
};

struct Campus {
  std::vector<Site> sites;
  std::vector<Switch> switches;
  std::vector<Ap> aps;
  std::vector<Link> links;
  std::vector<Client> clients;
  std::vector<External> externals;
};

const Attachment& attachment_at(const Client& c, TimeMs t) {
  const Attachment* found = &c.attachments.front();
  for (const auto& a : c.attachments) {
    if (a.since <= t) found = &a;
  }
  return *found;
}

/// The end of attachment k: the next one's start, or never.
TimeMs attachment_end(const Client& c, std::size_t k) {
  return k + 1 < c.attachments.size() ? c.attachments[k + 1].since : std::numeric_limits<TimeMs>::max();
}

/// The access switch a client hangs off through this attachment.
int access_of(const Campus& campus, const Attachment& a) {
  return a.ap >= 0 ? campus.aps[static_cast<std::size_t>(a.ap)].sw : a.sw;
}

std::string mac_string(std::array<unsigned, 6> b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return buf;
}

std::string ip4(int a, int b, int c, int d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d.%d.%d.%d", a, b, c, d);
  return buf;
}

/// A core switch at the WAN edge, access switches of up to aps_per_switch
/// APs each, the APs, and two WAN links. Site 0 is the headquarters.
void add_site(Campus& campus, const Config& cfg, int s) {
  Site site;
  char buf[64];
  if (s == 0) {
    site.id = "hq";
    site.name = "Headquarters";
    site.label = "HQ";
  } else if (cfg.sites == 2) {
    site.id = "branch";
    site.name = "Branch office";
    site.label = "BR";
  } else {
    std::snprintf(buf, sizeof buf, "br%02d", s);
    site.id = buf;
    site.name = "Branch office " + std::to_string(s);
    std::snprintf(buf, sizeof buf, "BR%02d", s);
    site.label = buf;
  }
  site.octet = s + 1;
  const std::string net = "10." + std::to_string(site.octet) + ".";
  site.cidr = net + "0.0/16";
  site.wifi_cidr = net + "16.0/20";
  site.wired_cidr = net + "4.0/24";
  site.edge = site.id + "-edge";

  const int ap_count = s == 0 ? cfg.hq_aps : cfg.branch_aps;
  site.core = static_cast<int>(campus.switches.size());
  campus.switches.push_back({site.id + "-core", site.name + " core", s, -1, "", 0});
  const int access_count = (ap_count + cfg.aps_per_switch - 1) / cfg.aps_per_switch;
  for (int k = 0; k < access_count; ++k) {
    site.access.push_back(static_cast<int>(campus.switches.size()));
    campus.switches.push_back({site.id + "-acc" + std::to_string(k + 1), site.name + " access " + std::to_string(k + 1),
                               s, site.core, "Te1/0/" + std::to_string(k + 1), 0});
  }

  static constexpr std::array kCh24{1, 6, 11};
  static constexpr std::array kCh5{36, 52, 100, 149, 40, 56, 104, 153};
  for (int k = 0; k < ap_count; ++k) {
    std::snprintf(buf, sizeof buf, "%s-ap%02d", site.id.c_str(), k + 1);
    Ap ap;
    ap.id = buf;
    ap.name = site.name + " AP " + std::to_string(k + 1);
    ap.site = s;
    ap.sw = site.access[static_cast<std::size_t>(k / cfg.aps_per_switch)];
    ap.port = "Gi1/0/" + std::to_string(k % cfg.aps_per_switch + 1);
    const auto so = static_cast<unsigned>(s + 1), ao = static_cast<unsigned>(k + 1);
    ap.bssid24 = mac_string({0x70, 0x3a, 0x0e, so, ao, 0x00});
    ap.bssid5 = mac_string({0x70, 0x3a, 0x0e, so, ao, 0x10});
    ap.ch24 = kCh24[static_cast<std::size_t>(k) % kCh24.size()];
    ap.ch5 = kCh5[static_cast<std::size_t>(k) % kCh5.size()];
    site.aps.push_back(static_cast<int>(campus.aps.size()));
    campus.aps.push_back(std::move(ap));
  }

  // Documentation address ranges: public, and in no site subnet.
  const bool hq = s == 0;
  Link wan1{site.id + "-wan1", "Fibernet", s, hq ? 1000 : 200, {ip4(198, 51, 100, 10 + 4 * s)}, hq ? 11.0 : 14.0, 0};
  Link wan2{site.id + "-wan2", "Metro Cable", s, hq ? 500 : 100, {ip4(203, 0, 113, 10 + 4 * s)}, hq ? 18.0 : 21.0, 0};
  (hq ? wan1 : wan2).public_ips.push_back(ip4(hq ? 198 : 203, hq ? 51 : 0, hq ? 100 : 113, 11 + 4 * s));
  for (Link* l : {&wan1, &wan2}) {
    site.links.push_back(static_cast<int>(campus.links.size()));
    campus.links.push_back(std::move(*l));
  }
  campus.sites.push_back(std::move(site));
}

std::string unique_mac(Rng& rng, DeviceKind device, std::set<std::string>& used) {
  // Real vendor prefixes, so the MACs look like what a controller shows.
  static constexpr std::array<std::array<unsigned, 3>, 5> kPcOui{
      {{0x3c, 0x22, 0xfb}, {0xf0, 0x18, 0x98}, {0xa4, 0x83, 0xe7}, {0x8c, 0x8d, 0x28}, {0xdc, 0x41, 0xa9}}};
  static constexpr std::array<std::array<unsigned, 3>, 3> kMobileOui{
      {{0xac, 0xbc, 0x32}, {0xf4, 0x0f, 0x24}, {0x28, 0x6c, 0x07}}};
  static constexpr std::array<unsigned, 3> kRoomOui{0x64, 0x16, 0x7f};
  for (;;) {
    std::array<unsigned, 3> oui = kRoomOui;
    if (device == DeviceKind::kPc) oui = kPcOui[rng.index(kPcOui.size())];
    if (device == DeviceKind::kMobile) oui = kMobileOui[rng.index(kMobileOui.size())];
    const std::uint64_t tail = rng.bits();
    auto mac = mac_string({oui[0], oui[1], oui[2], static_cast<unsigned>(tail & 0xff),
                           static_cast<unsigned>((tail >> 8) & 0xff), static_cast<unsigned>((tail >> 16) & 0xff)});
    if (used.insert(mac).second) return mac;
  }
}

std::string person_name(int k) {
  static constexpr std::array<std::string_view, 26> kFirst{
      "alice", "bob",  "carla", "david", "emma", "farid", "grace", "hiro", "ines", "jonas", "kate", "liam",  "maya",
      "nils",  "olga", "pablo", "quinn", "rosa", "sam",   "tara",  "umar", "vera", "wei",   "xena", "yusuf", "zoe"};
  static constexpr std::array<std::string_view, 20> kLast{
      "adams", "baker", "chen",  "diaz",  "evans",  "fischer", "garcia", "hughes", "ito",   "jensen",
      "khan",  "lopez", "meyer", "novak", "okafor", "patel",   "quist",  "rossi",  "silva", "tanaka"};
  // (k mod 26, 7k+3 mod 20) repeats only after 260 people; past that a
  // number keeps the names unique.
  const auto u = static_cast<std::size_t>(k);
  std::string name = std::string(kFirst[u % kFirst.size()]) + "." + std::string(kLast[(7 * u + 3) % kLast.size()]);
  if (k >= 260) name += std::to_string(k / 260 + 1);
  return name;
}

/// One site's clients: first its room systems (one per 40 clients) and wired
/// desktops (one in 20, at least two at hq), on the access switches in turn;
/// the rest are laptops and phones on Wi-Fi, spread round-robin over the APs.
void add_clients(Campus& campus, int site_index, int count, int& person, Rng& rng, std::set<std::string>& used,
                 TimeMs start) {
  Site& site = campus.sites[static_cast<std::size_t>(site_index)];
  const int rooms = std::max(1, count / 40);
  const int desks = site_index == 0 ? std::max(2, count / 20) : count / 20;
  static constexpr std::array<std::string_view, 6> kRooms{"boardroom", "huddle", "focus", "studio", "lounge", "atrium"};
  int wired_slot = 0, wifi_slot = 0;
  for (int k = 0; k < count; ++k) {
    Client c;
    c.site = site_index;
    const bool room = k < rooms;
    c.wired = k < rooms + desks;
    c.device = room ? DeviceKind::kRoomSystem : (!c.wired && rng.chance(0.25) ? DeviceKind::kMobile : DeviceKind::kPc);
    c.battery = !c.wired;
    c.mac = unique_mac(rng, c.device, used);
    char host[64];
    if (room) {
      const auto r = static_cast<std::size_t>(k + (site_index == 0 ? 0 : 1));
      std::string name(kRooms[r % kRooms.size()]);
      if (k >= static_cast<int>(kRooms.size())) name += std::to_string(k / static_cast<int>(kRooms.size()) + 1);
      c.user = "room." + site.id + "-" + name + "@contoso.example";
      std::snprintf(host, sizeof host, "%s-ROOM-MTR%s", site.label.c_str(),
                    k == 0 ? "" : std::to_string(k + 1).c_str());
    } else {
      const std::string who = person_name(person++);
      c.user = who + "@contoso.example";
      if (c.device == DeviceKind::kMobile) {
        std::snprintf(host, sizeof host, "mob-%s", who.substr(0, who.find('.')).c_str());
      } else {
        std::snprintf(host, sizeof host, "%s-%s-%04d", site.label.c_str(), c.wired ? "DT" : "LT",
                      1000 + static_cast<int>(rng.between(0, 8999)));
      }
    }
    c.hostname = host;
    const int slot = c.wired ? wired_slot : wifi_slot;
    const int host_no = 20 + slot;
    c.ip = c.wired ? ip4(10, site.octet, 4, host_no) : ip4(10, site.octet, 16 + host_no / 256, host_no % 256);
    // Most media leaves by the first link; the policy router sends some
    // clients out of the second one. Fixed per client, as source NAT is.
    c.link = site.links[rng.chance(0.2) ? 1 : 0];
    Link& link = campus.links[static_cast<std::size_t>(c.link)];
    ++link.clients;
    c.reflexive_ip = link.public_ips[static_cast<std::size_t>(k) % link.public_ips.size()];

    Attachment a;
    a.since = start - rng.between(60, 600) * kSecond - rng.between(0, 999);
    if (c.wired) {
      a.sw = site.access[static_cast<std::size_t>(wired_slot) % site.access.size()];
      Switch& sw = campus.switches[static_cast<std::size_t>(a.sw)];
      a.port = "Gi1/0/" + std::to_string(20 + sw.wired_ports++);
      ++wired_slot;
    } else {
      a.ap = site.aps[static_cast<std::size_t>(wifi_slot) % site.aps.size()];
      a.band5 = rng.chance(c.device == DeviceKind::kMobile ? 0.6 : 0.85);
      c.rssi_mean = a.band5 ? rng.uniform(-60, -50) : rng.uniform(-56, -48);
      ++wifi_slot;
    }
    c.attachments.push_back(std::move(a));
    site.clients.push_back(static_cast<int>(campus.clients.size()));
    campus.clients.push_back(std::move(c));
  }
}

std::vector<External> make_externals(Rng& rng, int count) {
  static constexpr std::array<std::string_view, 3> kDomains{"partner.example", "fabrikam.example", "northwind.example"};
  std::vector<External> out;
  for (int k = 0; k < count; ++k) {
    External e;
    char user[64];
    std::snprintf(user, sizeof user, "guest%02d@%s", k + 1,
                  std::string(kDomains[static_cast<std::size_t>(k) % kDomains.size()]).c_str());
    e.user = user;
    // 192.0.2.0/24 is a documentation range: public, and in no site subnet.
    e.ip = ip4(192, 0, 2, 10 + k);
    e.wifi = rng.chance(0.5);
    e.device = rng.chance(0.3) ? DeviceKind::kMobile : DeviceKind::kPc;
    out.push_back(std::move(e));
  }
  return out;
}

/// Clients go to the sites in proportion to their APs, the remainder to hq.
Campus build_campus(const Config& cfg, Rng& rng) {
  Campus campus;
  for (int s = 0; s < cfg.sites; ++s) add_site(campus, cfg, s);
  const int total_aps = cfg.hq_aps + (cfg.sites - 1) * cfg.branch_aps;
  std::vector<int> counts(static_cast<std::size_t>(cfg.sites));
  int assigned = 0;
  for (int s = 1; s < cfg.sites; ++s) {
    counts[static_cast<std::size_t>(s)] = cfg.clients * cfg.branch_aps / total_aps;
    assigned += counts[static_cast<std::size_t>(s)];
  }
  counts[0] = cfg.clients - assigned;
  std::set<std::string> used;
  int person = 0;
  for (int s = 0; s < cfg.sites; ++s)
    add_clients(campus, s, counts[static_cast<std::size_t>(s)], person, rng, used, cfg.start);
  campus.externals = make_externals(rng, cfg.externals);
  return campus;
}

/// One Wi-Fi client in ten roams once, mid-scenario, to another AP of its
/// site; calls are cut at the roam (a new BSSID starts a new leg).
void add_roams(Campus& campus, const Config& cfg, Rng& rng) {
  std::vector<int> eligible;
  for (std::size_t i = 0; i < campus.clients.size(); ++i) {
    const Client& c = campus.clients[i];
    if (!c.wired && c.device != DeviceKind::kRoomSystem) eligible.push_back(static_cast<int>(i));
  }
  rng.shuffle(eligible);
  const int count = std::max(2, cfg.clients / 10);
  int done = 0;
  for (const int i : eligible) {
    if (done == count) break;
    Client& c = campus.clients[static_cast<std::size_t>(i)];
    const Attachment& from = c.attachments.front();
    std::vector<int> targets;
    for (const int ap : campus.sites[static_cast<std::size_t>(c.site)].aps) {
      if (ap != from.ap) targets.push_back(ap);
    }
    if (targets.empty()) continue;
    Attachment to = from;
    to.ap = targets[rng.index(targets.size())];
    const TimeMs lo = cfg.start + 8 * kMinute, hi = cfg.end - 8 * kMinute;
    to.since = lo + rng.between(0, (hi - lo) / kSecond) * kSecond + rng.between(0, 999);
    c.attachments.push_back(std::move(to));
    c.roams = true;
    ++done;
  }
}

// ---------------------------------------------------------------- faults, confounders, gaps

enum class FaultKind : std::uint8_t {
  kWeakWifi,
  kClientCpu,
  kCongestedAp,
  kApInterference,
  kSwitchUplink,
  kApPort,
  kCongestedWan,
  kRemote
};
constexpr std::size_t kFaultKinds = 8;

/// What a fault is planted on. It decides which calls cross the fault, which
/// component the truth names, and whose telemetry a gap inside it hides.
enum class Component : std::uint8_t {
  kClient,        ///< one client device
  kAp,            ///< an AP, both radios
  kApCable,       ///< the cable between an AP and its access-switch port
  kAccessUplink,  ///< the link between an access switch and the core
  kWanLink,       ///< one WAN link
  kFarSide,       ///< an outside party's own network
};

/// Which clients a client fault can befall.
enum class ClientNeeds : std::uint8_t { kAny, kRadio, kComputer };

enum class Level { kGood, kMild, kModerate, kSevere };

struct AudioProfile {
  Range jitter, loss, rtt, degradation, concealed;
};

/// An unset range (0, 0) leaves the figure as it would have been.
constexpr bool is_set(Range r) { return r.lo != 0 || r.hi != 0; }

/// A figure under a fault of intensity x (0..1): `faulted` at full strength,
/// part-way from `normal` below it. Mild faults show mildly everywhere.
double worsen(double normal, double faulted, double x) { return x >= 1 ? faulted : normal + x * (faulted - normal); }

/// An AP's wifi.ap records (both radios) while the fault is on.
struct RadioSignature {
  Range interference;     ///< interference_pct
  Range util;             ///< channel_util_pct
  double util_rise = 0;   ///< points added to the normal utilization
  Range retry;            ///< the AP's tx_retry_pct
  double noise_rise = 0;  ///< dB added to the noise floor
  Range cpu;              ///< the AP's cpu_pct
};

/// The wifi.client records of every client the fault touches.
struct ClientRadioSignature {
  bool weak_signal = false;  ///< RSSI -84 to -78 dBm and SNR 8 to 14 dB instead of the desk's
  Range snr_drop;            ///< dB taken off the SNR (kept within 15..40)
  Range retry;               ///< tx_retry_pct and rx_retry_pct
  int rate_steps = 0;        ///< MCS steps below what the SNR would give
};

/// switch.port counters on the ports that face the damage. A damaged cable
/// or optic corrupts a share of every frame that crosses it, calls and all
/// other traffic alike, so the counters grow with the traffic the port
/// receives: the share of frames that fail the FCS is about the loss the
/// calls across it suffer.
struct PortSignature {
  Range corrupt;             ///< share of the received frames that fail the FCS (in_fcs_errors, in in_errors too)
  double other_per_fcs = 0;  ///< further input errors (runts, alignment) per FCS error
  double discard_per_fcs = 0;  ///< input discards per FCS error (a damaged frame burst overruns the buffer)
  /// A switch-to-switch cable corrupts frames both ways, so the ports at
  /// both ends count; an AP's cable shows on the switch port alone (the AP's
  /// own interface counters are not in its telemetry).
  bool both_ends = false;
  [[nodiscard]] bool counts() const { return corrupt.hi > 0; }
};
/// The mean frame of a campus's mixed traffic (the simulator's own figure:
/// bulk transfers at 1,500 bytes, acknowledgements and media far smaller).
constexpr double kSimFrameBytes = 700;

struct WanSignature {
  Range latency, jitter, loss, util;  ///< wan.link; util both ways
};

/// What the call record's own endpoint reports about itself.
struct EndpointSignature {
  double rssi_dbm = 0;     ///< 0: the desk's; else the RSSI behind wifi_signal_pct
  Range cpu_insufficient;  ///< cpu_insufficient_ratio; unset: 0 to 0.03
};

/// One fault kind: where it shows (which telemetry of which device, which
/// ends of a damaged link, which streams and directions) and how. The
/// generator reads every fault's effects from here.
struct FaultSpec {
  std::string_view name;   ///< truth `fault`
  std::string_view blame;  ///< truth `kind`: the smallest fault domain that matches the calls that suffer
  Component component = Component::kClient;
  ClientNeeds needs = ClientNeeds::kAny;
  RadioSignature ap_radios;
  ClientRadioSignature client_radio;
  PortSignature ports;
  WanSignature wan;
  Range device_cpu;  ///< client.device cpu_pct
  EndpointSignature endpoint;
  /// What the impaired side sends is kSevere; what is sent toward it crosses
  /// the same damage and arrives at this level.
  Level toward = Level::kModerate;
  AudioProfile severe, moderate;
  TimeMs min_len = 15 * kMinute, max_len = 30 * kMinute;  ///< in the scheduled presets
};

// Wireless trouble: jitter from retransmissions, loss when they run out.
constexpr AudioProfile kRadioSevere{{32, 60}, {6, 18}, {90, 220}, {1.2, 2.4}, {0.08, 0.2}};
constexpr AudioProfile kRadioModerate{{31, 42}, {3, 9}, {80, 200}, {1.05, 1.6}, {0.072, 0.12}};
// Corrupted frames are dropped: loss without much jitter.
constexpr AudioProfile kCorrupted{{6, 18}, {11, 22}, {25, 90}, {1.1, 2.0}, {0.08, 0.18}};
// Corrupting a tenth of the frames, as the calls across it lose a tenth of theirs.
constexpr PortSignature kBadCable{{0.06, 0.2}, 0.02, 0.1, false};

constexpr std::array<FaultSpec, kFaultKinds> kFaultSpecs = [] {
  std::array<FaultSpec, kFaultKinds> t{};
  auto at = [&](FaultKind k) -> FaultSpec& { return t[static_cast<std::size_t>(k)]; };

  FaultSpec& weak = at(FaultKind::kWeakWifi);  // a desk too far from its AP
  weak.name = "weak_wifi_client";
  weak.blame = "client";
  weak.component = Component::kClient;
  weak.needs = ClientNeeds::kRadio;
  weak.client_radio.weak_signal = true;
  weak.client_radio.retry = {25, 40};
  weak.endpoint.rssi_dbm = -81;
  weak.severe = kRadioSevere;
  weak.moderate = kRadioModerate;
  weak.min_len = 20 * kMinute;
  weak.max_len = 45 * kMinute;

  FaultSpec& cpu = at(FaultKind::kClientCpu);  // a runaway process (an indexer, an update) pins the CPU
  cpu.name = "client_cpu";
  cpu.blame = "client";
  cpu.component = Component::kClient;
  cpu.needs = ClientNeeds::kComputer;
  cpu.device_cpu = {95, 100};
  cpu.endpoint.cpu_insufficient = {0.25, 0.7};
  // A starved client drops and distorts audio it captures and plays; the
  // network is fine.
  cpu.severe = {{8, 25}, {0, 1.5}, {25, 90}, {1.2, 2.2}, {0.09, 0.2}};
  cpu.moderate = {{5, 20}, {0, 1}, {25, 90}, {1.05, 1.5}, {0.072, 0.11}};
  cpu.min_len = 20 * kMinute;
  cpu.max_len = 45 * kMinute;

  // Too many talkers for the airtime: the channel is full, frames collide;
  // its clients retry more and fall to lower rates, their signal stays fine.
  FaultSpec& busy = at(FaultKind::kCongestedAp);
  busy.name = "congested_ap";
  busy.blame = "ap";
  busy.component = Component::kAp;
  busy.ap_radios.util = {85, 95};
  busy.ap_radios.retry = {25, 35};
  busy.ap_radios.noise_rise = 3;
  busy.ap_radios.cpu = {45, 65};
  busy.client_radio.retry = {12, 20};
  busy.client_radio.rate_steps = 3;
  busy.severe = kRadioSevere;
  busy.moderate = kRadioModerate;

  // A non-Wi-Fi source on the channel: the noise floor rises (and with it
  // the clients' SNR falls), frames are lost to it, and the airtime it takes
  // shows up a little.
  FaultSpec& noisy = at(FaultKind::kApInterference);
  noisy.name = "ap_interference";
  noisy.blame = "ap";
  noisy.component = Component::kAp;
  noisy.ap_radios.interference = {35, 60};
  noisy.ap_radios.util_rise = 8;
  noisy.ap_radios.retry = {18, 28};
  noisy.ap_radios.noise_rise = 8;
  noisy.client_radio.snr_drop = {0, 4};
  noisy.client_radio.retry = {15, 25};
  noisy.client_radio.rate_steps = 3;
  noisy.severe = kRadioSevere;
  noisy.moderate = kRadioModerate;

  // A damaged cable or optic between an access switch and the core. It is
  // the access switch's: the calls that suffer are exactly those below it,
  // while the core's other ports stay clean.
  FaultSpec& uplink = at(FaultKind::kSwitchUplink);
  uplink.name = "switch_uplink_errors";
  uplink.blame = "switch";
  uplink.component = Component::kAccessUplink;
  uplink.ports = kBadCable;
  uplink.ports.both_ends = true;
  uplink.toward = Level::kMild;
  uplink.severe = uplink.moderate = kCorrupted;

  // An AP's bad cable: its access switch's port counts the errors; frames
  // corrupted on the way up are what the switch sees.
  FaultSpec& port = at(FaultKind::kApPort);
  port.name = "ap_port_errors";
  port.blame = "switch";
  port.component = Component::kApCable;
  port.ports = kBadCable;
  port.toward = Level::kMild;
  port.severe = port.moderate = kCorrupted;

  // A saturated link: queues fill, delay and jitter climb, the tail drops.
  FaultSpec& wan = at(FaultKind::kCongestedWan);
  wan.name = "congested_wan";
  wan.blame = "wan";
  wan.component = Component::kWanLink;
  wan.wan = {{60, 150}, {25, 45}, {2, 6}, {95, 99}};
  wan.severe = {{32, 50}, {3, 7}, {150, 320}, {1.05, 1.8}, {0.04, 0.09}};
  wan.moderate = {{31, 45}, {2, 6}, {150, 300}, {1.0, 1.5}, {0.03, 0.08}};

  // A far-side network (a guest's home Wi-Fi, a partner's ISP): no local
  // telemetry moves. It harms both ways: what the organization sends is lost
  // there too, and the round trip rises for both directions.
  FaultSpec& remote = at(FaultKind::kRemote);
  remote.name = "remote_network";
  remote.blame = "remote";
  remote.component = Component::kFarSide;
  remote.severe = {{35, 70}, {11, 25}, {120, 320}, {1.3, 2.5}, {0.1, 0.25}};
  remote.moderate = {{20, 45}, {4, 14}, {120, 300}, {0.8, 1.8}, {0.04, 0.12}};
  return t;
}();

const FaultSpec& spec(FaultKind k) { return kFaultSpecs[static_cast<std::size_t>(k)]; }

std::string_view fault_name(FaultKind k) { return spec(k).name; }

struct Fault {
  FaultKind kind = FaultKind::kRemote;
  TimeMs since = 0, until = 0;
  int site = -1;
  int client = -1, ap = -1, access = -1, link = -1, external = -1;
  std::vector<int> footprint;         // clients whose path crosses it during the interval, sorted
  std::vector<std::string> segments;  // the poor segments it made, by end
  /// How hard it hits, 0..1: at 1 every figure of its signature moves all
  /// the way; below, telemetry and streams alike move part of the way.
  double intensity = 1;
  /// Bursts: on for the first `on` of every `period` from `since`, as a
  /// flapping link or a neighbour's microwave oven is. Period 0: steady.
  TimeMs period = 0, on = 0;

  [[nodiscard]] bool on_at(TimeMs t) const { return period == 0 || (t - since) % period < on; }
  /// Telemetry samples describe the period just before their timestamp.
  [[nodiscard]] bool active_at(TimeMs t) const { return t > since && t <= until && on_at(t); }
  /// The share of [a, b) during which it is on.
  [[nodiscard]] double exposure(TimeMs a, TimeMs b) const {
    const TimeMs lo = std::max(a, since), hi = std::min(b, until);
    if (b <= a || hi <= lo) return 0;
    if (period == 0) return static_cast<double>(hi - lo) / static_cast<double>(b - a);
    TimeMs on_ms = 0;
    for (TimeMs c = since + (lo - since) / period * period; c < hi; c += period) {
      on_ms += std::max<TimeMs>(0, std::min(hi, c + on) - std::max(lo, c));
    }
    return static_cast<double>(on_ms) / static_cast<double>(b - a);
  }
};

enum class ConfounderKind : std::uint8_t {
  kBusyAp,
  kBorderlineClient,
  kBusyWan,
  kBusyRadio24,  ///< decoys from here on
  kSporadicCrc,
  kCounterReset,
  kSilentSwitch,
};

std::string_view confounder_name(ConfounderKind k) {
  switch (k) {
    case ConfounderKind::kBusyAp: return "busy_ap";
    case ConfounderKind::kBorderlineClient: return "borderline_client";
    case ConfounderKind::kBusyWan: return "busy_wan";
    case ConfounderKind::kBusyRadio24: return "busy_2g4_radio";
    case ConfounderKind::kSporadicCrc: return "sporadic_crc";
    case ConfounderKind::kCounterReset: return "switch_counter_reset";
    case ConfounderKind::kSilentSwitch: return "silent_switch";
  }
  return "";
}

struct Confounder {
  ConfounderKind kind = ConfounderKind::kBusyAp;
  TimeMs since = 0, until = 0;
  int site = 0;
  int ap = -1, client = -1, link = -1;
  int sw = -1;                        // an access switch (kSporadicCrc: the one hosting the AP's port)
  std::string port;                   // kSporadicCrc: the port that counts the errors
  std::vector<std::string> segments;  // segments across it during the interval

  [[nodiscard]] bool active_at(TimeMs t) const { return t > since && t <= until; }
};

enum class GapKind : std::uint8_t { kClient, kAp, kSwitch, kWan };

std::string_view gap_kind_name(GapKind k) {
  switch (k) {
    case GapKind::kClient: return "client";
    case GapKind::kAp: return "ap";
    case GapKind::kSwitch: return "switch";
    case GapKind::kWan: return "wan";
  }
  return "";
}

/// A component whose telemetry is missing over [since, until): the
/// controller, the SNMP poller or the agent lost it.
struct Gap {
  GapKind kind = GapKind::kAp;
  int index = -1;  // client, AP, switch or link
  int site = 0;
  TimeMs since = 0, until = 0;
  int fault = -1;  // the fault it was planted in, if any

  [[nodiscard]] bool hides(TimeMs t) const { return t >= since && t < until; }
};

struct Scenario {
  std::vector<Fault> faults;
  std::vector<Confounder> confounders;
  std::vector<Gap> gaps;
};

/// Whether the fault's component lies on this client's path through attachment a.
bool on_path(const Campus& campus, const Fault& f, int client, const Attachment& a) {
  switch (spec(f.kind).component) {
    case Component::kClient: return f.client == client;
    case Component::kAp:
    case Component::kApCable: return a.ap >= 0 && a.ap == f.ap;
    case Component::kAccessUplink: return access_of(campus, a) == f.access;
    case Component::kWanLink: return campus.clients[static_cast<std::size_t>(client)].link == f.link;
    case Component::kFarSide: return false;
  }
  return false;
}

std::vector<int> footprint_of(const Campus& campus, const Fault& f) {
  std::vector<int> out;
  const TimeMs lo = f.since - kFaultMargin, hi = f.until + kFaultMargin;
  for (std::size_t i = 0; i < campus.clients.size(); ++i) {
    const Client& c = campus.clients[i];
    for (std::size_t k = 0; k < c.attachments.size(); ++k) {
      if (c.attachments[k].since >= hi || attachment_end(c, k) <= lo) continue;
      if (on_path(campus, f, static_cast<int>(i), c.attachments[k])) {
        out.push_back(static_cast<int>(i));
        break;
      }
    }
  }
  return out;
}

bool overlaps(TimeMs a0, TimeMs a1, TimeMs b0, TimeMs b1) { return a0 < b1 && b0 < a1; }

/// Two faults conflict when one client could meet both within a few minutes:
/// every poor segment must have exactly one cause.
bool conflict(const Fault& a, const Fault& b) {
  if (!overlaps(a.since - kFaultMargin, a.until + kFaultMargin, b.since, b.until)) return false;
  if (a.external >= 0 && a.external == b.external) return true;
  std::vector<int> common;
  std::set_intersection(a.footprint.begin(), a.footprint.end(), b.footprint.begin(), b.footprint.end(),
                        std::back_inserter(common));
  return !common.empty();
}

template <typename T>
T pick(Rng& rng, const std::vector<T>& v) {
  return v[rng.index(v.size())];
}

/// A random component of the fault's kind at `site`; false when there is none.
bool pick_component(const Campus& campus, Fault& f, Rng& rng) {
  const Site& site = campus.sites[static_cast<std::size_t>(std::max(0, f.site))];
  std::vector<int> options;
  const FaultSpec& sp = spec(f.kind);
  switch (sp.component) {
    case Component::kClient:
      for (const int i : site.clients) {
        const Client& c = campus.clients[static_cast<std::size_t>(i)];
        if (c.reserved || c.roams || c.device == DeviceKind::kRoomSystem) continue;
        if (sp.needs == ClientNeeds::kRadio && c.wired) continue;
        if (sp.needs == ClientNeeds::kComputer && c.device != DeviceKind::kPc) continue;
        options.push_back(i);
      }
      if (options.empty()) return false;
      f.client = pick(rng, options);
      return true;
    case Component::kAp:
    case Component::kApCable: f.ap = pick(rng, site.aps); return true;
    case Component::kAccessUplink: f.access = pick(rng, site.access); return true;
    case Component::kWanLink:
      for (const int l : site.links) {
        if (campus.links[static_cast<std::size_t>(l)].clients > 0) options.push_back(l);
      }
      if (options.empty()) return false;
      f.link = pick(rng, options);
      return true;
    case Component::kFarSide: f.external = static_cast<int>(rng.index(campus.externals.size())); return true;
  }
  return false;
}

/// Places one fault of `kind` at site (-1: any), in [lo, hi); false when
/// every try conflicts with the faults already placed.
bool place_fault(Campus& campus, std::vector<Fault>& faults, FaultKind kind, int site, TimeMs lo, TimeMs hi,
                 TimeMs min_len, TimeMs max_len, Rng& rng, int tries) {
  for (int t = 0; t < tries; ++t) {
    Fault f;
    f.kind = kind;
    const bool far_side = spec(kind).component == Component::kFarSide;
    f.site = far_side ? -1 : site >= 0 ? site : static_cast<int>(rng.index(campus.sites.size()));
    const TimeMs len = std::min(hi - lo, min_len + rng.between(0, (max_len - min_len) / kSecond) * kSecond);
    f.since = lo + rng.between(0, (hi - lo - len) / kSecond) * kSecond;
    f.until = f.since + len;
    if (!pick_component(campus, f, rng)) continue;
    f.footprint = footprint_of(campus, f);
    if (!far_side && f.footprint.empty()) continue;
    if (std::any_of(faults.begin(), faults.end(), [&](const Fault& g) { return conflict(f, g); })) continue;
    if (f.client >= 0) campus.clients[static_cast<std::size_t>(f.client)].reserved = true;
    faults.push_back(std::move(f));
    return true;
  }
  return false;
}

/// The demo's five faults, as the bundled demo has always had them: fixed
/// minutes into the hour, on components picked at random.
std::vector<Fault> demo_faults(Campus& campus, const Config& cfg, Rng& rng) {
  struct Spec {
    FaultKind kind;
    int site, from, to;
  };
  const int branch = std::min(1, cfg.sites - 1);
  const std::array<Spec, 5> specs{{{FaultKind::kWeakWifi, 0, 5, 55},
                                   {FaultKind::kCongestedAp, 0, 10, 30},
                                   {FaultKind::kApPort, branch, 20, 50},
                                   {FaultKind::kCongestedWan, 0, 35, 55},
                                   {FaultKind::kRemote, -1, 15, 45}}};
  std::vector<Fault> faults;
  for (const Spec& s : specs) {
    const TimeMs since = cfg.start + s.from * kMinute, until = cfg.start + s.to * kMinute;
    if (!place_fault(campus, faults, s.kind, s.site, since, until, until - since, until - since, rng, 400)) {
      throw std::invalid_argument("simulate: no room for the demo's " + std::string(fault_name(s.kind)));
    }
  }
  return faults;
}

/// Several faults of every kind at random sites and times after the warm-up.
/// Large footprints go first, so they find room before the small ones.
std::vector<Fault> scheduled_faults(Campus& campus, const Config& cfg, Rng& rng) {
  static constexpr std::array kOrder{FaultKind::kCongestedWan,   FaultKind::kSwitchUplink, FaultKind::kCongestedAp,
                                     FaultKind::kApInterference, FaultKind::kApPort,       FaultKind::kWeakWifi,
                                     FaultKind::kClientCpu,      FaultKind::kRemote};
  const TimeMs lo = cfg.start + cfg.warmup, hi = cfg.end - 2 * kMinute;
  std::vector<Fault> faults;
  std::array<int, kOrder.size()> placed{};
  for (int round = 0; round < cfg.fault_instances; ++round) {
    for (std::size_t k = 0; k < kOrder.size(); ++k) {
      const FaultKind kind = kOrder[k];
      placed[k] +=
          place_fault(campus, faults, kind, -1, lo, hi, spec(kind).min_len, spec(kind).max_len, rng, 400) ? 1 : 0;
    }
  }
  for (std::size_t k = 0; k < kOrder.size(); ++k) {
    if (placed[k] == 0) {
      throw std::invalid_argument("simulate: no room for a " + std::string(fault_name(kOrder[k])) +
                                  " fault: give more sites, clients or hours");
    }
  }
  std::stable_sort(faults.begin(), faults.end(), [](const Fault& a, const Fault& b) { return a.since < b.since; });
  return faults;
}

bool ap_is_faulty(const std::vector<Fault>& faults, int ap) {
  return std::any_of(faults.begin(), faults.end(), [&](const Fault& f) { return f.ap == ap; });
}

bool link_is_faulty(const std::vector<Fault>& faults, int link) {
  return std::any_of(faults.begin(), faults.end(), [&](const Fault& f) { return f.link == link; });
}

/// Components that look suspicious while the calls across them are fine. They
/// are never the component of a fault, so blaming one is always wrong.
std::vector<Confounder> plan_confounders(Campus& campus, const Config& cfg, const std::vector<Fault>& faults,
                                         Rng& rng) {
  std::vector<Confounder> out;
  const TimeMs lo = cfg.start + cfg.warmup, hi = cfg.end - 2 * kMinute;
  for (int round = 0; round < cfg.confounder_instances; ++round) {
    for (const ConfounderKind kind :
         {ConfounderKind::kBusyAp, ConfounderKind::kBorderlineClient, ConfounderKind::kBusyWan}) {
      for (int t = 0; t < 200; ++t) {
        Confounder c;
        c.kind = kind;
        c.site = static_cast<int>(rng.index(campus.sites.size()));
        const Site& site = campus.sites[static_cast<std::size_t>(c.site)];
        const TimeMs len = std::min(hi - lo, 40 * kMinute + rng.between(0, 40 * 60) * kSecond);
        c.since = lo + rng.between(0, (hi - lo - len) / kSecond) * kSecond;
        c.until = c.since + len;
        bool ok = false;
        if (kind == ConfounderKind::kBusyAp) {
          c.ap = pick(rng, site.aps);
          ok = !ap_is_faulty(faults, c.ap) &&
               std::none_of(out.begin(), out.end(), [&](const Confounder& o) { return o.ap == c.ap; });
        } else if (kind == ConfounderKind::kBusyWan) {
          c.link = pick(rng, site.links);
          ok = campus.links[static_cast<std::size_t>(c.link)].clients > 0 && !link_is_faulty(faults, c.link) &&
               std::none_of(out.begin(), out.end(), [&](const Confounder& o) { return o.link == c.link; });
        } else {
          // A desk at the edge of coverage: the whole scenario long.
          c.since = cfg.start;
          c.until = cfg.end;
          c.client = pick(rng, site.clients);
          const Client& cl = campus.clients[static_cast<std::size_t>(c.client)];
          ok = !cl.wired && !cl.reserved && !cl.roams && cl.device != DeviceKind::kRoomSystem;
        }
        if (!ok) continue;
        if (c.client >= 0) {
          Client& cl = campus.clients[static_cast<std::size_t>(c.client)];
          cl.reserved = cl.borderline = true;
          cl.rssi_mean = -68;
        }
        out.push_back(std::move(c));
        break;
      }
    }
  }
  return out;
}

/// Whether any fault lies on this access switch: an AP cable on one of its
/// ports, or its uplink.
bool switch_is_faulty(const Campus& campus, const std::vector<Fault>& faults, int sw) {
  return std::any_of(faults.begin(), faults.end(), [&](const Fault& f) {
    const Component c = spec(f.kind).component;
    return (c == Component::kAccessUplink && f.access == sw) ||
           (c == Component::kApCable && campus.aps[static_cast<std::size_t>(f.ap)].sw == sw);
  });
}

/// Decoys: what looks wrong in a real network's telemetry and harms no call.
/// Each sits on a component no fault ever touches.
std::vector<Confounder> plan_decoys(const Campus& campus, const Config& cfg, const std::vector<Fault>& faults,
                                    const std::vector<Confounder>& others, Rng& rng) {
  std::vector<Confounder> out;
  const TimeMs lo = cfg.start + cfg.warmup, hi = cfg.end - 2 * kMinute;
  auto taken_ap = [&](int ap) {
    auto same = [&](const Confounder& o) { return o.ap == ap; };
    return std::any_of(others.begin(), others.end(), same) || std::any_of(out.begin(), out.end(), same);
  };
  auto taken_switch = [&](int sw) {
    return std::any_of(out.begin(), out.end(), [&](const Confounder& o) { return o.sw == sw; });
  };
  for (int round = 0; round < cfg.confounder_instances; ++round) {
    for (const ConfounderKind kind : {ConfounderKind::kBusyRadio24, ConfounderKind::kSporadicCrc,
                                      ConfounderKind::kCounterReset, ConfounderKind::kSilentSwitch}) {
      for (int t = 0; t < 200; ++t) {
        Confounder c;
        c.kind = kind;
        c.site = static_cast<int>(rng.index(campus.sites.size()));
        const Site& site = campus.sites[static_cast<std::size_t>(c.site)];
        const TimeMs len = kind == ConfounderKind::kCounterReset   ? 3 * kMinute
                           : kind == ConfounderKind::kSilentSwitch ? 10 * kMinute
                                                                   : 40 * kMinute + rng.between(0, 40 * 60) * kSecond;
        c.since = lo + rng.between(0, (hi - lo - len) / kSecond) * kSecond;
        c.until = c.since + len;
        bool ok = false;
        if (kind == ConfounderKind::kBusyRadio24) {
          c.ap = pick(rng, site.aps);
          ok = !ap_is_faulty(faults, c.ap) && !taken_ap(c.ap);
        } else {
          c.sw = pick(rng, site.access);
          ok = !switch_is_faulty(campus, faults, c.sw) && !taken_switch(c.sw);
          if (kind == ConfounderKind::kSporadicCrc) {
            std::vector<int> aps;
            for (const int a : site.aps) {
              if (campus.aps[static_cast<std::size_t>(a)].sw == c.sw) aps.push_back(a);
            }
            ok = ok && !aps.empty();
            if (ok) c.port = campus.aps[static_cast<std::size_t>(pick(rng, aps))].port;
          }
        }
        if (!ok) continue;
        out.push_back(std::move(c));
        break;
      }
    }
  }
  return out;
}

/// Severity and bursts: a third of the faults mild (only some calls across
/// them turn poor), a third moderate, a third severe; half of them steady,
/// half on and off in cycles of 3 to 12 minutes.
void shape_faults(std::vector<Fault>& faults, const Config& cfg) {
  Rng rng(cfg.seed, "severity");
  for (Fault& f : faults) {
    const double tier = rng.uniform();
    f.intensity = tier < 1.0 / 3   ? rng.uniform(0.3, 0.55)
                  : tier < 2.0 / 3 ? rng.uniform(0.55, 0.8)
                                   : rng.uniform(0.8, 1.0);
    if (rng.chance(0.5)) {
      f.period = rng.between(3 * 60, 12 * 60) * kSecond;
      f.on =
          static_cast<TimeMs>(std::llround(static_cast<double>(f.period / kSecond) * rng.uniform(0.3, 0.7))) * kSecond;
    }
  }
}

/// The decoys join the confounders; a silent switch is also a telemetry gap.
void add_decoys(const Campus& campus, const Config& cfg, Scenario& sc) {
  Rng rng(cfg.seed, "decoys");
  const std::vector<Confounder> decoys = plan_decoys(campus, cfg, sc.faults, sc.confounders, rng);
  for (const Confounder& c : decoys) {
    if (c.kind == ConfounderKind::kSilentSwitch)
      sc.gaps.push_back(Gap{GapKind::kSwitch, c.sw, c.site, c.since, c.until, -1});
  }
  sc.confounders.insert(sc.confounders.end(), decoys.begin(), decoys.end());
}

/// Gaps in the telemetry: some inside faults (the hop that is at fault goes
/// dark for a while), some elsewhere.
std::vector<Gap> plan_gaps(const Campus& campus, const Config& cfg, const std::vector<Fault>& faults, Rng& rng) {
  std::vector<Gap> out;
  std::vector<int> candidates;
  for (std::size_t i = 0; i < faults.size(); ++i) {
    if (spec(faults[i].kind).component != Component::kFarSide) candidates.push_back(static_cast<int>(i));
  }
  rng.shuffle(candidates);
  // One fault of each kind first, so the gaps hide different kinds of hop.
  {
    std::set<FaultKind> seen;
    std::vector<int> firsts, rest;
    for (const int i : candidates)
      (seen.insert(faults[static_cast<std::size_t>(i)].kind).second ? firsts : rest).push_back(i);
    candidates = std::move(firsts);
    candidates.insert(candidates.end(), rest.begin(), rest.end());
  }
  for (int n = 0; n < cfg.gaps_on_faults && n < static_cast<int>(candidates.size()); ++n) {
    const Fault& f = faults[static_cast<std::size_t>(candidates[static_cast<std::size_t>(n)])];
    Gap g;
    g.fault = candidates[static_cast<std::size_t>(n)];
    g.site = f.site;
    switch (spec(f.kind).component) {
      case Component::kClient:
        g.kind = GapKind::kClient;
        g.index = f.client;
        break;
      case Component::kAp:
        g.kind = GapKind::kAp;
        g.index = f.ap;
        break;
      case Component::kApCable:
        g.kind = GapKind::kSwitch;
        g.index = campus.aps[static_cast<std::size_t>(f.ap)].sw;
        break;
      case Component::kAccessUplink:
        // The access switch goes silent: only the core's end of the link is read.
        g.kind = GapKind::kSwitch;
        g.index = f.access;
        break;
      case Component::kWanLink:
        g.kind = GapKind::kWan;
        g.index = f.link;
        break;
      case Component::kFarSide: break;
    }
    const TimeMs len = f.until - f.since;
    g.since = f.since + (len / 5 / kSecond + rng.between(0, len / 5 / kSecond)) * kSecond;
    g.until = std::min(f.until, g.since + 10 * kMinute + rng.between(0, 6 * 60) * kSecond);
    out.push_back(g);
  }
  const TimeMs lo = cfg.start + cfg.warmup, hi = cfg.end - 2 * kMinute;
  for (int n = 0; n < cfg.gaps_elsewhere; ++n) {
    Gap g;
    g.kind = static_cast<GapKind>(n % 4);
    g.site = static_cast<int>(rng.index(campus.sites.size()));
    const Site& site = campus.sites[static_cast<std::size_t>(g.site)];
    switch (g.kind) {
      case GapKind::kClient: g.index = pick(rng, site.clients); break;
      case GapKind::kAp: g.index = pick(rng, site.aps); break;
      case GapKind::kSwitch: g.index = pick(rng, site.access); break;
      case GapKind::kWan: g.index = pick(rng, site.links); break;
    }
    const TimeMs len = std::min(hi - lo, 10 * kMinute + rng.between(0, 10 * 60) * kSecond);
    g.since = lo + rng.between(0, (hi - lo - len) / kSecond) * kSecond;
    g.until = g.since + len;
    out.push_back(g);
  }
  return out;
}

/// Per-component lists of what affects it, so the telemetry loops look up
/// instead of scanning every fault for every sample.
struct Effects {
  std::vector<std::vector<int>> client_faults, ap_faults, ap_port_faults, access_faults, link_faults;
  std::vector<std::vector<int>> ap_busy, link_busy, switch_decoys;
  std::vector<std::vector<int>> client_gaps, ap_gaps, switch_gaps, link_gaps;
  // For the call planner: faults by the clients they can touch, remote faults by guest.
  std::vector<std::vector<int>> faults_of_client, faults_of_external;

  Effects(const Campus& campus, const Scenario& sc)
      : client_faults(campus.clients.size()),
        ap_faults(campus.aps.size()),
        ap_port_faults(campus.aps.size()),
        access_faults(campus.switches.size()),
        link_faults(campus.links.size()),
        ap_busy(campus.aps.size()),
        link_busy(campus.links.size()),
        switch_decoys(campus.switches.size()),
        client_gaps(campus.clients.size()),
        ap_gaps(campus.aps.size()),
        switch_gaps(campus.switches.size()),
        link_gaps(campus.links.size()),
        faults_of_client(campus.clients.size()),
        faults_of_external(campus.externals.size()) {
    for (std::size_t i = 0; i < sc.faults.size(); ++i) {
      const Fault& f = sc.faults[i];
      const int n = static_cast<int>(i);
      auto at = [](std::vector<std::vector<int>>& v, int k) -> std::vector<int>& {
        return v[static_cast<std::size_t>(k)];
      };
      switch (spec(f.kind).component) {
        case Component::kClient: at(client_faults, f.client).push_back(n); break;
        case Component::kAp: at(ap_faults, f.ap).push_back(n); break;
        case Component::kApCable: at(ap_port_faults, f.ap).push_back(n); break;
        case Component::kAccessUplink: at(access_faults, f.access).push_back(n); break;
        case Component::kWanLink: at(link_faults, f.link).push_back(n); break;
        case Component::kFarSide: at(faults_of_external, f.external).push_back(n); break;
      }
      for (const int c : f.footprint) at(faults_of_client, c).push_back(n);
    }
    for (std::size_t i = 0; i < sc.confounders.size(); ++i) {
      const Confounder& c = sc.confounders[i];
      if (c.ap >= 0) ap_busy[static_cast<std::size_t>(c.ap)].push_back(static_cast<int>(i));
      if (c.link >= 0) link_busy[static_cast<std::size_t>(c.link)].push_back(static_cast<int>(i));
      if (c.sw >= 0) switch_decoys[static_cast<std::size_t>(c.sw)].push_back(static_cast<int>(i));
    }
    for (std::size_t i = 0; i < sc.gaps.size(); ++i) {
      const Gap& g = sc.gaps[i];
      auto& lists = g.kind == GapKind::kClient   ? client_gaps
                    : g.kind == GapKind::kAp     ? ap_gaps
                    : g.kind == GapKind::kSwitch ? switch_gaps
                                                 : link_gaps;
      lists[static_cast<std::size_t>(g.index)].push_back(static_cast<int>(i));
    }
  }
};

/// The fault among `list` active at t whose signature `shows` (what it
/// moves in the telemetry at hand), or nullptr.
template <typename Shows>
const Fault* active_fault(const std::vector<int>& list, const std::vector<Fault>& faults, TimeMs t, Shows shows) {
  for (const int i : list) {
    const Fault& f = faults[static_cast<std::size_t>(i)];
    if (shows(spec(f.kind)) && f.active_at(t)) return &f;
  }
  return nullptr;
}

const Fault* active_fault(const std::vector<int>& list, const std::vector<Fault>& faults, TimeMs t) {
  return active_fault(list, faults, t, [](const FaultSpec&) { return true; });
}

bool any_active(const std::vector<int>& list, const std::vector<Confounder>& confounders, TimeMs t) {
  return std::any_of(list.begin(), list.end(),
                     [&](int i) { return confounders[static_cast<std::size_t>(i)].active_at(t); });
}

/// The confounder of `kind` among `list` active at t, or nullptr.
const Confounder* active_confounder(const std::vector<int>& list, const std::vector<Confounder>& confounders, TimeMs t,
                                    ConfounderKind kind) {
  for (const int i : list) {
    const Confounder& c = confounders[static_cast<std::size_t>(i)];
    if (c.kind == kind && c.active_at(t)) return &c;
  }
  return nullptr;
}

bool hidden(const std::vector<int>& list, const std::vector<Gap>& gaps, TimeMs t) {
  return std::any_of(list.begin(), list.end(), [&](int i) { return gaps[static_cast<std::size_t>(i)].hides(t); });
}

// ---------------------------------------------------------------- output files

/// One JSON Lines file, buffered; counts what it writes. Records are written
/// with JsonWriter into the buffer: millions of telemetry lines would spend
/// most of their time building a DOM.
class JsonlFile {
 public:
  explicit JsonlFile(const std::filesystem::path& path) : path_(path.string()), out_(path, std::ios::binary) {
    if (!out_) throw std::runtime_error("simulate: cannot write " + path_);
    buf_.reserve(kFlushAt + 4096);
  }
  /// A writer for the next record; end_record() after it is complete.
  JsonWriter record() { return JsonWriter(buf_); }
  void end_record() {
    buf_ += '\n';
    ++count_;
    if (buf_.size() >= kFlushAt) flush();
  }
  std::size_t close() {
    flush();
    out_.close();
    if (!out_) throw std::runtime_error("simulate: error writing " + path_);
    return count_;
  }

 private:
  static constexpr std::size_t kFlushAt = 1 << 20;
  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    if (!out_) throw std::runtime_error("simulate: error writing " + path_);
    buf_.clear();
  }
  std::string path_;
  std::ofstream out_;
  std::string buf_;
  std::size_t count_ = 0;
};

std::vector<TimeMs> ticks(const Config& cfg) {
  std::vector<TimeMs> out;
  for (TimeMs t = cfg.start; t <= cfg.end; t += cfg.interval_s * kSecond) out.push_back(t);
  return out;
}

// ---------------------------------------------------------------- inventory, clients

void write_inventory(const Campus& campus, JsonlFile& file) {
  for (const auto& s : campus.sites) {
    JsonWriter w = file.record();
    w.begin_object().key("type").value("inventory.site").key("site").value(s.id).key("name").value(s.name);
    w.key("subnets").begin_array().value(s.cidr).end_array().end_object();
    file.end_record();
  }
  for (const auto& sw : campus.switches) {
    const Site& site = campus.sites[static_cast<std::size_t>(sw.site)];
    JsonWriter w = file.record();
    w.begin_object().key("type").value("inventory.switch").key("switch").value(sw.id).key("site").value(site.id);
    w.key("name").value(sw.name).key("uplink").begin_object();
    if (sw.parent < 0) {
      w.key("edge").value(site.edge);
    } else {
      w.key("switch").value(campus.switches[static_cast<std::size_t>(sw.parent)].id).key("port").value(sw.parent_port);
    }
    w.end_object().end_object();
    file.end_record();
  }
  for (const auto& ap : campus.aps) {
    JsonWriter w = file.record();
    w.begin_object().key("type").value("inventory.ap").key("ap").value(ap.id);
    w.key("site").value(campus.sites[static_cast<std::size_t>(ap.site)].id).key("name").value(ap.name);
    w.key("bssids").begin_array().value(ap.bssid24).value(ap.bssid5).end_array();
    w.key("uplink").begin_object().key("switch").value(campus.switches[static_cast<std::size_t>(ap.sw)].id);
    w.key("port").value(ap.port).end_object().end_object();
    file.end_record();
  }
  for (const auto& l : campus.links) {
    const Site& site = campus.sites[static_cast<std::size_t>(l.site)];
    JsonWriter w = file.record();
    w.begin_object().key("type").value("inventory.wan").key("link").value(l.id).key("site").value(site.id);
    w.key("edge").value(site.edge).key("provider").value(l.provider).key("capacity_mbps").value(l.capacity_mbps);
    w.key("public_ips").begin_array();
    for (const auto& ip : l.public_ips) w.value(ip);
    w.end_array().end_object();
    file.end_record();
  }
}

void write_clients(const Campus& campus, JsonlFile& file) {
  // (time, client, attachment or -1 for client.info), written in time order;
  // ties keep this order.
  struct Item {
    TimeMs t;
    std::size_t client;
    int attachment;
  };
  std::vector<Item> items;
  for (std::size_t i = 0; i < campus.clients.size(); ++i) {
    const Client& c = campus.clients[i];
    for (std::size_t k = 0; k < c.attachments.size(); ++k)
      items.push_back({c.attachments[k].since, i, static_cast<int>(k)});
    // The DHCP/identity record follows the first association by a moment.
    items.push_back({c.attachments.front().since + 250, i, -1});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.t < b.t; });
  for (const Item& it : items) {
    const Client& c = campus.clients[it.client];
    JsonWriter w = file.record();
    w.begin_object();
    if (it.attachment >= 0) {
      const Attachment& a = c.attachments[static_cast<std::size_t>(it.attachment)];
      w.key("type").value("client.assoc").key("ts").time(a.since).key("client").value(c.mac);
      if (a.ap >= 0) {
        const Ap& ap = campus.aps[static_cast<std::size_t>(a.ap)];
        w.key("ap").value(ap.id).key("bssid").value(a.band5 ? ap.bssid5 : ap.bssid24);
        w.key("band").value(a.band5 ? "5" : "2.4").key("channel").value(a.band5 ? ap.ch5 : ap.ch24);
      } else {
        w.key("switch").value(campus.switches[static_cast<std::size_t>(a.sw)].id).key("port").value(a.port);
      }
    } else {
      w.key("type").value("client.info").key("ts").time(it.t).key("client").value(c.mac).key("ip").value(c.ip);
      w.key("user").value(c.user).key("hostname").value(c.hostname).key("device_type").value(device_name(c.device));
    }
    w.end_object();
    file.end_record();
  }
}

// ---------------------------------------------------------------- Wi-Fi telemetry

/// A gauge that follows the daily load: `night` at night, `day` in business hours.
struct Daily {
  double night = 0, day = 0;
  [[nodiscard]] double at(double load) const { return night + (day - night) * load; }
};

struct RadioState {
  Daily util_mean;
  double interference_mean = 0, noise_mean = 0, retry_mean = 0;
  Wander util, interference, noise, retry;
};

struct ApState {
  double cpu_mean = 0;
  Wander cpu;
  std::array<RadioState, 2> radio;  // [0] 2.4 GHz, [1] 5 GHz
};

struct WifiClientState {
  Wander rssi, tx_retry, rx_retry, weak_rssi, weak_snr;
  double retry_mean = 0;
};

/// Rate of the MCS a client of this SNR settles on (2 spatial streams; 80 MHz
/// on 5 GHz, 20 MHz on 2.4 GHz, then the legacy rates).
double phy_rate(Rng& rng, bool band5, double snr, int penalty) {
  static constexpr std::array kRates5{866.7, 780.0, 702.0, 585.0, 526.5, 390.0, 351.0, 263.3,
                                      175.5, 117.0, 87.8,  58.5,  29.3,  24.0,  12.0,  6.0};
  static constexpr std::array kRates24{144.4, 130.0, 115.6, 86.7, 72.2, 57.8, 43.3,
                                       28.9,  21.7,  14.4,  11.0, 6.0,  2.0,  1.0};
  const int idx = static_cast<int>(std::floor((46.0 - snr) / 2.2 + rng.normal(0, 0.7))) + penalty;
  if (band5) return kRates5[static_cast<std::size_t>(std::clamp(idx, 0, static_cast<int>(kRates5.size()) - 1))];
  return kRates24[static_cast<std::size_t>(std::clamp(idx, 0, static_cast<int>(kRates24.size()) - 1))];
}

/// Healthy radios follow the daily load and peak in the mid 40s percent of
/// airtime; a congested AP or a busy one is well above that.
std::vector<ApState> init_aps(const Campus& campus, Rng& rng) {
  std::vector<ApState> out;
  for (std::size_t i = 0; i < campus.aps.size(); ++i) {
    ApState s;
    s.cpu_mean = rng.uniform(8, 22);
    s.cpu = Wander(rng, 3, 0.8, {3, 40});
    RadioState& r24 = s.radio[0];
    r24.util_mean = {rng.uniform(14, 20), rng.uniform(26, 38)};
    r24.interference_mean = rng.uniform(5, 9);
    r24.noise_mean = -90;
    r24.retry_mean = rng.uniform(4, 6);
    r24.util = Wander(rng, 3, 0.8, {8, 45});
    r24.interference = Wander(rng, 1.5, 0.7, {2, 12});
    r24.noise = Wander(rng, 1, 0.8, {-93, -87});
    r24.retry = Wander(rng, 1, 0.7, {2, 8});
    RadioState& r5 = s.radio[1];
    r5.util_mean = {rng.uniform(6, 10), rng.uniform(20, 34)};
    r5.interference_mean = rng.uniform(2, 5);
    r5.noise_mean = -95;
    r5.retry_mean = rng.uniform(3, 5);
    r5.util = Wander(rng, 3, 0.8, {3, 42});
    r5.interference = Wander(rng, 1, 0.7, {1, 8});
    r5.noise = Wander(rng, 1, 0.8, {-98, -92});
    r5.retry = Wander(rng, 1, 0.7, {2, 8});
    out.push_back(s);
  }
  return out;
}

void write_wifi(const Campus& campus, const Scenario& sc, const Effects& fx, const Config& cfg, JsonlFile& file) {
  Rng rng(cfg.seed, "wifi");
  std::vector<ApState> aps = init_aps(campus, rng);
  std::vector<WifiClientState> clients;
  for (const auto& c : campus.clients) {
    WifiClientState s;
    const Range rssi_clamp = c.borderline ? Range{-71, -65} : Range{-65, -42};
    s.rssi = Wander(rng, c.borderline ? 1.2 : 2.0, 0.8, rssi_clamp);
    s.retry_mean = rng.uniform(3, 6);
    s.tx_retry = Wander(rng, 1.0, 0.6, {2, 8});
    s.rx_retry = Wander(rng, 1.0, 0.6, {2, 8});
    s.weak_rssi = Wander(rng, 1.5, 0.7, {-84, -78});
    s.weak_snr = Wander(rng, 1.5, 0.7, {8, 14});
    clients.push_back(s);
  }

  std::vector<std::array<int, 2>> on_radio(campus.aps.size());
  std::vector<std::array<double, 2>> noise(campus.aps.size());
  for (const TimeMs t : ticks(cfg)) {
    const double load = business_load(t);
    for (auto& n : on_radio) n = {0, 0};
    for (const auto& c : campus.clients) {
      if (c.wired) continue;
      const Attachment& a = attachment_at(c, t);
      ++on_radio[static_cast<std::size_t>(a.ap)][a.band5 ? 1 : 0];
    }
    for (std::size_t i = 0; i < campus.aps.size(); ++i) {
      const Ap& ap = campus.aps[i];
      ApState& st = aps[i];
      const Fault* fault = active_fault(fx.ap_faults[i], sc.faults, t);
      const RadioSignature* sig = fault ? &spec(fault->kind).ap_radios : nullptr;
      const double x = fault ? fault->intensity : 0;
      const bool busy = active_confounder(fx.ap_busy[i], sc.confounders, t, ConfounderKind::kBusyAp) != nullptr;
      const bool busy24 = active_confounder(fx.ap_busy[i], sc.confounders, t, ConfounderKind::kBusyRadio24) != nullptr;
      const bool dark = hidden(fx.ap_gaps[i], sc.gaps, t);
      double cpu = st.cpu.next(rng, st.cpu_mean + 6 * load);
      if (sig && is_set(sig->cpu)) cpu = worsen(cpu, rng.uniform(sig->cpu), x);
      for (std::size_t r = 0; r < 2; ++r) {
        RadioState& rs = st.radio[r];
        // Every series advances every tick, so a fault never shifts the noise
        // drawn for the samples after it.
        double util = rs.util.next(rng, rs.util_mean.at(load));
        double interference = rs.interference.next(rng, rs.interference_mean);
        double nf = rs.noise.next(rng, rs.noise_mean);
        double retry = rs.retry.next(rng, rs.retry_mean);
        if (sig) {
          if (is_set(sig->interference)) interference = worsen(interference, rng.uniform(sig->interference), x);
          if (is_set(sig->util)) util = worsen(util, rng.uniform(sig->util), x);
          if (is_set(sig->retry)) retry = worsen(retry, rng.uniform(sig->retry), x);
          util += x * sig->util_rise;
          nf += x * sig->noise_rise;
        } else if (busy) {
          // Many clients, but the airtime holds: retries stay low.
          util = rng.uniform(62, 80);
          retry += 3;
        } else if (busy24 && r == 0) {
          // Legacy and IoT devices crowd the 2.4 GHz radio; the calls are on
          // 5 GHz or have the airtime they need.
          util = rng.uniform(70, 88);
          retry += 4;
        }
        noise[i][r] = nf;
        if (dark) continue;
        JsonWriter w = file.record();
        w.begin_object().key("type").value("wifi.ap").key("ts").time(t).key("ap").value(ap.id);
        w.key("band").value(r == 1 ? "5" : "2.4").key("channel").value(r == 1 ? ap.ch5 : ap.ch24);
        w.key("channel_util_pct").value(util, 1).key("interference_pct").value(interference, 1);
        w.key("noise_dbm").value(nf, 1).key("clients").value(on_radio[i][r]);
        w.key("tx_retry_pct").value(retry, 1).key("cpu_pct").value(cpu, 1).end_object();
        file.end_record();
      }
    }
    for (std::size_t i = 0; i < campus.clients.size(); ++i) {
      const Client& c = campus.clients[i];
      if (c.wired) continue;
      WifiClientState& st = clients[i];
      const Attachment& a = attachment_at(c, t);
      const auto ap_index = static_cast<std::size_t>(a.ap);
      const Ap& ap = campus.aps[ap_index];
      double rssi = st.rssi.next(rng, c.rssi_mean);
      double tx_retry = st.tx_retry.next(rng, st.retry_mean), rx_retry = st.rx_retry.next(rng, st.retry_mean);
      const double weak_rssi = st.weak_rssi.next(rng, -81), weak_snr = st.weak_snr.next(rng, 11);
      const double raw_snr = rssi - noise[ap_index][a.band5 ? 1 : 0] + rng.normal(0, 1);
      // Healthy desks have a wide margin; the borderline client has little.
      double snr = c.borderline ? std::clamp(raw_snr, 24.0, 31.0) : std::clamp(raw_snr, 30.0, 45.0);
      int penalty = 0;
      const Fault* fault = active_fault(fx.client_faults[i], sc.faults, t, [](const FaultSpec& f) {
        return f.client_radio.weak_signal || is_set(f.client_radio.retry);
      });
      if (!fault) fault = active_fault(fx.ap_faults[ap_index], sc.faults, t);
      if (fault) {
        const ClientRadioSignature& sig = spec(fault->kind).client_radio;
        const double x = fault->intensity;
        if (sig.weak_signal) {
          rssi = worsen(rssi, weak_rssi, x);
          snr = worsen(snr, weak_snr, x);
        }
        // On an interfered channel the raised noise floor (above) is what lowers the SNR.
        if (is_set(sig.snr_drop)) snr = worsen(snr, std::clamp(raw_snr - rng.uniform(sig.snr_drop), 15.0, 40.0), x);
        if (is_set(sig.retry)) {
          tx_retry = worsen(tx_retry, rng.uniform(sig.retry), x);
          rx_retry = worsen(rx_retry, rng.uniform(sig.retry), x);
        }
        penalty = static_cast<int>(std::lround(x * sig.rate_steps));
      }
      const double tx_rate = phy_rate(rng, a.band5, snr, penalty), rx_rate = phy_rate(rng, a.band5, snr, penalty);
      if (hidden(fx.client_gaps[i], sc.gaps, t)) continue;
      JsonWriter w = file.record();
      w.begin_object().key("type").value("wifi.client").key("ts").time(t).key("client").value(c.mac);
      w.key("ap").value(ap.id).key("bssid").value(a.band5 ? ap.bssid5 : ap.bssid24);
      w.key("rssi_dbm").value(rssi, 1).key("snr_db").value(snr, 1);
      w.key("tx_retry_pct").value(tx_retry, 1).key("rx_retry_pct").value(rx_retry, 1);
      w.key("tx_rate_mbps").value(tx_rate, 1).key("rx_rate_mbps").value(rx_rate, 1).end_object();
      file.end_record();
    }
  }
}

// ---------------------------------------------------------------- switch telemetry

enum class PortRole { kAp, kClient, kAccessUp, kCoreDown, kCoreUp, kIdle };

struct Port {
  int sw = 0;
  std::string name;
  PortRole role = PortRole::kAp;
  int speed_mbps = 1000;
  int ap = -1;                // kAp: the AP behind the port
  int child_sw = -1;          // kCoreDown: the access switch behind the port; kAccessUp: its own switch
  std::vector<int> children;  // aggregate ports: the ports whose traffic they carry
  Daily in_mean, out_mean;    // leaf ports only
  Wander util_in, util_out;
  std::uint64_t in_octets = 0, out_octets = 0, in_errors = 0, out_errors = 0;
  std::uint64_t in_discards = 0, out_discards = 0, in_fcs = 0;
};

Port make_port(Rng& rng, int sw, std::string name, PortRole role, int speed) {
  Port p;
  p.sw = sw;
  p.name = std::move(name);
  p.role = role;
  p.speed_mbps = speed;
  // Counters start where months of uptime left them; errors are old and few.
  p.in_octets = static_cast<std::uint64_t>(rng.between(1'000'000'000LL, 500'000'000'000LL));
  p.out_octets = static_cast<std::uint64_t>(rng.between(1'000'000'000LL, 900'000'000'000LL));
  p.in_fcs = static_cast<std::uint64_t>(rng.between(0, 12));
  p.in_errors = p.in_fcs + static_cast<std::uint64_t>(rng.between(0, 20));
  p.out_errors = static_cast<std::uint64_t>(rng.between(0, 5));
  p.in_discards = static_cast<std::uint64_t>(rng.between(0, 150));
  p.out_discards = static_cast<std::uint64_t>(rng.between(0, 400));
  if (role == PortRole::kAp) {
    // Toward the AP (out) carries the downloads; from it (in) the uploads.
    const double in = rng.uniform(1.5, 5), out = rng.uniform(4, 12);
    p.in_mean = {in / 4, in};
    p.out_mean = {out / 4, out};
    p.util_in = Wander(rng, 1.0, 0.8, {0.1, 15});
    p.util_out = Wander(rng, 2.5, 0.8, {0.2, 30});
  } else if (role == PortRole::kClient) {
    const double in = rng.uniform(0.3, 2), out = rng.uniform(1, 4);
    p.in_mean = {in / 4, in};
    p.out_mean = {out / 4, out};
    p.util_in = Wander(rng, 0.4, 0.7, {0.05, 8});
    p.util_out = Wander(rng, 0.8, 0.7, {0.1, 12});
  }
  return p;
}

/// Leaf ports first (AP and wired-client ports on each access switch), then
/// each access switch's uplink and the core's port at its other end, then the
/// core's WAN uplink: aggregates are computed in that order.
std::vector<Port> build_ports(const Campus& campus, Rng& rng) {
  std::vector<Port> ports;
  for (const auto& site : campus.sites) {
    std::vector<std::vector<int>> leaves(site.access.size());
    for (std::size_t k = 0; k < site.access.size(); ++k) {
      const int acc = site.access[k];
      for (const int a : site.aps) {
        if (campus.aps[static_cast<std::size_t>(a)].sw != acc) continue;
        Port p = make_port(rng, acc, campus.aps[static_cast<std::size_t>(a)].port, PortRole::kAp, 1000);
        p.ap = a;
        leaves[k].push_back(static_cast<int>(ports.size()));
        ports.push_back(std::move(p));
      }
      for (const int i : site.clients) {
        const Client& c = campus.clients[static_cast<std::size_t>(i)];
        const Attachment& a = c.attachments.front();
        if (!c.wired || a.sw != acc) continue;
        leaves[k].push_back(static_cast<int>(ports.size()));
        ports.push_back(make_port(rng, acc, a.port, PortRole::kClient, 1000));
      }
    }
    std::vector<int> downs;
    for (std::size_t k = 0; k < site.access.size(); ++k) {
      const int acc = site.access[k];
      // The access switch's own end of its uplink: the inventory does not name it.
      Port up = make_port(rng, acc, "Te1/1/1", PortRole::kAccessUp, 10000);
      up.child_sw = acc;
      up.children = leaves[k];
      ports.push_back(std::move(up));
      Port p = make_port(rng, site.core, campus.switches[static_cast<std::size_t>(acc)].parent_port,
                         PortRole::kCoreDown, 10000);
      p.child_sw = acc;
      p.children = leaves[k];
      downs.push_back(static_cast<int>(ports.size()));
      ports.push_back(std::move(p));
    }
    Port up = make_port(rng, site.core, "Te1/1/1", PortRole::kCoreUp, 10000);
    up.children = downs;
    ports.push_back(std::move(up));
  }
  return ports;
}

/// Every switch's free ports up to `per_switch` in all, after the ports in
/// use: nothing plugged in, so down with still counters, as a poller reads a
/// real switch's unused ports. From a random stream of their own, so that
/// they change nothing else in the scenario.
void add_idle_ports(const Campus& campus, int per_switch, std::uint64_t seed, std::vector<Port>& ports) {
  if (per_switch <= 0) return;
  Rng rng(seed, "wired-idle");
  std::vector<std::set<std::string>> used(campus.switches.size());
  for (const Port& p : ports) used[static_cast<std::size_t>(p.sw)].insert(p.name);
  for (std::size_t sw = 0; sw < campus.switches.size(); ++sw) {
    for (int k = 1; static_cast<int>(used[sw].size()) < per_switch; ++k) {
      std::string name = "Gi1/0/" + std::to_string(k);
      if (!used[sw].insert(name).second) continue;
      Port p = make_port(rng, static_cast<int>(sw), std::move(name), PortRole::kIdle, 1000);
      p.in_octets /= 100;  // once used, long ago
      p.out_octets /= 100;
      ports.push_back(std::move(p));
    }
  }
}

/// Octets moved in one tick on each port: leaves from their utilisation,
/// aggregate ports as the sum of what flows through them, so the counters of
/// the whole tree agree with each other.
void tick_octets(std::vector<Port>& ports, double seconds, double load, Rng& rng, std::vector<double>& din,
                 std::vector<double>& dout) {
  din.assign(ports.size(), 0);
  dout.assign(ports.size(), 0);
  for (std::size_t i = 0; i < ports.size(); ++i) {
    Port& p = ports[i];
    if (p.role != PortRole::kAp && p.role != PortRole::kClient) continue;
    const double bytes_per_s = p.speed_mbps * 1e6 / 8;
    din[i] = p.util_in.next(rng, p.in_mean.at(load)) / 100 * bytes_per_s * seconds;
    dout[i] = p.util_out.next(rng, p.out_mean.at(load)) / 100 * bytes_per_s * seconds;
  }
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].role == PortRole::kAccessUp) {
      for (const int k : ports[i].children) {
        dout[i] += din[static_cast<std::size_t>(k)];  // what the access ports receive leaves by the uplink
        din[i] += dout[static_cast<std::size_t>(k)];
      }
    } else if (ports[i].role == PortRole::kCoreDown) {
      for (const int k : ports[i].children) {
        din[i] += din[static_cast<std::size_t>(k)];  // ... and arrives at the core's end of it
        dout[i] += dout[static_cast<std::size_t>(k)];
      }
    }
  }
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].role != PortRole::kCoreUp) continue;
    for (const int k : ports[i].children) {
      dout[i] += din[static_cast<std::size_t>(k)];  // upstream traffic leaves the core toward the edge
      din[i] += dout[static_cast<std::size_t>(k)];
    }
  }
}

/// Errors on a port: what a fault's signature adds on a damaged one, in
/// proportion to the `frames` it received in the tick; on a healthy one, with
/// `stray`, an odd one now and then, mostly nothing.
void tick_errors(Port& p, const Fault* fault, double frames, bool stray, Rng& rng) {
  if (fault) {
    const PortSignature& sig = spec(fault->kind).ports;
    const double x = std::min(1.0, fault->intensity);
    const double fcs = frames * x * rng.uniform(sig.corrupt);
    p.in_fcs += static_cast<std::uint64_t>(std::llround(fcs));
    p.in_errors += static_cast<std::uint64_t>(std::llround(fcs * (1 + sig.other_per_fcs)));
    p.in_discards += static_cast<std::uint64_t>(std::llround(fcs * sig.discard_per_fcs));
    return;
  }
  // The draws happen either way, so the option changes nothing else.
  const bool error = rng.chance(0.01), fcs = rng.chance(0.5);
  if (stray && error) {
    ++p.in_errors;
    if (fcs) ++p.in_fcs;
  }
  // The WAN uplink drops a little when a burst fills its queue: it is on no
  // call's path (the edge has no port), so it is never evidence.
  if (p.role == PortRole::kCoreUp && rng.chance(0.05)) p.out_discards += static_cast<std::uint64_t>(rng.between(1, 4));
}

void write_wired(const Campus& campus, const Scenario& sc, const Effects& fx, const Config& cfg, JsonlFile& file) {
  Rng rng(cfg.seed, "wired");
  // The decoys draw from a stream of their own: without them, nothing else changes.
  Rng decoy_rng(cfg.seed, "wired-decoys");
  std::vector<Port> ports = build_ports(campus, rng);
  add_idle_ports(campus, cfg.switch_ports, cfg.seed, ports);
  std::vector<double> din, dout;
  bool first = true;
  TimeMs previous = 0;
  for (const TimeMs t : ticks(cfg)) {
    if (!first) tick_octets(ports, cfg.interval_s, business_load(t), rng, din, dout);
    for (std::size_t i = 0; i < ports.size(); ++i) {
      Port& p = ports[i];
      if (!first) {
        p.in_octets += static_cast<std::uint64_t>(din[i]);
        p.out_octets += static_cast<std::uint64_t>(dout[i]);
        const Fault* fault = nullptr;
        auto counts = [](const FaultSpec& f) { return f.ports.counts(); };
        auto both_ends = [](const FaultSpec& f) { return f.ports.counts() && f.ports.both_ends; };
        if (p.role == PortRole::kAp) {
          fault = active_fault(fx.ap_port_faults[static_cast<std::size_t>(p.ap)], sc.faults, t, counts);
        } else if (p.role == PortRole::kCoreDown) {
          fault = active_fault(fx.access_faults[static_cast<std::size_t>(p.child_sw)], sc.faults, t, counts);
        } else if (p.role == PortRole::kAccessUp) {
          fault = active_fault(fx.access_faults[static_cast<std::size_t>(p.child_sw)], sc.faults, t, both_ends);
        }
        if (p.role != PortRole::kIdle) tick_errors(p, fault, din[i] / kSimFrameBytes, cfg.stray_port_errors, rng);
        const auto& decoys = fx.switch_decoys[static_cast<std::size_t>(p.sw)];
        if (const Confounder* c = active_confounder(decoys, sc.confounders, t, ConfounderKind::kSporadicCrc);
            c && c->port == p.name && decoy_rng.chance(0.2)) {
          // A lone corrupted frame now and then: a marginal connector, a
          // cosmic ray. Nothing a call notices.
          ++p.in_fcs;
          ++p.in_errors;
        }
        for (const int k : decoys) {
          const Confounder& c = sc.confounders[static_cast<std::size_t>(k)];
          if (c.kind != ConfounderKind::kCounterReset || c.since <= previous || c.since > t) continue;
          // The switch reloaded its management plane (a supervisor
          // switchover, `clear counters`): every counter starts again from
          // zero while traffic flows on.
          const double share = static_cast<double>(t - c.since) / static_cast<double>(t - previous);
          p.in_octets = static_cast<std::uint64_t>(din[i] * share);
          p.out_octets = static_cast<std::uint64_t>(dout[i] * share);
          p.in_errors = p.out_errors = p.in_discards = p.out_discards = p.in_fcs = 0;
        }
      }
      // The counters keep counting while the poller is blind: the first
      // reading after a gap carries everything since the last one.
      if (hidden(fx.switch_gaps[static_cast<std::size_t>(p.sw)], sc.gaps, t)) continue;
      JsonWriter w = file.record();
      w.begin_object().key("type").value("switch.port").key("ts").time(t);
      w.key("switch").value(campus.switches[static_cast<std::size_t>(p.sw)].id).key("port").value(p.name);
      w.key("speed_mbps").value(p.speed_mbps).key("oper_up").value(p.role != PortRole::kIdle);
      w.key("in_octets_total").value(p.in_octets).key("out_octets_total").value(p.out_octets);
      w.key("in_errors_total").value(p.in_errors).key("out_errors_total").value(p.out_errors);
      w.key("in_discards_total").value(p.in_discards).key("out_discards_total").value(p.out_discards);
      w.key("in_fcs_errors_total").value(p.in_fcs).end_object();
      file.end_record();
    }
    first = false;
    previous = t;
  }
}

// ---------------------------------------------------------------- WAN and device telemetry

void write_wan(const Campus& campus, const Scenario& sc, const Effects& fx, const Config& cfg, JsonlFile& file) {
  Rng rng(cfg.seed, "wan");
  struct State {
    Daily in_mean, out_mean;
    Wander latency, jitter, util_in, util_out;
  };
  std::vector<State> states;
  for (std::size_t i = 0; i < campus.links.size(); ++i) {
    State s;
    // Healthy links peak below 80 %; a busy or congested one runs fuller.
    const double in = rng.uniform(35, 60), out = rng.uniform(22, 40);
    s.in_mean = {in / 5, in};
    s.out_mean = {out / 5, out};
    s.latency = Wander(rng, 1.5, 0.8, {8, 25});
    s.jitter = Wander(rng, 0.7, 0.7, {1, 5});
    s.util_in = Wander(rng, 6, 0.85, {3, 78});
    s.util_out = Wander(rng, 5, 0.85, {2, 75});
    states.push_back(s);
  }
  for (const TimeMs t : ticks(cfg)) {
    const double load = business_load(t);
    for (std::size_t i = 0; i < campus.links.size(); ++i) {
      State& st = states[i];
      double latency = st.latency.next(rng, campus.links[i].latency_mean);
      double jitter = st.jitter.next(rng, 2.5);
      double util_in = st.util_in.next(rng, st.in_mean.at(load)),
             util_out = st.util_out.next(rng, st.out_mean.at(load));
      double loss = rng.chance(0.2) ? rng.uniform(0.01, 0.2) : 0.0;
      if (const Fault* f = active_fault(fx.link_faults[i], sc.faults, t)) {
        const WanSignature& sig = spec(f->kind).wan;
        const double x = f->intensity;
        latency = worsen(latency, rng.uniform(sig.latency), x);
        jitter = worsen(jitter, rng.uniform(sig.jitter), x);
        loss = worsen(loss, rng.uniform(sig.loss), x);
        util_in = worsen(util_in, rng.uniform(sig.util), x);
        util_out = worsen(util_out, rng.uniform(sig.util), x);
      } else if (any_active(fx.link_busy[i], sc.confounders, t)) {
        // Full but well shaped (a backup, an update wave): queues stay short.
        util_in = rng.uniform(82, 94);
        util_out = rng.uniform(82, 94);
        loss = 0;
      }
      if (hidden(fx.link_gaps[i], sc.gaps, t)) continue;
      JsonWriter w = file.record();
      w.begin_object().key("type").value("wan.link").key("ts").time(t).key("link").value(campus.links[i].id);
      w.key("latency_ms").value(latency, 1).key("jitter_ms").value(jitter, 1).key("loss_pct").value(loss, 2);
      w.key("util_in_pct").value(util_in, 1).key("util_out_pct").value(util_out, 1).end_object();
      file.end_record();
    }
  }
}

void write_devices(const Campus& campus, const Scenario& sc, const Effects& fx, const Config& cfg, JsonlFile& file) {
  Rng rng(cfg.seed, "devices");
  struct State {
    double cpu_mean = 0, mem_mean = 0;
    Wander cpu, mem;
    double battery = 100, per_tick = 0;  // per_tick > 0: on the charger
  };
  std::vector<State> states;
  for (const auto& c : campus.clients) {
    State s;
    s.cpu_mean = c.device == DeviceKind::kRoomSystem ? rng.uniform(15, 30) : rng.uniform(8, 30);
    s.cpu = Wander(rng, 6, 0.7, {2, 85});
    s.mem_mean = rng.uniform(40, 75);
    s.mem = Wander(rng, 1.5, 0.95, {20, 95});
    s.battery = rng.uniform(45, 100);
    const double minutes_per_tick = cfg.interval_s / 60.0;
    s.per_tick = (rng.chance(0.3) ? rng.uniform(0.4, 1.0) : -rng.uniform(0.1, 0.5)) * minutes_per_tick;
    states.push_back(s);
  }
  for (const TimeMs t : ticks(cfg)) {
    const double load = business_load(t);
    for (std::size_t i = 0; i < campus.clients.size(); ++i) {
      const Client& c = campus.clients[i];
      State& st = states[i];
      double cpu = st.cpu.next(rng, st.cpu_mean + 8 * load);
      const double mem = st.mem.next(rng, st.mem_mean);
      if (const Fault* f = active_fault(fx.client_faults[i], sc.faults, t,
                                        [](const FaultSpec& s) { return is_set(s.device_cpu); })) {
        cpu = worsen(cpu, rng.uniform(spec(f->kind).device_cpu), f->intensity);
      }
      const double battery = st.battery;
      if (c.battery) st.battery = std::clamp(st.battery + st.per_tick, 5.0, 100.0);
      if (hidden(fx.client_gaps[i], sc.gaps, t)) continue;
      JsonWriter w = file.record();
      w.begin_object().key("type").value("client.device").key("ts").time(t).key("client").value(c.mac);
      w.key("cpu_pct").value(cpu, 1).key("mem_pct").value(mem, 1);
      // Desktops and room systems have no battery: the field is left out,
      // which means "not measured", never zero.
      if (c.battery) w.key("battery_pct").value(battery, 1);
      w.end_object();
      file.end_record();
    }
  }
}

// ---------------------------------------------------------------- calls

enum class Side { kCaller, kCallee };

/// A call participant: a campus client or an external guest.
struct Party {
  int client = -1;
  int external = -1;
  [[nodiscard]] bool internal() const { return client >= 0; }
};

struct SegmentPlan {
  std::string call_id, segment_id;
  TimeMs start = 0, end = 0;
  Party caller, callee;
  bool video = false, screen = false;
  Side screen_from = Side::kCaller;
  int fault = -1;                 // index into the faults, -1 when no fault touches it
  Side impaired = Side::kCaller;  // the side whose path crosses the fault (or, for background, whose stream is poor)
  bool background = false;        // poor with no planted cause
  bool gap = false;               // a hop on its path has a telemetry gap in its evidence window
  int site = -1;
  double exposure = 1;  // the share of the segment during which the fault was on
  /// Realistic scenarios: whether the streams as written are poor. A mild
  /// fault, or one on for a moment of the segment, may leave it good.
  std::optional<bool> observed;

  [[nodiscard]] const Party& party(Side s) const { return s == Side::kCaller ? caller : callee; }
  [[nodiscard]] bool poor() const { return observed ? *observed : fault >= 0 || background; }
  /// The fault made it poor: the segment's cause.
  [[nodiscard]] bool caused() const { return fault >= 0 && poor(); }
};

std::string uuid(Rng& rng) {
  const std::uint64_t a = rng.bits(), b = rng.bits();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

/// Cut points of a call: every at most kMaxSegment, and at each roam of an
/// internal participant (a new BSSID starts a new leg).
std::optional<std::vector<std::pair<TimeMs, TimeMs>>> cut_call(const Campus& campus, TimeMs start, TimeMs end,
                                                               const std::array<Party, 2>& parties) {
  std::vector<TimeMs> cuts{start, end};
  const TimeMs n = (end - start + kMaxSegment - 1) / kMaxSegment;
  for (TimeMs k = 1; k < n; ++k) cuts.push_back(start + (end - start) * k / n);
  for (const Party& p : parties) {
    if (!p.internal()) continue;
    for (const auto& a : campus.clients[static_cast<std::size_t>(p.client)].attachments) {
      if (a.since > start && a.since < end) cuts.push_back(a.since);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::pair<TimeMs, TimeMs>> pieces;
  for (std::size_t i = 1; i < cuts.size(); ++i) {
    if (cuts[i] - cuts[i - 1] < kMinPiece) return std::nullopt;
    pieces.emplace_back(cuts[i - 1], cuts[i]);
  }
  return pieces;
}

/// Whether a confounder lies on the segment's path during its interval.
bool crosses(const Campus& campus, const Confounder& c, const SegmentPlan& seg) {
  if (!overlaps(seg.start, seg.end, c.since, c.until)) return false;
  for (const Side s : {Side::kCaller, Side::kCallee}) {
    const Party& p = seg.party(s);
    if (!p.internal()) continue;
    const Client& cl = campus.clients[static_cast<std::size_t>(p.client)];
    if (c.client >= 0 && p.client == c.client) return true;
    if (c.ap >= 0 && attachment_at(cl, seg.start).ap == c.ap) return true;
    if (c.link >= 0 && cl.link == c.link) return true;
    if (c.sw >= 0 && access_of(campus, attachment_at(cl, seg.start)) == c.sw) return true;
  }
  return false;
}

/// Whether a gap's component lies on the segment's path around its time.
bool in_gap(const Campus& campus, const Gap& g, const SegmentPlan& seg) {
  if (!overlaps(seg.start - kEvidencePadding, seg.end + kEvidencePadding, g.since, g.until)) return false;
  for (const Side s : {Side::kCaller, Side::kCallee}) {
    const Party& p = seg.party(s);
    if (!p.internal()) continue;
    const Client& cl = campus.clients[static_cast<std::size_t>(p.client)];
    const Attachment& a = attachment_at(cl, seg.start);
    switch (g.kind) {
      case GapKind::kClient:
        if (p.client == g.index) return true;
        break;
      case GapKind::kAp:
        if (a.ap == g.index) return true;
        break;
      case GapKind::kSwitch:
        if (access_of(campus, a) == g.index || campus.sites[static_cast<std::size_t>(cl.site)].core == g.index) {
          return true;
        }
        break;
      case GapKind::kWan:
        if (cl.link == g.index) return true;
        break;
    }
  }
  return false;
}

struct CallPlanner {
  const Campus& campus;
  const Scenario& scenario;
  const Effects& effects;
  const Config& cfg;
  Rng rng;
  std::size_t max_fault_segments = kMinFaultSegments;
  std::vector<SegmentPlan> segments;
  std::vector<std::size_t> per_fault;

  /// Plans one call's segments, or nothing when it would blur the ground
  /// truth: a segment that straddles the edge of a fault interval on a
  /// component it crosses, or one that two faults (or one fault on both ends)
  /// would make poor.
  std::optional<std::vector<SegmentPlan>> plan_call(TimeMs start, TimeMs end, Party caller, Party callee) const {
    const std::array<Party, 2> parties{caller, callee};
    const auto pieces = cut_call(campus, start, end, parties);
    if (!pieces) return std::nullopt;
    std::vector<SegmentPlan> out;
    for (const auto& [s, e] : *pieces) {
      SegmentPlan seg;
      seg.start = s;
      seg.end = e;
      seg.caller = caller;
      seg.callee = callee;
      int hits = 0;
      for (std::size_t side = 0; side < 2; ++side) {
        const Party& p = parties[side];
        const auto& list = p.internal() ? effects.faults_of_client[static_cast<std::size_t>(p.client)]
                                        : effects.faults_of_external[static_cast<std::size_t>(p.external)];
        for (const int f : list) {
          const Fault& fault = scenario.faults[static_cast<std::size_t>(f)];
          if (!overlaps(s, e, fault.since, fault.until)) continue;
          if (p.internal()) {
            const Client& c = campus.clients[static_cast<std::size_t>(p.client)];
            if (!on_path(campus, fault, p.client, attachment_at(c, s))) continue;
          }
          if (cfg.realistic) {
            // Faults come and go in the middle of calls.
            seg.exposure = fault.exposure(s, e);
            if (seg.exposure <= 0) continue;  // off throughout, between two bursts
          } else if (s < fault.since || e > fault.until) {
            return std::nullopt;
          }
          seg.fault = f;
          seg.impaired = side == 0 ? Side::kCaller : Side::kCallee;
          ++hits;
        }
      }
      if (hits > 1) return std::nullopt;
      out.push_back(std::move(seg));
    }
    return out;
  }

  /// Draws the call's other party: a third of calls are with someone outside.
  Party other_party(int client) {
    Party p;
    if (rng.chance(1.0 / 3)) {
      p.external = static_cast<int>(rng.index(campus.externals.size()));
      return p;
    }
    do {
      p.client = static_cast<int>(rng.index(campus.clients.size()));
    } while (p.client == client);
    return p;
  }

  /// Tries one call of `party` in [lo, hi), with `guest` when >= 0; with
  /// `daily`, calls are rarer outside business hours. Returns whether it was kept.
  bool try_call(int party, TimeMs lo, TimeMs hi, int guest, bool daily) {
    const TimeMs longest = std::min<TimeMs>(10 * kMinute, hi - lo);
    if (longest < kMinute) return false;
    const TimeMs duration = rng.between(60, longest / kSecond) * kSecond + rng.between(0, 999);
    if (duration > hi - lo) return false;
    const TimeMs start = lo + rng.between(0, hi - lo - duration);
    if (daily && !rng.chance(std::max(0.15, business_load(start)))) return false;
    Party me;
    me.client = party;
    Party other;
    if (guest >= 0)
      other.external = guest;
    else
      other = other_party(party);
    // The campus side places most calls, but not all.
    const bool inbound = rng.chance(0.3);
    auto planned = plan_call(start, start + duration, inbound ? other : me, inbound ? me : other);
    if (!planned || over_cap(*planned)) return false;
    const std::string call_id = uuid(rng);
    auto is_room = [&](const Party& p) {
      return p.internal() && campus.clients[static_cast<std::size_t>(p.client)].device == DeviceKind::kRoomSystem;
    };
    // Room systems nearly always send video; laptops and phones often do not.
    const bool room = is_room(me) || is_room(other);
    const bool video = rng.chance(room ? 0.9 : 0.35);
    const bool screen = rng.chance(0.15);
    const Side screen_from = rng.chance(0.5) ? Side::kCaller : Side::kCallee;
    for (auto& seg : *planned) {
      seg.call_id = call_id;
      seg.segment_id = uuid(rng);
      seg.video = video;
      seg.screen = screen;
      seg.screen_from = screen_from;
      if (seg.fault >= 0) ++per_fault[static_cast<std::size_t>(seg.fault)];
      segments.push_back(std::move(seg));
    }
    return true;
  }

  /// Whether keeping these segments would give a fault more than its share.
  [[nodiscard]] bool over_cap(const std::vector<SegmentPlan>& planned) const {
    for (const auto& seg : planned) {
      if (seg.fault < 0) continue;
      const auto f = static_cast<std::size_t>(seg.fault);
      const auto added = static_cast<std::size_t>(
          std::count_if(planned.begin(), planned.end(), [&](const SegmentPlan& s) { return s.fault == seg.fault; }));
      if (per_fault[f] + added > max_fault_segments) return true;
    }
    return false;
  }

  /// Internal clients to place a call through the fault: its footprint, or
  /// anyone for a remote party's fault.
  [[nodiscard]] std::vector<int> exposed(const Fault& f) const {
    if (spec(f.kind).component != Component::kFarSide) return f.footprint;
    std::vector<int> all(campus.clients.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    return all;
  }

  /// Clients whose calls would cross the confounder.
  [[nodiscard]] std::vector<int> exposed(const Confounder& c) const {
    std::vector<int> out;
    for (std::size_t i = 0; i < campus.clients.size(); ++i) {
      const Client& cl = campus.clients[i];
      const bool on = c.client >= 0 ? static_cast<int>(i) == c.client
                      : c.link >= 0 ? cl.link == c.link
                      : c.sw >= 0   ? std::any_of(cl.attachments.begin(), cl.attachments.end(),
                                                  [&](const Attachment& a) { return access_of(campus, a) == c.sw; })
                                    : std::any_of(cl.attachments.begin(), cl.attachments.end(),
                                                  [&](const Attachment& a) { return a.ap == c.ap; });
      if (on) out.push_back(static_cast<int>(i));
    }
    return out;
  }

  /// Calls targeted at [lo, hi) through `clients` until `count()` reaches `want`.
  template <typename Count>
  void target(const std::vector<int>& clients, TimeMs lo, TimeMs hi, int guest, std::size_t want, Count count) {
    for (int attempt = 0; attempt < 5000 && count() < want && !clients.empty(); ++attempt) {
      try_call(clients[rng.index(clients.size())], lo, hi, guest, false);
    }
  }
};

std::vector<SegmentPlan> plan_calls(const Campus& campus, const Scenario& sc, const Effects& fx, const Config& cfg) {
  const auto share = static_cast<std::size_t>(cfg.segments / kFaultShareDivisor);
  CallPlanner planner{campus,
                      sc,
                      fx,
                      cfg,
                      Rng(cfg.seed, "calls"),
                      std::max(kMinFaultSegments, share),
                      {},
                      std::vector<std::size_t>(sc.faults.size(), 0)};
  // First the calls through each fault, so every fault has enough poor segments.
  for (std::size_t f = 0; f < sc.faults.size(); ++f) {
    const Fault& fault = sc.faults[f];
    planner.target(planner.exposed(fault), fault.since, fault.until, fault.external, kMinFaultSegments,
                   [&] { return planner.per_fault[f]; });
    if (planner.per_fault[f] < kMinFaultSegments) {
      throw std::logic_error("simulate: could not plant enough calls for " + std::string(fault_name(fault.kind)));
    }
  }
  // Then fault segments under each gap planted in a fault.
  for (const Gap& g : sc.gaps) {
    if (g.fault < 0) continue;
    const Fault& fault = sc.faults[static_cast<std::size_t>(g.fault)];
    auto under = [&] {
      return static_cast<std::size_t>(std::count_if(
          planner.segments.begin(), planner.segments.end(),
          [&](const SegmentPlan& s) { return s.fault == g.fault && overlaps(s.start, s.end, g.since, g.until); }));
    };
    planner.target(planner.exposed(fault), g.since, g.until, fault.external, kMinGapSegments, under);
  }
  // Then good calls across each confounder.
  for (const Confounder& c : sc.confounders) {
    auto across = [&] {
      return static_cast<std::size_t>(
          std::count_if(planner.segments.begin(), planner.segments.end(),
                        [&](const SegmentPlan& s) { return s.fault < 0 && crosses(campus, c, s); }));
    };
    planner.target(planner.exposed(c), c.since, c.until, -1, kMinConfounderSegments, across);
  }
  // Then ordinary calls over the whole time, clear of its first and last
  // minute so the telemetry around every call is there.
  const TimeMs lo = cfg.start + kMinute, hi = cfg.end - kMinute;
  const auto want = static_cast<std::size_t>(cfg.segments);
  for (std::size_t attempt = 0; attempt < 20 * want + 10000 && planner.segments.size() < want; ++attempt) {
    const int party = static_cast<int>(planner.rng.index(campus.clients.size()));
    planner.try_call(party, lo, hi, -1, true);
  }
  return std::move(planner.segments);
}

/// Background noise: a small share of the segments that no fault touches are
/// poor anyway (a headset, a busy moment the telemetry does not see), on a
/// stream an organization endpoint sent. Nothing planted explains them.
void add_background(std::vector<SegmentPlan>& segments, const Config& cfg) {
  if (cfg.background_share <= 0) return;
  Rng rng(cfg.seed, "background");
  for (auto& seg : segments) {
    if (seg.fault >= 0 || !rng.chance(cfg.background_share)) continue;
    const bool caller_in = seg.caller.internal(), callee_in = seg.callee.internal();
    seg.background = true;
    seg.impaired = caller_in && callee_in ? (rng.chance(0.5) ? Side::kCaller : Side::kCallee)
                   : caller_in            ? Side::kCaller
                                          : Side::kCallee;
  }
}

// ---------------------------------------------------------------- streams

struct VideoProfile {
  Range fps, frame_loss, post_fec, bitrate;
};

/// How bad the stream is: the impaired side's own sending stream suffers
/// most; the stream toward it crosses the same bad hop (a remote party's
/// network too: what is sent to it is lost there), except errors on a port's
/// receive side, which corrupt only what goes up.
Level stream_level(const SegmentPlan& seg, const std::vector<Fault>& faults, Side from, bool audio) {
  if (seg.background) return audio && from == seg.impaired ? Level::kSevere : Level::kGood;
  if (seg.fault < 0) return Level::kGood;
  if (from == seg.impaired) return Level::kSevere;
  return spec(faults[static_cast<std::size_t>(seg.fault)].kind).toward;
}

/// What the background noise looks like: concealment and distortion, no
/// network signature.
constexpr AudioProfile kBackgroundAudio{{3, 14}, {0, 1.5}, {20, 90}, {1.02, 1.4}, {0.075, 0.12}};

AudioProfile audio_profile(FaultKind kind, Level level) {
  if (level == Level::kGood) return {{2, 10}, {0, 0.5}, {20, 80}, {0.1, 0.3}, {0, 0.02}};
  if (level == Level::kMild) return {{3, 12}, {0.5, 2}, {20, 80}, {0.2, 0.5}, {0.01, 0.03}};
  return level == Level::kSevere ? spec(kind).severe : spec(kind).moderate;
}

VideoProfile video_profile(bool screen, Level level) {
  switch (level) {
    case Level::kGood:
      return screen ? VideoProfile{{5, 15}, {0, 3}, {0, 1}, {150, 1200}}
                    : VideoProfile{{20, 30}, {0, 4.5}, {0, 1}, {800, 2500}};
    case Level::kMild:
      return screen ? VideoProfile{{4, 12}, {0.5, 4}, {0.3, 2}, {150, 900}}
                    : VideoProfile{{18, 28}, {1, 6}, {0.5, 3}, {600, 2000}};
    case Level::kModerate:
      return screen ? VideoProfile{{2.5, 5}, {5, 15}, {2, 8}, {100, 400}}
                    : VideoProfile{{10, 18}, {5, 15}, {2, 8}, {300, 800}};
    case Level::kSevere:
      return screen ? VideoProfile{{0.5, 1.8}, {20, 45}, {16, 30}, {50, 150}}
                    : VideoProfile{{3, 6.5}, {20, 45}, {16, 30}, {150, 400}};
  }
  return {};
}

std::string_view side_name(Side s) { return s == Side::kCaller ? "caller" : "callee"; }

/// One stream's figures, rounded as written.
struct StreamOut {
  Side from = Side::kCaller;
  std::string_view media;
  bool audio = true;
  double jitter = 0, jitter_max = 0, loss = 0, loss_max = 0, rtt = 0, rtt_max = 0, degradation = 0, concealed = 0;
  double fps = 0, frame_loss = 0, post_fec = 0, bitrate = 0;

  /// Microsoft CQD's published definition of a poor stream, which the
  /// truth's `expected` follows: any audio metric past its threshold; for
  /// video the first measured metric of the chain decides (all three are
  /// written, so frame loss).
  [[nodiscard]] bool poor() const {
    if (audio) return jitter > 30 || loss > 10 || rtt > 500 || degradation > 1.0 || concealed > 0.07;
    return frame_loss > 50;
  }
};

StreamOut audio_stream(Rng& rng, Side from, const AudioProfile& p, bool good) {
  StreamOut s;
  s.from = from;
  s.media = "audio";
  const double jitter = rng.uniform(p.jitter);
  // Healthy loss is mostly near zero: square the uniform to skew it low.
  const double u = rng.uniform();
  const double loss = good ? p.loss.lo + (p.loss.hi - p.loss.lo) * u * u : rng.uniform(p.loss);
  const double rtt = rng.uniform(p.rtt);
  s.jitter = r1(jitter);
  s.jitter_max = r1(jitter * rng.uniform(1.8, 3.2));
  s.loss = r2(loss);
  s.loss_max = r2(std::min(100.0, loss * rng.uniform(2, 4) + rng.uniform(0, 1)));
  s.rtt = r1(rtt);
  s.rtt_max = r1(rtt * rng.uniform(1.3, 2.0));
  s.degradation = r2(rng.uniform(p.degradation));
  s.concealed = r3(rng.uniform(p.concealed));
  return s;
}

StreamOut video_stream(Rng& rng, Side from, bool screen, const VideoProfile& p) {
  StreamOut s;
  s.from = from;
  s.media = screen ? "screen" : "video";
  s.audio = false;
  s.fps = r1(rng.uniform(p.fps));
  s.frame_loss = r2(rng.uniform(p.frame_loss));
  s.post_fec = r2(rng.uniform(p.post_fec));
  s.bitrate = r1(rng.uniform(p.bitrate));
  return s;
}

/// A stream over a segment that the fault spoiled for a share e of it (its
/// exposure times its intensity): a segment's averages mix the good time and
/// the bad, its maxima are the bad time's.
StreamOut mix(const StreamOut& good, const StreamOut& bad, double e) {
  StreamOut s = bad;
  if (s.audio) {
    s.jitter = r1(worsen(good.jitter, bad.jitter, e));
    s.loss = r2(worsen(good.loss, bad.loss, e));
    s.rtt = r1(worsen(good.rtt, bad.rtt, e));
    s.degradation = r2(worsen(good.degradation, bad.degradation, e));
    s.concealed = r3(worsen(good.concealed, bad.concealed, e));
  } else {
    s.fps = r1(worsen(good.fps, bad.fps, e));
    s.frame_loss = r2(worsen(good.frame_loss, bad.frame_loss, e));
    s.post_fec = r2(worsen(good.post_fec, bad.post_fec, e));
    s.bitrate = r1(worsen(good.bitrate, bad.bitrate, e));
  }
  return s;
}

/// The streams of a segment a realistic fault touched: each drawn good and
/// as the fault would have it, then mixed.
std::vector<StreamOut> mixed_streams(const SegmentPlan& seg, const std::vector<Fault>& faults, Rng& rng) {
  const Fault& fault = faults[static_cast<std::size_t>(seg.fault)];
  const double e = seg.exposure * fault.intensity;
  std::vector<StreamOut> out;
  for (const Side from : {Side::kCaller, Side::kCallee}) {
    const Level level = stream_level(seg, faults, from, true);
    const StreamOut good = audio_stream(rng, from, audio_profile(fault.kind, Level::kGood), true);
    const StreamOut bad = audio_stream(rng, from, audio_profile(fault.kind, level), level == Level::kGood);
    out.push_back(mix(good, bad, e));
  }
  auto video = [&](Side from, bool screen) {
    const StreamOut good = video_stream(rng, from, screen, video_profile(screen, Level::kGood));
    const StreamOut bad =
        video_stream(rng, from, screen, video_profile(screen, stream_level(seg, faults, from, false)));
    out.push_back(mix(good, bad, e));
  };
  if (seg.video) {
    for (const Side from : {Side::kCaller, Side::kCallee}) video(from, false);
  }
  if (seg.screen) video(seg.screen_from, true);
  return out;
}

std::vector<StreamOut> streams_of(const SegmentPlan& seg, const std::vector<Fault>& faults, bool realistic, Rng& rng) {
  if (realistic && seg.fault >= 0) return mixed_streams(seg, faults, rng);
  const FaultKind kind = seg.fault >= 0 ? faults[static_cast<std::size_t>(seg.fault)].kind : FaultKind::kRemote;
  std::vector<StreamOut> out;
  for (const Side from : {Side::kCaller, Side::kCallee}) {
    const Level level = stream_level(seg, faults, from, true);
    const AudioProfile profile =
        seg.background && level == Level::kSevere ? kBackgroundAudio : audio_profile(kind, level);
    out.push_back(audio_stream(rng, from, profile, level == Level::kGood));
  }
  if (seg.video) {
    for (const Side from : {Side::kCaller, Side::kCallee}) {
      out.push_back(video_stream(rng, from, false, video_profile(false, stream_level(seg, faults, from, false))));
    }
  }
  if (seg.screen) {
    out.push_back(video_stream(rng, seg.screen_from, true,
                               video_profile(true, stream_level(seg, faults, seg.screen_from, false))));
  }
  return out;
}

void write_stream(JsonWriter& w, const StreamOut& s) {
  w.begin_object().key("from").value(side_name(s.from)).key("media").value(s.media);
  if (s.audio) {
    w.key("jitter_avg_ms").value(s.jitter, 1).key("jitter_max_ms").value(s.jitter_max, 1);
    w.key("loss_avg_pct").value(s.loss, 2).key("loss_max_pct").value(s.loss_max, 2);
    w.key("rtt_avg_ms").value(s.rtt, 1).key("rtt_max_ms").value(s.rtt_max, 1);
    w.key("degradation_avg").value(s.degradation, 2).key("concealed_ratio_avg").value(s.concealed, 3);
  } else {
    w.key("frame_rate_avg").value(s.fps, 1).key("frame_loss_pct").value(s.frame_loss, 2);
    w.key("post_fec_loss_pct").value(s.post_fec, 2).key("bitrate_kbps").value(s.bitrate, 1);
  }
  w.end_object();
}

// ---------------------------------------------------------------- call records

void write_endpoint(JsonWriter& w, const Campus& campus, const Party& p, const SegmentPlan& seg, Side side,
                    const std::vector<Fault>& faults, Rng& rng) {
  w.begin_object();
  if (!p.internal()) {
    const External& e = campus.externals[static_cast<std::size_t>(p.external)];
    w.key("user").value(e.user).key("ip").value(e.ip).key("connection").value(e.wifi ? "wifi" : "unknown");
    w.key("device_type").value(device_name(e.device)).key("reflexive_ip").value(e.ip);
    if (e.wifi) w.key("wifi_signal_pct").value(rng.between(55, 95));
    w.end_object();
    return;
  }
  const Client& c = campus.clients[static_cast<std::size_t>(p.client)];
  const Site& site = campus.sites[static_cast<std::size_t>(c.site)];
  const FaultKind kind = seg.fault >= 0 ? faults[static_cast<std::size_t>(seg.fault)].kind : FaultKind::kRemote;
  const bool impaired = seg.fault >= 0 && seg.impaired == side;
  const double e = seg.fault >= 0 ? seg.exposure * faults[static_cast<std::size_t>(seg.fault)].intensity : 0;
  w.key("user").value(c.user).key("client").value(c.mac).key("ip").value(c.ip);
  w.key("subnet").value(c.wired ? site.wired_cidr : site.wifi_cidr);
  const Attachment& a = attachment_at(c, seg.start);
  if (!c.wired) {
    const Ap& ap = campus.aps[static_cast<std::size_t>(a.ap)];
    w.key("bssid").value(a.band5 ? ap.bssid5 : ap.bssid24);
  }
  w.key("connection").value(c.wired ? "wired" : "wifi").key("device_type").value(device_name(c.device));
  w.key("reflexive_ip").value(c.reflexive_ip);
  if (!c.wired) {
    const double rssi = impaired && spec(kind).endpoint.rssi_dbm != 0
                            ? worsen(c.rssi_mean, spec(kind).endpoint.rssi_dbm, e)
                            : c.rssi_mean;
    w.key("wifi_signal_pct")
        .value(static_cast<int>(std::clamp(std::round(2 * (rssi + 100) + rng.normal(0, 2)), 0.0, 100.0)));
  }
  // Graph's cpuInsufficientEventRatio: the share of the call the client could
  // not keep up with media processing.
  const Range starved = spec(kind).endpoint.cpu_insufficient;
  w.key("cpu_insufficient_ratio")
      .value(r3(impaired && is_set(starved) ? e * rng.uniform(starved) : rng.uniform(0, 0.03)), 3);
  // Now and then a user rates the call, badly when it was bad for them.
  const bool bad = (impaired && seg.poor()) || (seg.background && seg.impaired == side);
  if (rng.chance(0.12)) w.key("feedback_rating").value(bad ? rng.between(1, 2) : rng.between(4, 5));
  w.end_object();
}

/// The site a segment is graded under: its impaired organization endpoint's,
/// else the caller's when it is inside, else the callee's.
int segment_site(const Campus& campus, const SegmentPlan& seg) {
  auto site_of = [&](const Party& p) { return campus.clients[static_cast<std::size_t>(p.client)].site; };
  if (seg.poor() && seg.party(seg.impaired).internal()) return site_of(seg.party(seg.impaired));
  if (seg.caller.internal()) return site_of(seg.caller);
  if (seg.callee.internal()) return site_of(seg.callee);
  return -1;
}

struct CallStats {
  std::size_t poor = 0, background = 0, gap = 0;
};

CallStats write_calls(const Campus& campus, std::vector<SegmentPlan>& segments, Scenario& sc, const Config& cfg,
                      JsonlFile& file) {
  Rng rng(cfg.seed, "streams");
  std::stable_sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) { return a.end < b.end; });
  CallStats stats;
  for (auto& seg : segments) {
    seg.gap = std::any_of(sc.gaps.begin(), sc.gaps.end(), [&](const Gap& g) { return in_gap(campus, g, seg); });
    const std::vector<StreamOut> streams = streams_of(seg, sc.faults, cfg.realistic, rng);
    const bool poor = std::any_of(streams.begin(), streams.end(), [](const StreamOut& s) { return s.poor(); });
    if (cfg.realistic && seg.fault >= 0) seg.observed = poor;
    seg.site = segment_site(campus, seg);
    if (poor != seg.poor()) throw std::logic_error("simulate: segment " + seg.segment_id + " misclassified");
    // A partly spoiled segment may cross a threshold in either direction first.
    if (seg.poor() && !seg.observed) {
      // What the impaired side sent is what suffers; background noise spoils
      // nothing else (a remote party's network may harm both ways).
      const bool own = std::any_of(streams.begin(), streams.end(),
                                   [&](const StreamOut& s) { return s.from == seg.impaired && s.poor(); });
      const bool others = std::any_of(streams.begin(), streams.end(),
                                      [&](const StreamOut& s) { return s.from != seg.impaired && s.poor(); });
      if (!own || (seg.background && others)) {
        throw std::logic_error("simulate: segment " + seg.segment_id + " has the wrong poor streams");
      }
    }
    stats.poor += seg.poor() ? 1 : 0;
    stats.background += seg.background ? 1 : 0;
    stats.gap += seg.gap ? 1 : 0;
    if (seg.caused()) sc.faults[static_cast<std::size_t>(seg.fault)].segments.push_back(seg.segment_id);
    for (auto& c : sc.confounders) {
      if (crosses(campus, c, seg)) c.segments.push_back(seg.segment_id);
    }

    JsonWriter w = file.record();
    w.begin_object().key("type").value("call.segment").key("call_id").value(seg.call_id);
    w.key("segment_id").value(seg.segment_id).key("start").time(seg.start).key("end").time(seg.end);
    w.key("caller");
    write_endpoint(w, campus, seg.caller, seg, Side::kCaller, sc.faults, rng);
    w.key("callee");
    write_endpoint(w, campus, seg.callee, seg, Side::kCallee, sc.faults, rng);
    w.key("streams").begin_array();
    for (const auto& s : streams) write_stream(w, s);
    w.end_array().end_object();
    file.end_record();
  }
  return stats;
}

// ---------------------------------------------------------------- ground truth

/// The component a fault's poor segments should be blamed on.
struct Blamed {
  std::string_view kind;
  std::string id;  // empty for a remote party
  int site = -1;
  std::string port, access;  // switch faults: the port with the errors; uplink: the access switch behind it
};

Blamed blamed(const Campus& campus, const Fault& f) {
  Blamed b;
  b.kind = spec(f.kind).blame;
  b.site = f.site;
  switch (spec(f.kind).component) {
    case Component::kClient: b.id = campus.clients[static_cast<std::size_t>(f.client)].mac; break;
    case Component::kAp: b.id = campus.aps[static_cast<std::size_t>(f.ap)].id; break;
    case Component::kApCable: {
      // An AP's cable is its access switch's port.
      const Ap& ap = campus.aps[static_cast<std::size_t>(f.ap)];
      b.id = campus.switches[static_cast<std::size_t>(ap.sw)].id;
      b.port = ap.port;
      b.access = b.id;
      break;
    }
    case Component::kAccessUplink: {
      // Both ends of the access switch's uplink count errors. The link is
      // the access switch's (its downstream device): the calls that suffer
      // are exactly those below it, while the core's other ports stay clean.
      const Switch& acc = campus.switches[static_cast<std::size_t>(f.access)];
      b.id = acc.id;
      b.port = acc.parent_port;
      b.access = acc.id;
      break;
    }
    case Component::kWanLink: b.id = campus.links[static_cast<std::size_t>(f.link)].id; break;
    case Component::kFarSide: break;
  }
  return b;
}

std::string ref(char prefix, std::size_t i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%c%02zu", prefix, i + 1);
  return buf;
}

void site_value(JsonWriter& w, const Campus& campus, int site) {
  if (site < 0)
    w.null();
  else
    w.value(campus.sites[static_cast<std::size_t>(site)].id);
}

void write_truth(const Campus& campus, const Scenario& sc, bool realistic, JsonlFile& file) {
  for (std::size_t i = 0; i < sc.faults.size(); ++i) {
    const Fault& f = sc.faults[i];
    const Blamed b = blamed(campus, f);
    JsonWriter w = file.record();
    w.begin_object().key("role").value("fault").key("ref").value(ref('F', i)).key("fault").value(fault_name(f.kind));
    w.key("kind").value(b.kind).key("id");
    if (b.id.empty())
      w.null();
    else
      w.value(b.id);
    if (!b.port.empty()) w.key("port").value(b.port);
    const Component component = spec(f.kind).component;
    if (component == Component::kAccessUplink) w.key("access_switch").value(b.access);
    if (component == Component::kFarSide)
      w.key("party").value(campus.externals[static_cast<std::size_t>(f.external)].user);
    w.key("site");
    site_value(w, campus, b.site);
    w.key("since").time(f.since).key("until").time(f.until);
    if (realistic) {
      w.key("intensity").value(f.intensity, 2);
      w.key("period_s").value(f.period / kSecond).key("on_s").value(f.on / kSecond);
    }
    w.key("segments").begin_array();
    for (const auto& s : f.segments) w.value(s);
    w.end_array().end_object();
    file.end_record();
  }
  for (std::size_t i = 0; i < sc.confounders.size(); ++i) {
    const Confounder& c = sc.confounders[i];
    JsonWriter w = file.record();
    w.begin_object().key("role").value("confounder").key("ref").value(ref('C', i));
    w.key("confounder").value(confounder_name(c.kind));
    if (c.ap >= 0) w.key("kind").value("ap").key("id").value(campus.aps[static_cast<std::size_t>(c.ap)].id);
    if (c.client >= 0)
      w.key("kind").value("client").key("id").value(campus.clients[static_cast<std::size_t>(c.client)].mac);
    if (c.link >= 0) w.key("kind").value("wan").key("id").value(campus.links[static_cast<std::size_t>(c.link)].id);
    if (c.sw >= 0) w.key("kind").value("switch").key("id").value(campus.switches[static_cast<std::size_t>(c.sw)].id);
    if (!c.port.empty()) w.key("port").value(c.port);
    w.key("site");
    site_value(w, campus, c.site);
    w.key("since").time(c.since).key("until").time(c.until);
    w.key("segments").begin_array();
    for (const auto& s : c.segments) w.value(s);
    w.end_array().end_object();
    file.end_record();
  }
  for (std::size_t i = 0; i < sc.gaps.size(); ++i) {
    const Gap& g = sc.gaps[i];
    std::string id;
    switch (g.kind) {
      case GapKind::kClient: id = campus.clients[static_cast<std::size_t>(g.index)].mac; break;
      case GapKind::kAp: id = campus.aps[static_cast<std::size_t>(g.index)].id; break;
      case GapKind::kSwitch: id = campus.switches[static_cast<std::size_t>(g.index)].id; break;
      case GapKind::kWan: id = campus.links[static_cast<std::size_t>(g.index)].id; break;
    }
    JsonWriter w = file.record();
    w.begin_object().key("role").value("gap").key("ref").value(ref('G', i)).key("kind").value(gap_kind_name(g.kind));
    w.key("id").value(id).key("site");
    site_value(w, campus, g.site);
    w.key("since").time(g.since).key("until").time(g.until).key("during");
    if (g.fault < 0)
      w.null();
    else
      w.value(ref('F', static_cast<std::size_t>(g.fault)));
    w.end_object();
    file.end_record();
  }
}

void write_segment_truth(const Campus& campus, const Scenario& sc, const std::vector<SegmentPlan>& segments,
                         JsonlFile& file) {
  for (const auto& seg : segments) {
    JsonWriter w = file.record();
    w.begin_object().key("segment_id").value(seg.segment_id).key("call_id").value(seg.call_id);
    w.key("expected").value(seg.poor() ? "poor" : "good").key("cause");
    if (!seg.caused()) {
      w.null();
    } else {
      const Fault& f = sc.faults[static_cast<std::size_t>(seg.fault)];
      const Blamed b = blamed(campus, f);
      w.begin_object()
          .key("ref")
          .value(ref('F', static_cast<std::size_t>(seg.fault)))
          .key("fault")
          .value(fault_name(f.kind));
      w.key("kind").value(b.kind).key("id");
      if (b.id.empty())
        w.null();
      else
        w.value(b.id);
      w.key("site");
      site_value(w, campus, b.site);
      if (!b.port.empty()) w.key("port").value(b.port);
      w.end_object();
    }
    w.key("telemetry_gap").value(seg.gap).key("site");
    site_value(w, campus, seg.site);
    if (seg.observed) {
      // What touched it, and for how much of it, whether or not it turned poor.
      w.key("touched").value(ref('F', static_cast<std::size_t>(seg.fault)));
      w.key("exposure").value(seg.exposure, 2);
    }
    w.end_object();
    file.end_record();
  }
}

}  // namespace

SimulateSummary write_scenario(const SimulateOptions& options) {
  const Config cfg = resolve(options);
  const std::filesystem::path dir(options.out_dir);
  // The ground truth is not a callroot record: it lives apart, so that
  // `callroot replay DIR/*.jsonl` reads only records.
  std::filesystem::create_directories(dir / "truth");

  Rng campus_rng(cfg.seed, "campus");
  Campus campus = build_campus(cfg, campus_rng);
  add_roams(campus, cfg, campus_rng);
  Rng fault_rng(cfg.seed, "faults");
  Scenario sc;
  sc.faults = cfg.fault_instances == 0 ? demo_faults(campus, cfg, fault_rng) : scheduled_faults(campus, cfg, fault_rng);
  sc.confounders = plan_confounders(campus, cfg, sc.faults, fault_rng);
  sc.gaps = plan_gaps(campus, cfg, sc.faults, fault_rng);
  if (cfg.realistic) shape_faults(sc.faults, cfg);
  if (cfg.decoys) add_decoys(campus, cfg, sc);
  const Effects fx(campus, sc);
  std::vector<SegmentPlan> segments = plan_calls(campus, sc, fx, cfg);
  add_background(segments, cfg);

  SimulateSummary summary;
  auto open = [&](const char* name) {
    summary.files.push_back((dir / name).string());
    return JsonlFile(dir / name);
  };
  // One file each, written and closed in turn; the count of records goes to `count`.
  auto write = [&](const char* name, std::size_t& count, auto&& writer) {
    JsonlFile f = open(name);
    writer(f);
    count = f.close();
  };
  write("inventory.jsonl", summary.inventory, [&](JsonlFile& f) { write_inventory(campus, f); });
  write("clients.jsonl", summary.clients, [&](JsonlFile& f) { write_clients(campus, f); });
  write("wifi.jsonl", summary.wifi, [&](JsonlFile& f) { write_wifi(campus, sc, fx, cfg, f); });
  write("wired.jsonl", summary.wired, [&](JsonlFile& f) { write_wired(campus, sc, fx, cfg, f); });
  write("wan.jsonl", summary.wan, [&](JsonlFile& f) { write_wan(campus, sc, fx, cfg, f); });
  write("devices.jsonl", summary.devices, [&](JsonlFile& f) { write_devices(campus, sc, fx, cfg, f); });
  {
    JsonlFile f = open("calls.jsonl");
    const CallStats stats = write_calls(campus, segments, sc, cfg, f);
    summary.calls = f.close();
    summary.poor_segments = stats.poor;
    summary.background_segments = stats.background;
    summary.gap_segments = stats.gap;
  }
  {
    JsonlFile f = open("truth/truth.jsonl");
    write_truth(campus, sc, cfg.realistic, f);
    f.close();
    summary.faults = sc.faults.size();
    summary.confounders = sc.confounders.size();
    summary.gaps = sc.gaps.size();
  }
  {
    JsonlFile f = open("truth/segments.jsonl");
    write_segment_truth(campus, sc, segments, f);
    f.close();
  }
  return summary;
}

}  // namespace callroot::sim
