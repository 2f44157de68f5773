//! The `esescope` binary: parses the command line, runs the subcommand and
//! maps errors to exit code 2 with a one-line message on stderr (exit 1 when
//! a file it read shrank meanwhile: that is a finding about the evidence).

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use esescope::cli::{self, Cli};

/// mimalloc instead of the system allocator: salvage and export make and
/// drop millions of small buffers (keys, records), which glibc's malloc
/// spends a third of salvage's time on (consolidating its free lists).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A usage error in one line naming the file it was about, when one was
/// given: `esescope: FILE: invalid value '-1' for '<PAGE>': …`. Help and
/// version requests print as clap prints them.
fn usage_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let rendered = error.render().to_string();
    // the first line, with the indented lines that continue it ("…not provided:\n  <PAGE>")
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or("invalid arguments");
    let mut line = first.strip_prefix("error: ").unwrap_or(first).to_string();
    if line.ends_with(':') {
        let more: Vec<&str> =
            lines.take_while(|l| l.starts_with("  ") && !l.trim().is_empty()).map(str::trim).collect();
        line = format!("{line} {}", more.join(", "));
    }
    let file = std::env::args_os().skip(1).find(|a| std::path::Path::new(a).is_file());
    let command = std::env::args().nth(1).filter(|c| !c.starts_with('-')).unwrap_or_default();
    let help =
        if command.is_empty() { "esescope --help".to_string() } else { format!("esescope {command} --help") };
    match file {
        Some(file) => eprintln!("esescope: {}: {line} ({help} lists the arguments)", file.to_string_lossy()),
        None => eprintln!("esescope: {line} ({help} lists the arguments)"),
    }
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    esescope::store::special::set_forced(cli.force);
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
    // cut short and grown back before now: what was read past the cut were zeros
    if shrunk.is_empty() && esescope::store::file::faulted() {
        eprintln!(
            "esescope: a file was cut short while being read (and has grown back): part of it read as zeros"
        );
        return ExitCode::from(1);
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
