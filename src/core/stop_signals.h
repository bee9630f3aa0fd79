// SIGTERM and SIGINT are taken by one thread of their own. take_stop_signals_on_own_thread(), first
// thing in main, blocks them before any other thread exists (every thread inherits the block) and
// starts that thread. With the handler run on whichever thread the kernel picked (often a compute
// thread inside oneDNN's JIT GEMM kernels), about half of the runs stopped with SIGTERM aborted on
// a corrupted heap instead of writing a checkpoint and exiting 143; none do since. Threads that libraries start
// before main (OpenBLAS's pool) do not block them; a signal landing there is forwarded.
// The first signal calls the handler given to on_stop_signal(), on the signal thread; a second
// one, or one that comes while no handler is set, ends the process as the signal's default action.
// A signal the process was started ignoring (SIGINT under `cmd &` in a script) stays ignored.
#pragma once

namespace ft {

void take_stop_signals_on_own_thread();
// A plain function: the signal thread may still run while the process exits.
void on_stop_signal(void (*handler)(int signal));

}  // namespace ft
