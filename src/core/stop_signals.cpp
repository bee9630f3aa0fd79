#include "core/stop_signals.h"

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <system_error>
#include <thread>

namespace ft {
namespace {

// Atomics, not a mutex and a std::function: static objects are destroyed at exit while the
// detached signal thread may still take a signal.
std::atomic<void (*)(int)> g_handler{nullptr};
std::atomic<bool> g_handled{false};
pthread_t g_signal_thread;

[[noreturn]] void end_as_by_default(int sig) {
  std::signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  std::raise(sig);
  std::_Exit(128 + sig);  // not reached: the default action of both signals ends the process
}

void wait_for_stop_signals(sigset_t set) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    void (*handler)(int) = g_handler.load();
    if (!handler || g_handled.exchange(true)) end_as_by_default(sig);
    handler(sig);
  }
}

// Threads that libraries started before main (OpenBLAS's pool) do not block the signals, so the
// kernel may deliver one there: pass it on to the signal thread, which takes it with sigwait.
extern "C" void forward_to_signal_thread(int sig) { pthread_kill(g_signal_thread, sig); }

}  // namespace

void take_stop_signals_on_own_thread() {
  // One the process was started ignoring is left alone: blocked, it would be kept pending for the
  // signal thread instead of discarded.
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : {SIGTERM, SIGINT}) {
    struct sigaction before {};
    sigaction(sig, nullptr, &before);
    if (before.sa_handler != SIG_IGN) sigaddset(&set, sig);
  }
  if (sigisemptyset(&set)) return;
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread waiter;
  try {
    waiter = std::thread(wait_for_stop_signals, set);
  } catch (const std::system_error&) {  // no thread to be had (a memory limit): default actions
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    return;
  }
  g_signal_thread = waiter.native_handle();
  waiter.detach();
  struct sigaction forward {};
  forward.sa_handler = forward_to_signal_thread;
  forward.sa_flags = SA_RESTART;
  sigfillset(&forward.sa_mask);
  for (const int sig : {SIGTERM, SIGINT})
    if (sigismember(&set, sig) == 1) sigaction(sig, &forward, nullptr);
}

void on_stop_signal(void (*handler)(int)) { g_handler.store(handler); }

}  // namespace ft
