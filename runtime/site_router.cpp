#include "runtime/site_router.h"

#include <algorithm>
#include <optional>
#include <variant>

namespace callroot::runtime {

SiteRouter::SiteRouter() : decoder_(directory_) {}

void SiteRouter::add_site(SiteRoute& route, SiteId site) const {
  if (!site.valid()) return;
  std::string name(directory_.site_name(site));
  if (std::find(route.sites.begin(), route.sites.end(), name) == route.sites.end()) route.sites.push_back(std::move(name));
}

SiteRoute SiteRouter::route(std::string_view record, bool padded, std::string_view type_hint) {
  SiteRoute out;
  events_.clear();
  if (!decoder_.decode_many(record, events_, padded, type_hint)) {
    out.kind = SiteRoute::Kind::kRejected;
    ++stats_.rejected;
    return out;
  }
  const auto client_site = [&](ClientId client, TimeMs t) {
    const auto a = client.valid() ? topology_.attachment(client, t) : std::nullopt;
    if (!a) return SiteId{};
    return a->ap.valid() ? topology_.site_of(a->ap) : topology_.site_of(a->sw);
  };
  bool inventory = false;
  for (Event& event : events_) {
    std::visit(
        [&](auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, OrgInventory> || std::is_same_v<T, SiteInventory> ||
                        std::is_same_v<T, ApInventory> || std::is_same_v<T, SwitchInventory> ||
                        std::is_same_v<T, WanInventory>) {
            topology_.apply(e);
            inventory = true;
          } else if constexpr (std::is_same_v<T, ClientAssoc>) {
            topology_.apply(e);
            add_site(out, e.ap.valid() ? topology_.site_of(e.ap) : topology_.site_of(e.sw));
          } else if constexpr (std::is_same_v<T, ClientDisassoc>) {
            add_site(out, client_site(e.client, e.ts));  // where it left, before it is gone
            topology_.apply(e);
          } else if constexpr (std::is_same_v<T, ClientInfo>) {
            topology_.apply(e);
            const TimeMs t = e.ts == kNoTime ? 0 : e.ts;
            SiteId site = client_site(e.client, t);
            if (!site.valid() && e.ip) site = topology_.site_of_ip(*e.ip).value_or(SiteId{});
            add_site(out, site);
          } else if constexpr (std::is_same_v<T, TelemetrySample>) {
            switch (e.family) {
              case Family::kWifiClient:
              case Family::kClientDevice: {
                SiteId site = client_site(ClientId{e.entity}, e.ts);
                if (!site.valid() && e.ap.valid()) site = topology_.site_of(e.ap);
                add_site(out, site);
                break;
              }
              case Family::kWifiAp: add_site(out, topology_.site_of(ApId{e.entity})); break;
              case Family::kSwitchPort: add_site(out, topology_.site_of(directory_.port_switch(PortId{e.entity}))); break;
              case Family::kWanLink: add_site(out, topology_.site_of(LinkId{e.entity})); break;
            }
          } else if constexpr (std::is_same_v<T, RoomHealth>) {
            add_site(out, client_site(e.client, e.ts));
          } else if constexpr (std::is_same_v<T, CallSegment>) {
            const TimeMs at = e.start + (e.end - e.start) / 2;
            for (const Side side : {Side::kCaller, Side::kCallee}) {
              const EndpointResolution r = topology_.resolve(e.endpoint(side), at, directory_);
              if (r.organization) add_site(out, r.path.site);
            }
          }
        },
        event);
  }
  if (inventory) {
    out.kind = SiteRoute::Kind::kInventory;
    out.sites.clear();
    ++stats_.inventory;
  } else if (out.sites.empty()) {
    out.kind = SiteRoute::Kind::kUnrouted;
    ++stats_.unrouted;
  } else {
    out.kind = SiteRoute::Kind::kSites;
    ++stats_.routed;
    if (out.sites.size() > 1) ++stats_.multi_site;
  }
  return out;
}

namespace {

constexpr bool plain_byte(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::uint64_t stable_hash(std::string_view name) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

std::string subject_token(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(name.size());
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (plain_byte(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out.empty()) out.push_back('%');  // an empty name still makes a token, and one no name makes otherwise
  return out;
}

std::optional<std::string> from_subject_token(std::string_view token) {
  if (token == "%") return std::string();
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const auto c = static_cast<unsigned char>(token[i]);
    if (plain_byte(c)) {
      out += token[i];
      continue;
    }
    if (c != '%' || i + 2 >= token.size()) return std::nullopt;
    const int hi = hex_value(token[i + 1]), lo = hex_value(token[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const auto byte = static_cast<unsigned char>(hi << 4 | lo);
    if (plain_byte(byte)) return std::nullopt;  // not how subject_token writes it
    out += static_cast<char>(byte);
    i += 2;
  }
  return out;
}

}  // namespace callroot::runtime
