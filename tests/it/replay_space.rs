//! Issue 14, item 2: the writer's space scenario (src/writer/scenario_space.rs)
//! recovered: CreateMultipleExtentFDP, CreateSingleExtentFDP, ConvertFDP2,
//! EmptyTree, PageMove, NewPage, ExtendDB and ShrinkDB2 redone, each page holding
//! the rows the scenario meant, the file the size the log gave it.

use std::ops::ControlFlow;

use esescope::format::page::{Page, PageFlags};
use esescope::format::tag::NodeFlags;
use esescope::format::PageNumber;
use esescope::recovery::{self, Decision, StartAt};
use esescope::store::Database;
use esescope::writer::page::PageImage;
use esescope::writer::scenario_space::build;

use crate::common::real_samples;
use crate::recovery::{open_set, tree_findings};

#[test]
fn space_scenario_recovers_to_the_pages_the_writer_meant() {
    let tmp = tempfile::tempdir().unwrap();
    let base = Database::open(real_samples().join("srum-win10-clean-with-logs/SRUDB.dat")).unwrap();
    let scenario = build(&base).unwrap();
    std::fs::write(tmp.path().join("database.edb"), &scenario.database).unwrap();
    std::fs::write(tmp.path().join("edb.log"), &scenario.log).unwrap();
    std::fs::write(tmp.path().join("edb.chk"), &scenario.checkpoint).unwrap();
    let db = Database::open(tmp.path().join("database.edb")).unwrap();
    let set = open_set(tmp.path(), &db);
    let plan = recovery::plan(&db, &set, StartAt::Recovery, |_| ControlFlow::Continue(())).unwrap();
    assert_eq!(plan.counts().2, 0, "{:?}", plan.first_stop());
    for name in [
        "CreateMultipleExtentFDP",
        "CreateSingleExtentFDP",
        "ConvertFDP2",
        "EmptyTree",
        "PageMove",
        "NewPage",
        "Insert",
    ] {
        let t = plan.types.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("{name} not met"));
        assert_eq!(t.apply, t.count, "{name}: every one redone");
        assert!(t.redo.is_some(), "{name} has a redo function");
    }
    assert!(plan.entries.iter().all(|e| e.decision == Decision::Apply));
    assert_eq!(plan.pgno_last, Some(scenario.pgno_last));

    let out = tmp.path().join("recovered.edb");
    let report = recovery::recover(
        &db,
        &set,
        StartAt::Recovery,
        &out,
        esescope::format::LogTime::from_unix(1_800_000_000, 0),
        |_| ControlFlow::Continue(()),
    )
    .unwrap();
    assert_eq!(report.verify_after.unwrap().damaged(), 0);
    let new = Database::open(&out).unwrap();
    assert_eq!(new.page_count(), scenario.pgno_last, "ExtendDB then ShrinkDB2");
    let image = |pgno: u32| {
        let n = PageNumber(pgno);
        PageImage::from_page(&Page::parse(new.page_bytes(n).unwrap(), n, new.page_size()).unwrap()).unwrap()
    };
    for (&pgno, rows) in &scenario.expected {
        let page = image(pgno);
        let mut got: Vec<_> = page
            .nodes
            .iter()
            .filter(|n| !n.flags.contains(NodeFlags::DELETED))
            .map(|n| (n.key.clone(), n.data.clone()))
            .collect();
        got.sort();
        assert_eq!(&got, rows, "page {pgno}");
    }
    for (&pgno, tag0) in &scenario.space_headers {
        assert_eq!(&image(pgno).external_header, tag0, "space header of {pgno}");
    }
    let (r1, r2, r3, leaf) = scenario.roots;
    // the rolled-back insert is there, flagged deleted by its Undo
    let undone: Vec<_> =
        image(r1).nodes.into_iter().filter(|n| n.flags.contains(NodeFlags::DELETED)).collect();
    assert_eq!(undone.len(), 1);
    assert_eq!(undone[0].key, vec![0x7F, 9]);
    for root in [r1, r2, r3] {
        let flags = image(root).flags;
        assert!(flags.contains(PageFlags::ROOT) && flags.contains(PageFlags::LEAF), "{root}: {flags:?}");
    }
    for tree_root in [r1 + 1, r1 + 2, r2 + 4, r2 + 5] {
        assert!(image(tree_root).flags.contains(PageFlags::SPACE_TREE), "{tree_root}");
    }
    assert!(image(leaf).flags.contains(PageFlags::EMPTY));
    assert!(image(leaf).external_header.is_empty());
    let m = scenario.page_move;
    assert_eq!(image(m.left).next, PageNumber(m.dest));
    assert_eq!(image(m.right).prev, PageNumber(m.dest));
    assert!(image(m.source).flags.contains(PageFlags::EMPTY));
    let moved = image(m.dest);
    assert!(moved.flags.contains(PageFlags::LEAF) && !moved.flags.contains(PageFlags::EMPTY));
    assert_eq!((moved.prev, moved.next), (PageNumber(m.left), PageNumber(m.right)));
    // the moved leaf's tree walks clean through its new page
    assert_eq!(tree_findings(&new), Vec::<String>::new());
}
