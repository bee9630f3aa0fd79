#include "core/stop_signals.h"

#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace ft {
namespace {

std::mutex g_mutex;
std::function<void(int)> g_handler;
bool g_handled = false;

sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

[[noreturn]] void end_as_by_default(int sig) {
  std::signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  std::raise(sig);
  std::_Exit(128 + sig);  // not reached: the default action of both signals ends the process
}

void wait_for_stop_signals() {
  const sigset_t set = stop_signal_set();
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    std::function<void(int)> handler;
    {
      std::lock_guard lock(g_mutex);
      if (!g_handled && g_handler) handler = g_handler;
      g_handled = true;
    }
    if (!handler) end_as_by_default(sig);
    handler(sig);
  }
}

pthread_t g_signal_thread;

// Threads that libraries started before main (OpenBLAS's pool) do not block the signals, so the
// kernel may deliver one there: pass it on to the signal thread, which takes it with sigwait.
extern "C" void forward_to_signal_thread(int sig) { pthread_kill(g_signal_thread, sig); }

}  // namespace

void take_stop_signals_on_own_thread() {
  const sigset_t set = stop_signal_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread waiter(wait_for_stop_signals);
  g_signal_thread = waiter.native_handle();
  waiter.detach();
  struct sigaction forward {};
  forward.sa_handler = forward_to_signal_thread;
  forward.sa_flags = SA_RESTART;
  sigfillset(&forward.sa_mask);
  sigaction(SIGTERM, &forward, nullptr);
  sigaction(SIGINT, &forward, nullptr);
}

void on_stop_signal(std::function<void(int)> handler) {
  std::lock_guard lock(g_mutex);
  g_handler = std::move(handler);
}

}  // namespace ft
