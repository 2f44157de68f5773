//! The `recovery` fuzz target: the input is one log record (its first byte
//! the record type) as recovery meets it in a hostile log. Everything the
//! planner and the redo functions read from a record alone runs on it: the
//! pages it touches and their dbtimes, the split, merge, FDP, conversion
//! and page-move fields and the pages they make, and the node operation on
//! a small page with three nodes.

use esescope::format::page::PageFlags;
use esescope::format::txlog::record::{Record, RecordType};
use esescope::format::{Lgpos, ObjectId, PageNumber, PageSize};
use esescope::recovery::redo::page_move::PageMove;
use esescope::recovery::{fdp, merge::Merge, node_op, pages, split::Split};
use esescope::writer::page::{NodeImage, PageImage};

/// The `recovery` target.
pub fn recovery(data: &[u8]) {
    let Some(&t) = data.first() else { return };
    let record = Record {
        lgpos: Lgpos::default(),
        file_offset: 0,
        record_type: RecordType(t),
        bytes: data.to_vec().into(),
        fragmented: false,
    };
    let _ = (pages::touches(&record), pages::dbtime_after(&record), pages::empty_pages(&record));
    let _ = format!("{:?}", record.details());
    let size = PageSize::K4;
    if let Ok(page) = fdp::create_single(&record, size) {
        let _ = page.build();
    }
    if let Ok(made) = fdp::create_multiple(&record, size) {
        for page in made {
            let _ = page.build();
        }
    }
    if let Ok(c) = fdp::Convert::parse(&record) {
        let _ = (c.owned_page(size).build(), c.avail_page(size).build());
        let _ = fdp::with_space_header(data.get(1..).unwrap_or_default(), &c.header());
    }
    if let Ok(m) = PageMove::parse(&record) {
        if let Ok(page) = m.before_image(size) {
            let _ = page.build();
        }
    }
    let _ = (Split::parse(&record).is_ok(), Merge::parse(&record).is_ok());
    let mut page = PageImage::new(PageNumber(7), size, ObjectId(5), PageFlags(PageFlags::LEAF.0));
    page.nodes = (0u8..3).map(|i| NodeImage::new(vec![0x7F, i], vec![i; 16])).collect();
    if node_op::apply(&mut page, &record).is_ok() {
        let _ = page.build();
    }
}
