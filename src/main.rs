fn main() -> std::process::ExitCode {
    ama_engine::cli::main()
}
