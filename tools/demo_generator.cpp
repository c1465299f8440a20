#include "tools/demo_generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace callroot::tools {
namespace {

// ordered_json keeps keys in insertion order, so every line reads "type" first.
using Json = nlohmann::ordered_json;
using TimeMs = std::int64_t;

constexpr TimeMs kSecond = 1000;
constexpr TimeMs kMinute = 60 * kSecond;
constexpr TimeMs kHour = 60 * kMinute;
// Long call legs are cut into segments of at most this length, as Teams does.
constexpr TimeMs kMaxSegment = 5 * kMinute;
// A roam that would leave a sliver of a segment makes the call be redrawn:
// segments that short carry too few telemetry samples to be scored.
constexpr TimeMs kMinPiece = 30 * kSecond;
// Every planted fault gets at least this many poor segments.
constexpr std::size_t kMinFaultSegments = 6;
// Ordinary calls that would push a fault past this share of the segments
// (one in 20) are redrawn, so most segments stay good whatever the seed.
constexpr int kFaultShareDivisor = 20;

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
/// demo has its own named stream, so changing one part leaves the others as
/// they were.
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

 private:
  std::mt19937_64 engine_;
};

/// A mean-reverting AR(1) series: gauges drift like real telemetry instead of
/// jumping independently every sample.
class Wander {
 public:
  Wander() = default;
  Wander(Rng& rng, double mean, double sd, double phi, Range clamp)
      : mean_(mean), phi_(phi), step_sd_(sd * std::sqrt(1.0 - phi * phi)), clamp_(clamp), dev_(rng.normal(0, sd)) {}
  double next(Rng& rng) {
    dev_ = phi_ * dev_ + rng.normal(0, step_sd_);
    return std::clamp(mean_ + dev_, clamp_.lo, clamp_.hi);
  }

 private:
  double mean_ = 0;
  double phi_ = 0;
  double step_sd_ = 0;
  Range clamp_{};
  double dev_ = 0;
};

// Values are rounded before output so the files stay short and readable.
double round_to(double v, double scale) { return std::round(v * scale) / scale; }
double r1(double v) { return round_to(v, 10); }
double r2(double v) { return round_to(v, 100); }
double r3(double v) { return round_to(v, 1000); }

// ---------------------------------------------------------------- time

/// Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
}

/// RFC 3339 UTC with milliseconds, e.g. 2026-03-02T09:00:30.000Z.
std::string rfc3339(TimeMs t) {
  const std::int64_t day = (t >= 0 ? t : t - 86'399'999) / 86'400'000;
  const std::int64_t ms = t - day * 86'400'000;
  int y = 0;
  unsigned mo = 0, d = 0;
  civil_from_days(day, y, mo, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, mo, d, static_cast<int>(ms / 3'600'000),
                static_cast<int>(ms / 60'000 % 60), static_cast<int>(ms / 1000 % 60), static_cast<int>(ms % 1000));
  return buf;
}

// ---------------------------------------------------------------- the campus

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
  std::string id, name, cidr;
  std::string wifi_cidr, wifi_prefix;    // Wi-Fi VLAN, e.g. 10.1.16.0/22 and "10.1.16."
  std::string wired_cidr, wired_prefix;  // wired VLAN
  std::string edge;
  int core = -1;
  std::vector<int> access, aps, links;
};

struct Switch {
  std::string id, name;
  int site = 0;
  int parent = -1;          // uplink switch, or -1 when the uplink is the WAN edge
  std::string parent_port;  // port on the parent
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
  std::string reflexive_ip;             // the public address of the WAN link its media leaves by
  double rssi_mean = -55;               // how far its desk is from the AP
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

struct LinkSpec {
  const char* suffix;
  const char* provider;
  int capacity_mbps;
  std::vector<std::string> public_ips;
  double latency_mean;
};

std::string mac_string(std::array<unsigned, 6> b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return buf;
}

/// A core switch at the WAN edge, access switches of up to four APs each, the
/// APs, and the site's WAN links.
void add_site(Campus& campus, const char* id, const char* name, int octet, int ap_count,
              const std::vector<LinkSpec>& links) {
  const int s = static_cast<int>(campus.sites.size());
  Site site;
  site.id = id;
  site.name = name;
  site.cidr = "10." + std::to_string(octet) + ".0.0/16";
  site.wifi_cidr = "10." + std::to_string(octet) + ".16.0/22";
  site.wifi_prefix = "10." + std::to_string(octet) + ".16.";
  site.wired_cidr = "10." + std::to_string(octet) + ".4.0/24";
  site.wired_prefix = "10." + std::to_string(octet) + ".4.";
  site.edge = site.id + "-edge";

  site.core = static_cast<int>(campus.switches.size());
  campus.switches.push_back({site.id + "-core", std::string(name) + " core", s, -1, ""});
  const int access_count = (ap_count + 3) / 4;
  for (int k = 0; k < access_count; ++k) {
    site.access.push_back(static_cast<int>(campus.switches.size()));
    campus.switches.push_back({site.id + "-acc" + std::to_string(k + 1),
                               std::string(name) + " access " + std::to_string(k + 1), s, site.core,
                               "Te1/0/" + std::to_string(k + 1)});
  }

  static constexpr std::array kCh24{1, 6, 11};
  static constexpr std::array kCh5{36, 52, 100, 149, 40, 56, 104, 153};
  for (int k = 0; k < ap_count; ++k) {
    char ap_id[32];
    std::snprintf(ap_id, sizeof ap_id, "%s-ap%02d", id, k + 1);
    Ap ap;
    ap.id = ap_id;
    ap.name = std::string(name) + " AP " + std::to_string(k + 1);
    ap.site = s;
    ap.sw = site.access[static_cast<std::size_t>(k / 4)];
    ap.port = "Gi1/0/" + std::to_string(k % 4 + 1);
    const auto so = static_cast<unsigned>(s + 1), ao = static_cast<unsigned>(k + 1);
    ap.bssid24 = mac_string({0x70, 0x3a, 0x0e, so, ao, 0x00});
    ap.bssid5 = mac_string({0x70, 0x3a, 0x0e, so, ao, 0x10});
    ap.ch24 = kCh24[static_cast<std::size_t>(k) % kCh24.size()];
    ap.ch5 = kCh5[static_cast<std::size_t>(k) % kCh5.size()];
    site.aps.push_back(static_cast<int>(campus.aps.size()));
    campus.aps.push_back(std::move(ap));
  }

  for (const auto& spec : links) {
    site.links.push_back(static_cast<int>(campus.links.size()));
    campus.links.push_back(
        {site.id + spec.suffix, spec.provider, s, spec.capacity_mbps, spec.public_ips, spec.latency_mean});
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
  // (k mod 26, 7k+3 mod 20) repeats only after 260 people: names stay unique.
  const auto u = static_cast<std::size_t>(k);
  return std::string(kFirst[u % kFirst.size()]) + "." + std::string(kLast[(7 * u + 3) % kLast.size()]);
}

/// One site's clients: slot 0 is the wired room system, at hq slots 1 and 2
/// are wired desktops, the rest are laptops and phones on Wi-Fi, spread
/// round-robin over the site's APs.
void add_clients(Campus& campus, int site_index, int count, int& person, Rng& rng, std::set<std::string>& used,
                 TimeMs start) {
  const Site& site = campus.sites[static_cast<std::size_t>(site_index)];
  const int wired_pcs = site_index == 0 ? 2 : 0;
  int wifi_slot = 0;
  for (int k = 0; k < count; ++k) {
    Client c;
    c.site = site_index;
    const bool room = k == 0;
    c.wired = k <= wired_pcs;
    c.device = room ? DeviceKind::kRoomSystem : (!c.wired && rng.chance(0.25) ? DeviceKind::kMobile : DeviceKind::kPc);
    c.battery = !c.wired;
    c.mac = unique_mac(rng, c.device, used);
    char host[48];
    if (room) {
      c.user = "room." + site.id + (site_index == 0 ? "-boardroom" : "-huddle") + "@contoso.example";
      std::snprintf(host, sizeof host, "%s-ROOM-MTR", site_index == 0 ? "HQ" : "BR");
    } else {
      const std::string who = person_name(person++);
      c.user = who + "@contoso.example";
      if (c.device == DeviceKind::kMobile) {
        std::snprintf(host, sizeof host, "mob-%s", who.substr(0, who.find('.')).c_str());
      } else {
        std::snprintf(host, sizeof host, "%s-%s-%04d", site_index == 0 ? "HQ" : "BR", c.wired ? "DT" : "LT",
                      1000 + static_cast<int>(rng.between(0, 8999)));
      }
    }
    c.hostname = host;
    c.ip = (c.wired ? site.wired_prefix : site.wifi_prefix) + std::to_string(20 + k);
    // Most media leaves by the first link; the policy router sends some
    // clients out of the second one. Fixed per client, as source NAT is.
    c.link = site.links[rng.chance(0.2) ? 1 : 0];
    const Link& link = campus.links[static_cast<std::size_t>(c.link)];
    c.reflexive_ip = link.public_ips[static_cast<std::size_t>(k) % link.public_ips.size()];

    Attachment a;
    a.since = start - rng.between(60, 600) * kSecond - rng.between(0, 999);
    if (c.wired) {
      a.sw = site.access.front();
      a.port = "Gi1/0/" + std::to_string(20 + k);
    } else {
      a.ap = site.aps[static_cast<std::size_t>(wifi_slot++) % site.aps.size()];
      a.band5 = rng.chance(c.device == DeviceKind::kMobile ? 0.6 : 0.85);
      c.rssi_mean = a.band5 ? rng.uniform(-60, -50) : rng.uniform(-56, -48);
    }
    c.attachments.push_back(std::move(a));
    campus.clients.push_back(std::move(c));
  }
}

std::vector<External> make_externals(Rng& rng) {
  static constexpr std::array<std::string_view, 3> kDomains{"partner.example", "fabrikam.example", "northwind.example"};
  std::vector<External> out;
  for (int k = 0; k < 16; ++k) {
    External e;
    char user[64];
    std::snprintf(user, sizeof user, "guest%02d@%s", k + 1,
                  std::string(kDomains[static_cast<std::size_t>(k) % kDomains.size()]).c_str());
    e.user = user;
    // 192.0.2.0/24 is a documentation range: public, and in no site subnet.
    e.ip = "192.0.2." + std::to_string(10 + k);
    e.wifi = rng.chance(0.5);
    e.device = rng.chance(0.3) ? DeviceKind::kMobile : DeviceKind::kPc;
    out.push_back(std::move(e));
  }
  return out;
}

Campus build_campus(const DemoOptions& o, Rng& rng) {
  Campus campus;
  add_site(campus, "hq", "Headquarters", 1, o.hq_aps,
           {{"-wan1", "Fibernet", 1000, {"198.51.100.10", "198.51.100.11"}, 11},
            {"-wan2", "Metro Cable", 500, {"203.0.113.20"}, 18}});
  add_site(campus, "branch", "Branch office", 2, o.branch_aps,
           {{"-wan1", "Fibernet", 200, {"198.51.100.40"}, 14},
            {"-wan2", "Metro Cable", 100, {"203.0.113.50", "203.0.113.51"}, 21}});
  const int hq_clients = (2 * o.clients + 2) / 3;
  std::set<std::string> used;
  int person = 0;
  add_clients(campus, 0, hq_clients, person, rng, used, o.start_ms);
  add_clients(campus, 1, o.clients - hq_clients, person, rng, used, o.start_ms);
  campus.externals = make_externals(rng);
  return campus;
}

// ---------------------------------------------------------------- planted faults

enum class FaultKind { kWeakWifi, kCongestedAp, kSwitchCrc, kCongestedWan, kRemote };

struct Fault {
  FaultKind kind = FaultKind::kRemote;
  TimeMs since = 0, until = 0;
  int client = -1, ap = -1, link = -1;
  std::vector<std::pair<TimeMs, std::string>> segments;  // (end, segment id) of the poor segments

  /// Telemetry samples describe the period just before their timestamp.
  [[nodiscard]] bool active_at(TimeMs t) const { return t > since && t <= until; }
};

std::string_view fault_name(FaultKind k) {
  switch (k) {
    case FaultKind::kWeakWifi: return "weak_wifi_client";
    case FaultKind::kCongestedAp: return "congested_ap";
    case FaultKind::kSwitchCrc: return "switch_port_crc";
    case FaultKind::kCongestedWan: return "congested_wan";
    case FaultKind::kRemote: return "remote_network";
  }
  return "";
}

std::string_view blame_kind(FaultKind k) {
  switch (k) {
    case FaultKind::kWeakWifi: return "client";
    case FaultKind::kCongestedAp: return "ap";
    case FaultKind::kSwitchCrc: return "switch";
    case FaultKind::kCongestedWan: return "wan";
    case FaultKind::kRemote: return "remote";
  }
  return "";
}

/// The weak client: a hq laptop on the second hq AP, on 5 GHz when there is one.
int pick_weak_client(const Campus& campus) {
  const int ap = campus.sites[0].aps[1];
  int fallback = -1;
  for (std::size_t i = 0; i < campus.clients.size(); ++i) {
    const Client& c = campus.clients[i];
    if (c.wired || c.attachments.front().ap != ap) continue;
    if (c.device == DeviceKind::kPc && c.attachments.front().band5) return static_cast<int>(i);
    if (fallback < 0) fallback = static_cast<int>(i);
  }
  if (fallback < 0) throw std::logic_error("demo: no Wi-Fi client on the weak client's AP");
  return fallback;
}

/// The five faults, in the order of truth.jsonl. Intervals are fixed minutes
/// into the hour; only the weak client overlaps others in time, and on other
/// components, so every poor segment has exactly one cause.
std::vector<Fault> plan_faults(Campus& campus, TimeMs start) {
  std::vector<Fault> faults(5);
  auto at = [&](int minutes) { return start + minutes * kMinute; };

  faults[0].kind = FaultKind::kWeakWifi;
  faults[0].client = pick_weak_client(campus);
  faults[0].since = at(5);
  faults[0].until = at(55);
  // Its media leaves by the healthy hq link, so its calls never cross the WAN fault.
  Client& weak = campus.clients[static_cast<std::size_t>(faults[0].client)];
  weak.link = campus.sites[0].links[0];
  weak.reflexive_ip = campus.links[static_cast<std::size_t>(weak.link)].public_ips.front();

  faults[1].kind = FaultKind::kCongestedAp;
  faults[1].ap = campus.sites[0].aps.back();
  faults[1].since = at(10);
  faults[1].until = at(30);

  faults[2].kind = FaultKind::kSwitchCrc;
  faults[2].ap = campus.sites[1].aps[1];  // the access port this AP hangs off
  faults[2].since = at(20);
  faults[2].until = at(50);

  faults[3].kind = FaultKind::kCongestedWan;
  faults[3].link = campus.sites[0].links[1];
  faults[3].since = at(35);
  faults[3].until = at(55);

  faults[4].kind = FaultKind::kRemote;
  faults[4].since = at(15);
  faults[4].until = at(45);
  return faults;
}

bool is_fault_ap(const std::vector<Fault>& faults, int ap) {
  return std::any_of(faults.begin(), faults.end(), [&](const Fault& f) { return f.ap >= 0 && f.ap == ap; });
}

/// A few Wi-Fi clients roam once to another AP of their site. Roaming stays
/// away from the faulty APs and the weak client, so which clients a fault
/// touches never depends on the roam.
void add_roams(Campus& campus, const std::vector<Fault>& faults, int count, TimeMs start, Rng& rng) {
  std::vector<int> eligible;
  for (std::size_t i = 0; i < campus.clients.size(); ++i) {
    const Client& c = campus.clients[i];
    if (c.wired || c.device == DeviceKind::kRoomSystem || static_cast<int>(i) == faults[0].client) continue;
    if (is_fault_ap(faults, c.attachments.front().ap)) continue;
    eligible.push_back(static_cast<int>(i));
  }
  for (std::size_t i = eligible.size(); i > 1; --i) std::swap(eligible[i - 1], eligible[rng.index(i)]);

  int done = 0;
  for (const int i : eligible) {
    if (done == count) break;
    Client& c = campus.clients[static_cast<std::size_t>(i)];
    const Attachment& from = c.attachments.front();
    std::vector<int> targets;
    for (const int ap : campus.sites[static_cast<std::size_t>(c.site)].aps) {
      if (ap != from.ap && !is_fault_ap(faults, ap)) targets.push_back(ap);
    }
    if (targets.empty()) continue;
    Attachment to = from;
    to.ap = targets[rng.index(targets.size())];
    to.since = start + rng.between(8 * kMinute / kSecond, 52 * kMinute / kSecond) * kSecond + rng.between(0, 999);
    c.attachments.push_back(std::move(to));
    ++done;
  }
}

// ---------------------------------------------------------------- output files

/// One JSON Lines file; counts what it writes.
class JsonlFile {
 public:
  explicit JsonlFile(const std::filesystem::path& path) : path_(path.string()), out_(path, std::ios::binary) {
    if (!out_) throw std::runtime_error("demo: cannot write " + path_);
  }
  void write(const Json& record) {
    out_ << record.dump() << '\n';
    ++count_;
  }
  std::size_t close() {
    out_.close();
    if (!out_) throw std::runtime_error("demo: error writing " + path_);
    return count_;
  }

 private:
  std::string path_;
  std::ofstream out_;
  std::size_t count_ = 0;
};

/// Writes records sorted by their time key; ties keep generation order.
void write_sorted(JsonlFile& file, std::vector<std::pair<TimeMs, Json>>& records) {
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& r : records) file.write(r.second);
}

std::vector<TimeMs> ticks(const DemoOptions& o) {
  std::vector<TimeMs> out;
  for (TimeMs t = o.start_ms; t <= o.start_ms + kHour; t += o.interval_s * kSecond) out.push_back(t);
  return out;
}

// ---------------------------------------------------------------- inventory, clients

void write_inventory(const Campus& campus, JsonlFile& file) {
  for (const auto& s : campus.sites) {
    Json j;
    j["type"] = "inventory.site";
    j["site"] = s.id;
    j["name"] = s.name;
    j["subnets"] = Json::array({s.cidr});
    file.write(j);
  }
  for (const auto& sw : campus.switches) {
    const Site& site = campus.sites[static_cast<std::size_t>(sw.site)];
    Json j;
    j["type"] = "inventory.switch";
    j["switch"] = sw.id;
    j["site"] = site.id;
    j["name"] = sw.name;
    Json up;
    if (sw.parent < 0) {
      up["edge"] = site.edge;
    } else {
      up["switch"] = campus.switches[static_cast<std::size_t>(sw.parent)].id;
      up["port"] = sw.parent_port;
    }
    j["uplink"] = up;
    file.write(j);
  }
  for (const auto& ap : campus.aps) {
    Json j;
    j["type"] = "inventory.ap";
    j["ap"] = ap.id;
    j["site"] = campus.sites[static_cast<std::size_t>(ap.site)].id;
    j["name"] = ap.name;
    j["bssids"] = Json::array({ap.bssid24, ap.bssid5});
    Json up;
    up["switch"] = campus.switches[static_cast<std::size_t>(ap.sw)].id;
    up["port"] = ap.port;
    j["uplink"] = up;
    file.write(j);
  }
  for (const auto& l : campus.links) {
    const Site& site = campus.sites[static_cast<std::size_t>(l.site)];
    Json j;
    j["type"] = "inventory.wan";
    j["link"] = l.id;
    j["site"] = site.id;
    j["edge"] = site.edge;
    j["provider"] = l.provider;
    j["capacity_mbps"] = l.capacity_mbps;
    j["public_ips"] = l.public_ips;
    file.write(j);
  }
}

Json assoc_record(const Campus& campus, const Client& c, const Attachment& a) {
  Json j;
  j["type"] = "client.assoc";
  j["ts"] = rfc3339(a.since);
  j["client"] = c.mac;
  if (a.ap >= 0) {
    const Ap& ap = campus.aps[static_cast<std::size_t>(a.ap)];
    j["ap"] = ap.id;
    j["bssid"] = a.band5 ? ap.bssid5 : ap.bssid24;
    j["band"] = a.band5 ? "5" : "2.4";
    j["channel"] = a.band5 ? ap.ch5 : ap.ch24;
  } else {
    j["switch"] = campus.switches[static_cast<std::size_t>(a.sw)].id;
    j["port"] = a.port;
  }
  return j;
}

void write_clients(const Campus& campus, JsonlFile& file) {
  std::vector<std::pair<TimeMs, Json>> records;
  for (const auto& c : campus.clients) {
    for (const auto& a : c.attachments) records.emplace_back(a.since, assoc_record(campus, c, a));
    // The DHCP/identity record follows the first association by a moment.
    const TimeMs info_ts = c.attachments.front().since + 250;
    Json j;
    j["type"] = "client.info";
    j["ts"] = rfc3339(info_ts);
    j["client"] = c.mac;
    j["ip"] = c.ip;
    j["user"] = c.user;
    j["hostname"] = c.hostname;
    j["device_type"] = device_name(c.device);
    records.emplace_back(info_ts, std::move(j));
  }
  write_sorted(file, records);
}

// ---------------------------------------------------------------- Wi-Fi telemetry

struct RadioState {
  Wander util, interference, noise, retry;
};

struct ApState {
  Wander cpu;
  std::array<RadioState, 2> radio;  // [0] 2.4 GHz, [1] 5 GHz
};

struct WifiClientState {
  Wander rssi, tx_retry, rx_retry, weak_rssi, weak_snr;
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

std::vector<ApState> init_aps(const Campus& campus, Rng& rng) {
  std::vector<ApState> out;
  for (std::size_t i = 0; i < campus.aps.size(); ++i) {
    ApState s;
    s.cpu = Wander(rng, rng.uniform(8, 22), 3, 0.8, {3, 40});
    s.radio[0] = {Wander(rng, rng.uniform(22, 30), 3, 0.8, {15, 35}), Wander(rng, rng.uniform(5, 9), 1.5, 0.7, {2, 12}),
                  Wander(rng, -90, 1, 0.8, {-93, -87}), Wander(rng, rng.uniform(4, 6), 1, 0.7, {2, 8})};
    s.radio[1] = {Wander(rng, rng.uniform(12, 22), 3, 0.8, {10, 30}), Wander(rng, rng.uniform(2, 5), 1, 0.7, {1, 8}),
                  Wander(rng, -95, 1, 0.8, {-98, -92}), Wander(rng, rng.uniform(3, 5), 1, 0.7, {2, 8})};
    out.push_back(s);
  }
  return out;
}

std::size_t count_on_radio(const Campus& campus, int ap, bool band5, TimeMs t) {
  std::size_t n = 0;
  for (const auto& c : campus.clients) {
    if (c.wired) continue;
    const Attachment& a = attachment_at(c, t);
    if (a.ap == ap && a.band5 == band5) ++n;
  }
  return n;
}

void write_wifi(const Campus& campus, const std::vector<Fault>& faults, const DemoOptions& o, JsonlFile& file) {
  Rng rng(o.seed, "wifi");
  const Fault& weak = faults[0];
  const Fault& congested = faults[1];
  std::vector<ApState> aps = init_aps(campus, rng);
  std::vector<WifiClientState> clients;
  for (const auto& c : campus.clients) {
    clients.push_back({Wander(rng, c.rssi_mean, 2.0, 0.8, {-65, -45}), Wander(rng, rng.uniform(3, 6), 1.0, 0.6, {2, 8}),
                       Wander(rng, rng.uniform(3, 6), 1.0, 0.6, {2, 8}), Wander(rng, -81, 1.5, 0.7, {-84, -78}),
                       Wander(rng, 11, 1.5, 0.7, {8, 14})});
  }

  for (const TimeMs t : ticks(o)) {
    const std::string ts = rfc3339(t);
    std::vector<std::array<double, 2>> noise(campus.aps.size());
    for (std::size_t i = 0; i < campus.aps.size(); ++i) {
      const Ap& ap = campus.aps[i];
      ApState& st = aps[i];
      const bool hot = congested.ap == static_cast<int>(i) && congested.active_at(t);
      const double cpu = st.cpu.next(rng);
      for (int r = 0; r < 2; ++r) {
        RadioState& rs = st.radio[static_cast<std::size_t>(r)];
        const double util = rs.util.next(rng), interference = rs.interference.next(rng);
        const double nf = rs.noise.next(rng), retry = rs.retry.next(rng);
        noise[i][static_cast<std::size_t>(r)] = hot ? nf + 3 : nf;
        Json j;
        j["type"] = "wifi.ap";
        j["ts"] = ts;
        j["ap"] = ap.id;
        j["band"] = r == 1 ? "5" : "2.4";
        j["channel"] = r == 1 ? ap.ch5 : ap.ch24;
        j["channel_util_pct"] = r1(hot ? rng.uniform(85, 95) : util);
        j["interference_pct"] = r1(hot ? rng.uniform(30, 50) : interference);
        j["noise_dbm"] = r1(noise[i][static_cast<std::size_t>(r)]);
        j["clients"] = count_on_radio(campus, static_cast<int>(i), r == 1, t);
        j["tx_retry_pct"] = r1(hot ? rng.uniform(25, 35) : retry);
        j["cpu_pct"] = r1(hot ? rng.uniform(45, 65) : cpu);
        file.write(j);
      }
    }
    for (std::size_t i = 0; i < campus.clients.size(); ++i) {
      const Client& c = campus.clients[i];
      if (c.wired) continue;
      WifiClientState& st = clients[i];
      const Attachment& a = attachment_at(c, t);
      const Ap& ap = campus.aps[static_cast<std::size_t>(a.ap)];
      // Every series advances every tick, so a fault never shifts the noise
      // drawn for the samples after it.
      double rssi = st.rssi.next(rng), tx_retry = st.tx_retry.next(rng), rx_retry = st.rx_retry.next(rng);
      const double weak_rssi = st.weak_rssi.next(rng), weak_snr = st.weak_snr.next(rng);
      double snr =
          std::clamp(rssi - noise[static_cast<std::size_t>(a.ap)][a.band5 ? 1 : 0] + rng.normal(0, 1), 30.0, 45.0);
      int penalty = 0;
      if (weak.client == static_cast<int>(i) && weak.active_at(t)) {
        rssi = weak_rssi;
        snr = weak_snr;
        tx_retry = rng.uniform(25, 40);
        rx_retry = rng.uniform(25, 40);
      } else if (congested.ap == a.ap && congested.active_at(t)) {
        // Airtime contention: retries go up and rates down, signal stays fine.
        tx_retry = rng.uniform(12, 20);
        rx_retry = rng.uniform(12, 20);
        penalty = 3;
      }
      Json j;
      j["type"] = "wifi.client";
      j["ts"] = ts;
      j["client"] = c.mac;
      j["ap"] = ap.id;
      j["bssid"] = a.band5 ? ap.bssid5 : ap.bssid24;
      j["rssi_dbm"] = r1(rssi);
      j["snr_db"] = r1(snr);
      j["tx_retry_pct"] = r1(tx_retry);
      j["rx_retry_pct"] = r1(rx_retry);
      j["tx_rate_mbps"] = phy_rate(rng, a.band5, snr, penalty);
      j["rx_rate_mbps"] = phy_rate(rng, a.band5, snr, penalty);
      file.write(j);
    }
  }
}

// ---------------------------------------------------------------- switch telemetry

enum class PortRole { kAp, kClient, kCoreDown, kCoreUp };

struct Port {
  int sw = 0;
  std::string name;
  PortRole role = PortRole::kAp;
  int speed_mbps = 1000;
  int ap = -1;               // kAp: the AP behind the port
  int child_sw = -1;         // kCoreDown: the access switch behind the port
  Wander util_in, util_out;  // leaf ports only; aggregates are sums
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
    p.util_in = Wander(rng, rng.uniform(1.5, 5), 1.0, 0.8, {0.2, 15});
    p.util_out = Wander(rng, rng.uniform(4, 12), 2.5, 0.8, {0.5, 30});
  } else if (role == PortRole::kClient) {
    p.util_in = Wander(rng, rng.uniform(0.3, 2), 0.4, 0.7, {0.05, 8});
    p.util_out = Wander(rng, rng.uniform(1, 4), 0.8, 0.7, {0.1, 12});
  }
  return p;
}

/// Leaf ports first (AP and wired-client ports on each access switch), then
/// the core's ports toward the access switches, then the core's WAN uplink:
/// aggregates are computed in that order.
std::vector<Port> build_ports(const Campus& campus, Rng& rng) {
  std::vector<Port> ports;
  for (const auto& site : campus.sites) {
    for (const int acc : site.access) {
      for (std::size_t a = 0; a < campus.aps.size(); ++a) {
        if (campus.aps[a].sw != acc) continue;
        Port p = make_port(rng, acc, campus.aps[a].port, PortRole::kAp, 1000);
        p.ap = static_cast<int>(a);
        ports.push_back(std::move(p));
      }
      for (const auto& c : campus.clients) {
        const Attachment& a = c.attachments.front();
        if (c.wired && a.sw == acc) ports.push_back(make_port(rng, acc, a.port, PortRole::kClient, 1000));
      }
    }
    for (const int acc : site.access) {
      Port p = make_port(rng, site.core, campus.switches[static_cast<std::size_t>(acc)].parent_port,
                         PortRole::kCoreDown, 10000);
      p.child_sw = acc;
      ports.push_back(std::move(p));
    }
    ports.push_back(make_port(rng, site.core, "Te1/1/1", PortRole::kCoreUp, 10000));
  }
  return ports;
}

/// Octets moved in one tick on each port: leaves from their utilisation,
/// aggregate ports as the sum of what flows through them, so the counters of
/// the whole tree agree with each other.
void tick_octets(std::vector<Port>& ports, const Campus& campus, double seconds, Rng& rng, std::vector<double>& din,
                 std::vector<double>& dout) {
  din.assign(ports.size(), 0);
  dout.assign(ports.size(), 0);
  for (std::size_t i = 0; i < ports.size(); ++i) {
    Port& p = ports[i];
    if (p.role != PortRole::kAp && p.role != PortRole::kClient) continue;
    const double bytes_per_s = p.speed_mbps * 1e6 / 8;
    din[i] = p.util_in.next(rng) / 100 * bytes_per_s * seconds;
    dout[i] = p.util_out.next(rng) / 100 * bytes_per_s * seconds;
  }
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].role != PortRole::kCoreDown) continue;
    for (std::size_t k = 0; k < ports.size(); ++k) {
      if (ports[k].sw != ports[i].child_sw) continue;
      din[i] += din[k];  // what the access ports receive goes up to the core
      dout[i] += dout[k];
    }
  }
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].role != PortRole::kCoreUp) continue;
    const int site = campus.switches[static_cast<std::size_t>(ports[i].sw)].site;
    for (std::size_t k = 0; k < ports.size(); ++k) {
      if (ports[k].role != PortRole::kCoreDown || campus.switches[static_cast<std::size_t>(ports[k].sw)].site != site)
        continue;
      dout[i] += din[k];  // upstream traffic leaves the core toward the edge
      din[i] += dout[k];
    }
  }
}

/// Errors on a healthy port: an odd one now and then, mostly nothing.
void tick_errors(Port& p, bool crc, Rng& rng) {
  if (crc) {
    // A bad cable or optic: frames arrive corrupted and are dropped.
    const auto fcs = static_cast<std::uint64_t>(rng.between(50, 300));
    p.in_fcs += fcs;
    p.in_errors += fcs + static_cast<std::uint64_t>(rng.between(0, 5));
    p.in_discards += static_cast<std::uint64_t>(rng.between(5, 40));
    return;
  }
  if (rng.chance(0.01)) {
    ++p.in_errors;
    if (rng.chance(0.5)) ++p.in_fcs;
  }
  if (p.role == PortRole::kCoreUp && rng.chance(0.05)) p.out_discards += static_cast<std::uint64_t>(rng.between(1, 4));
}

void write_wired(const Campus& campus, const std::vector<Fault>& faults, const DemoOptions& o, JsonlFile& file) {
  Rng rng(o.seed, "wired");
  std::vector<Port> ports = build_ports(campus, rng);
  const Fault& crc = faults[2];
  std::vector<double> din, dout;
  bool first = true;
  for (const TimeMs t : ticks(o)) {
    const std::string ts = rfc3339(t);
    if (!first) tick_octets(ports, campus, o.interval_s, rng, din, dout);
    for (std::size_t i = 0; i < ports.size(); ++i) {
      Port& p = ports[i];
      if (!first) {
        p.in_octets += static_cast<std::uint64_t>(din[i]);
        p.out_octets += static_cast<std::uint64_t>(dout[i]);
        tick_errors(p, p.role == PortRole::kAp && p.ap == crc.ap && crc.active_at(t), rng);
      }
      Json j;
      j["type"] = "switch.port";
      j["ts"] = ts;
      j["switch"] = campus.switches[static_cast<std::size_t>(p.sw)].id;
      j["port"] = p.name;
      j["speed_mbps"] = p.speed_mbps;
      j["oper_up"] = true;
      j["in_octets_total"] = p.in_octets;
      j["out_octets_total"] = p.out_octets;
      j["in_errors_total"] = p.in_errors;
      j["out_errors_total"] = p.out_errors;
      j["in_discards_total"] = p.in_discards;
      j["out_discards_total"] = p.out_discards;
      j["in_fcs_errors_total"] = p.in_fcs;
      file.write(j);
    }
    first = false;
  }
}

// ---------------------------------------------------------------- WAN and device telemetry

void write_wan(const Campus& campus, const std::vector<Fault>& faults, const DemoOptions& o, JsonlFile& file) {
  Rng rng(o.seed, "wan");
  const Fault& congested = faults[3];
  struct State {
    Wander latency, jitter, util_in, util_out;
  };
  std::vector<State> states;
  for (const auto& l : campus.links) {
    states.push_back({Wander(rng, l.latency_mean, 1.5, 0.8, {8, 25}), Wander(rng, 2.5, 0.7, 0.7, {1, 5}),
                      Wander(rng, rng.uniform(25, 50), 6, 0.85, {5, 85}),
                      Wander(rng, rng.uniform(15, 35), 5, 0.85, {3, 80})});
  }
  for (const TimeMs t : ticks(o)) {
    const std::string ts = rfc3339(t);
    for (std::size_t i = 0; i < campus.links.size(); ++i) {
      State& st = states[i];
      double latency = st.latency.next(rng), jitter = st.jitter.next(rng);
      double util_in = st.util_in.next(rng), util_out = st.util_out.next(rng);
      double loss = rng.chance(0.2) ? rng.uniform(0.01, 0.2) : 0.0;
      if (congested.link == static_cast<int>(i) && congested.active_at(t)) {
        // A saturated link: queues fill, delay and jitter climb, the tail drops.
        latency = rng.uniform(60, 150);
        jitter = rng.uniform(25, 45);
        loss = rng.uniform(2, 6);
        util_in = rng.uniform(95, 99);
        util_out = rng.uniform(95, 99);
      }
      Json j;
      j["type"] = "wan.link";
      j["ts"] = ts;
      j["link"] = campus.links[i].id;
      j["latency_ms"] = r1(latency);
      j["jitter_ms"] = r1(jitter);
      j["loss_pct"] = r2(loss);
      j["util_in_pct"] = r1(util_in);
      j["util_out_pct"] = r1(util_out);
      file.write(j);
    }
  }
}

void write_devices(const Campus& campus, const DemoOptions& o, JsonlFile& file) {
  Rng rng(o.seed, "devices");
  struct State {
    Wander cpu, mem;
    double battery = 100, per_tick = 0;  // per_tick > 0: on the charger
  };
  std::vector<State> states;
  for (const auto& c : campus.clients) {
    State s{
        Wander(rng, c.device == DeviceKind::kRoomSystem ? rng.uniform(15, 30) : rng.uniform(8, 30), 6, 0.7, {2, 95}),
        Wander(rng, rng.uniform(40, 75), 1.5, 0.95, {20, 95})};
    s.battery = rng.uniform(45, 100);
    const double minutes_per_tick = o.interval_s / 60.0;
    s.per_tick = (rng.chance(0.3) ? rng.uniform(0.4, 1.0) : -rng.uniform(0.1, 0.5)) * minutes_per_tick;
    states.push_back(s);
  }
  for (const TimeMs t : ticks(o)) {
    const std::string ts = rfc3339(t);
    for (std::size_t i = 0; i < campus.clients.size(); ++i) {
      const Client& c = campus.clients[i];
      State& st = states[i];
      Json j;
      j["type"] = "client.device";
      j["ts"] = ts;
      j["client"] = c.mac;
      j["cpu_pct"] = r1(st.cpu.next(rng));
      j["mem_pct"] = r1(st.mem.next(rng));
      // Desktops and room systems have no battery: the field is left out,
      // which means "not measured", never zero.
      if (c.battery) {
        j["battery_pct"] = r1(st.battery);
        st.battery = std::clamp(st.battery + st.per_tick, 5.0, 100.0);
      }
      file.write(j);
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
  int fault = -1;  // index into the faults, -1 for a good segment
  Side impaired = Side::kCaller;
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

/// Whether the fault's component lies on this client's path at time t.
bool on_component(const Campus& campus, const Fault& f, int client, TimeMs t) {
  const Client& c = campus.clients[static_cast<std::size_t>(client)];
  switch (f.kind) {
    case FaultKind::kWeakWifi: return f.client == client;
    case FaultKind::kCongestedAp:
    case FaultKind::kSwitchCrc: return !c.wired && attachment_at(c, t).ap == f.ap;
    case FaultKind::kCongestedWan: return c.link == f.link;
    case FaultKind::kRemote: return false;
  }
  return false;
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

/// Plans one call, or nothing when it would blur the ground truth: a segment
/// that straddles the edge of a fault interval on a component it crosses, or
/// one that two faults (or one fault on both ends) would make poor.
std::optional<std::vector<SegmentPlan>> plan_call(const Campus& campus, const std::vector<Fault>& faults, TimeMs start,
                                                  TimeMs end, Party caller, Party callee, int remote_fault) {
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
    for (int side = 0; side < 2; ++side) {
      const Party& p = parties[static_cast<std::size_t>(side)];
      if (!p.internal()) continue;
      for (std::size_t f = 0; f < faults.size(); ++f) {
        const Fault& fault = faults[f];
        if (!on_component(campus, fault, p.client, s)) continue;
        if (!(s < fault.until && e > fault.since)) continue;
        if (s < fault.since || e > fault.until) return std::nullopt;
        seg.fault = static_cast<int>(f);
        seg.impaired = side == 0 ? Side::kCaller : Side::kCallee;
        ++hits;
      }
    }
    if (hits > 1) return std::nullopt;
    if (remote_fault >= 0) {
      if (hits > 0) return std::nullopt;
      seg.fault = remote_fault;
      seg.impaired = caller.internal() ? Side::kCallee : Side::kCaller;
    }
    out.push_back(std::move(seg));
  }
  return out;
}

/// Draws the call's other party: a third of calls are with someone outside.
Party other_party(const Campus& campus, Rng& rng, int client, bool force_external) {
  Party p;
  if (force_external || rng.chance(1.0 / 3)) {
    p.external = static_cast<int>(rng.index(campus.externals.size()));
    return p;
  }
  do {
    p.client = static_cast<int>(rng.index(campus.clients.size()));
  } while (p.client == client);
  return p;
}

struct CallPlanner {
  const Campus& campus;
  std::vector<Fault>& faults;
  Rng rng;
  std::size_t max_fault_segments = kMinFaultSegments;
  std::vector<SegmentPlan> segments;

  /// Tries one call of `party` in [lo, hi); returns whether it was kept.
  bool try_call(int party, TimeMs lo, TimeMs hi, int remote_fault) {
    const TimeMs longest = std::min<TimeMs>(10 * kMinute, hi - lo);
    if (longest < kMinute) return false;
    const TimeMs duration = rng.between(60, longest / kSecond) * kSecond + rng.between(0, 999);
    if (duration > hi - lo) return false;
    const TimeMs start = lo + rng.between(0, hi - lo - duration);
    Party me;
    me.client = party;
    Party other = other_party(campus, rng, party, remote_fault >= 0);
    // The campus side places most calls, but not all.
    const bool inbound = rng.chance(0.3);
    auto planned =
        plan_call(campus, faults, start, start + duration, inbound ? other : me, inbound ? me : other, remote_fault);
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
      segments.push_back(std::move(seg));
    }
    return true;
  }

  /// Whether keeping these segments would give a fault more than its share.
  [[nodiscard]] bool over_cap(const std::vector<SegmentPlan>& planned) const {
    std::vector<std::size_t> added(faults.size(), 0);
    for (const auto& seg : planned) {
      if (seg.fault >= 0) ++added[static_cast<std::size_t>(seg.fault)];
    }
    for (std::size_t f = 0; f < faults.size(); ++f) {
      if (added[f] > 0 && poor_for(static_cast<int>(f)) + added[f] > max_fault_segments) return true;
    }
    return false;
  }

  [[nodiscard]] std::size_t poor_for(int fault) const {
    return static_cast<std::size_t>(
        std::count_if(segments.begin(), segments.end(), [&](const SegmentPlan& s) { return s.fault == fault; }));
  }

  /// Candidates for a targeted call through the fault.
  [[nodiscard]] std::vector<int> exposed_clients(const Fault& f) const {
    std::vector<int> out;
    for (std::size_t i = 0; i < campus.clients.size(); ++i) {
      if (f.kind == FaultKind::kRemote || on_component(campus, f, static_cast<int>(i), f.since)) {
        out.push_back(static_cast<int>(i));
      }
    }
    return out;
  }
};

std::vector<SegmentPlan> plan_calls(const Campus& campus, std::vector<Fault>& faults, const DemoOptions& o) {
  const auto share = static_cast<std::size_t>(o.target_segments / kFaultShareDivisor);
  CallPlanner planner{campus, faults, Rng(o.seed, "calls"), std::max(kMinFaultSegments, share), {}};
  // First the calls through each fault, so every fault has enough poor segments.
  for (std::size_t f = 0; f < faults.size(); ++f) {
    const Fault& fault = faults[f];
    const std::vector<int> exposed = planner.exposed_clients(fault);
    const int remote = fault.kind == FaultKind::kRemote ? static_cast<int>(f) : -1;
    for (int attempt = 0; attempt < 5000 && planner.poor_for(static_cast<int>(f)) < kMinFaultSegments; ++attempt) {
      const int party = exposed[planner.rng.index(exposed.size())];
      planner.try_call(party, fault.since, fault.until, remote);
    }
    if (planner.poor_for(static_cast<int>(f)) < kMinFaultSegments) {
      throw std::logic_error("demo: could not plant enough calls for " + std::string(fault_name(fault.kind)));
    }
  }
  // Then ordinary calls over the hour, clear of its first and last minute so
  // the telemetry around every call is there.
  const TimeMs lo = o.start_ms + kMinute, hi = o.start_ms + kHour - kMinute;
  for (int attempt = 0; attempt < 100000 && planner.segments.size() < static_cast<std::size_t>(o.target_segments);
       ++attempt) {
    const int party = static_cast<int>(planner.rng.index(campus.clients.size()));
    planner.try_call(party, lo, hi, -1);
  }
  return std::move(planner.segments);
}

// ---------------------------------------------------------------- streams

enum class Level { kGood, kMild, kModerate, kSevere };

struct AudioProfile {
  Range jitter, loss, rtt, degradation, concealed;
};

struct VideoProfile {
  Range fps, frame_loss, post_fec, bitrate;
};

/// How bad the stream is: the impaired side's own sending stream suffers most;
/// the stream toward it crosses the same bad hop, except a receive-side CRC
/// fault, which corrupts only what the AP sends up.
Level stream_level(const SegmentPlan& seg, const std::vector<Fault>& faults, Side from) {
  if (seg.fault < 0) return Level::kGood;
  if (from == seg.impaired) return Level::kSevere;
  switch (faults[static_cast<std::size_t>(seg.fault)].kind) {
    case FaultKind::kSwitchCrc: return Level::kMild;
    case FaultKind::kRemote: return Level::kGood;
    default: return Level::kModerate;
  }
}

AudioProfile audio_profile(FaultKind kind, Level level) {
  if (level == Level::kGood) return {{2, 10}, {0, 0.5}, {20, 80}, {0.1, 0.3}, {0, 0.02}};
  if (level == Level::kMild) return {{3, 12}, {0.5, 2}, {20, 80}, {0.2, 0.5}, {0.01, 0.03}};
  const bool severe = level == Level::kSevere;
  switch (kind) {
    case FaultKind::kWeakWifi:
    case FaultKind::kCongestedAp:
      return severe ? AudioProfile{{32, 60}, {6, 18}, {90, 220}, {1.2, 2.4}, {0.08, 0.2}}
                    : AudioProfile{{31, 42}, {3, 9}, {80, 200}, {1.05, 1.6}, {0.072, 0.12}};
    case FaultKind::kSwitchCrc: return {{6, 18}, {11, 22}, {25, 90}, {1.1, 2.0}, {0.08, 0.18}};
    case FaultKind::kCongestedWan:
      return severe ? AudioProfile{{32, 50}, {3, 7}, {150, 320}, {1.05, 1.8}, {0.04, 0.09}}
                    : AudioProfile{{31, 45}, {2, 6}, {150, 300}, {1.0, 1.5}, {0.03, 0.08}};
    case FaultKind::kRemote: return {{35, 70}, {11, 25}, {60, 180}, {1.3, 2.5}, {0.1, 0.25}};
  }
  return {};
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

Json audio_stream(Rng& rng, Side from, const AudioProfile& p, bool good) {
  const double jitter = rng.uniform(p.jitter);
  // Healthy loss is mostly near zero: square the uniform to skew it low.
  const double u = rng.uniform();
  const double loss = good ? p.loss.lo + (p.loss.hi - p.loss.lo) * u * u : rng.uniform(p.loss);
  const double rtt = rng.uniform(p.rtt);
  Json j;
  j["from"] = side_name(from);
  j["media"] = "audio";
  j["jitter_avg_ms"] = r1(jitter);
  j["jitter_max_ms"] = r1(jitter * rng.uniform(1.8, 3.2));
  j["loss_avg_pct"] = r2(loss);
  j["loss_max_pct"] = r2(std::min(100.0, loss * rng.uniform(2, 4) + rng.uniform(0, 1)));
  j["rtt_avg_ms"] = r1(rtt);
  j["rtt_max_ms"] = r1(rtt * rng.uniform(1.3, 2.0));
  j["degradation_avg"] = r2(rng.uniform(p.degradation));
  j["concealed_ratio_avg"] = r3(rng.uniform(p.concealed));
  return j;
}

Json video_stream(Rng& rng, Side from, bool screen, const VideoProfile& p) {
  Json j;
  j["from"] = side_name(from);
  j["media"] = screen ? "screen" : "video";
  j["frame_rate_avg"] = r1(rng.uniform(p.fps));
  j["frame_loss_pct"] = r2(rng.uniform(p.frame_loss));
  j["post_fec_loss_pct"] = r2(rng.uniform(p.post_fec));
  j["bitrate_kbps"] = r1(rng.uniform(p.bitrate));
  return j;
}

/// Microsoft CQD's poor-stream rules, to check every segment is what its
/// ground truth says.
bool cqd_poor(const Json& s) {
  if (s["media"] == "audio") {
    return s["jitter_avg_ms"].get<double>() > 30 || s["loss_avg_pct"].get<double>() > 10 ||
           s["rtt_avg_ms"].get<double>() > 500 || s["degradation_avg"].get<double>() > 1.0 ||
           s["concealed_ratio_avg"].get<double>() > 0.07;
  }
  const double min_fps = s["media"] == "screen" ? 2 : 7;
  return s["frame_loss_pct"].get<double>() > 50 || s["frame_rate_avg"].get<double>() < min_fps ||
         s["post_fec_loss_pct"].get<double>() > 15;
}

Json streams_of(const SegmentPlan& seg, const std::vector<Fault>& faults, Rng& rng) {
  const FaultKind kind = seg.fault >= 0 ? faults[static_cast<std::size_t>(seg.fault)].kind : FaultKind::kRemote;
  Json out = Json::array();
  for (const Side from : {Side::kCaller, Side::kCallee}) {
    const Level level = stream_level(seg, faults, from);
    out.push_back(audio_stream(rng, from, audio_profile(kind, level), level == Level::kGood));
  }
  if (seg.video) {
    for (const Side from : {Side::kCaller, Side::kCallee}) {
      out.push_back(video_stream(rng, from, false, video_profile(false, stream_level(seg, faults, from))));
    }
  }
  if (seg.screen) {
    out.push_back(
        video_stream(rng, seg.screen_from, true, video_profile(true, stream_level(seg, faults, seg.screen_from))));
  }
  return out;
}

// ---------------------------------------------------------------- call records

Json endpoint(const Campus& campus, const Party& p, const SegmentPlan& seg, bool impaired,
              const std::vector<Fault>& faults, Rng& rng) {
  Json j;
  if (!p.internal()) {
    const External& e = campus.externals[static_cast<std::size_t>(p.external)];
    j["user"] = e.user;
    j["ip"] = e.ip;
    j["connection"] = e.wifi ? "wifi" : "unknown";
    j["device_type"] = device_name(e.device);
    j["reflexive_ip"] = e.ip;
    if (e.wifi) j["wifi_signal_pct"] = rng.between(55, 95);
    return j;
  }
  const Client& c = campus.clients[static_cast<std::size_t>(p.client)];
  const Site& site = campus.sites[static_cast<std::size_t>(c.site)];
  j["user"] = c.user;
  j["client"] = c.mac;
  j["ip"] = c.ip;
  j["subnet"] = c.wired ? site.wired_cidr : site.wifi_cidr;
  const Attachment& a = attachment_at(c, seg.start);
  if (!c.wired) {
    const Ap& ap = campus.aps[static_cast<std::size_t>(a.ap)];
    j["bssid"] = a.band5 ? ap.bssid5 : ap.bssid24;
  }
  j["connection"] = c.wired ? "wired" : "wifi";
  j["device_type"] = device_name(c.device);
  j["reflexive_ip"] = c.reflexive_ip;
  if (!c.wired) {
    const bool weak = impaired && faults[static_cast<std::size_t>(seg.fault)].kind == FaultKind::kWeakWifi;
    const double rssi = weak ? -81 : c.rssi_mean;
    j["wifi_signal_pct"] = static_cast<int>(std::clamp(std::round(2 * (rssi + 100) + rng.normal(0, 2)), 0.0, 100.0));
  }
  // Now and then a user rates the call, badly when it was bad for them.
  if (rng.chance(0.12)) j["feedback_rating"] = impaired ? rng.between(1, 2) : rng.between(4, 5);
  return j;
}

Json segment_record(const Campus& campus, const SegmentPlan& seg, const std::vector<Fault>& faults, Rng& rng) {
  Json j;
  j["type"] = "call.segment";
  j["call_id"] = seg.call_id;
  j["segment_id"] = seg.segment_id;
  j["start"] = rfc3339(seg.start);
  j["end"] = rfc3339(seg.end);
  const bool poor = seg.fault >= 0;
  j["caller"] = endpoint(campus, seg.caller, seg, poor && seg.impaired == Side::kCaller, faults, rng);
  j["callee"] = endpoint(campus, seg.callee, seg, poor && seg.impaired == Side::kCallee, faults, rng);
  j["streams"] = streams_of(seg, faults, rng);
  return j;
}

std::size_t write_calls(const Campus& campus, std::vector<SegmentPlan>& segments, std::vector<Fault>& faults,
                        const DemoOptions& o, JsonlFile& file) {
  Rng rng(o.seed, "streams");
  std::stable_sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) { return a.end < b.end; });
  std::size_t poor = 0;
  for (const auto& seg : segments) {
    Json record = segment_record(campus, seg, faults, rng);
    const bool is_poor =
        std::any_of(record["streams"].begin(), record["streams"].end(), [](const Json& s) { return cqd_poor(s); });
    if (is_poor != (seg.fault >= 0)) throw std::logic_error("demo: segment " + seg.segment_id + " misclassified");
    if (is_poor) {
      ++poor;
      faults[static_cast<std::size_t>(seg.fault)].segments.emplace_back(seg.end, seg.segment_id);
    }
    file.write(record);
  }
  return poor;
}

void write_truth(const Campus& campus, const std::vector<Fault>& faults, JsonlFile& file) {
  for (const auto& f : faults) {
    std::string id, site, port;
    switch (f.kind) {
      case FaultKind::kWeakWifi: {
        const Client& c = campus.clients[static_cast<std::size_t>(f.client)];
        id = c.mac;
        site = campus.sites[static_cast<std::size_t>(c.site)].id;
        break;
      }
      case FaultKind::kCongestedAp:
      case FaultKind::kSwitchCrc: {
        const Ap& ap = campus.aps[static_cast<std::size_t>(f.ap)];
        id = f.kind == FaultKind::kCongestedAp ? ap.id : campus.switches[static_cast<std::size_t>(ap.sw)].id;
        if (f.kind == FaultKind::kSwitchCrc) port = ap.port;
        site = campus.sites[static_cast<std::size_t>(ap.site)].id;
        break;
      }
      case FaultKind::kCongestedWan: {
        const Link& l = campus.links[static_cast<std::size_t>(f.link)];
        id = l.id;
        site = campus.sites[static_cast<std::size_t>(l.site)].id;
        break;
      }
      case FaultKind::kRemote: break;
    }
    Json j;
    j["fault"] = fault_name(f.kind);
    j["kind"] = blame_kind(f.kind);
    j["id"] = id;
    if (!port.empty()) j["port"] = port;
    j["site"] = site;
    j["since"] = rfc3339(f.since);
    j["until"] = rfc3339(f.until);
    Json ids = Json::array();
    for (const auto& s : f.segments) ids.push_back(s.second);
    j["segments"] = std::move(ids);
    file.write(j);
  }
}

DemoOptions checked(DemoOptions o) {
  if (o.out_dir.empty()) throw std::invalid_argument("demo: out_dir is empty");
  if (o.interval_s < 5 || o.interval_s > 300) throw std::invalid_argument("demo: interval_s must be 5..300");
  if (o.clients < 24 || o.clients > 200) throw std::invalid_argument("demo: clients must be 24..200");
  if (o.hq_aps < 3 || o.branch_aps < 2 || o.hq_aps > 64 || o.branch_aps > 64) {
    throw std::invalid_argument("demo: hq_aps must be 3..64, branch_aps 2..64");
  }
  if (o.target_segments < 60) throw std::invalid_argument("demo: target_segments must be at least 60");
  return o;
}

}  // namespace

DemoSummary write_demo(const DemoOptions& options) {
  const DemoOptions o = checked(options);
  const std::filesystem::path dir(o.out_dir);
  // The ground truth is not a callroot record: it lives apart, so that
  // `callroot replay DIR/*.jsonl` reads only records.
  std::filesystem::create_directories(dir / "truth");

  Rng campus_rng(o.seed, "campus");
  Campus campus = build_campus(o, campus_rng);
  std::vector<Fault> faults = plan_faults(campus, o.start_ms);
  add_roams(campus, faults, std::max(2, o.clients / 10), o.start_ms, campus_rng);
  std::vector<SegmentPlan> segments = plan_calls(campus, faults, o);

  DemoSummary summary;
  auto open = [&](const char* name) {
    summary.files.push_back((dir / name).string());
    return JsonlFile(dir / name);
  };
  {
    JsonlFile f = open("inventory.jsonl");
    write_inventory(campus, f);
    summary.inventory = f.close();
  }
  {
    JsonlFile f = open("clients.jsonl");
    write_clients(campus, f);
    summary.clients = f.close();
  }
  {
    JsonlFile f = open("wifi.jsonl");
    write_wifi(campus, faults, o, f);
    summary.wifi = f.close();
  }
  {
    JsonlFile f = open("wired.jsonl");
    write_wired(campus, faults, o, f);
    summary.wired = f.close();
  }
  {
    JsonlFile f = open("wan.jsonl");
    write_wan(campus, faults, o, f);
    summary.wan = f.close();
  }
  {
    JsonlFile f = open("devices.jsonl");
    write_devices(campus, o, f);
    summary.devices = f.close();
  }
  {
    JsonlFile f = open("calls.jsonl");
    summary.poor_segments = write_calls(campus, segments, faults, o, f);
    summary.calls = f.close();
  }
  {
    JsonlFile f = open("truth/truth.jsonl");
    write_truth(campus, faults, f);
    summary.truth = f.close();
  }
  return summary;
}

}  // namespace callroot::tools
