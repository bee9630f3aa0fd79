// SIGTERM/SIGINT reach one thread of their own, never a compute thread (a handler run inside
// oneDNN's JIT kernels corrupted the heap in about half of the runs stopped with SIGTERM). Each
// case runs in a forked child, since taking the signals changes the whole process.
#include <gtest/gtest.h>
#include <omp.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include "core/stop_signals.h"

namespace {

// Runs `child` in a forked process and returns its wait status.
template <class F>
int run_forked(F child) {
  const pid_t pid = fork();
  if (pid == 0) {
    child();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool stop_signals_blocked_here() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, SIGTERM) == 1 && sigismember(&mask, SIGINT) == 1;
}

std::atomic<bool> g_handled{false};
std::atomic<pthread_t> g_handled_on{};

// The first (SIGINT) goes to the handler, the second (SIGTERM) ends the process: dying of SIGINT
// means the first was not handled.
TEST(StopSignals, TheFirstGoesToTheHandlerOnItsOwnThreadTheSecondEndsTheProcess) {
  const int status = run_forked([] {
    ft::take_stop_signals_on_own_thread();
    ft::on_stop_signal([](int sig) {
      g_handled_on.store(pthread_self());
      g_handled.store(sig == SIGINT);
    });
    std::vector<pthread_t> compute_threads(static_cast<size_t>(std::max(2, omp_get_max_threads())));
    int unblocked = 0;
#pragma omp parallel num_threads(static_cast<int>(compute_threads.size())) reduction(+ : unblocked)
    {
      compute_threads[static_cast<size_t>(omp_get_thread_num())] = pthread_self();
      unblocked += !stop_signals_blocked_here();
    }
    if (unblocked != 0) _exit(3);
    // A thread that takes the signals, as those a library starts before main do: the signal sent
    // to it is forwarded to the signal thread.
    std::atomic<bool> ready{false};
    std::thread foreign([&] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
      ready.store(true);
      while (!g_handled.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    while (!ready.load()) std::this_thread::yield();
    compute_threads.push_back(foreign.native_handle());
    compute_threads.push_back(pthread_self());
    pthread_kill(foreign.native_handle(), SIGINT);
    for (int i = 0; i < 500 && !g_handled.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!g_handled.load()) _exit(4);
    foreign.join();
    for (const pthread_t t : compute_threads)
      if (pthread_equal(t, g_handled_on.load())) _exit(5);
    kill(getpid(), SIGTERM);
    std::this_thread::sleep_for(std::chrono::seconds(5));
    _exit(6);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status)
                                   << " (3: a compute thread could take the signals, 4: no handler call, "
                                      "5: the handler ran on a compute thread, 6: the second signal was ignored)";
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

TEST(StopSignals, WithoutAHandlerTheyEndTheProcessAsBefore) {
  const int status = run_forked([] {
    ft::take_stop_signals_on_own_thread();
    kill(getpid(), SIGINT);
    std::this_thread::sleep_for(std::chrono::seconds(5));
    _exit(6);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGINT);
}

// `finetune merge ... &` in a script starts with SIGINT ignored: a Ctrl-C meant for the script
// used to stop it once the forwarder was installed for every command.
TEST(StopSignals, ASignalIgnoredAtStartStaysIgnored) {
  const int status = run_forked([] {
    std::signal(SIGINT, SIG_IGN);
    ft::take_stop_signals_on_own_thread();
    kill(getpid(), SIGINT);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    _exit(7);
  });
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

}  // namespace
