//! The `esescope` binary: parses the command line, runs the subcommand and
//! maps errors to exit code 2 with a one-line message on stderr.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use esescope::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    esescope::store::file::set_forced(cli.force);
    if let Err(error) = esescope::interrupt::install() {
        eprintln!("esescope: cannot handle SIGINT/SIGTERM: {error}");
    }
    let result = match (&cli.command, &cli.file) {
        (Some(command), _) => {
            let stdout = io::stdout();
            let terminal = stdout.is_terminal();
            let lock = stdout.lock();
            // On a terminal even data output (CSV values) shows control
            // characters visibly; into a file or a pipe it stays exact.
            let mut out: Box<dyn Write> = if terminal {
                Box::new(io::BufWriter::new(esescope::sanitize::TerminalWriter::new(lock)))
            } else {
                Box::new(io::BufWriter::new(lock))
            };
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
    // A file that shrank while it was read was read (in part) as zeros:
    // whatever the command concluded, that is the finding, exit 1.
    let shrunk = esescope::store::file::shrunk_files();
    for (path, from, to) in &shrunk {
        let error = esescope::Error::Shrank { path: path.clone(), from: *from, to: *to };
        eprintln!("esescope: {}", esescope::sanitize::one_line(&error.to_string()));
    }
    match result {
        Err(esescope::Error::Shrank { .. }) if !shrunk.is_empty() => ExitCode::from(1),
        Err(error @ esescope::Error::Shrank { .. }) => {
            eprintln!("esescope: {}", esescope::sanitize::one_line(&error.to_string()));
            ExitCode::from(1)
        }
        _ if !shrunk.is_empty() => ExitCode::from(1),
        Ok(code) => code,
        Err(esescope::Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            // One line, whatever names from the evidence the message holds.
            eprintln!("esescope: {}", esescope::sanitize::one_line(&error.to_string()));
            ExitCode::from(2)
        }
    }
}
