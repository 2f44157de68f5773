//! The `esescope` binary: parses the command line, runs the subcommand and
//! maps errors to exit code 2 with a one-line message on stderr.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use esescope::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match (&cli.command, &cli.file) {
        (Some(command), _) => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            cli::run_with(command, cli.read_mode(), &mut out).and_then(|code| {
                out.flush()?;
                Ok(code)
            })
        }
        (None, Some(file)) => {
            esescope::tui::run(file, cli.logs.as_deref(), cli.compare.as_deref(), cli.read_mode())
                .map(|()| ExitCode::SUCCESS)
        }
        // No file: the bundled teaching database (sample-dbs/clean-8k.edb).
        (None, None) => cli::sample::bundled_sample()
            .and_then(|path| {
                esescope::tui::run(&path, cli.logs.as_deref(), cli.compare.as_deref(), cli.read_mode())
            })
            .map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(esescope::Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("esescope: {error}");
            ExitCode::from(2)
        }
    }
}
