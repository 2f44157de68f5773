//! The inspector without a terminal: actions through `App::update`, the
//! screen rendered into ratatui's `TestBackend`. Real files give the
//! properties checked here (no golden snapshots of third-party bytes).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use esescope::cli::database::{PageArgs, PageSpec};
use esescope::cli::output::OutputArgs;
use esescope::cli::{self, Command};
use esescope::format::PageNumber;
use esescope::store::Database;
use esescope::tui::action::{Action, Effect, Prompt, ViewId};
use esescope::tui::app::App;
use esescope::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};

use crate::common::{buffer_text, real_samples, render};

/// A copy of a real sample with bit 3 of byte 0x3e8 of page 4 flipped.
fn flipped_copy(dir: &Path) -> PathBuf {
    let mut bytes = std::fs::read(real_samples().join("foxit-synthetic-esent/index.edb")).unwrap();
    bytes[5 * 4096 + 0x3e8] ^= 0x08;
    let path = dir.join("flipped.edb");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn app(path: &Path, no_color: bool) -> App {
    let db = Arc::new(Database::open(path).unwrap());
    App::new(db, Theme { no_color }, Rect::new(0, 0, 80, 24))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Action::Input(c));
    }
}

/// The cell showing `text` first on the screen: (x, y).
fn find(buffer: &Buffer, text: &str) -> Option<(u16, u16)> {
    let screen = buffer_text(buffer);
    screen
        .lines()
        .enumerate()
        .find_map(|(y, line)| line.find(text).map(|byte| (line[..byte].chars().count() as u16, y as u16)))
}

#[test]
fn go_to_a_damaged_page_and_see_the_flipped_bit() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&flipped_copy(dir.path()), false);
    assert_eq!(app.view, ViewId::Overview);
    app.update(Action::Prompt(Prompt::GoTo));
    type_text(&mut app, "4");
    app.update(Action::Enter);
    assert_eq!(app.view, ViewId::Page);
    assert_eq!(app.page.as_ref().unwrap().pgno(), PageNumber(4));

    app.update(Action::Show(ViewId::Checksum));
    let screen = buffer_text(&render(&app));
    assert!(screen.contains("MISMATCH"), "{screen}");
    assert!(screen.contains("0x60bc1f43"), "the ECC syndrome is shown:\n{screen}");
    assert!(screen.contains("byte 0x3e8 bit 3: 0x45 -> 0x4d"), "{screen}");

    // Enter shows the bit in the hex view, cursor on the byte
    app.update(Action::Enter);
    assert_eq!(app.view, ViewId::Page);
    assert_eq!(app.page.as_ref().unwrap().cursor, 0x3e8);
    let buffer = render(&app);
    let screen = buffer_text(&buffer);
    assert!(screen.contains("byte 0x3e8 = 0x45 · file 0x53e8"), "{screen}");
    // the flipped byte is drawn in the flipped style (red background)
    let (x, y) = find(&buffer, "03e8  ").expect("row of the flipped byte");
    let cell = &buffer[(x + 6, y)];
    assert_eq!(cell.symbol(), "4");
    assert_eq!(cell.bg, Color::Red);

    // and back to the checksum view, then to the overview
    app.update(Action::Back);
    assert_eq!(app.view, ViewId::Checksum);
}

#[test]
fn without_colour_the_flipped_byte_is_still_marked() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&flipped_copy(dir.path()), true);
    app.open_page(PageNumber(4), ViewId::Page, 0x3e8);
    let buffer = render(&app);
    let (x, y) = find(&buffer, "03e8  ").unwrap();
    let cell = &buffer[(x + 6, y)];
    assert_eq!(cell.bg, Color::Reset);
    assert!(cell.modifier.contains(Modifier::UNDERLINED | Modifier::BOLD), "{:?}", cell.modifier);
}

#[test]
fn what_the_inspector_copies_is_what_the_cli_prints() {
    let dir = tempfile::tempdir().unwrap();
    let path = flipped_copy(dir.path());
    let mut app = app(&path, false);
    app.open_page(PageNumber(4), ViewId::Page, 0);
    let Some(Effect::Copy { text, what }) = app.update(Action::Copy) else { panic!("copy gives an effect") };
    assert_eq!(what, "page 4 dump");
    let mut out = Vec::new();
    let args = PageArgs { file: path, page: PageSpec::Number(4), output: OutputArgs::text(), no_hex: false };
    cli::run(&Command::Page(args), &mut out).unwrap();
    assert_eq!(text, String::from_utf8(out).unwrap());
}

#[test]
fn siblings_are_followed_and_history_returns() {
    let path = real_samples().join("srum-win10-clean-with-logs/SRUDB.dat");
    let db = Database::open(&path).unwrap();
    let (pgno, next) = db
        .page_numbers()
        .filter_map(|p| db.page(p).ok().map(|page| (p, page.header.next)))
        .find(|(_, next)| !next.is_null())
        .expect("a page with a next sibling");
    let mut app = app(&path, false);
    app.open_page(pgno, ViewId::Page, 0);
    app.update(Action::SiblingNext);
    assert_eq!(app.page.as_ref().unwrap().pgno(), next);
    app.update(Action::SiblingPrev);
    assert_eq!(app.page.as_ref().unwrap().pgno(), pgno, "the next page's prev link leads back");
    app.update(Action::Back);
    app.update(Action::Back);
    assert_eq!(app.page.as_ref().unwrap().pgno(), pgno);
    app.update(Action::Forward);
    assert_eq!(app.page.as_ref().unwrap().pgno(), next);
}

#[test]
fn selecting_a_tag_moves_the_hex_cursor_to_its_bytes() {
    let path = real_samples().join("windows-search-win10-clean-32k/Windows.edb");
    let mut app = app(&path, false);
    app.open_page(PageNumber(4), ViewId::Page, 0);
    app.update(Action::Down);
    let page = app.page.as_ref().unwrap();
    assert_eq!(page.tag, 1);
    let range = page.selected_range().unwrap();
    assert_eq!(page.cursor, range.start);
    assert!(range.start >= 80, "large pages: data starts after the 80-byte header");
    // and the other way: a cursor inside tag 0's data selects tag 0
    app.update(Action::Focus);
    app.update(Action::Home);
    for _ in 0..80 {
        app.update(Action::Right);
    }
    assert_eq!(app.page.as_ref().unwrap().tag, 0, "byte 80 is tag 0's data");
}

#[test]
fn search_finds_text_and_go_to_takes_offsets() {
    let path = real_samples().join("foxit-synthetic-esent/index.edb");
    let mut app = app(&path, false);
    app.update(Action::Prompt(Prompt::Search));
    type_text(&mut app, "MSysObjects");
    app.update(Action::Enter);
    let page = app.page.as_ref().unwrap();
    let offset = page.dump.file_offset as usize + page.cursor;
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[offset..offset + 11], b"MSysObjects");
    assert_eq!(bytes.windows(11).position(|w| w == b"MSysObjects"), Some(offset), "the first match");

    app.update(Action::Prompt(Prompt::GoTo));
    type_text(&mut app, "@0x5123");
    app.update(Action::Enter);
    let page = app.page.as_ref().unwrap();
    assert_eq!((page.pgno(), page.cursor), (PageNumber(4), 0x123));
}

#[test]
fn every_view_renders_at_80x24_and_help_lists_the_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app(&flipped_copy(dir.path()), false);
    let marks = [
        (ViewId::Overview, "File:"),
        (ViewId::PageMap, "Pages · 254 · 1 per cell"),
        (ViewId::Page, "Tags ("),
        (ViewId::Checksum, "Checksum · page 1"),
        (ViewId::Jobs, "No jobs yet. v verifies every page; r repairs"),
    ];
    for (view, mark) in marks {
        app.update(Action::Show(view));
        let screen = buffer_text(&render(&app));
        assert!(screen.contains(mark), "{view:?}: expected `{mark}`:\n{screen}");
    }
    app.update(Action::Help);
    let screen = buffer_text(&render(&app));
    assert!(screen.contains("Keys · Jobs"), "{screen}");
    assert!(screen.contains("x  cancel job"), "{screen}");
    app.update(Action::Escape);
    assert!(!app.help);
}

#[test]
fn the_log_view_marks_positions_and_opens_page_records() {
    let path = real_samples().join("srum-win11-dirty-with-logs/SRUDB.dat");
    let mut app = app(&path, false);
    let found = app.load_logs(None).expect("the logs beside the database are found");
    assert!(found.contains("log set SRU"), "{found}");
    app.update(Action::Show(ViewId::Logs));
    let screen = buffer_text(&render(&app));
    assert!(screen.contains(" 59  5A  5B  5C "), "{screen}");
    assert!(screen.contains("◆●▲"), "checkpoint, consistent and attach all in generation 0x5C:\n{screen}");
    assert!(screen.contains("chain complete"));
    // the first log's records; Enter on the first page record opens its page
    app.update(Action::Enter);
    let logs = app.logs.as_ref().unwrap();
    let records = logs.records();
    assert!(!records.is_empty(), "Enter reads the log's records");
    let index = records.iter().position(|r| r.record_type.is_page_record()).unwrap();
    let esescope::format::txlog::record::Details::Page { pgno, .. } = records[index].details() else {
        panic!()
    };
    for _ in 0..index {
        app.update(Action::Down);
    }
    app.update(Action::Enter);
    assert_eq!(app.view, ViewId::Page);
    assert_eq!(app.page.as_ref().unwrap().pgno(), PageNumber(pgno));
    app.update(Action::Back);
    assert_eq!(app.view, ViewId::Logs);
    app.update(Action::Escape);
    assert!(app.logs.as_ref().unwrap().record.is_none(), "Esc leaves the record list");
}

#[test]
fn walk_a_tree_from_the_tables_view() {
    let path = real_samples().join("srum-win10-clean-with-logs/SRUDB.dat");
    let mut app = app(&path, false);
    app.update(Action::Show(ViewId::Tables));
    let index = app
        .tables
        .catalog
        .tables
        .iter()
        .position(|t| t.table.name == "{5C8CF1C7-7257-4F13-B223-970EF5939312}")
        .unwrap();
    for _ in 0..index {
        app.update(Action::Down);
    }
    app.update(Action::Enter);
    assert_eq!(app.view, ViewId::Page);
    assert_eq!(app.page.as_ref().unwrap().pgno(), PageNumber(47), "the table's root");
    // the root's line 0 (tag 1) leads to page 50; Enter goes down
    app.update(Action::Down);
    let first_child = app.page.as_ref().unwrap().dump.nodes[0].child.unwrap();
    app.update(Action::Enter);
    assert_eq!(app.page.as_ref().unwrap().pgno(), first_child);
    assert_eq!(app.crumbs, vec![PageNumber(47)]);
    let screen = buffer_text(&render(&app));
    assert!(screen.contains(&format!("47 > {first_child}")), "breadcrumbs in the title:\n{screen}");
    // along the leaf level and back up
    app.update(Action::SiblingNext);
    assert_ne!(app.page.as_ref().unwrap().pgno(), first_child);
    app.update(Action::Parent);
    assert_eq!(app.page.as_ref().unwrap().pgno(), PageNumber(47));
    assert!(app.crumbs.is_empty());
    // a jump elsewhere forgets the path
    app.update(Action::Down);
    app.update(Action::Enter);
    app.update(Action::Prompt(Prompt::GoTo));
    type_text(&mut app, "4");
    app.update(Action::Enter);
    assert!(app.crumbs.is_empty());
}

#[test]
fn records_view_decodes_rows_and_shows_a_whole_long_value() {
    let path = real_samples().join("foxit-synthetic-esent/text.edb");
    let mut app = app(&path, false);
    app.update(Action::Show(ViewId::Tables));
    let index = app.tables.catalog.tables.iter().position(|t| t.table.name == "text").unwrap();
    for _ in 0..index {
        app.update(Action::Down);
    }
    app.update(Action::Records);
    assert_eq!(app.view, ViewId::Records);
    let records = app.records.as_ref().unwrap();
    assert_eq!(records.locations.len(), 1, "the text table has one record");
    let screen = buffer_text(&render(&app));
    assert!(screen.contains("Records of text"), "{screen}");
    assert!(screen.contains("Fixed ASCII text"), "the row's values are on screen:\n{screen}");
    // Tab to the columns, down to LongASCII, Enter shows all of it
    app.update(Action::Focus);
    let long = app.records.as_ref().unwrap().columns.iter().position(|c| c.0 == "LongASCII").unwrap();
    for _ in 0..long {
        app.update(Action::Down);
    }
    app.update(Action::Enter);
    let screen = buffer_text(&render(&app));
    assert!(screen.contains("LongASCII (LongText)"), "{screen}");
    assert!(screen.contains("Long ASCII text") && screen.contains("1040 characters"), "{screen}");
    // what y copies is the record document's text
    let (text, what) = app.selection_text();
    assert_eq!(what, "record of table text");
    assert!(text.starts_with("record of table text at page"), "{text}");
    assert!(text.contains("LongASCII") && text.contains("NULL"), "{text}");
    app.update(Action::Escape);
    app.update(Action::Escape);
    assert_eq!(app.records.as_ref().unwrap().focus, esescope::tui::views::records::RecordsFocus::Rows);
}

#[test]
fn slash_in_the_records_view_finds_a_row_by_any_value() {
    let mut app = app(Path::new("sample-dbs/clean-8k.edb"), false);
    app.update(Action::Show(ViewId::Tables));
    let index = app.tables.catalog.tables.iter().position(|t| t.table.name == "people").unwrap();
    for _ in 0..index {
        app.update(Action::Down);
    }
    app.update(Action::Records);
    let email = |app: &App| {
        let dump = app.records.as_ref().unwrap().dump.as_ref().unwrap();
        dump.columns.iter().find(|c| c.name == "Email").unwrap().value.to_text()
    };
    app.update(Action::Prompt(Prompt::FindRecord));
    type_text(&mut app, ".17@EXAMPLE");
    app.update(Action::Enter);
    assert!(email(&app).ends_with(".17@example.org"), "{}", email(&app));
    assert_eq!(app.records.as_ref().unwrap().selected, 16);
    app.update(Action::Prompt(Prompt::FindRecord));
    type_text(&mut app, "no such text anywhere");
    app.update(Action::Enter);
    assert!(app.message.as_ref().unwrap().0.starts_with("no row holds"));
    assert_eq!(app.records.as_ref().unwrap().selected, 16, "the selection stays");
}
