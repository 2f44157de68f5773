//! Issue 15: `esescope compare A B` — pages identical, changed, moved or in
//! one file only; rows added, removed and changed per table.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use esescope::cli::compare::CompareArgs;
use esescope::cli::output::OutputArgs;
use esescope::cli::{run, Command};
use esescope::format::PageNumber;
use esescope::scan::compare::{compare, CompareReport, PageChange};
use esescope::scan::compare_rows::Presence;
use esescope::store::Database;
use esescope::writer::damage::Damage;
use esescope::Error;

use crate::common::{real_samples, screen_text};
use crate::writer::all_samples;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-dbs").join(name)
}

fn compared(a: &Path, b: &Path, force: bool) -> Result<CompareReport, Error> {
    let (a, b) = (Database::open(a).unwrap(), Database::open(b).unwrap());
    compare(&a, &b, force, |_| ControlFlow::Continue(()))
}

#[test]
fn each_damaged_sample_differs_from_its_original_exactly_where_the_readme_says() {
    let original = sample("clean-4k.edb");
    for s in all_samples().into_iter().filter(|s| !s.damage.is_empty()) {
        let report = compared(&original, &sample(s.file_name), false).unwrap();
        let mut want: Vec<(PageNumber, &str)> = Vec::new();
        for damage in &s.damage {
            match damage {
                Damage::BitFlip { pgno, part, .. } if part.starts_with("stored checksum") => {
                    want.push((*pgno, "checksum only"))
                }
                Damage::BitFlip { pgno, .. }
                | Damage::MultiBit { pgno, .. }
                | Damage::Torn { pgno }
                | Damage::BrokenSibling { pgno, .. } => want.push((*pgno, "changed")),
                Damage::Misplaced { at, .. } => want.push((*at, "moved")),
                Damage::Zeroed { pgno } => want.push((*pgno, "only in A")),
                Damage::PrimaryHeader { .. } => {
                    assert_eq!(report.headers.len(), 1, "{}", s.file_name);
                    assert_eq!(report.headers[0].copy, 0);
                    assert_eq!(report.headers[0].fields, vec!["le_dbstate"]);
                }
            }
        }
        let got: Vec<(PageNumber, &str)> = report
            .pages
            .iter()
            .map(|d| {
                let kind = match d.change {
                    PageChange::Changed => "changed",
                    PageChange::ChecksumOnly => "checksum only",
                    PageChange::Moved { .. } => "moved",
                    PageChange::OnlyInA => "only in A",
                    PageChange::OnlyInB => "only in B",
                };
                (d.pgno, kind)
            })
            .collect();
        assert_eq!(got, want, "{}", s.file_name);
        if let Some(Damage::Misplaced { from, at }) = s.damage.first() {
            let moved = report.pages.iter().find(|d| d.pgno == *at).unwrap();
            assert_eq!(moved.change, PageChange::Moved { from: *from });
        }
        assert!(report.differs(), "{}", s.file_name);
        // no row is added, removed or changed: damage only makes rows unreadable
        for t in &report.tables {
            assert_eq!(t.presence, Presence::Both);
            assert!(
                t.added.is_empty() && t.removed.is_empty() && t.changed.is_empty(),
                "{}: {t:?}",
                s.file_name
            );
            let unreadable =
                matches!(s.file_name, "multibit.edb" | "misplaced.edb" | "torn.edb" | "zeroed.edb");
            assert_eq!(!t.unreadable.is_empty(), unreadable, "{}: {t:?}", s.file_name);
            assert_eq!(t.rows[0], t.rows[1] + t.unreadable.len() as u64, "{}", s.file_name);
        }
    }
    // a file against itself
    let same = compared(&original, &original, false).unwrap();
    assert!(!same.differs() && same.pages.is_empty() && same.tables.is_empty());
    assert_eq!(same.counts.identical, same.counts.pages);
}

#[test]
fn srum_snapshot_against_the_later_file_names_the_new_tables_and_rows() {
    let before = real_samples().join("srum-server2022-snapshot-before/SRUDB.dat");
    let after = real_samples().join("srum-server2022-clean-with-logs/SRUDB.dat");
    let report = compared(&before, &after, false).unwrap();
    let new: Vec<&str> =
        report.tables.iter().filter(|t| t.presence == Presence::OnlyInB).map(|t| t.name.as_str()).collect();
    assert_eq!(new.len(), 6, "{new:?}");
    assert!(new.iter().all(|n| n.starts_with('{')), "{new:?}");
    let objects = report.tables.iter().find(|t| t.name == "MSysObjects").unwrap();
    assert_eq!(objects.rows, [86, 161]);
    assert_eq!(objects.added.len(), 75);
    assert!(objects.removed.is_empty() && objects.changed.is_empty());
    assert!(report.counts.only_in_b > 0 && report.counts.changed > 0);
    // every page number is counted once
    let c = report.counts;
    assert_eq!(c.identical + c.changed + c.checksum_only + c.moved + c.only_in_a + c.only_in_b, c.pages);
    assert!(report.pages.iter().all(|d| d.newer.is_some() == (d.a.is_some() && d.b.is_some())));
}

fn run_compare(a: &Path, b: &Path, force: bool, output: OutputArgs) -> Result<(ExitCode, String), Error> {
    let args = CompareArgs { a: a.to_path_buf(), b: b.to_path_buf(), force, output };
    let mut out = Vec::new();
    let code = run(&Command::Compare(args), &mut out)?;
    Ok((code, String::from_utf8(out).unwrap()))
}

#[test]
fn different_page_sizes_or_databases_are_refused_in_one_line() {
    let err =
        run_compare(&sample("clean-8k.edb"), &sample("clean-4k.edb"), true, OutputArgs::text()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("different page sizes") && !text.contains('\n'), "{text}");
    let other = real_samples().join("srum-server2022-snapshot-before/SRUDB.dat");
    let err = run_compare(&sample("clean-4k.edb"), &other, false, OutputArgs::text()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("signatures") && text.contains("--force") && !text.contains('\n'), "{text}");
    // --force compares them anyway, and says so
    let (code, text) = run_compare(&sample("clean-4k.edb"), &other, true, OutputArgs::text()).unwrap();
    assert_eq!(code, ExitCode::from(1));
    assert!(text.contains("signatures differ"), "{text}");
}

#[test]
fn text_markdown_and_json_say_the_same() {
    let (a, b) = (sample("clean-4k.edb"), sample("misplaced.edb"));
    let (code, text) = run_compare(&a, &b, false, OutputArgs::text()).unwrap();
    assert_eq!(code, ExitCode::from(1));
    assert!(text.contains("page 33: moved: B holds the content of A's page 31"), "{text}");
    assert!(text.contains("table people: 90 rows in A, 68 in B"), "{text}");
    let md = OutputArgs { format: Some(esescope::cli::output::Format::Md), ..OutputArgs::text() };
    let (_, markdown) = run_compare(&a, &b, false, md).unwrap();
    assert!(markdown.contains("| 33 | moved: B holds the content of A's page 31 |"), "{markdown}");
    assert!(markdown.contains("| people | 90 | 68 | 0 | 0 | 0 | 22 |"), "{markdown}");
    let (_, json) = run_compare(&a, &b, false, OutputArgs::json()).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["pages"][0]["pgno"], 33);
    assert_eq!(doc["pages"][0]["change"]["kind"], "moved");
    assert_eq!(doc["pages"][0]["change"]["from"], 31);
    assert_eq!(doc["tables"][0]["unreadable"].as_array().unwrap().len(), 22);
    let (code, _) = run_compare(&a, &a, false, OutputArgs::text()).unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
}

#[test]
fn the_json_validates_against_the_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/esescope.schema.json");
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    schema["$ref"] = serde_json::Value::String("#/$defs/compare".into());
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let before = real_samples().join("srum-server2022-snapshot-before/SRUDB.dat");
    let after = real_samples().join("srum-server2022-clean-with-logs/SRUDB.dat");
    for (a, b) in [
        (sample("clean-4k.edb"), sample("misplaced.edb")),
        (sample("clean-4k.edb"), sample("headers-disagree.edb")),
        (before, after),
    ] {
        let (_, json) = run_compare(&a, &b, false, OutputArgs::json()).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", b.display());
    }
}

#[test]
fn the_inspector_colours_the_map_by_difference_and_shows_both_pages() {
    use esescope::tui::action::{Action, ViewId};
    use esescope::tui::app::App;
    use esescope::tui::views::pagemap::{diff_class, MapMode};
    use std::sync::Arc;
    let db = Arc::new(Database::open(sample("clean-4k.edb")).unwrap());
    let other = Arc::new(Database::open(sample("misplaced.edb")).unwrap());
    let mut app = App::new(
        db,
        esescope::tui::theme::Theme { no_color: true },
        ratatui::layout::Rect::new(0, 0, 120, 40),
    );
    let summary = app.set_compare(other, false).unwrap();
    assert!(summary.contains("1 moved"), "{summary}");
    assert_eq!(app.map.mode, MapMode::Difference);
    let diff = app.map.diff.clone().unwrap();
    assert_eq!(diff[32], diff_class::MOVED, "page 33");
    assert_eq!(diff.iter().filter(|&&c| c != diff_class::IDENTICAL).count(), 1);
    app.update(Action::Show(ViewId::PageMap));
    let map = screen_text(&app);
    assert!(map.contains("by difference") && map.contains("M moved"), "{map}");
    // page 33 side by side: the compared file's copy beside it, differing bytes counted
    app.open_page(PageNumber(33), ViewId::Page, 0);
    let page = app.page.as_ref().unwrap();
    let differing = page.differing();
    assert!(!differing.is_empty() && differing.len() < 4096);
    let text = screen_text(&app);
    assert!(text.contains(&format!("Other copy · {} bytes differ", differing.len())), "{text}");
    // a page that is the same in both: nothing differs
    app.open_page(PageNumber(29), ViewId::Page, 0);
    assert!(app.page.as_ref().unwrap().differing().is_empty());
    // another database is refused
    let srum =
        Arc::new(Database::open(real_samples().join("srum-server2022-snapshot-before/SRUDB.dat")).unwrap());
    assert!(app.set_compare(srum, false).is_err());
}

#[test]
fn a_changed_value_and_a_deleted_row_are_named_by_key_and_column() {
    use esescope::format::page::Page;
    use esescope::writer::page::PageImage;
    use esescope::writer::sample::{teaching_database, DAMAGE_BASE};
    let size = DAMAGE_BASE.page_size;
    let written = teaching_database(DAMAGE_BASE).unwrap();
    let leaf = written.tree("people").unwrap().leaves[1];
    let mut bytes = written.bytes.clone();
    let at = (leaf.0 as usize + 1) * size.len();
    let page = Page::parse(&bytes[at..at + size.len()], leaf, size).unwrap();
    let mut image = PageImage::from_page(&page).unwrap();
    // line 2: the last byte of its record (the end of its last column) changed
    let last = image.nodes[2].data.len() - 1;
    image.nodes[2].data[last] ^= 0x01;
    let changed_key = image.nodes[2].key.clone();
    // line 5: flag-deleted
    image.nodes[5].flags.0 |= esescope::format::tag::NodeFlags::DELETED.0;
    let removed_key = image.nodes[5].key.clone();
    let new = image.build().unwrap();
    bytes[at..at + size.len()].copy_from_slice(&new);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edited.edb");
    std::fs::write(&path, &bytes).unwrap();
    let report = compared(&sample("clean-4k.edb"), &path, false).unwrap();
    assert_eq!(report.pages.len(), 1);
    assert_eq!((report.pages[0].pgno, report.pages[0].change), (leaf, PageChange::Changed));
    let people = report.tables.iter().find(|t| t.name == "people").unwrap();
    assert_eq!(people.rows, [90, 89]);
    assert!(people.added.is_empty() && people.unreadable.is_empty());
    // the page prefix-compresses keys: the tree's key is what the walk gives
    let key_of = |k: &[u8]| hex::encode(k);
    assert_eq!(people.removed.len(), 1);
    assert!(people.removed[0].ends_with(&key_of(&removed_key)), "{:?}", people.removed);
    assert_eq!(people.changed.len(), 1, "{:?}", people.changed);
    assert!(people.changed[0].key.ends_with(&key_of(&changed_key)));
    assert_eq!(people.changed[0].columns.len(), 1, "{:?}", people.changed[0]);
}
