// The session segmentation service (examples/session_segmentation): answers equal the model's,
// every kind of bad request gets its 4xx and the server keeps serving, metrics count what
// happened, and a hot reload under concurrent load drops no request.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../examples/session_segmentation/service.hpp"

namespace ex = segkit::examples;
using nlohmann::json;

namespace {

// A running service on a free loopback port, stopped at the end of the scope.
struct running_service {
  ex::session_service service;
  int port = 0;
  std::thread thread;
  running_service(const std::filesystem::path& model, ex::service_params p) : service(model, std::move(p)) {
    port = service.bind(0);
    thread = std::thread([this] { service.listen(); });
    for (int i = 0; i < 200 && !service.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~running_service() {
    service.stop();
    thread.join();
  }
  [[nodiscard]] httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    return c;
  }
};

// A scratch directory of this process for one test case, removed at the end of the scope.
struct scratch_dir {
  std::filesystem::path path;
  explicit scratch_dir(std::string_view tag) : path(std::filesystem::temp_directory_path() / fmt::format("segkit_service_{}_{}", tag, ::getpid())) {
    std::filesystem::create_directories(path);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  ~scratch_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

std::string body_of(const std::vector<segkit::id_type>& views) { return json{{"page_ids", views}}.dump(); }

// A raw TCP connection to the service, for what an HTTP client library would not send.
struct raw_connection {
  int fd = -1;
  explicit raw_connection(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(static_cast<std::uint16_t>(port));
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) == 0);
    const timeval limit{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;
  ~raw_connection() { ::close(fd); }
  // Sends what it can (the server may close early: that is what some tests expect).
  void send(std::string_view bytes) const {
    while (!bytes.empty()) {
      const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Everything until the server closes the connection (or 10 s pass).
  [[nodiscard]] std::string read_all() const {
    std::string out;
    char buf[4096];
    for (;;) {
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  // The status code of the first answer received.
  [[nodiscard]] int status() const {
    const auto text = read_all();
    return text.size() > 12 && text.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(text.substr(9, 3)) : -1;
  }
};

}  // namespace

TEST_CASE("session service: answers, bad requests, limits, metrics, reload under load", "[service]") {
  const scratch_dir scratch("answers");
  const auto& dir = scratch.path;
  const auto shop = ex::make_shop({.sessions = 3000, .seed = 3});
  const auto model = ex::session_model::fit(shop, {.dim = 16, .epochs = 10, .k = 5, .seed = 3, .threads = 2});
  model.save(dir / "model.seg");
  running_service s(dir / "model.seg", {.http = {.max_body = 4096}, .max_views = 50, .max_batch = 20, .threads = 4});
  auto c = s.client();

  // Health and a real answer, equal to the model's ranking.
  auto h = c.Get("/healthz");
  REQUIRE(h);
  CHECK(h->status == 200);
  CHECK(json::parse(h->body)["segments"] == 5);
  for (std::size_t i = 0; i < 20; ++i) {
    const auto& views = shop.sessions[i];
    const auto r = c.Post("/segment", body_of(views), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const auto a = json::parse(r->body);
    const auto want = model.rank(views, 3);
    CHECK(a["segment_id"] == want[0].segment);
    CHECK(a["segment"] == model.names[static_cast<std::size_t>(want[0].segment)]);
    CHECK(a["score"].get<double>() == Approx(want[0].score).margin(1e-6));
    REQUIRE(a["alternatives"].size() == 2);
    CHECK(a["alternatives"][0]["segment_id"] == want[1].segment);
    CHECK(a["alternatives"][0]["score"].get<double>() <= a["score"].get<double>());
    CHECK(a["known_pages"] == views.size());
  }
  // A batch answers each session as /segment does; a bad session inside gets its own error.
  json batch = {{"sessions", json::array({shop.sessions[0], shop.sessions[1], json::array(), json::array({999999})})}};
  const auto b = c.Post("/segment/batch", batch.dump(), "application/json");
  REQUIRE(b);
  REQUIRE(b->status == 200);
  const auto results = json::parse(b->body)["results"];
  REQUIRE(results.size() == 4);
  CHECK(results[0]["segment_id"] == model.rank(shop.sessions[0], 1)[0].segment);
  CHECK(results[1]["segment_id"] == model.rank(shop.sessions[1], 1)[0].segment);
  CHECK(results[2]["error"] == "page_ids is empty");
  CHECK(results[3]["error"] == "none of the page ids is a known page");

  // Bad requests: each its status and message, and the server keeps serving.
  const auto status_and_error = [&](const std::string& path, const std::string& body) {
    const auto r = c.Post(path, body, "application/json");
    REQUIRE(r);
    return std::pair{r->status, r->body};
  };
  CHECK(status_and_error("/segment", "{\"page_ids\": [1, 2") == std::pair{400, std::string(R"({"error":"invalid JSON"})")});
  CHECK(status_and_error("/segment", "[1, 2]").first == 400);
  CHECK(json::parse(status_and_error("/segment", R"({"pages": [1]})").second)["error"] == "expected an object with \"page_ids\"");
  CHECK(status_and_error("/segment", R"({"page_ids": []})").second.find("page_ids is empty") != std::string::npos);
  CHECK(status_and_error("/segment", R"({"page_ids": [1, "x"]})").second.find("non-negative integers") != std::string::npos);
  CHECK(status_and_error("/segment", R"({"page_ids": [-4]})").first == 400);
  CHECK(status_and_error("/segment", R"({"page_ids": [999999, 888888]})") == std::pair{422, std::string(R"({"error":"none of the page ids is a known page"})")});
  std::vector<segkit::id_type> long_session(60, 1);
  CHECK(status_and_error("/segment", body_of(long_session)).first == 413);
  json big_batch = {{"sessions", json::array()}};
  for (int i = 0; i < 21; ++i) big_batch["sessions"].push_back(json::array({1}));
  CHECK(status_and_error("/segment/batch", big_batch.dump()).second.find("21 sessions exceed the batch limit of 20") != std::string::npos);
  CHECK(status_and_error("/segment", std::string(5000, ' ')).first == 413);  // over max_body
  CHECK(c.Get("/nope")->status == 404);
  CHECK(c.Get("/segment")->status == 405);
  CHECK(c.Post("/healthz", "", "application/json")->status == 405);
  CHECK(c.Post("/segment", body_of(shop.sessions[5]), "application/json")->status == 200);

  // Metrics count what happened.
  const auto m = c.Get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find("segkit_requests_total{endpoint=\"/segment\",code=\"200\"} 21") != std::string::npos);
  CHECK(m->body.find("segkit_requests_total{endpoint=\"/segment\",code=\"422\"} 1") != std::string::npos);
  CHECK(m->body.find("segkit_requests_total{endpoint=\"/segment/batch\",code=\"413\"} 1") != std::string::npos);
  CHECK(m->body.find("segkit_request_seconds_bucket{le=\"+Inf\"}") != std::string::npos);
  CHECK(m->body.find("segkit_segment_share_psi ") != std::string::npos);
  CHECK(m->body.find("segkit_model_version 1") != std::string::npos);

  // Hot reload of a new model file while four clients keep asking: no request fails.
  const auto other = ex::session_model::fit(shop, {.dim = 16, .epochs = 10, .k = 4, .seed = 9, .threads = 2});
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      auto cc = s.client();
      for (std::size_t i = static_cast<std::size_t>(t); !stop; i = (i + 4) % shop.sessions.size()) {
        const auto r = cc.Post("/segment", body_of(shop.sessions[i]), "application/json");
        (r && r->status == 200 ? ok : failed).fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  other.save(dir / "model.seg");
  const auto rl = c.Post("/admin/reload", "", "application/json");
  REQUIRE(rl);
  CHECK(rl->status == 200);
  CHECK(json::parse(rl->body)["model_version"] == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (auto& t : clients) t.join();
  CHECK(failed == 0);
  CHECK(ok > 10);
  CHECK(json::parse(c.Get("/healthz")->body)["segments"] == 4);
  // A damaged model file: the reload fails with 500 and the previous model keeps serving.
  std::filesystem::resize_file(dir / "model.seg", 100);
  const auto bad = c.Post("/admin/reload", "", "application/json");
  CHECK(bad->status == 500);
  CHECK(bad->body.find("still serving the previous model") != std::string::npos);
  CHECK(bad->body.find(dir.string()) == std::string::npos);  // error bodies name no file
  CHECK(bad->body.find("model.seg") == std::string::npos);
  CHECK(c.Post("/segment", body_of(shop.sessions[7]), "application/json")->status == 200);
}

TEST_CASE("session service: a bearer token guards everything but /healthz", "[service]") {
  const scratch_dir scratch("token");
  const auto& dir = scratch.path;
  const auto shop = ex::make_shop({.sessions = 600, .seed = 4});
  auto model = ex::session_model::fit(shop, {.dim = 8, .epochs = 3, .k = 3, .seed = 4, .threads = 1});
  model.names[0] = "odd \"name\" \\ with\nlines";  // must come out of /metrics as a valid label value
  model.save(dir / "model.seg");
  running_service s(dir / "model.seg", {.token = "s3cret"});
  auto c = s.client();
  CHECK(c.Get("/healthz")->status == 200);
  CHECK(c.Post("/segment", body_of(shop.sessions[0]), "application/json")->status == 401);
  CHECK(c.Get("/metrics")->status == 401);
  CHECK(c.Post("/admin/reload", "", "application/json")->status == 401);
  c.set_bearer_token_auth("s3cret");
  CHECK(c.Post("/segment", body_of(shop.sessions[0]), "application/json")->status == 200);
  const auto m = c.Get("/metrics");
  REQUIRE(m);
  CHECK(m->status == 200);
  CHECK(m->body.find(R"(segkit_segment_assignments_total{segment="odd \"name\" \\ with\nlines"} )") != std::string::npos);
  // Every line of the exposition is a comment or "name{labels} value": the name's line feed did not split one.
  std::istringstream lines(m->body);
  for (std::string line; std::getline(lines, line);) CHECK((line.rfind("# ", 0) == 0 || line.rfind("segkit_", 0) == 0));
}

TEST_CASE("session service: limits are refused with their status before anything is buffered", "[service]") {
  const scratch_dir scratch("limits");
  const auto& dir = scratch.path;
  const auto shop = ex::make_shop({.pages = 60, .sessions = 300, .seed = 5});
  ex::session_model::fit(shop, {.dim = 8, .epochs = 2, .k = 3, .seed = 5, .threads = 1}).save(dir / "model.seg");
  ex::http_limits limits;
  limits.max_header_bytes = 2048;
  limits.max_header_fields = 20;
  limits.max_body = 4096;
  limits.request_timeout = std::chrono::milliseconds(400);
  limits.idle_timeout = std::chrono::milliseconds(2000);
  running_service s(dir / "model.seg", {.http = limits, .token = "s3cret", .threads = 2});
  const std::string good = body_of(shop.sessions[0]);
  const auto post = [&](const std::string& extra_headers, std::string_view body) {
    return fmt::format("POST /segment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Length: {}\r\n{}\r\n{}", body.size(), extra_headers, body);
  };
  {  // a good request on a raw connection, as a baseline
    raw_connection c(s.port);
    c.send(post("Connection: close\r\n", good));
    CHECK(c.status() == 200);
  }
  {  // a 4 MiB header line: 431, the connection closed after 2 KiB
    raw_connection c(s.port);
    c.send("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(4 << 20, 'a'));
    CHECK(c.status() == 431);
  }
  {  // 20,000 header lines: 431
    raw_connection c(s.port);
    std::string many = "GET /healthz HTTP/1.1\r\n";
    for (int i = 0; i < 20000; ++i) many += "X: y\r\n";
    c.send(many);
    CHECK(c.status() == 431);
  }
  {  // more fields than the count limit, in few bytes: 431
    raw_connection c(s.port);
    std::string many = "GET /healthz HTTP/1.1\r\n";
    for (int i = 0; i < 30; ++i) many += "X: y\r\n";
    c.send(many + "\r\n");
    CHECK(c.status() == 431);
  }
  {  // a gzip body: 415, never inflated
    raw_connection c(s.port);
    c.send(post("Content-Encoding: gzip\r\n", std::string(100, '\x1f')));
    CHECK(c.status() == 415);
  }
  {  // a Content-Length over the limit: 413 before the body is sent
    raw_connection c(s.port);
    c.send("POST /segment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Length: 100000000\r\n\r\n");
    CHECK(c.status() == 413);
  }
  {  // a chunked body passing the limit: 413
    raw_connection c(s.port);
    std::string chunked = "POST /segment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 10; ++i) chunked += "400\r\n" + std::string(1024, ' ') + "\r\n";
    c.send(chunked + "0\r\n\r\n");
    CHECK(c.status() == 413);
  }
  {  // the token is checked before the body: a wrong one is 401 although the body never comes
    raw_connection c(s.port);
    c.send("POST /segment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer guess\r\nContent-Length: 1000\r\n\r\n");
    CHECK(c.status() == 401);
  }
  {  // a request trickling in: 408 at the whole-request deadline, however often bytes arrive
    raw_connection c(s.port);
    const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    const auto t0 = std::chrono::steady_clock::now();
    for (const char ch : head) {
      c.send(std::string_view(&ch, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      if (std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(900)) break;
    }
    CHECK(c.status() == 408);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  }
  {  // every slot of a client held by idle connections (a service of its own, with 3 slots per
     // client): the reserved slots answer health probes only
    auto few = limits;
    few.max_connections_per_client = 3;
    few.reserved_connections = 2;
    running_service small(dir / "model.seg", {.http = few, .token = "s3cret", .threads = 2});
    std::vector<std::unique_ptr<raw_connection>> held;
    for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<raw_connection>(small.port));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // accepted and counted
    raw_connection probe(small.port);
    probe.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(probe.status() == 200);
    raw_connection other(small.port);
    other.send(post("", good));
    CHECK(other.status() == 503);
  }
  {  // and a good request afterwards still answers
    raw_connection c(s.port);
    c.send(post("Connection: close\r\n", good));
    CHECK(c.status() == 200);
  }
}

TEST_CASE("session service: stop() lets the request in flight finish, closes idle connections, and returns", "[service]") {
  const scratch_dir scratch("stop");
  const auto& dir = scratch.path;
  const auto shop = ex::make_shop({.pages = 60, .sessions = 300, .seed = 6});
  ex::session_model::fit(shop, {.dim = 8, .epochs = 2, .k = 3, .seed = 6, .threads = 1}).save(dir / "model.seg");
  auto s = std::make_unique<running_service>(dir / "model.seg", ex::service_params{});
  raw_connection idle(s->port);
  raw_connection busy(s->port);
  const std::string good = body_of(shop.sessions[1]);
  // Half a request in flight when the stop comes; the rest after it: still answered.
  busy.send(fmt::format("POST /segment HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", good.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread stopper([&] { s.reset(); });  // stop() and join
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  busy.send(good);
  const auto answer = busy.read_all();
  CHECK(answer.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(answer.find("Connection: close") != std::string::npos);
  CHECK(idle.read_all().empty());  // closed without an answer
  stopper.join();
}
