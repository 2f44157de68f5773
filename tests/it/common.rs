//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/samples/real` beside the repository.
pub fn real_samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/real")
}

/// Every file under the real samples whose first header says it is a
/// database (file type 1 at offset 667 and the 0x89abcdef magic).
pub fn real_databases() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(dirs) = std::fs::read_dir(real_samples()) else { return found };
    for dir in dirs.flatten() {
        let Ok(files) = std::fs::read_dir(dir.path()) else { continue };
        for file in files.flatten() {
            let path = file.path();
            let Ok(bytes) = std::fs::read(&path) else { continue };
            if bytes.len() >= 671
                && bytes[4..8] == [0xef, 0xcd, 0xab, 0x89]
                && bytes[667..671] == [1, 0, 0, 0]
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The first generation of an 8 KiB-page log stream signed `sign_log`
/// (created 2026-01-01 00:00:01 UTC, checkpoint at its first sector), with
/// its Init2 record written: what the crafted log sets of the tests start from.
pub fn first_generation(sign_log: esescope::format::Signature) -> esescope::writer::txlog::LogBuilder {
    use esescope::format::types::{Lgpos, LogTime};
    use esescope::writer::txlog::{GenerationSpec, LogBuilder, StreamSpec};
    let stream = StreamSpec { sign_log, page_size: 8192, segments: 6, version: (8, 4000, 90, 200) };
    let spec = GenerationSpec {
        generation: 1,
        created: LogTime::from_unix(1_767_225_601, 0),
        previous_created: LogTime::default(),
        checkpoint: Lgpos { generation: 1, isec: 1, ib: 0 },
        previous_checksum: 0,
        attached: Vec::new(),
    };
    let mut log = LogBuilder::new(stream, spec);
    log.append(&esescope::writer::log_record::init2(LogTime::default()))
        .expect("Init2 fits an empty generation");
    log
}

/// The inspector drawn once on a test terminal of its own size.
pub fn render(app: &esescope::tui::app::App) -> ratatui::buffer::Buffer {
    use ratatui::backend::TestBackend;
    let mut terminal = ratatui::Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    terminal.draw(|frame| frame.render_widget(app, frame.area())).unwrap();
    terminal.backend().buffer().clone()
}

/// A drawn screen as text, one line per row.
pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let width = usize::from(buffer.area.width);
    let symbols: Vec<&str> = buffer.content().iter().map(|c| c.symbol()).collect();
    symbols.chunks(width).map(|row| row.concat()).collect::<Vec<_>>().join("\n")
}

/// The inspector's screen as text.
pub fn screen_text(app: &esescope::tui::app::App) -> String {
    buffer_text(&render(app))
}

/// The inspector's screen as text for a snapshot: each row without its
/// trailing blanks, each ending with a newline.
pub fn screen_lines(app: &esescope::tui::app::App) -> String {
    screen_text(app).lines().map(|line| line.trim_end().to_string() + "\n").collect()
}
