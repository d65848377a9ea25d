// Real-time session segmentation, offline and online (README.md here).
//   session_segmentation fit   --out DIR [--sessions 20000] [--seed 1] [--k 0]
//       generates the shop and its sessions, learns page vectors, segments the sessions, names the
//       segments, saves DIR/model.seg, writes DIR/bodies.lua (request bodies for the load test) and
//       prints the segments and their ARI against the hidden shopper types.
//   session_segmentation serve --model DIR/model.seg [--port 8080] [--host 127.0.0.1] [--threads 2]
//                              [--token-file F] [--max-connections N] [--max-connections-per-client N]
//                              [--max-header-bytes N] [--max-header-fields N] [--max-body N]
//                              [--request-timeout-ms MS] [--idle-timeout-ms MS] [--max-requests-per-connection N]
//       serves the model over HTTP (service.hpp, http_server.hpp) until SIGINT or SIGTERM (graceful:
//       requests in flight are answered first); SIGHUP reloads the model file. The bearer token
//       comes from --token-file or the environment variable SEGKIT_SERVICE_TOKEN (--token T is still
//       read, but a command line is visible to every user of the machine).
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <segkit/quality/external.hpp>

#include "../common/example.hpp"
#include "service.hpp"
#include "session_model.hpp"
#include "shop.hpp"

namespace ex = segkit::examples;

namespace {

volatile std::sig_atomic_t last_signal = 0;
void on_signal(int s) { last_signal = s; }

int fit(const ex::options& o) {
  const std::filesystem::path out = o.at("out");
  std::filesystem::create_directories(out);
  const auto shop = ex::make_shop({.sessions = std::stoul(o.at("sessions")), .seed = std::stoull(o.at("seed"))});
  const auto t0 = std::chrono::steady_clock::now();
  const auto model = ex::session_model::fit(shop, {.half_life = std::stod(o.at("half-life")), .k = std::stoul(o.at("k")), .seed = std::stoull(o.at("seed"))});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  model.save(out / "model.seg");

  // Segments of the training sessions as the service would answer them, scored against the hidden types.
  std::vector<segkit::label_type> served;
  for (const auto& s : shop.sessions) served.push_back(model.rank(s, 1).front().segment);
  const double ari = segkit::quality::adjusted_rand_index(shop.shopper, served);
  std::vector<std::size_t> sizes(model.n_segments(), 0);
  for (const auto l : served) ++sizes[static_cast<std::size_t>(l)];
  fmt::print("shop: {} pages, {} sessions of {} hidden shopper types; fitted in {:.1f} s\n", shop.pages.size(), shop.sessions.size(), ex::shopper_types().size(),
             seconds);
  // Each segment's sessions by hidden shopper type (the generator's truth, unseen by the fit).
  const auto& types = ex::shopper_types();
  std::vector<std::vector<std::size_t>> mix(model.n_segments(), std::vector<std::size_t>(types.size(), 0));
  for (std::size_t i = 0; i < served.size(); ++i) ++mix[static_cast<std::size_t>(served[i])][static_cast<std::size_t>(shop.shopper[i])];
  std::string header;
  for (const auto& t : types) header += fmt::format(" {:>9.9}", t.name);
  fmt::print("  {:2} {:<36} {:>8} {}\n", "", "segment", "sessions", header);
  for (std::size_t l = 0; l < model.n_segments(); ++l) {
    std::string row;
    for (const std::size_t c : mix[l]) row += fmt::format(" {:9}", c);
    fmt::print("  {:2} {:<36} {:8} {}\n", l, model.names[l], sizes[l], row);
  }
  fmt::print("ARI against the hidden shopper types: {:.3f}\nmodel: {}\n", ari, (out / "model.seg").string());

  // Request bodies for wrk: the last views of 1,000 sessions, as a Lua table.
  std::ofstream lua(out / "bodies.lua");
  lua << "bodies = {\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(1000, shop.sessions.size()); ++i) {
    const auto& v = shop.sessions[i];
    std::string ids;
    for (std::size_t t = v.size() > 8 ? v.size() - 8 : 0; t < v.size(); ++t) ids += fmt::format("{}{}", ids.empty() ? "" : ",", v[t]);
    lua << fmt::format("  '{{\"page_ids\":[{}]}}',\n", ids);
  }
  lua << "}\n";
  const double floor = std::stod(o.at("min-ari"));
  if (ari < floor) {
    fmt::print(stderr, "session_segmentation: ARI {:.3f} is below {:.2f}\n", ari, floor);
    return 1;
  }
  return 0;
}

// The bearer token: a file's first line, else $SEGKIT_SERVICE_TOKEN, else --token (discouraged).
std::string read_token(const ex::options& o) {
  if (!o.at("token-file").empty()) {
    std::ifstream f(o.at("token-file"));
    std::string line;
    if (!f || !std::getline(f, line)) throw std::runtime_error(fmt::format("cannot read a token from --token-file {}", o.at("token-file")));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) throw std::runtime_error("--token-file holds an empty token");
    return line;
  }
  if (const char* env = std::getenv("SEGKIT_SERVICE_TOKEN"); env != nullptr && *env != '\0') return env;
  if (!o.at("token").empty()) fmt::print(stderr, "warning: --token puts the secret on the command line; prefer --token-file or SEGKIT_SERVICE_TOKEN\n");
  return o.at("token");
}

int serve(const ex::options& o) {
  ex::service_params p;
  p.host = o.at("host");
  p.token = read_token(o);
  p.threads = std::stoul(o.at("threads"));
  p.http.max_connections = std::stoul(o.at("max-connections"));
  p.http.max_connections_per_client = std::stoul(o.at("max-connections-per-client"));
  p.http.max_header_bytes = std::stoul(o.at("max-header-bytes"));
  p.http.max_header_fields = std::stoul(o.at("max-header-fields"));
  p.http.max_body = std::stoul(o.at("max-body"));
  p.http.request_timeout = std::chrono::milliseconds(std::stoul(o.at("request-timeout-ms")));
  p.http.idle_timeout = std::chrono::milliseconds(std::stoul(o.at("idle-timeout-ms")));
  p.http.max_requests_per_connection = std::stoul(o.at("max-requests-per-connection"));
  ex::session_service service(o.at("model"), p);
  const int port = service.bind(std::stoi(o.at("port")));
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGHUP, on_signal);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const int s = last_signal;
      if (s == SIGHUP) {
        last_signal = 0;
        try {
          fmt::print("reloaded: model version {}\n", service.reload());
        } catch (const std::exception& e) {
          fmt::print(stderr, "reload failed, still serving the previous model: {}\n", e.what());
        }
        std::fflush(stdout);
      } else if (s == SIGINT || s == SIGTERM) {
        service.stop();
        return;
      }
    }
  });
  fmt::print("listening on http://{}:{}\n", p.host, port);
  std::fflush(stdout);
  service.listen();
  done = true;
  watcher.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return ex::guarded_main("session_segmentation", [&] {
    const std::string mode = argc > 1 ? argv[1] : "fit";
    // The service's defaults come from its parameter structs, written once there.
    const ex::service_params sp;
    const auto n = [](auto v) { return std::to_string(v); };
    const auto o = ex::parse_options(argc - 1, argv + 1,
                                     {{"out", "session-demo"}, {"sessions", "20000"}, {"seed", "1"}, {"k", "0"}, {"half-life", "2"}, {"min-ari", "0"},
                                      {"model", "session-demo/model.seg"}, {"port", "8080"}, {"host", sp.host}, {"token", ""}, {"token-file", ""},
                                      {"threads", n(sp.threads)}, {"max-connections", n(sp.http.max_connections)},
                                      {"max-connections-per-client", n(sp.http.max_connections_per_client)}, {"max-header-bytes", n(sp.http.max_header_bytes)},
                                      {"max-header-fields", n(sp.http.max_header_fields)}, {"max-body", n(sp.http.max_body)},
                                      {"request-timeout-ms", n(sp.http.request_timeout.count())}, {"idle-timeout-ms", n(sp.http.idle_timeout.count())},
                                      {"max-requests-per-connection", n(sp.http.max_requests_per_connection)}});
    if (mode == "fit") return fit(o);
    if (mode == "serve") return serve(o);
    fmt::print(stderr, "usage: session_segmentation fit --out DIR | serve --model FILE [--port P]\n");
    return 2;
  });
}
