//! Issue 5 acceptance: snapshots (ratatui TestBackend + insta) of every
//! view of the inspector on esescope's own `sample-dbs/`, including a
//! bit-flipped page with the flipped bit highlighted. Each snapshot is the
//! screen's text; where a style carries meaning (the flipped bit), a mask
//! row under each screen row marks the cells drawn in that style.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use esescope::format::PageNumber;
use esescope::scan::Progress;
use esescope::store::Database;
use esescope::tui::action::{Action, ViewId};
use esescope::tui::app::App;
use esescope::tui::theme::Theme;
use esescope::worker::{JobOutput, WorkerEvent};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::Terminal;

fn open(path: &str, width: u16, height: u16) -> App {
    let db = Arc::new(Database::open(Path::new(path)).unwrap());
    let mut app = App::new(Arc::clone(&db), Theme { no_color: false }, Rect::new(0, 0, width, height));
    // the page map's background scan, run here to its end
    let id = app.start_page_map();
    let _ = esescope::scan::classify::classify_pages(&db, &app.map.cells, |_| ControlFlow::Continue(()));
    let pages = u64::from(db.page_count());
    app.on_worker(WorkerEvent::Progress(id, Progress { done: pages, total: pages }));
    app.on_worker(WorkerEvent::Finished { id, output: JobOutput::PageMap, cancelled: false });
    app
}

/// Runs a verify job as the worker would and reports it to the app.
fn verify(app: &mut App) {
    let id = app.start_verify();
    let report = esescope::scan::verify(&app.db, |_| ControlFlow::Continue(()));
    let pages = u64::from(app.db.page_count());
    app.on_worker(WorkerEvent::Progress(id, Progress { done: pages, total: pages }));
    app.on_worker(WorkerEvent::Finished {
        id,
        output: JobOutput::Verify(Box::new(report)),
        cancelled: false,
    });
}

/// Elapsed times and rates depend on the machine; snapshots name them only.
fn timeless(name: &str, text: &str) {
    insta::with_settings!({ filters => vec![
        (r"\d+(\.\d+)?(s| ms)\b", "[time]"),
        (r"\d+(\.\d+)? (k|M|G)?pages/s", "[rate]"),
        // the padding before the border depends on how long the numbers were
        (r"(?m) +│$", " │"),
    ]}, {
        insta::assert_snapshot!(name, text);
    });
}

fn render(app: &App) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    terminal.draw(|frame| frame.render_widget(app, frame.area())).unwrap();
    terminal.backend().buffer().clone()
}

/// The screen as text; with `mark`, each row is followed by a row with `^`
/// under the cells drawn in that style (rows without any are left out).
fn screen(buffer: &Buffer, mark: Option<Style>) -> String {
    let width = usize::from(buffer.area.width);
    let mut out = String::new();
    for (y, row) in buffer.content().chunks(width).enumerate() {
        let text: String = row.iter().map(|c| c.symbol()).collect();
        out.push_str(text.trim_end());
        out.push('\n');
        if let Some(style) = mark {
            let marks: String = row
                .iter()
                .map(|c| {
                    if style.fg.is_some_and(|fg| c.fg == fg) && style.bg.is_none_or(|bg| c.bg == bg) {
                        '^'
                    } else {
                        ' '
                    }
                })
                .collect();
            if marks.contains('^') {
                out.push_str(&format!("{:>3}|{}\n", y, marks.trim_end()));
            }
        }
    }
    out
}

#[test]
fn every_view_of_the_teaching_database() {
    let mut app = open("sample-dbs/clean-8k.edb", 100, 30);
    for view in [ViewId::Overview, ViewId::PageMap, ViewId::Tables, ViewId::Logs] {
        app.update(Action::Show(view));
        insta::assert_snapshot!(
            format!("clean-8k-{}", view.title().to_lowercase()),
            screen(&render(&app), None)
        );
    }
    // a leaf of `people`, then its checksum analysis
    app.open_page(PageNumber(30), ViewId::Page, 0);
    insta::assert_snapshot!("clean-8k-page", screen(&render(&app), None));
    app.update(Action::Show(ViewId::Checksum));
    insta::assert_snapshot!("clean-8k-checksum", screen(&render(&app), None));
    // the rows of `people`
    app.update(Action::Show(ViewId::Tables));
    let index = app.tables.catalog.tables.iter().position(|t| t.table.name == "people").unwrap();
    for _ in 0..index {
        app.update(Action::Down);
    }
    app.update(Action::Records);
    insta::assert_snapshot!("clean-8k-records", screen(&render(&app), None));
    verify(&mut app);
    app.update(Action::Show(ViewId::Jobs));
    timeless("clean-8k-jobs", &screen(&render(&app), None));
}

#[test]
fn a_flipped_bit_is_highlighted_in_the_checksum_and_hex_views() {
    let mut app = open("sample-dbs/bitflip.edb", 100, 30);
    let flipped = app.theme.flipped();
    app.open_page(PageNumber(30), ViewId::Checksum, 0);
    insta::assert_snapshot!("bitflip-30-checksum", screen(&render(&app), Some(flipped)));
    // Enter shows the flipped byte in the hex view, under the cursor
    app.update(Action::Enter);
    assert_eq!(app.view, ViewId::Page);
    insta::assert_snapshot!("bitflip-30-hex", screen(&render(&app), Some(flipped)));
    app.update(Action::Show(ViewId::PageMap));
    insta::assert_snapshot!("bitflip-map", screen(&render(&app), None));
    // the verify job lists the three damaged pages
    verify(&mut app);
    app.update(Action::Show(ViewId::Jobs));
    timeless("bitflip-jobs", &screen(&render(&app), None));
}

#[test]
fn the_log_view_of_the_dirty_sample() {
    let mut app = open("sample-dbs/dirty-with-logs/database.edb", 100, 30);
    let found = app.load_logs(None).expect("the logs beside the database are found");
    assert!(found.contains("edb"), "{found}");
    app.update(Action::Show(ViewId::Logs));
    insta::assert_snapshot!("dirty-with-logs-logs", screen(&render(&app), None));
    // Enter lists the records of the selected log
    app.update(Action::Enter);
    insta::assert_snapshot!("dirty-with-logs-records", screen(&render(&app), None));
    app.update(Action::Show(ViewId::Overview));
    insta::assert_snapshot!("dirty-with-logs-overview", screen(&render(&app), None));
}
