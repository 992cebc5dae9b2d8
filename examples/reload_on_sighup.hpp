// For the example servers: SIGHUP reloads the TLS certificate and key, as it makes nginx re-read
// its configuration. reload_tls() reads files, which a signal handler must not: the signal is
// blocked and taken by a thread of its own with sigwait().
#pragma once

#include <http/server.hpp>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <string>
#include <thread>

class ReloadOnSighup {
public:
    /// Construct before server.start(): the server's threads inherit the blocked signal.
    ReloadOnSighup(http::Server& server, std::string program) : server_(server), program_(std::move(program)) {
        sigset_t hangup;
        sigemptyset(&hangup);
        sigaddset(&hangup, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &hangup, nullptr);
        thread_ = std::thread([this, hangup] {
            int signal = 0;
            while (sigwait(&hangup, &signal) == 0 && !stopping_) {
                try {
                    server_.reload_tls();
                    std::cerr << program_ << ": TLS certificate and key reloaded" << std::endl;
                } catch (const std::exception& error) {
                    std::cerr << program_ << ": " << error.what() << "; still serving the previous certificate"
                              << std::endl;
                }
            }
        });
    }
    ~ReloadOnSighup() {
        stopping_ = true;
        pthread_kill(thread_.native_handle(), SIGHUP);
        thread_.join();
    }
    ReloadOnSighup(const ReloadOnSighup&) = delete;
    ReloadOnSighup& operator=(const ReloadOnSighup&) = delete;

private:
    http::Server& server_;
    std::string program_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};
