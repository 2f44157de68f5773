//! Time to the inspector's first screen, for `scripts/bench.sh`: opens the
//! database, builds the [`App`] the way `esescope FILE` does (overview,
//! catalog, page map sized to the file, page 1), starts nothing else and
//! renders one frame into ratatui's `TestBackend` at 120×40. Prints the
//! milliseconds from before the open to after the frame.
//!
//! ```text
//! cargo run --release --example first_screen -- FILE
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use esescope::store::Database;
use esescope::tui::app::App;
use esescope::tui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: first_screen FILE");
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let db = match Database::open(&path) {
        Ok(db) => Arc::new(db),
        Err(e) => {
            eprintln!("first_screen: {e}");
            return ExitCode::from(2);
        }
    };
    let opened = start.elapsed();
    let app = App::new(db, Theme { no_color: false }, Rect::new(0, 0, 120, 40));
    let built = start.elapsed();
    let mut terminal = match Terminal::new(TestBackend::new(120, 40)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("first_screen: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = terminal.draw(|frame| frame.render_widget(&app, frame.area())) {
        eprintln!("first_screen: {e}");
        return ExitCode::from(2);
    }
    let drawn = start.elapsed();
    println!(
        "first screen {:.1} ms (open {:.1} ms, App::new {:.1} ms, frame {:.1} ms)",
        drawn.as_secs_f64() * 1e3,
        opened.as_secs_f64() * 1e3,
        (built - opened).as_secs_f64() * 1e3,
        (drawn - built).as_secs_f64() * 1e3
    );
    ExitCode::SUCCESS
}
