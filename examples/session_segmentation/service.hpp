#pragma once
// The session segmentation service: HTTP (Boost.Beast, http_server.hpp) + JSON (nlohmann-json) in
// front of a session_model. Endpoints:
//   POST /segment        {"page_ids": [ids]}            -> {"segment", "segment_id", "score", "alternatives", "known_pages", "model_version"}
//   POST /segment/batch  {"sessions": [[ids], ...]}     -> {"results": [one /segment answer or {"error"} per session]}
//   GET  /healthz                                       -> {"status": "ok", "model_version", "segments"}
//   GET  /metrics                                       -> Prometheus text: requests, latency histogram, segments served, drift
//   POST /admin/reload                                  -> reloads the model file given at start (never a path from the request)
// Bad requests get a 4xx with {"error": "..."} and the server keeps serving: malformed JSON,
// missing or mistyped fields, empty sessions, sessions or batches over the limits (413), bodies
// over the size limit (413), no known page (422), a missing or wrong bearer token (401, checked
// before the body is read), an unknown path (404) or method (405); and what http_server.hpp
// refuses itself (408, 415, 431, 503). Error bodies name no file.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http_server.hpp"
#include "session_model.hpp"

namespace segkit::examples {

/// Options of session_service.
struct service_params {
  std::string host = "127.0.0.1";     ///< loopback unless told otherwise
  http_limits http{};                 ///< connections, header and body sizes, deadlines (http_server.hpp)
  std::size_t max_views = 1000;       ///< page ids in one session (more: 413)
  std::size_t max_batch = 1000;       ///< sessions in one batch (more: 413)
  std::size_t alternatives = 2;       ///< runner-up segments in each answer
  std::string token{};                ///< when set, requests need "Authorization: Bearer <token>" (healthz excepted)
  std::size_t threads = 2;            ///< I/O threads of the HTTP server (requests are answered on them)
};

/// The HTTP service. Construct, then listen() (blocking) or start() on a thread; stop() ends it.
class session_service {
 public:
  /// Loads the model from `model_path` (kept for reloads). @throws as session_model::load does.
  session_service(std::filesystem::path model_path, service_params params = {})
      : path_(std::move(model_path)), p_(std::move(params)),
        server_(p_.host, p_.http, p_.threads, [this](const http_head& h) { return gate(h); }, [this](const http_request& r) { return route(r); },
                [this](std::string_view target, int status, double seconds) { record(target, status, seconds); }) {
    reload();
  }

  /// Binds to `port` (0: any free port) and returns the port. @throws std::runtime_error if it cannot bind.
  int bind(int port = 0) { return server_.bind(port); }
  /// Serves until stop() has let the requests in flight finish; call after bind().
  bool listen() {
    server_.run();
    return true;
  }
  /// Graceful stop (from another thread or a signal handler's watcher): no new connections, the
  /// requests in flight answered, then listen() returns.
  void stop() { server_.stop(); }
  /// True while listen() runs.
  [[nodiscard]] bool running() const { return server_.running(); }

  /**
   * @brief What POST `path` with `body` answers, without HTTP (the routes call it; so do the
   * fuzz tests): the status and the JSON text. Paths other than /segment and /segment/batch
   * answer 404. The bearer token and the body size limit are HTTP's concern and not checked here.
   */
  [[nodiscard]] std::pair<int, std::string> handle(std::string_view path, const std::string& body) const {
    if (path == "/segment") {
      auto [status, json] = segment_one(body);
      return {status, json.dump()};
    }
    if (path == "/segment/batch") {
      auto [status, json] = segment_batch(body);
      return {status, json.dump()};
    }
    return {404, R"({"error":"no such endpoint"})"};
  }

  /// Reloads the model file; requests in flight finish on the model they started with. Reloads
  /// run one at a time, so the last one asked for is the one that stays.
  /// @throws as session_model::load does; the current model stays on failure.
  std::uint64_t reload() {
    const std::lock_guard one_at_a_time(reload_mutex_);
    auto fresh = std::make_shared<const session_model>(session_model::load(path_));
    std::lock_guard lock(model_mutex_);
    model_ = std::move(fresh);
    segment_counts_ = std::make_shared<std::vector<std::atomic<std::uint64_t>>>(model_->n_segments());
    return ++version_;
  }

 private:
  struct snapshot {
    std::shared_ptr<const session_model> model;
    std::shared_ptr<std::vector<std::atomic<std::uint64_t>>> counts;
    std::uint64_t version = 0;
  };
  snapshot current() const {
    std::lock_guard lock(model_mutex_);
    return {model_, segment_counts_, version_};
  }

  // Latency histogram buckets (seconds), Prometheus style.
  static constexpr std::array<double, 12> buckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0};
  enum endpoint { ep_segment, ep_batch, ep_health, ep_metrics, ep_reload, ep_other, n_endpoints };
  static constexpr std::array<std::string_view, n_endpoints> endpoint_names = {"/segment", "/segment/batch", "/healthz", "/metrics", "/admin/reload", "other"};
  static constexpr std::array<int, 13> codes = {200, 400, 401, 404, 405, 408, 413, 415, 422, 431, 500, 503, 0};  // 0: any other

  struct counters {
    std::array<std::array<std::atomic<std::uint64_t>, codes.size()>, n_endpoints> requests{};
    std::array<std::atomic<std::uint64_t>, buckets.size() + 1> latency{};  // last: +Inf
    std::atomic<std::uint64_t> latency_sum_ns{0};
    std::atomic<std::uint64_t> reloads{0}, reload_failures{0};
  };

  static http_answer error(int status, std::string_view message) { return {status, nlohmann::json{{"error", message}}.dump()}; }

  static endpoint endpoint_of(std::string_view path) {
    for (std::size_t e = 0; e < ep_other; ++e) {
      if (path == endpoint_names[e]) return static_cast<endpoint>(e);
    }
    return ep_other;
  }

  // Equal strings, compared in time that depends on their lengths only (no early exit that would
  // tell an attacker how much of a guess was right).
  static bool same_secret(std::string_view a, std::string_view b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
    return diff == 0;
  }

  // Before the body is read: the path and method are known, and the token is right (healthz needs none).
  std::optional<http_answer> gate(const http_head& h) const {
    const auto e = endpoint_of(h.target);
    if (e == ep_other) return error(404, "no such endpoint");
    const bool get = e == ep_health || e == ep_metrics;
    if (h.method != (get ? "GET" : "POST")) return error(405, fmt::format("{} takes {}", endpoint_names[e], get ? "GET" : "POST"));
    if (e == ep_health || p_.token.empty()) return std::nullopt;
    constexpr std::string_view bearer = "Bearer ";
    if (h.authorization.substr(0, bearer.size()) == bearer && same_secret(h.authorization.substr(bearer.size()), p_.token)) return std::nullopt;
    return error(401, "missing or wrong bearer token");
  }

  // A complete request that passed the gate.
  http_answer route(const http_request& r) {
    const auto e = endpoint_of(r.head.target);
    if (e == ep_segment || e == ep_batch) {
      auto [status, text] = handle(r.head.target, r.body);
      return {status, std::move(text)};
    }
    if (e == ep_health) {
      const snapshot s = current();
      return {200, nlohmann::json{{"status", "ok"}, {"model_version", s.version}, {"segments", s.model->n_segments()}}.dump()};
    }
    if (e == ep_metrics) return {200, metrics(), "text/plain; version=0.0.4"};
    try {  // /admin/reload
      const auto v = reload();
      stats_->reloads.fetch_add(1);
      return {200, nlohmann::json{{"model_version", v}}.dump()};
    } catch (const std::exception& x) {
      // The reason (with the file's path) goes to the operator's log, not to the client.
      std::fprintf(stderr, "session service: reload failed, still serving the previous model: %s\n", x.what());
      stats_->reload_failures.fetch_add(1);
      return error(500, "reload failed, still serving the previous model (the server's log says why)");
    }
  }

  // A session's page ids from a JSON value, or an error message.
  std::string read_views(const nlohmann::json& v, std::vector<id_type>& out, int& status) const {
    status = 400;
    if (!v.is_array()) return "page_ids must be an array of page ids";
    if (v.empty()) return "page_ids is empty";
    if (v.size() > p_.max_views) {
      status = 413;
      return fmt::format("{} page ids exceed the limit of {}", v.size(), p_.max_views);
    }
    out.clear();
    for (const auto& x : v) {
      if (!x.is_number_unsigned() && !(x.is_number_integer() && x.get<std::int64_t>() >= 0)) return "page ids must be non-negative integers";
      out.push_back(x.get<std::uint64_t>());
    }
    return {};
  }

  // The answer for one session, or an error with its status.
  nlohmann::json answer(const snapshot& s, std::span<const id_type> views, int& status) const {
    const auto ranked = s.model->rank(views, 1 + p_.alternatives);
    if (ranked.empty()) {
      status = 422;
      return {{"error", "none of the page ids is a known page"}};
    }
    status = 200;
    (*s.counts)[static_cast<std::size_t>(ranked[0].segment)].fetch_add(1, std::memory_order_relaxed);
    nlohmann::json alts = nlohmann::json::array();
    for (std::size_t i = 1; i < ranked.size(); ++i) {
      alts.push_back({{"segment", s.model->names[static_cast<std::size_t>(ranked[i].segment)]}, {"segment_id", ranked[i].segment}, {"score", ranked[i].score}});
    }
    return {{"segment", s.model->names[static_cast<std::size_t>(ranked[0].segment)]},
            {"segment_id", ranked[0].segment},
            {"score", ranked[0].score},
            {"alternatives", std::move(alts)},
            {"known_pages", s.model->known(views)},
            {"model_version", s.version}};
  }

  // POST /segment without the HTTP around it: (status, JSON answer).
  std::pair<int, nlohmann::json> segment_one(const std::string& text) const {
    const auto body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded()) return {400, {{"error", "invalid JSON"}}};
    if (!body.is_object() || !body.contains("page_ids")) return {400, {{"error", "expected an object with \"page_ids\""}}};
    std::vector<id_type> views;
    int status = 400;
    if (auto e = read_views(body["page_ids"], views, status); !e.empty()) return {status, {{"error", std::move(e)}}};
    auto a = answer(current(), views, status);
    return {status, std::move(a)};
  }

  // POST /segment/batch without the HTTP around it.
  std::pair<int, nlohmann::json> segment_batch(const std::string& text) const {
    const auto body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded()) return {400, {{"error", "invalid JSON"}}};
    if (!body.is_object() || !body.contains("sessions") || !body["sessions"].is_array()) return {400, {{"error", "expected an object with an array \"sessions\""}}};
    const auto& sessions = body["sessions"];
    if (sessions.empty()) return {400, {{"error", "sessions is empty"}}};
    if (sessions.size() > p_.max_batch) return {413, {{"error", fmt::format("{} sessions exceed the batch limit of {}", sessions.size(), p_.max_batch)}}};
    const snapshot s = current();  // the whole batch on one model
    nlohmann::json results = nlohmann::json::array();
    std::vector<id_type> views;
    for (const auto& v : sessions) {
      int status = 400;
      if (auto e = read_views(v, views, status); !e.empty()) {
        results.push_back({{"error", std::move(e)}});
        continue;
      }
      results.push_back(answer(s, views, status));
    }
    return {200, {{"results", std::move(results)}}};
  }

  std::string metrics() const {
    const snapshot s = current();
    std::string out = "# HELP segkit_requests_total Requests by endpoint and status code.\n# TYPE segkit_requests_total counter\n";
    for (std::size_t e = 0; e < n_endpoints; ++e) {
      for (std::size_t c = 0; c < codes.size(); ++c) {
        const auto n = stats_->requests[e][c].load(std::memory_order_relaxed);
        if (n != 0) out += fmt::format("segkit_requests_total{{endpoint=\"{}\",code=\"{}\"}} {}\n", endpoint_names[e], codes[c] == 0 ? std::string("other") : std::to_string(codes[c]), n);
      }
    }
    out += "# HELP segkit_request_seconds Time to answer a request.\n# TYPE segkit_request_seconds histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= buckets.size(); ++b) {
      cumulative += stats_->latency[b].load(std::memory_order_relaxed);
      out += fmt::format("segkit_request_seconds_bucket{{le=\"{}\"}} {}\n", b < buckets.size() ? fmt::format("{}", buckets[b]) : std::string("+Inf"), cumulative);
    }
    out += fmt::format("segkit_request_seconds_sum {}\nsegkit_request_seconds_count {}\n", static_cast<double>(stats_->latency_sum_ns.load()) * 1e-9, cumulative);
    out += "# HELP segkit_segment_assignments_total Sessions assigned to each segment by the current model.\n# TYPE segkit_segment_assignments_total counter\n";
    std::uint64_t served = 0;
    std::vector<double> count(s.counts->size());
    for (std::size_t l = 0; l < count.size(); ++l) {
      count[l] = static_cast<double>((*s.counts)[l].load(std::memory_order_relaxed));
      served += static_cast<std::uint64_t>(count[l]);
      out += fmt::format("segkit_segment_assignments_total{{segment=\"{}\"}} {}\n", label_value(s.model->names[l]), static_cast<std::uint64_t>(count[l]));
    }
    // Drift of the served segment shares from the training shares: the population stability index
    // (sum (q - p) ln(q / p), shares floored at 1e-4).
    double psi = 0.0;
    if (served > 0) {
      for (std::size_t l = 0; l < count.size(); ++l) {
        const double q = std::max(count[l] / static_cast<double>(served), 1e-4), p = std::max(s.model->shares[l], 1e-4);
        psi += (q - p) * std::log(q / p);
      }
    }
    out += "# HELP segkit_segment_share_psi Population stability index of served segment shares against training.\n# TYPE segkit_segment_share_psi gauge\n";
    out += fmt::format("segkit_segment_share_psi {}\n", psi);
    out += fmt::format("# TYPE segkit_model_version gauge\nsegkit_model_version {}\n", s.version);
    out += fmt::format("# TYPE segkit_model_reloads_total counter\nsegkit_model_reloads_total {}\nsegkit_model_reload_failures_total {}\n", stats_->reloads.load(),
                       stats_->reload_failures.load());
    return out;
  }

  // A label value in Prometheus' text format: backslash, double quote and line feed escaped.
  static std::string label_value(std::string_view v) {
    std::string out;
    for (const char c : v) {
      if (c == '\\' || c == '"') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out;
  }

  void record(std::string_view target, int status, double seconds) const {
    const auto e = endpoint_of(target);
    std::size_t c = 0;
    while (c + 1 < codes.size() && codes[c] != status) ++c;
    stats_->requests[e][c].fetch_add(1, std::memory_order_relaxed);
    std::size_t b = 0;
    while (b < buckets.size() && seconds > buckets[b]) ++b;
    stats_->latency[b].fetch_add(1, std::memory_order_relaxed);
    stats_->latency_sum_ns.fetch_add(static_cast<std::uint64_t>(std::max(0.0, seconds) * 1e9), std::memory_order_relaxed);
  }

  std::filesystem::path path_;
  service_params p_;
  mutable std::mutex model_mutex_;
  std::mutex reload_mutex_;
  std::shared_ptr<const session_model> model_;
  std::shared_ptr<std::vector<std::atomic<std::uint64_t>>> segment_counts_;
  std::uint64_t version_ = 0;
  std::unique_ptr<counters> stats_ = std::make_unique<counters>();
  http_server server_;  // last: destroyed (its threads stopped) before what its handlers use
};

}  // namespace segkit::examples
