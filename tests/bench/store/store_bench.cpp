// Durable deliveries per second into the mail store: N concurrent writers (threads or Asio coroutines), M messages of S bytes.
//
// Usage: store_bench [--dir DIR] [--writers 20] [--messages 2000] [--size 4096] [--users 5] [--async]
// DIR (default: a new directory under /tmp) should be on the disk the
// appliance uses: the figure is mostly the cost of its fsync.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/asio.hpp"
#include "mail/store/async_store.hpp"
#include "mail/store/store.hpp"

using namespace mxlab;
using namespace mxlab::store;

int main(int argc, char** argv) {
    std::filesystem::path dir;
    int writers = 20, messages = 2000, users = 5;
    std::size_t size = 4096;
    bool use_async = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--dir") dir = next();
        else if (a == "--writers") writers = std::atoi(next().c_str());
        else if (a == "--messages") messages = std::atoi(next().c_str());
        else if (a == "--size") size = std::strtoull(next().c_str(), nullptr, 10);
        else if (a == "--users") users = std::atoi(next().c_str());
        else if (a == "--async") use_async = true;
        else {
            std::fprintf(stderr, "usage: store_bench [--dir DIR] [--writers N] [--messages N] [--size BYTES] [--users N] [--async]\n");
            return 1;
        }
    }
    bool temporary = dir.empty();
    if (temporary) {
        std::string tmpl = "/tmp/mxlab-store-bench-XXXXXX";
        if (!::mkdtemp(tmpl.data())) return 2;
        dir = tmpl;
    }
    std::string raw = "From: bob@sina.com\r\nTo: wfisk@bigsky.com\r\nSubject: bench\r\n\r\n";
    while (raw.size() < size) raw += "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    raw.resize(size);

    std::atomic<int> failures{0};
    double seconds = 0;
    StoreStats st;
    {
        Store store(StoreOptions{dir / "store"});
        auto envelope = [&](int n) {
            Envelope e;
            e.sender = "bob@sina.com";
            e.local_users = {"user" + std::to_string(n % users) + "@sina.com"};
            return e;
        };
        auto start = std::chrono::steady_clock::now();
        if (use_async) {
            // As the SMTP server will: coroutines on one network thread, writes through AsyncStore.
            AsyncStore async(store);
            asio::io_context io;
            std::atomic<int> next{0};
            for (int w = 0; w < writers; ++w)
                asio::co_spawn(io, [&]() -> asio::awaitable<void> {
                    for (int n; (n = next++) < messages;)
                        if (!(co_await async.deliver(envelope(n), raw))) ++failures;
                }, asio::detached);
            io.run();
        } else {
            std::atomic<int> next{0};
            std::vector<std::thread> threads;
            for (int w = 0; w < writers; ++w)
                threads.emplace_back([&] {
                    for (int n; (n = next++) < messages;)
                        if (!store.deliver(envelope(n), raw)) ++failures;
                });
            for (auto& t : threads) t.join();
        }
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        st = store.stats();
    }
    if (temporary) std::filesystem::remove_all(dir);
    std::printf("store_bench: %s, %d writers, %d messages of %zu bytes: %.0f deliveries/s (%.3f s), %llu syncs, %.1f deliveries per sync, largest group %llu, failures %d\n",
                use_async ? "AsyncStore coroutines" : "threads", writers, messages, size, messages / seconds, seconds,
                (unsigned long long)st.syncs, double(st.writes) / double(st.syncs ? st.syncs : 1), (unsigned long long)st.max_group,
                failures.load());
    return failures.load() == 0 ? 0 : 2;
}
