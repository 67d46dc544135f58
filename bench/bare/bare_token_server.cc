// The issuance benchmark's reference route: the least an RS256 client-credentials endpoint can
// do over HTTP on this machine. Boost.Beast parses the request, the form body's client_id and
// client_secret are checked (SHA-256, constant-time compare), a JWT of the same size as
// latchkeyd's is signed with OpenSSL, and the JSON response is written. No routing, store,
// cache, audit, access log or limits: whatever latchkeyd costs beyond this is its own overhead.
//
// Usage: bare_token_server THREADS READY_FILE
// Listens on 127.0.0.1, an ephemeral port; one io_context and one SO_REUSEPORT acceptor per
// thread (as latchkeyd's workers). Once listening it writes {"port":N,"client_id":..,
// "client_secret":..} to READY_FILE; stopped by SIGTERM/SIGINT.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kClientId = "00000000-0000-4000-8000-00000000b0b0";
constexpr std::string_view kClientSecret = "bare-route-secret-0123456789abcdef";

EVP_PKEY* g_key = nullptr;
unsigned char g_secret_hash[32];

std::string Base64Url(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string FormValue(std::string_view body, std::string_view name) {
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
        pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));  // the bench's values need no decoding
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return {};
}

bool SecretMatches(std::string_view secret) {
  unsigned char hash[32];
  unsigned int len = 0;
  EVP_Digest(secret.data(), secret.size(), hash, &len, EVP_sha256(), nullptr);
  return CRYPTO_memcmp(hash, g_secret_hash, sizeof hash) == 0;
}

std::string Sign(std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 256;
  std::string sig(len, '\0');
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, g_key) != 1 ||
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    len = 0;
  }
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return sig;
}

// A token with the claims an Entra v2 app-only token carries (latchkeyd's are ~1.3 KB).
std::string IssueToken() {
  unsigned char id[16];
  RAND_bytes(id, sizeof id);
  const long now = static_cast<long>(std::time(nullptr));
  char payload[1024];
  std::snprintf(
      payload, sizeof payload,
      R"({"aud":"2ff814a6-3304-4ab8-85cb-cd0e6f879c1d","iss":"https://login.microsoftonline.com/)"
      R"(11111111-2222-4333-8444-555555555555/v2.0","iat":%ld,"nbf":%ld,"exp":%ld,"aio":"bare",)"
      R"("azp":"%s","azpacr":"1","idp":"https://sts.windows.net/11111111-2222-4333-8444-)"
      R"(555555555555/","oid":"66666666-7777-4888-8999-000000000000","rh":"bare",)"
      R"("roles":[],"sub":"66666666-7777-4888-8999-000000000000","tid":"11111111-2222-4333-8444-)"
      R"(555555555555","uti":"%s","ver":"2.0","xms_idrel":"7 2","xms_tcdt":1700000000})",
      now, now, now + 3599, std::string(kClientId).c_str(),
      Base64Url(std::string_view(reinterpret_cast<char*>(id), sizeof id)).c_str());
  std::string input = Base64Url(R"({"alg":"RS256","typ":"JWT","kid":"bare-key-1"})");
  input += '.';
  input += Base64Url(payload);
  const std::string sig = Sign(input);
  input += '.';
  input += Base64Url(sig);
  return input;
}

asio::awaitable<void> Serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    beast::error_code ec;
    co_await http::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.set(http::field::cache_control, "no-store, no-cache");
    if (req.method() != http::verb::post ||
        FormValue(req.body(), "client_id") != kClientId ||
        !SecretMatches(FormValue(req.body(), "client_secret"))) {
      res.result(http::status::unauthorized);
      res.body() = R"({"error":"invalid_client"})";
    } else {
      res.result(http::status::ok);
      res.body() = R"({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,)"
                   R"("access_token":")" + IssueToken() + "\"}";
    }
    res.prepare_payload();
    co_await http::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !req.keep_alive()) co_return;
  }
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), Serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s THREADS READY_FILE\n", argv[0]);
    return 2;
  }
  const int threads = std::max(1, std::atoi(argv[1]));
  g_key = EVP_RSA_gen(2048);
  unsigned int len = 0;
  EVP_Digest(kClientSecret.data(), kClientSecret.size(), g_secret_hash, &len, EVP_sha256(),
             nullptr);
  if (g_key == nullptr) return 1;

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  unsigned short port = 0;
  for (int i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    auto acceptor = std::make_unique<tcp::acceptor>(*contexts.back());
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    port = acceptor->local_endpoint().port();
    asio::co_spawn(*contexts.back(), Accept(*acceptor), asio::detached);
    acceptors.push_back(std::move(acceptor));
  }
  {
    const std::string tmp = std::string(argv[2]) + ".tmp";
    std::ofstream(tmp) << "{\"port\":" << port << ",\"client_id\":\"" << kClientId
                       << "\",\"client_secret\":\"" << kClientSecret << "\"}\n";
    std::rename(tmp.c_str(), argv[2]);
  }
  asio::signal_set signals(*contexts.front(), SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) {
    for (auto& c : contexts) c->stop();
  });
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) workers.emplace_back([&, i] { contexts[i]->run(); });
  contexts.front()->run();
  for (auto& w : workers) w.join();
  EVP_PKEY_free(g_key);
  return 0;
}
