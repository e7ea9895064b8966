//! The `sluice` command line. Exit codes and `--json` output are stable; see
//! the README's "Exit codes" table.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
