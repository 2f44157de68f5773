//! Redo of PageMove (65): a B-tree page's content moves to another page
//! (engine: `ErrLGRIIRedoPageMove`, `BTPerformPageMove`). The destination
//! gets the source's content (from the source as redo has it, or from the
//! logged before image when only the destination needs redo), the source
//! is emptied, the parent's pointer at `ilineParent` and the siblings'
//! links point to the destination. Moves of a tree's root (the move flags
//! 0x1, 0x2, 0x4, with RootPageMove) are not redone: the plan stops there.

use super::{needs, stop, Redo};
use crate::format::page::{Page, PageFlags};
use crate::format::txlog::record::Record;
use crate::format::types::le_u32;
use crate::format::{DbTime, PageNumber};
use crate::recovery::plan::PlanEntry;
use crate::recovery::RecoveryError;
use crate::writer::page::PageImage;

/// The fields of a PageMove record that redo uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageMove {
    /// Page moved from.
    pub source: u32,
    /// Page moved to.
    pub dest: u32,
    /// Left sibling (0: none).
    pub left: u32,
    /// Right sibling (0: none).
    pub right: u32,
    /// Parent.
    pub parent: u32,
    /// The parent's line pointing to the page.
    pub iline_parent: u32,
    /// Root move flags (0 for a page that is not a root).
    pub root_flags: u32,
    /// The source's bytes from the start of the page (before the move).
    pub header: Vec<u8>,
    /// The source's last bytes (its tag array) before the move.
    pub trailer: Vec<u8>,
}

impl PageMove {
    /// Decodes a PageMove record.
    ///
    /// # Errors
    /// The record is too short for its fields or its page image.
    pub fn parse(record: &Record) -> Result<Self, String> {
        let b = &record.bytes;
        let u = |at: usize| le_u32(b, at).ok_or_else(|| format!("PageMove too short for the field at {at}"));
        let (cb_header, cb_trailer) = (u(88)? as usize, u(92)? as usize);
        let header = b.get(96..96 + cb_header).ok_or("PageMove too short for its page header image")?;
        let trailer = b
            .get(96 + cb_header..96 + cb_header + cb_trailer)
            .ok_or("PageMove too short for its page trailer image")?;
        Ok(Self {
            source: u(4)?,
            dest: u(32)?,
            left: u(36)?,
            right: u(40)?,
            parent: u(44)?,
            iline_parent: u(80)?,
            root_flags: u(84)?,
            header: header.to_vec(),
            trailer: trailer.to_vec(),
        })
    }

    /// The source page as the record logged it before the move.
    ///
    /// # Errors
    /// The logged parts are larger than a page or do not decode.
    pub fn before_image(&self, size: crate::format::PageSize) -> Result<PageImage, String> {
        let len = size.len();
        if self.header.len() + self.trailer.len() > len {
            return Err("the logged page image is larger than a page".into());
        }
        let mut bytes = vec![0u8; len];
        bytes[..self.header.len()].copy_from_slice(&self.header);
        bytes[len - self.trailer.len()..].copy_from_slice(&self.trailer);
        let page = Page::parse(&bytes, PageNumber(self.source), size).map_err(|e| e.to_string())?;
        PageImage::from_page(&page).map_err(|e| format!("the logged page image does not decode: {e}"))
    }
}

/// Redoes a PageMove on the pages that need it.
///
/// # Errors
/// A root move, a page that does not fit the record, or a page that does not build.
pub fn redo(cx: &mut Redo<'_>, entry: &PlanEntry, record: &Record) -> Result<(), RecoveryError> {
    let m = PageMove::parse(record).map_err(|e| stop(entry, 0, e))?;
    if m.root_flags != 0 {
        return Err(stop(entry, m.source, "the move of a tree's root is not redone".into()));
    }
    let dbtime = DbTime(entry.dbtime_after);
    let (source_redo, dest_redo) = (needs(entry, "page"), needs(entry, "new"));
    if dest_redo {
        let mut dest = if source_redo {
            cx.image(m.source).map_err(|e| stop(entry, m.source, e))?
        } else {
            m.before_image(cx.db.page_size()).map_err(|e| stop(entry, m.source, e))?
        };
        dest.pgno = PageNumber(m.dest);
        dest.dbtime = dbtime;
        cx.put(entry, &dest)?;
    }
    if source_redo || dest_redo {
        let mut source = cx.image(m.source).map_err(|e| stop(entry, m.source, e))?;
        source.nodes.clear();
        source.external_header.clear();
        source.flags = PageFlags(source.flags.0 | PageFlags::EMPTY.0);
        source.dbtime = dbtime;
        cx.put(entry, &source)?;
    }
    if needs(entry, "parent") {
        let mut parent = cx.image(m.parent).map_err(|e| stop(entry, m.parent, e))?;
        let line = usize::try_from(m.iline_parent).unwrap_or(usize::MAX);
        let node = parent
            .nodes
            .get_mut(line)
            .ok_or_else(|| stop(entry, m.parent, format!("the parent has no line {}", m.iline_parent)))?;
        let at = node.data.len().checked_sub(4).ok_or_else(|| {
            stop(entry, m.parent, format!("line {} of the parent is not a page pointer", m.iline_parent))
        })?;
        if node.data[at..] != m.source.to_le_bytes() {
            return Err(stop(
                entry,
                m.parent,
                format!("line {} of the parent does not point to page {}", m.iline_parent, m.source),
            ));
        }
        node.data[at..].copy_from_slice(&m.dest.to_le_bytes());
        parent.dbtime = dbtime;
        cx.put(entry, &parent)?;
    }
    for (role, pgno) in [("left", m.left), ("right", m.right)] {
        if pgno == 0 || !needs(entry, role) {
            continue;
        }
        let mut page = cx.image(pgno).map_err(|e| stop(entry, pgno, e))?;
        if role == "left" {
            page.next = PageNumber(m.dest);
        } else {
            page.prev = PageNumber(m.dest);
        }
        page.dbtime = dbtime;
        cx.put(entry, &page)?;
    }
    Ok(())
}
