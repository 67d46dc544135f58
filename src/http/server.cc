#include "http/server.h"

#include "http/server_core.h"

namespace latchkey::http {

Server::Server(ServerOptions options, Handler handler)
    : core_(std::make_unique<ServerCore>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

Status Server::Start() { return core_->Start(); }

std::vector<uint16_t> Server::BoundPorts() const { return core_->BoundPorts(); }

void Server::Run() { core_->Run(); }

void Server::Stop() { core_->Stop(); }

Status Server::ReloadTls() { return core_->ReloadTls(); }

void Server::HandleSignals(std::function<void()> on_hup) {
  core_->HandleSignals(std::move(on_hup));
}

ServerStats Server::Stats() const { return core_->Stats(); }

}  // namespace latchkey::http
