fn main() -> std::process::ExitCode {
    ringbook::cli::main()
}
