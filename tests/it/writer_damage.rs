//! The damaged samples of `sample-dbs/`: each is reported exactly as
//! `sample-dbs/README.md` says, by the page verdicts, the tree walk and the
//! exit codes of `verify`.

use esescope::format::verdict::{FlipKind, Verdict};
use esescope::format::PageNumber;
use esescope::scan::{self, verify};
use esescope::store::cursor::walk;
use esescope::store::Database;
use esescope::writer::damage::Damage;

use super::writer::{all_samples, esescope_json, open};

fn verdict_of(db: &Database, pgno: PageNumber) -> Verdict {
    scan::check_page(db, pgno).unwrap().verdict
}

fn tree_findings(db: &Database, root: PageNumber) -> Vec<String> {
    walk(db, root, |_, _| {}).findings.into_iter().map(|f| f.message).collect()
}

#[test]
fn each_damaged_sample_is_reported_as_its_readme_says() {
    let dir = tempfile::tempdir().unwrap();
    for sample in all_samples().into_iter().filter(|s| !s.damage.is_empty()) {
        let db = open(&dir, sample.file_name, &sample.bytes);
        let report = verify(&db, |_| std::ops::ControlFlow::Continue(()));
        let people = sample.written.tree("people").unwrap().root;
        for damage in &sample.damage {
            match damage {
                Damage::BitFlip { pgno, offset, bit, part } => {
                    let Verdict::Correctable { bits, .. } = verdict_of(&db, *pgno) else {
                        panic!("{}: page {pgno} is not correctable", sample.file_name)
                    };
                    assert_eq!((bits[0].offset, bits[0].bit), (*offset, *bit), "{part}");
                    let kind = if part.starts_with("stored checksum") {
                        FlipKind::StoredChecksum
                    } else {
                        FlipKind::Data
                    };
                    assert_eq!(bits[0].kind, kind, "{part}");
                }
                Damage::MultiBit { pgno, .. } => {
                    assert_eq!(verdict_of(&db, *pgno), Verdict::Uncorrectable);
                    assert_eq!(report.counts.uncorrectable, 1);
                }
                Damage::Misplaced { from, at } => {
                    let Verdict::WrongPageNumber { stored_pgno, perhaps_bit: None } = verdict_of(&db, *at)
                    else {
                        panic!("misplaced: page {at} is {:?}", verdict_of(&db, *at))
                    };
                    assert_eq!(stored_pgno, *from);
                    assert_eq!(report.counts.wrong_page_number, 1);
                }
                Damage::Zeroed { pgno } => {
                    assert_eq!(verdict_of(&db, *pgno), Verdict::Uninitialized);
                    assert_eq!(Verdict::Uninitialized.jet_error().unwrap().0, -1019);
                    let findings = tree_findings(&db, people);
                    assert!(
                        findings
                            .iter()
                            .any(|f| f.contains(&format!("page {pgno} (from page"))
                                && f.contains("uninitialized")),
                        "{findings:?}"
                    );
                }
                Damage::Torn { pgno } => {
                    assert_eq!(verdict_of(&db, *pgno), Verdict::Uncorrectable);
                    let page = db.page(*pgno).unwrap();
                    let clean = &sample.written.bytes[(pgno.0 as usize + 1) * 4096..][..4096];
                    assert!(page.bytes[2048..] == clean[2048..], "the second half is the old page");
                    assert!(page.bytes[..2048] != clean[..2048], "the first half is newer");
                    assert!(
                        page.header.dbtime_dirtied.0 > u64::from_le_bytes(clean[8..16].try_into().unwrap())
                    );
                }
                Damage::BrokenSibling { pgno, expected, now } => {
                    assert!(!report.has_damage(), "checksums are fine: {:?}", report.bad_pages);
                    let findings = tree_findings(&db, people);
                    let want = format!(
                        "leaf {pgno}: pgnoNext is {now}, but the leaf after it in key order is {expected}"
                    );
                    assert_eq!(findings, vec![want]);
                }
                Damage::PrimaryHeader { .. } => {
                    let copies = db.header_copies();
                    assert!(!copies[0].valid && copies[1].valid);
                    assert_eq!(db.header_source(), esescope::store::HeaderSource::Shadow);
                    assert_eq!(db.header().unwrap().state.0, 3, "the shadow's state is used");
                    assert!(report.findings.iter().any(|f| f.message.contains("using the shadow copy")));
                    assert_eq!(report.counts.damaged(), 0);
                }
            }
        }
        // Checksum damage is on exactly the damaged pages; the other kinds
        // leave every checksum intact.
        let checksum_damage = sample
            .damage
            .iter()
            .filter(|d| {
                matches!(
                    d,
                    Damage::BitFlip { .. }
                        | Damage::MultiBit { .. }
                        | Damage::Misplaced { .. }
                        | Damage::Torn { .. }
                )
            })
            .count();
        assert_eq!(report.bad_pages.len(), checksum_damage, "{}", sample.file_name);
    }
}

#[test]
fn verify_exit_codes_of_the_damaged_samples_are_as_the_readme_says() {
    use std::process::ExitCode;
    let dir = tempfile::tempdir().unwrap();
    let failure = ExitCode::from(1);
    for sample in all_samples().into_iter().filter(|s| !s.damage.is_empty()) {
        let path = dir.path().join(sample.file_name);
        std::fs::write(&path, &sample.bytes).unwrap();
        let file = path.to_str().unwrap();
        let (plain, report) = esescope_json(&["verify", file, "--json"]);
        let (trees, with_trees) = esescope_json(&["verify", file, "--trees", "--json"]);
        let bad = report["bad_pages"].as_array().unwrap().len();
        let findings = with_trees["findings"].as_array().unwrap().len();
        // (plain verify fails, bad pages, verify --trees fails)
        let want = match sample.file_name {
            "bitflip.edb" | "bitflip-columns.edb" => (true, 3, true),
            "multibit.edb" | "misplaced.edb" | "torn.edb" => (true, 1, true),
            "zeroed.edb" | "broken-siblings.edb" => (false, 0, true),
            "headers-disagree.edb" => (true, 0, true),
            other => panic!("{other} is not described here"),
        };
        assert_eq!((plain == failure, bad, trees == failure), want, "{}", sample.file_name);
        if sample.file_name == "broken-siblings.edb" {
            assert_eq!(findings, 1, "{with_trees}");
        }
    }
    let path = dir.path().join("headers-disagree.edb");
    let (_, info) = esescope_json(&["info", path.to_str().unwrap(), "--json"]);
    let text = info.to_string();
    assert!(text.contains("shadow") && text.contains("le_dbstate"), "{text}");
}
