//! The `sluice` command line. Exit codes and `--json` output are stable; see
//! the README's "Exit codes" table.

mod cli;

/// mimalloc rather than the system allocator: the per-event path allocates
/// and frees many small objects (JSON values, strings, the store of each call).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main());
}
