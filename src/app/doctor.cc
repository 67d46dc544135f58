#include "app/doctor.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/encoding.h"
#include "crypto/x509.h"
#include "store/postgres/connection.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace latchkey::app {
namespace {

namespace fs = std::filesystem;

// One line per check: a multi-line message (libpq's are) is folded onto its line.
class Report {
 public:
  explicit Report(std::ostream& out) : out_(out) {}
  void Ok(const std::string& what) { out_ << "ok    " << OneLine(what) << "\n"; }
  void Warn(const std::string& what, const std::string& fix) {
    out_ << "warn  " << OneLine(what) << " -> " << fix << "\n";
  }
  void Fail(const std::string& what, const std::string& fix) {
    out_ << "FAIL  " << OneLine(what) << " -> " << fix << "\n";
    ++failures_;
  }
  int failures() const { return failures_; }

 private:

  std::ostream& out_;
  int failures_ = 0;
};

std::string Octal(mode_t mode) {
  std::ostringstream s;
  s << "0" << std::oct << (mode & 0777);
  return s.str();
}

void CheckDataDir(const Config& config, Report& r) {
  struct stat st {};
  if (::stat(config.data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    r.Fail("data dir " + config.data_dir + " does not exist",
           "latchkeyd init --data-dir " + config.data_dir + " --listen 127.0.0.1:8443");
    return;
  }
  if ((st.st_mode & 077) != 0) {
    r.Fail("data dir " + config.data_dir + " has mode " + Octal(st.st_mode) +
               " (others can read keys and the database)",
           "chmod 700 " + config.data_dir);
  } else if (st.st_uid != ::geteuid()) {
    r.Warn("data dir " + config.data_dir + " belongs to uid " + std::to_string(st.st_uid) +
               ", not to this user (" + std::to_string(::geteuid()) + ")",
           "run latchkeyd as the data dir's owner (sudo -u ...)");
  } else {
    r.Ok("data dir " + config.data_dir + ": mode 0700, owned by this user");
  }
  std::vector<std::string> keys = {config.tls_key_file, config.data_dir + "/tls/ca.key"};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config.KeyDir(), ec)) {
    if (entry.path().extension() == ".pem") keys.push_back(entry.path().string());
  }
  int checked = 0, loose = 0;
  for (const std::string& key : keys) {
    if (::stat(key.c_str(), &st) != 0) continue;
    ++checked;
    if ((st.st_mode & 077) != 0) {
      ++loose;
      r.Fail("key file " + key + " has mode " + Octal(st.st_mode), "chmod 600 " + key);
    }
  }
  if (checked > 0 && loose == 0) r.Ok(std::to_string(checked) + " key files have mode 0600");
}

// The host of "https://host[:port]" ("[::1]" -> "::1").
std::string UrlHost(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  if (!rest.empty() && rest.front() == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.rfind(':') == std::string::npos ? rest.size() : rest.rfind(':'));
}

std::string PublicUrl(const Config& config) {
  if (!config.public_url.empty()) return config.public_url;
  ListenAddress first = config.listen.front();
  if (first.host == "0.0.0.0") first.host = "127.0.0.1";
  if (first.host == "::") first.host = "::1";
  return first.ToString();
}

bool Names(const std::vector<std::string>& names, const std::string& host) {
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const std::string& n : names) {
    std::string candidate = n;
    std::transform(candidate.begin(), candidate.end(), candidate.begin(), ::tolower);
    if (candidate == lower) return true;
    if (candidate.starts_with("*.") && lower.find('.') != std::string::npos &&
        lower.substr(lower.find('.')) == candidate.substr(1)) {
      return true;
    }
  }
  return false;
}

void CheckCertificate(const Config& config, TimePoint now, Report& r) {
  std::ifstream in(config.tls_cert_file);
  std::stringstream pem;
  pem << in.rdbuf();
  Result<crypto::Certificate> cert = crypto::ParseCertificatePem(pem.str());
  Result<std::vector<std::string>> names = crypto::CertificateNamesPem(pem.str());
  if (!in || !cert || !names) {
    r.Fail("certificate " + config.tls_cert_file + " cannot be read",
           "point [tls] cert_file at a PEM certificate (latchkeyd init writes one)");
    return;
  }
  const auto left = std::chrono::duration_cast<std::chrono::hours>(cert->not_after - now);
  if (cert->not_after <= now) {
    r.Fail("certificate " + config.tls_cert_file + " has expired",
           "issue a new one, then SIGHUP latchkeyd (it re-reads the files)");
  } else if (left < std::chrono::hours(24 * 30)) {
    r.Warn("certificate expires in " + std::to_string(left.count() / 24) + " days",
           "renew it and send SIGHUP");
  } else {
    r.Ok("certificate valid for " + std::to_string(left.count() / 24) + " more days");
  }
  const std::string url = PublicUrl(config);
  const std::string host = UrlHost(url);
  if (Names(*names, host)) {
    r.Ok("certificate names the public URL's host " + host);
  } else {
    r.Fail("certificate does not name " + host + " (public URL " + url + "); clients will refuse TLS",
           "issue a certificate whose subjectAltName includes " + host);
  }
  for (const std::string& alias : config.public_hosts) {
    const std::string alias_host = UrlHost("https://" + alias);
    if (!Names(*names, alias_host)) {
      r.Warn("certificate does not name the public host " + alias_host,
             "add it to the certificate if clients use that name over TLS");
    }
  }
}

void CheckListeners(const Config& config, Report& r) {
  for (const ListenAddress& l : config.listen) {
    const std::string name = l.ToString();
    if (l.port != 0 && l.port < 1024 && ::geteuid() != 0) {
      r.Fail("listener " + name + " needs a privileged port",
             "run as root, grant CAP_NET_BIND_SERVICE, or listen on a port >= 1024");
      continue;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (::getaddrinfo(l.host.c_str(), std::to_string(l.port).c_str(), &hints, &found) != 0) {
      r.Fail("listener " + name + ": cannot resolve " + l.host, "use an IP address in [server] listen");
      continue;
    }
    int fd = ::socket(found->ai_family, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const int rc = fd >= 0 ? ::bind(fd, found->ai_addr, found->ai_addrlen) : -1;
    const int err = errno;
    if (fd >= 0) ::close(fd);
    ::freeaddrinfo(found);
    if (rc == 0) {
      r.Ok("listener " + name + " is free to bind");
    } else if (err == EADDRINUSE) {
      r.Warn("listener " + name + " is in use (a running latchkeyd, or another program)",
             "if latchkeyd is not running, find the program with `ss -ltnp`");
    } else {
      r.Fail("listener " + name + " cannot be bound: " + std::strerror(err),
             "listen on an address of this machine");
    }
  }
}

std::string Millis(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

// PostgreSQL's clock against this machine's (SQLite is in-process: same clock, nothing to check).
void CheckClockSkew(const Config& config, const Clock& clock, Report& r) {
  Result<store::postgres::ConnectionConfig> conn_config =
      store::postgres::ConnectionConfig::FromUrl(config.database_url);
  if (!conn_config) return;  // CheckDatabase has said what is wrong with the URL
  Result<std::unique_ptr<store::postgres::Connection>> conn =
      store::postgres::Connection::Open(*conn_config, "latchkeyd doctor");
  if (!conn) {
    r.Fail("clock: cannot reach the database to compare clocks", "see the database line above");
    return;
  }
  TimePoint before = clock.Now();
  Result<TimePoint> database =
      (*conn)
          ->Prepare("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint")
          .One([](const store::postgres::Row& row) -> Result<TimePoint> { return row.Time(0); },
               "clock reading");
  TimePoint after = clock.Now();
  if (!database) {
    r.Fail("clock: the database did not say its time: " + database.error().message,
           "check the database server");
    return;
  }
  ClockSkew skew = JudgeClockSkew(before, *database, after);
  std::string what = "clock: " + Millis(std::chrono::abs(skew.skew)) +
                     (skew.skew.count() >= 0 ? " behind" : " ahead of") +
                     " the database's (round trip " + Millis(skew.round_trip) + ")";
  const std::string fix =
      "synchronise this machine's and the database server's clocks (NTP: systemd-timesyncd or "
      "chrony); every replica judges expiry by its own clock";
  switch (skew.verdict) {
    case ClockSkew::Verdict::kOk: r.Ok(what); break;
    case ClockSkew::Verdict::kWarn: r.Warn(what, fix); break;
    case ClockSkew::Verdict::kFail: r.Fail(what, fix); break;
  }
}

void CheckDatabase(const Config& config, const Clock& clock, Report& r) {
  Result<std::unique_ptr<store::Store>> db = store::OpenStore(config.database_url);
  if (!db) {
    r.Fail("database: " + db.error().message,
           config.database_url.starts_with("sqlite:")
               ? std::string("check the data dir's permissions, or restore a backup")
               : std::string("check that PostgreSQL is reachable with this URL (psql ...)"));
    return;
  }
  if (Status ping = (*db)->Ping(); !ping) {
    r.Fail("database does not answer: " + ping.error().message, "check the database server");
    return;
  }
  if ((*db)->backend() == "sqlite") {
    if (Status integrity = store::sqlite::IntegrityCheck(**db); !integrity) {
      r.Fail("database integrity check: " + integrity.error().message,
             "stop latchkeyd and restore the latest backup");
      return;
    }
    r.Ok("database (SQLite) opens, schema is current, integrity_check ok");
  } else {
    r.Ok("database (PostgreSQL) reachable, schema is current");
    CheckClockSkew(config, clock, r);
  }
  Result<std::vector<store::SigningKey>> keys = (*db)->ListSigningKeys();
  if (!keys || keys->empty()) {
    r.Fail("no signing key in the database", "latchkeyd keys rotate --data-dir " + config.data_dir);
  } else {
    r.Ok(std::to_string(keys->size()) + " signing key(s)");
  }
}

}  // namespace

ClockSkew JudgeClockSkew(TimePoint local_before, TimePoint database, TimePoint local_after) {
  using std::chrono::milliseconds;
  auto round_trip = std::chrono::duration_cast<milliseconds>(local_after - local_before);
  TimePoint midpoint = local_before + (local_after - local_before) / 2;
  auto skew = std::chrono::duration_cast<milliseconds>(database - midpoint);
  // Only what the round trip cannot explain counts against the clocks.
  milliseconds beyond = std::max(milliseconds(0), std::chrono::abs(skew) - round_trip / 2);
  ClockSkew::Verdict verdict = beyond > kClockSkewFail   ? ClockSkew::Verdict::kFail
                               : beyond > kClockSkewWarn ? ClockSkew::Verdict::kWarn
                                                         : ClockSkew::Verdict::kOk;
  return ClockSkew{skew, round_trip, verdict};
}

int RunDoctor(const Config& config, const Clock& clock, std::ostream& out) {
  Report report(out);
  CheckDataDir(config, report);
  CheckCertificate(config, clock.Now(), report);
  CheckListeners(config, report);
  CheckDatabase(config, clock, report);
  out << (report.failures() == 0 ? "no problem found\n"
                                 : std::to_string(report.failures()) + " problem(s) to fix\n");
  return report.failures() == 0 ? 0 : 1;
}

}  // namespace latchkey::app
