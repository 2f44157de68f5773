//! Issue 19: the inspector at 80×24 (a terminal over SSH). Snapshots of
//! what used to be below the edge, reached with the keys a user would
//! press; each screen is the text, and where the selection matters a mask
//! row (`^`) under each row marks the cells drawn reversed.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use esescope::format::{LogTime, PageNumber};
use esescope::scan::Progress;
use esescope::store::Database;
use esescope::tui::action::{Action, Effect, Prompt, ViewId};
use esescope::tui::app::App;
use esescope::tui::theme::Theme;
use esescope::worker::{JobOutput, WorkerEvent};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::Terminal;

fn open(path: &str) -> App {
    let db = Arc::new(Database::open(Path::new(path)).unwrap());
    let mut app = App::new(Arc::clone(&db), Theme { no_color: false }, Rect::new(0, 0, 80, 24));
    let id = app.start_page_map();
    let _ = esescope::scan::classify::classify_pages(&db, &app.map.cells, |_| ControlFlow::Continue(()));
    app.on_worker(WorkerEvent::Finished { id, output: JobOutput::PageMap, cancelled: false });
    app
}

fn render(app: &App) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    terminal.draw(|frame| frame.render_widget(app, frame.area())).unwrap();
    terminal.backend().buffer().clone()
}

/// The screen as text; with `reversed`, rows with reversed cells are
/// followed by a mask row marking them.
fn screen(buffer: &Buffer, reversed: bool) -> String {
    let width = usize::from(buffer.area.width);
    let mut out = String::new();
    for (y, row) in buffer.content().chunks(width).enumerate() {
        let text: String = row.iter().map(|c| c.symbol()).collect();
        out.push_str(text.trim_end());
        out.push('\n');
        let marks: String =
            row.iter().map(|c| if c.modifier.contains(Modifier::REVERSED) { '^' } else { ' ' }).collect();
        if reversed && marks.contains('^') {
            out.push_str(&format!("{y:>3}|{}\n", marks.trim_end()));
        }
    }
    out
}

/// Snapshots name machine-dependent things (temporary folders, times) only.
fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ filters => vec![
        (r"/tmp/\.tmp[A-Za-z0-9]+", "[tmp]"),
        (r"\d+(\.\d+)?(s| ms)\b", "[time]"),
        (r"\d+(\.\d+)? (k|M|G)?pages/s", "[rate]"),
    ]}, {
        insta::assert_snapshot!(name, text);
    });
}

fn key(app: &mut App, action: Action, times: usize) {
    for _ in 0..times {
        app.update(action);
    }
}

#[test]
fn item1_the_overview_scrolls_to_its_last_field() {
    let mut app = open("sample-dbs/headers-disagree.edb");
    let first = screen(&render(&app), false);
    assert!(first.contains("lines 1-19 of"), "the panel says it has more:\n{first}");
    app.update(Action::End);
    let last = screen(&render(&app), false);
    snapshot("80x24-overview-end", &last);
    // the summary's last lines and the header's last field are reachable
    app.update(Action::Home);
    key(&mut app, Action::Down, 12);
    let middle = screen(&render(&app), false);
    for wanted in ["Log required:", "Repair count:", "Header copies:"] {
        assert!(middle.contains(wanted), "{wanted}:\n{middle}");
    }
    // the wheel scrolls too
    app.update(Action::ScrollUp);
    assert!(screen(&render(&app), false).contains("lines 12-"), "wheel up moves one line");
}

#[test]
fn item2_the_checksum_view_of_a_32k_page_reaches_block_3_and_the_verdict() {
    let mut app = open("sample-dbs/clean-32k.edb");
    app.open_page(PageNumber(1), ViewId::Checksum, 0);
    let top = screen(&render(&app), false);
    assert!(!top.contains("block 3"), "{top}");
    key(&mut app, Action::PageDown, 3);
    let text = screen(&render(&app), false);
    assert!(text.contains("block 3") && text.contains("verdict: ok"), "{text}");
    snapshot("80x24-checksum-32k-block3", &text);
}

/// Runs a repair as the inspector does (through the effect it asks for)
/// and reports it to the app.
fn repair_through_the_prompts(app: &mut App, out: &Path, copy: Option<&Path>) {
    app.update(Action::Show(ViewId::Jobs));
    app.update(Action::Prompt(Prompt::RepairTo));
    let (prompt, initial) = app.prompt.clone().unwrap();
    assert_eq!(prompt, Prompt::RepairTo);
    assert!(Path::new(&initial).is_absolute(), "the offered path is absolute: {initial}");
    for _ in 0..initial.chars().count() {
        app.update(Action::Backspace);
    }
    for c in out.display().to_string().chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Enter);
    assert_eq!(app.prompt.as_ref().map(|p| p.0), Some(Prompt::RepairFrom), "r asks for a healthy copy");
    for c in copy.map(|c| c.display().to_string()).unwrap_or_default().chars() {
        app.update(Action::Input(c));
    }
    let Some(Effect::StartRepair { out, from }) = app.update(Action::Enter) else {
        panic!("no repair effect")
    };
    let id = app.start_repair();
    let db = Arc::clone(&app.db);
    let result = esescope::tui::outputs::run_repair(
        &db,
        from.as_deref(),
        &out,
        LogTime::from_unix(1_700_000_000, 0),
        |_| ControlFlow::Continue(()),
    );
    app.on_worker(WorkerEvent::Progress(id, Progress { done: 116, total: 116 }));
    app.on_worker(WorkerEvent::Finished {
        id,
        output: JobOutput::Repair(Box::new(result)),
        cancelled: false,
    });
}

#[test]
fn item3_13_14_a_finished_repair_shows_its_whole_text_and_saves_its_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = open("sample-dbs/bitflip.edb");
    // outputs are offered in the work folder, not beside the evidence
    let evidence = std::fs::canonicalize("sample-dbs").unwrap();
    assert_ne!(app.work_dir.canonicalize().unwrap(), evidence);
    let out = dir.path().join("bitflip.repaired");
    repair_through_the_prompts(&mut app, &out, None);
    assert!(out.exists());
    assert!(dir.path().join("bitflip.repaired.repair.txt").exists(), "the report is saved as text");
    assert!(dir.path().join("bitflip.repaired.repair.json").exists(), "and as JSON");
    assert_eq!(app.work_dir, dir.path(), "the folder chosen becomes the work folder");
    app.update(Action::End);
    let text = screen(&render(&app), false);
    let joined: String = text.lines().map(|l| l.trim_matches('│')).collect();
    assert!(joined.contains("0 still damaged"), "{text}");
    assert!(joined.contains("not counted: 1 page(s) whose flipped bit was in the stored checksum"), "{text}");
    snapshot("80x24-jobs-repair-end", &text);
}

#[test]
fn item13_the_inspector_repair_takes_pages_from_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = open("sample-dbs/multibit.edb");
    let out = dir.path().join("multibit.repaired");
    // the undamaged database the damaged samples were made from
    let samples = esescope::writer::damage::samples().unwrap();
    let original = samples.iter().find(|s| s.file_name == "multibit.edb").unwrap().written.clone();
    let copy = dir.path().join("original.edb");
    std::fs::write(&copy, &original.bytes).unwrap();
    repair_through_the_prompts(&mut app, &out, Some(&copy));
    let report = app.jobs.repair_text.clone().unwrap();
    assert!(!report.contains("no copy was given"), "{report}");
    assert!(report.contains("0 still damaged"), "{report}");
    assert_ne!(std::fs::read(&out).unwrap(), std::fs::read("sample-dbs/multibit.edb").unwrap());
}

#[test]
fn item4_long_messages_point_to_the_messages_log_which_keeps_them_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = open("sample-dbs/clean-8k.edb");
    let saved = dir.path().join("esescope-record-of-table-people.txt");
    let dest = esescope::report::clipboard::Destination::Terminal(saved.clone());
    app.notify(dest.describe("record of table people"), esescope::tui::app::Level::Info);
    let status = screen(&render(&app), false);
    assert!(status.contains("… M: whole"), "{status}");
    app.update(Action::Messages);
    let log = screen(&render(&app), false);
    let joined: String = log.lines().map(|l| l.trim_matches('│')).collect();
    assert!(joined.contains(&saved.display().to_string()), "the path is whole:\n{log}");
    snapshot("80x24-messages", &log);
    app.update(Action::Escape);
    assert!(!app.show_messages);
}

#[test]
fn item4_12_recovery_on_a_set_with_a_missing_generation_is_refused_before_asking() {
    let mut app = open("sample-dbs/missing-log/database.edb");
    app.load_logs(None).expect("the set beside the database");
    app.update(Action::Show(ViewId::Jobs));
    let effect = app.update(Action::Prompt(Prompt::RecoverTo));
    assert_eq!(effect, None);
    assert!(app.prompt.is_none(), "no output path is asked for");
    let (message, _) = app.message.clone().unwrap();
    assert_eq!(message.matches("recovery refused").count(), 1, "{message}");
    assert!(message.contains("0x2"), "{message}");
    let dir = std::fs::canonicalize("sample-dbs/missing-log").unwrap();
    assert!(message.contains(&dir.display().to_string()), "absolute path: {message}");
    let text = screen(&render(&app), false);
    assert!(text.contains("recovery refused before writing anything"), "the jobs panel says why:\n{text}");
}

#[test]
fn item5_the_help_scrolls_to_its_last_line_and_has_no_contradictions() {
    let mut app = open("sample-dbs/clean-8k.edb");
    app.open_page(PageNumber(30), ViewId::Page, 0);
    app.update(Action::Help);
    let top = screen(&render(&app), false);
    assert!(!top.contains("next view"), "Tab is fields / tags / hex here:\n{top}");
    app.update(Action::End);
    let end = screen(&render(&app), false);
    snapshot("80x24-help-page-end", &end);
    assert!(end.contains("close"), "{end}");
    app.update(Action::Escape);
    app.update(Action::Show(ViewId::Records));
    app.update(Action::Help);
    key(&mut app, Action::PageDown, 3);
    let records = screen(&render(&app), false);
    assert!(!records.contains("search hex or text"), "/ finds a row here:\n{records}");
}

#[test]
fn item6_7_the_tab_bar_keeps_the_file_name_and_the_jobs_footer_names_r_and_help() {
    let mut app = open("sample-dbs/zeroed.edb");
    app.open_page(PageNumber(32), ViewId::Page, 0);
    let text = screen(&render(&app), false);
    let first = text.lines().next().unwrap();
    assert!(first.contains("zeroed.edb") && first.contains("3 Page"), "{first}");
    assert!(text.contains("Page 32 · uninitialized"), "an all-zero page is not a table page:\n{text}");
    app.update(Action::Show(ViewId::Jobs));
    let text = screen(&render(&app), false);
    let footer = text.lines().last().unwrap();
    assert!(
        footer.contains("R recover") && footer.contains("? help") && footer.contains("q quit"),
        "{footer}"
    );
}

#[test]
fn item8_9_the_log_list_follows_its_selection_to_gen_f() {
    let mut app = open("sample-dbs/checkpoint-exhaustion/database.edb");
    app.load_logs(None).expect("the set beside the database");
    app.update(Action::Show(ViewId::Logs));
    app.update(Action::End);
    let text = screen(&render(&app), true);
    snapshot("80x24-logs-15-generations-end", &text);
    let selected = text.lines().position(|l| l.contains("0xF  edb.log")).expect("gen F is visible");
    let mask = text.lines().nth(selected + 1).unwrap();
    assert!(mask.contains("^^^^^^^^^^^^^^^^^^^^"), "the selected row is highlighted:\n{text}");
    assert!(text.contains("Recovery:"), "{text}");
    // the timeline's marks are not letters that read as hexadecimal generations
    assert!(text.contains("◆ checkpoint") && !text.contains("C checkpoint"), "{text}");
    app.update(Action::Home);
    let text = screen(&render(&app), true);
    let selected = text.lines().position(|l| l.contains("0x1  edb00001.log")).expect("gen 1 is visible");
    assert!(text.lines().nth(selected + 1).unwrap().contains('^'), "{text}");
}

#[test]
fn item11_a_logs_folder_without_logs_is_named() {
    let mut app = open("sample-dbs/clean-8k.edb");
    assert_eq!(app.load_logs(Some(Path::new("/nonexistent"))), None);
    app.update(Action::Show(ViewId::Logs));
    let text = screen(&render(&app), false);
    assert!(text.contains("/nonexistent"), "{text}");
    assert!(!text.contains("Start with --logs DIR"), "it was given:\n{text}");
}

#[test]
fn item15_a_key_without_meaning_says_so() {
    let mut app = open("sample-dbs/clean-8k.edb");
    let key = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('z'));
    let action = esescope::tui::keymap::action_for(app.view, key).unwrap();
    app.update(action);
    let (message, _) = app.message.clone().unwrap();
    assert_eq!(message, "z does nothing in the Overview view (? lists its keys)");
}

#[test]
fn item18_at_200_columns_the_fields_pane_shows_whole_values() {
    let db = Arc::new(Database::open(Path::new("sample-dbs/clean-8k.edb")).unwrap());
    let mut app = App::new(db, Theme { no_color: true }, Rect::new(0, 0, 200, 50));
    app.open_page(PageNumber(30), ViewId::Page, 0);
    let text = screen(&render(&app), false);
    assert!(text.contains("NewRecordFormat | NewChecksumFormat)"), "{text}");
    let checksum = text.lines().find(|l| l.contains("checksum ")).unwrap();
    assert!(checksum.contains("ecc 0x") && !checksum.contains('…'), "{checksum}");
    // at 80 columns a cut value says so
    app.update(Action::Resize { width: 80, height: 24 });
    let text = screen(&render(&app), false);
    assert!(text.lines().any(|l| l.contains("checksum       xor") && l.contains('…')), "{text}");
}

#[test]
fn item16_the_colour_page_map_uses_the_legends_letters_and_distinct_colours() {
    let mut app = open("sample-dbs/bitflip.edb");
    app.update(Action::Show(ViewId::PageMap));
    app.update(Action::MapMode); // kind -> health
    let text = screen(&render(&app), false);
    assert!(!text.contains('■'), "{text}");
    let grid: String = text.lines().skip(2).take(3).collect();
    assert!(grid.contains('C') && grid.contains('o'), "correctable and ok cells by their letters:\n{text}");
    assert!(text.contains("C correctable"), "the legend names the letter:\n{text}");
    let theme = Theme { no_color: false };
    use esescope::scan::classify::Health;
    assert_ne!(theme.health(Health::Ok), theme.health(Health::NotChecksummed));
}

#[test]
fn item17_a_flipped_bit_in_a_header_field_is_named_with_its_corrected_value() {
    let mut app = open("sample-dbs/bitflip.edb");
    app.open_page(PageNumber(31), ViewId::Page, 0);
    app.update(Action::Focus); // tags -> hex
    app.update(Action::Focus); // hex -> fields
    let text = screen(&render(&app), false);
    assert!(text.contains("dbtimeDirtied  0x4000012 → 0x12"), "{text}");
    app.update(Action::Show(ViewId::Checksum));
    let text = screen(&render(&app), false);
    let joined: String = text.lines().map(|l| l.trim_matches('│')).collect();
    assert!(
        joined.contains("the flipped bit is in header field dbtimeDirtied at 0x8: stored 0x4000012 (67108882), corrected 0x12 (18)"),
        "{text}"
    );
    assert!(text.contains("syndrome"), "the ECC difference is the syndrome:\n{text}");
    assert_eq!(text.matches("-1018").count(), 0, "{text}");
    let page = esescope::report::page::PageDump::build(&app.db, PageNumber(31)).unwrap();
    let mut out = Vec::new();
    page.write_text(&mut out, false).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(
            "is in header field dbtimeDirtied at 0x8: stored 0x4000012 (67108882), corrected 0x12 (18)"
        ),
        "{out}"
    );
}

#[test]
fn item13_a_repair_that_changes_nothing_writes_no_identical_copy() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = open("sample-dbs/multibit.edb");
    let out = dir.path().join("multibit.repaired");
    repair_through_the_prompts(&mut app, &out, None);
    assert!(!out.exists(), "no byte-identical copy of the evidence");
    let (message, _) = app.message.clone().unwrap();
    assert!(
        message.contains("repair wrote nothing: no page could be repaired without a healthy copy"),
        "{message}"
    );
    let report = app.jobs.repair_text.clone().unwrap();
    assert!(report.contains("No output was written: no page could be repaired"), "{report}");
}

#[test]
fn every_other_view_at_80x24() {
    let mut app = open("sample-dbs/clean-8k.edb");
    app.update(Action::Show(ViewId::PageMap));
    snapshot("80x24-pages", &screen(&render(&app), false));
    app.open_page(PageNumber(30), ViewId::Page, 0);
    snapshot("80x24-page", &screen(&render(&app), false));
    app.update(Action::Show(ViewId::Tables));
    snapshot("80x24-tables", &screen(&render(&app), true));
    // the first table's indexes are below the edge; PgDn reaches them
    app.update(Action::End);
    app.update(Action::Home);
    key(&mut app, Action::PageDown, 3);
    let text = screen(&render(&app), false);
    assert!(text.contains("  index  ") && text.contains("of"), "{text}");
    app.update(Action::Home);
    let index = app.tables.catalog.tables.iter().position(|t| t.table.name == "people").unwrap();
    key(&mut app, Action::Down, index);
    app.update(Action::Records);
    snapshot("80x24-records", &screen(&render(&app), true));
}

#[test]
fn the_records_detail_pane_scrolls_like_every_panel() {
    let mut app = open("sample-dbs/clean-8k.edb");
    app.update(Action::Show(ViewId::Tables));
    let index = app.tables.catalog.tables.iter().position(|t| t.table.name == "people").unwrap();
    key(&mut app, Action::Down, index);
    app.update(Action::Records);
    let first = screen(&render(&app), false);
    // the columns below the edge are announced, and the cut value ends in `…`
    assert!(first.contains("lines 1-8 of 9"), "{first}");
    assert!(first.contains("cedar mead…│"), "{first}");
    app.update(Action::Focus); // rows -> columns
    app.update(Action::End);
    let end = screen(&render(&app), true);
    assert!(end.contains("Photo") && end.contains("lines 2-9 of 9"), "{end}");
    snapshot("80x24-records-detail-end", &end);
    app.update(Action::Home);
    assert!(screen(&render(&app), false).contains("lines 1-8 of 9"));
    // the wheel moves the selection too
    key(&mut app, Action::ScrollDown, 8);
    assert!(screen(&render(&app), false).contains("lines 2-9 of 9"));
    // a whole value scrolls to its last line: row 14's photo is 4438 bytes
    app.update(Action::Focus); // columns -> rows
    key(&mut app, Action::Down, 13);
    app.update(Action::Focus);
    app.update(Action::End);
    app.update(Action::Enter);
    let value = screen(&render(&app), false);
    assert!(
        value.contains("Photo (LongBinary) · 4438 bytes") && value.contains("↓ lines 1-8 of 278"),
        "{value}"
    );
    app.update(Action::End);
    let value_end = screen(&render(&app), false);
    assert!(value_end.contains("↑  lines 271-278 of 278") && value_end.contains("1150  "), "{value_end}");
    app.update(Action::PageUp);
    assert!(screen(&render(&app), false).contains("lines 263-270 of 278"));
    key(&mut app, Action::ScrollUp, 2);
    assert!(screen(&render(&app), false).contains("lines 261-268 of 278"));
}

#[test]
fn item17_a_flipped_bit_in_a_column_names_the_record_and_column_with_its_corrected_value() {
    let mut app = open("sample-dbs/bitflip-columns.edb");
    app.open_page(PageNumber(31), ViewId::Page, 0);
    let tags = screen(&render(&app), false);
    assert!(tags.contains("line 0 ✗ Name Com…"), "{tags}");
    app.update(Action::Show(ViewId::Checksum));
    let text = screen(&render(&app), false);
    let joined: String = text.lines().map(|l| l.trim_matches('│')).collect();
    assert!(
        joined.contains(
            "the flipped bit is in line 0 (tag 1) of table people, the value of column Name (id 128, Text) at record offset 0x1a: stored \"Meadow heron\", corrected \"meadow heron\""
        ),
        "{text}"
    );
    snapshot("80x24-flipped-column-checksum", &text);
    // Enter: the hex view on the flipped byte names the column, stored → corrected
    app.update(Action::Enter);
    let hex = screen(&render(&app), false);
    assert!(hex.contains("✗ Name: \"Meadow heron\" → \"meadow heron\""), "{hex}");
    snapshot("80x24-flipped-column-hex", &hex);
}

#[test]
fn the_page_views_fields_and_tags_panes_scroll_and_say_they_have_more() {
    let mut app = open("sample-dbs/clean-32k.edb");
    app.open_page(PageNumber(31), ViewId::Page, 0);
    let first = screen(&render(&app), false);
    assert!(first.contains("↓ 1-9 of "), "the fields below the edge are announced:\n{first}");
    app.update(Action::Focus); // tags -> hex
    app.update(Action::Focus); // hex -> fields
    app.update(Action::End);
    let end = screen(&render(&app), false);
    assert!(end.contains("↑  ") && !end.contains("↓ 1-9 of "), "{end}");
    snapshot("80x24-page-fields-end", &end);
    app.update(Action::Home);
    assert!(screen(&render(&app), false).contains("↓ 1-9 of "));
    // the tags pane: PgDn moves a screen of tags and the note follows
    app.update(Action::Focus); // fields -> tags
    app.update(Action::PageDown);
    let tags = screen(&render(&app), false);
    assert!(tags.contains(" ↑↓ ") || tags.contains("↑  "), "{tags}");
}

#[test]
fn the_page_map_legend_wraps_to_a_second_row_instead_of_losing_entries() {
    let mut app = open("sample-dbs/bitflip.edb");
    app.update(Action::Show(ViewId::PageMap));
    let kind = screen(&render(&app), false);
    assert!(kind.contains("e emptied") && !kind.contains("e e…"), "{kind}");
    app.update(Action::MapMode); // kind -> health
    let health = screen(&render(&app), false);
    assert!(!health.contains('…'), "every entry of the health legend is shown:\n{health}");
    snapshot("80x24-pages-health", &health);
}

#[test]
fn page_1_is_the_database_root_not_a_table() {
    let mut app = open("sample-dbs/clean-8k.edb");
    app.open_page(PageNumber(1), ViewId::Page, 0);
    let text = screen(&render(&app), false);
    assert!(text.contains("┌ Page 1 · database root · 0x4000 "), "{text}");
    let dump = esescope::report::page::PageDump::build(&app.db, PageNumber(1)).unwrap();
    let mut out = Vec::new();
    dump.write_text(&mut out, false).unwrap();
    assert!(String::from_utf8(out).unwrap().contains("  database root tree page"));
}

#[test]
fn the_page_maps_info_line_is_never_cut_silently() {
    let mut app = open("sample-dbs/clean-8k.edb");
    app.update(Action::Show(ViewId::PageMap));
    app.update(Action::Resize { width: 60, height: 24 });
    let text = screen(&render(&app), false);
    let info = text.lines().find(|l| l.contains("page 1 · offset")).unwrap();
    assert!(info.trim_end_matches('│').ends_with('…'), "{text}");
}
