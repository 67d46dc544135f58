#include "test_support.h"

#include <atomic>
#include <cstdio>
#include <random>
#include <unistd.h>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace latchkey::http::testing {

TempDir::TempDir() {
  std::random_device device;
  path_ = std::filesystem::temp_directory_path() /
          ("latchkey_http_test_" + std::to_string(getpid()) + "_" + std::to_string(device()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void WriteSelfSignedCert(const std::string& common_name, const std::filesystem::path& cert_file,
                         const std::filesystem::path& key_file) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  static std::atomic<long> serial{1};
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* out = std::fopen(cert_file.c_str(), "w");
  ASSERT_NE(out, nullptr);
  PEM_write_X509(out, cert);
  std::fclose(out);
  out = std::fopen(key_file.c_str(), "w");
  ASSERT_NE(out, nullptr);
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  X509_free(cert);
  EVP_PKEY_free(key);
}

ServerOptions LoopbackOptions() {
  ServerOptions options;
  options.listeners.push_back({.host = "127.0.0.1", .port = 0, .tls = false});
  options.threads = 2;
  options.shutdown_grace = std::chrono::milliseconds(3000);
  return options;
}

RunningServer::RunningServer(ServerOptions options, Handler handler)
    : server_(std::make_unique<Server>(std::move(options), std::move(handler))) {
  Status started = server_->Start();
  EXPECT_TRUE(started.has_value()) << (started ? "" : started.error().message);
  if (!started) return;
  ports_ = server_->BoundPorts();
  thread_ = std::thread([server = server_.get(), done = done_] {
    server->Run();
    done->store(true);
  });
}

RunningServer::~RunningServer() {
  if (thread_.joinable()) {
    server_->Stop();
    thread_.join();
  }
}

bool RunningServer::StopAndWait(std::chrono::milliseconds timeout) {
  server_->Stop();
  return WaitForExit(timeout);
}

bool RunningServer::WaitForExit(std::chrono::milliseconds timeout) {
  if (!thread_.joinable()) return true;
  if (!WaitFor([&] { return done_->load(); }, timeout)) return false;
  thread_.join();
  return true;
}

}  // namespace latchkey::http::testing
