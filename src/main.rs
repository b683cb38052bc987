/// The allocation guard: the real-time loop runs inside `assert_no_alloc`, and with this
/// allocator any allocation there is counted (reported as `alloc_violations`).
#[global_allocator]
static ALLOCATOR: assert_no_alloc::AllocDisabler = assert_no_alloc::AllocDisabler;

fn main() -> std::process::ExitCode {
    ama_engine::cli::main()
}
