//! Issue #5's responsiveness figure, for `scripts/bench.sh`: how long the
//! inspector takes to handle a key while the page-map scan of the whole
//! file runs. Builds the [`App`] on FILE, starts the scan on another thread
//! exactly as `esescope FILE` does (`scan::classify::classify_pages` into
//! the app's map cells, on the worker), and meanwhile, in a loop until the
//! scan ends, feeds navigation actions through `App::update` and renders a
//! frame into `TestBackend` after each — the main loop's work per key.
//! Every update + render is timed; prints the count, median, p99 and max
//! in milliseconds and the scan's own duration, as `key=value` words.
//!
//! ```text
//! cargo run --release --example responsiveness -- FILE
//! ```

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use esescope::scan::classify::classify_pages;
use esescope::store::Database;
use esescope::tui::action::{Action, ViewId};
use esescope::tui::app::App;
use esescope::tui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;

/// The keys pressed, over and over: through the views a user looks at while
/// the map fills in, moving about in each.
const KEYS: [Action; 16] = [
    Action::Show(ViewId::PageMap),
    Action::Down,
    Action::Right,
    Action::PageDown,
    Action::MapMode,
    Action::Enter,
    Action::NextPage,
    Action::Down,
    Action::Show(ViewId::Checksum),
    Action::Show(ViewId::Overview),
    Action::Show(ViewId::Tables),
    Action::Down,
    Action::Show(ViewId::Jobs),
    Action::Show(ViewId::PageMap),
    Action::End,
    Action::Home,
];

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(at).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn run(path: &str) -> Result<(), String> {
    let db = Arc::new(Database::open(path).map_err(|e| e.to_string())?);
    let mut app = App::new(Arc::clone(&db), Theme { no_color: false }, Rect::new(0, 0, 120, 40));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).map_err(|e| e.to_string())?;
    app.start_page_map();
    let cells = Arc::clone(&app.map.cells);
    let done = Arc::new(AtomicBool::new(false));
    let scan_done = Arc::clone(&done);
    let scan_db = Arc::clone(&db);
    let scan_start = Instant::now();
    let scan = std::thread::spawn(move || {
        let _ = classify_pages(&scan_db, &cells, |_| ControlFlow::Continue(()));
        scan_done.store(true, Ordering::Release);
        scan_start.elapsed()
    });
    let mut latencies = Vec::new();
    for action in KEYS.iter().cycle() {
        if done.load(Ordering::Acquire) {
            break;
        }
        let t0 = Instant::now();
        let _effect = app.update(*action);
        terminal.draw(|frame| frame.render_widget(&app, frame.area())).map_err(|e| e.to_string())?;
        latencies.push(t0.elapsed());
        // A fast typist: a key every 5 ms leaves the scan its own core share.
        std::thread::sleep(Duration::from_millis(5));
    }
    let scan_time = scan.join().map_err(|_| "the scan thread panicked".to_string())?;
    latencies.sort_unstable();
    println!(
        "keys={} median_ms={:.2} p99_ms={:.2} max_ms={:.2} scan_s={:.2} pages={}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        scan_time.as_secs_f64(),
        db.page_count()
    );
    Ok(())
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: responsiveness FILE");
        return ExitCode::from(2);
    };
    match run(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("responsiveness: {e}");
            ExitCode::from(2)
        }
    }
}
