//! Long values: a separated value's bytes fetched from its table's
//! long-value tree (spec 10.7). A seek finds the value's root node (key =
//! LID big-endian; data = refcount, total size); the chunks follow it in
//! key order (key = LID ‖ byte offset, both big-endian), possibly over
//! several leaves, some of them compressed (spec 10.8).

use super::page_read::{PageRead, ReadFailure};
use super::Database;
use crate::format::compression::{decompress, MAX_VALUE_LEN};
use crate::format::node::node;
use crate::format::page::{Page, PageFlags};
use crate::format::record::Lid;
use crate::format::{ObjectId, PageNumber};

/// Real trees are a few levels deep; a deeper descent is a cycle.
const MAX_DEPTH: usize = 16;

/// Why a long value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LongValueError {
    /// The table has no long-value tree.
    #[error("{lid}: the table has no long-value tree")]
    NoTree {
        /// The value's id.
        lid: Lid,
    },
    /// The tree has no root node for this id.
    #[error("{lid}: not in the long-value tree (root page {root})")]
    Missing {
        /// The value's id.
        lid: Lid,
        /// The tree's root.
        root: PageNumber,
    },
    /// A page on the way is damaged.
    #[error("{lid}: page {pgno} of the long-value tree {why}")]
    BadPage {
        /// The value's id.
        lid: Lid,
        /// The page.
        pgno: PageNumber,
        /// What is wrong with it.
        why: String,
    },
    /// The chunks do not add up to the value.
    #[error("{lid}: {why}")]
    Chunks {
        /// The value's id.
        lid: Lid,
        /// What does not fit.
        why: String,
    },
}

/// The long-value tree of one table.
#[derive(Debug, Clone, Copy)]
pub struct LongValues<'d> {
    db: &'d Database,
    root: Option<PageNumber>,
}

/// A leaf node, copied out of its page (which may be a corrected copy).
struct LeafNode {
    key: Vec<u8>,
    data: Vec<u8>,
    deleted: bool,
}

/// A position in a leaf: page and line.
struct Position<'d> {
    db: &'d Database,
    objid: ObjectId,
    pgno: PageNumber,
    line: u16,
    steps: u32,
}

impl Position<'_> {
    /// The node here, moving to the next leaf when this one is used up;
    /// `None` at the end of the tree.
    fn next(&mut self, lid: Lid) -> Result<Option<LeafNode>, LongValueError> {
        loop {
            if self.pgno.is_null() {
                return Ok(None);
            }
            let read = checked_page(self.db, self.pgno, lid)?;
            let page = tree_page(self.db, &read, self.objid, lid)?;
            let lines = page.header.tag_count.saturating_sub(page.header.ctag_reserved());
            if self.line < lines {
                let found = node(&page, self.line).map_err(|e| bad(lid, self.pgno, e.to_string()))?;
                self.line += 1;
                let deleted = found.is_deleted();
                return Ok(Some(LeafNode { key: found.key, data: found.data.to_vec(), deleted }));
            }
            self.steps += 1;
            if self.steps > self.db.page_count() {
                return Err(bad(lid, self.pgno, "links to a cycle of next pages".into()));
            }
            self.pgno = page.header.next;
            self.line = 0;
        }
    }
}

fn bad(lid: Lid, pgno: PageNumber, why: String) -> LongValueError {
    LongValueError::BadPage { lid, pgno, why }
}

/// The page as a walk reads it: verified, or corrected by the ECC.
fn checked_page(db: &Database, pgno: PageNumber, lid: Lid) -> Result<PageRead<'_>, LongValueError> {
    db.read_page(pgno).map_err(|failure| match failure {
        ReadFailure::NotInFile => bad(lid, pgno, "is not in the file".into()),
        ReadFailure::Checksum(label) => bad(lid, pgno, format!("fails its checksum ({label})")),
    })
}

/// The parsed page, when it belongs to the long-value tree `objid`.
fn tree_page<'r>(
    db: &Database,
    read: &'r PageRead<'_>,
    objid: ObjectId,
    lid: Lid,
) -> Result<Page<'r>, LongValueError> {
    let page = read.page(db).map_err(|e| bad(lid, read.pgno, e.to_string()))?;
    if page.header.objid_fdp != objid {
        return Err(bad(
            lid,
            read.pgno,
            format!("belongs to tree objidFDP {}, not to this tree ({objid})", page.header.objid_fdp),
        ));
    }
    Ok(page)
}

impl<'d> LongValues<'d> {
    /// The tree rooted at `root` (`None` for a table without one).
    pub fn new(db: &'d Database, root: Option<PageNumber>) -> Self {
        Self { db, root }
    }

    /// The leaf position of the first node whose key is ≥ `key`.
    fn seek(&self, root: PageNumber, key: &[u8], lid: Lid) -> Result<Position<'d>, LongValueError> {
        let root_read = checked_page(self.db, root, lid)?;
        let objid = root_read.page(self.db).map_err(|e| bad(lid, root, e.to_string()))?.header.objid_fdp;
        let mut pgno = root;
        for _ in 0..MAX_DEPTH {
            let read = checked_page(self.db, pgno, lid)?;
            let page = tree_page(self.db, &read, objid, lid)?;
            let lines = page.header.tag_count.saturating_sub(page.header.ctag_reserved());
            if page.header.flags.contains(PageFlags::LEAF) {
                for line in 0..lines {
                    let n = node(&page, line).map_err(|e| bad(lid, pgno, e.to_string()))?;
                    if n.key.as_slice() >= key {
                        return Ok(Position { db: self.db, objid, pgno, line, steps: 0 });
                    }
                }
                return Ok(Position { db: self.db, objid, pgno, line: lines, steps: 0 });
            }
            // The child covering `key`: the first separator greater than it
            // (an empty separator is +infinity).
            let mut child = None;
            for line in 0..lines {
                let n = node(&page, line).map_err(|e| bad(lid, pgno, e.to_string()))?;
                if n.key.is_empty() || n.key.as_slice() > key {
                    child = n.child();
                    break;
                }
            }
            pgno = child.ok_or_else(|| bad(lid, pgno, "has no child for the key".into()))?;
        }
        Err(bad(lid, pgno, format!("is deeper than {MAX_DEPTH} levels")))
    }

    /// The whole value of `lid`, chunks decompressed and joined.
    ///
    /// # Errors
    /// The tree is missing or damaged on the way, or its chunks do not
    /// cover the value's size.
    pub fn read(&self, lid: Lid) -> Result<Vec<u8>, LongValueError> {
        let root = self.root.ok_or(LongValueError::NoTree { lid })?;
        let key = lid.key();
        let mut at = self.seek(root, &key, lid)?;
        let missing = LongValueError::Missing { lid, root };
        let head = loop {
            match at.next(lid)? {
                Some(n) if n.deleted && n.key == key => continue,
                Some(n) if n.key == key => break n,
                _ => return Err(missing),
            }
        };
        let size = root_size(lid, &head.data)?;
        let mut chunks: Vec<(usize, Vec<u8>)> = Vec::new();
        while let Some(n) = at.next(lid)? {
            if !n.key.starts_with(&key) || n.key.len() != key.len() + 4 {
                break;
            }
            if n.deleted {
                continue;
            }
            let offset = n.key.get(key.len()..).and_then(|b| <[u8; 4]>::try_from(b).ok());
            let offset = offset.map(u32::from_be_bytes).unwrap_or(0) as usize;
            if offset >= size {
                if size == 0 {
                    return Err(LongValueError::Chunks {
                        lid,
                        why: format!("its root says 0 bytes, but a chunk at offset {offset} follows"),
                    });
                }
                break;
            }
            chunks.push((offset, n.data));
        }
        assemble(lid, size, &chunks)
    }
}

/// The value's size from its root node's data (LVROOT: refcount, size;
/// LVROOT2 adds flags).
///
/// # Errors
/// Root data of the wrong size, an encrypted value, a size beyond 2 GiB.
pub fn root_size(lid: Lid, data: &[u8]) -> Result<usize, LongValueError> {
    let size = data.get(4..8).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    let size = size.ok_or_else(|| LongValueError::Chunks {
        lid,
        why: format!("its root node has {} bytes of data, not 8 or 9", data.len()),
    })? as usize;
    if data.get(8).is_some_and(|flags| flags & 0x01 != 0) {
        return Err(LongValueError::Chunks {
            lid,
            why: "its root says the value is encrypted (LVROOT2 flags 0x01); esescope cannot decrypt it"
                .into(),
        });
    }
    if size > MAX_VALUE_LEN {
        return Err(LongValueError::Chunks { lid, why: format!("its size {size} is beyond 2 GiB") });
    }
    Ok(size)
}

/// The value of `lid` from its chunks (offset, stored bytes) in key order:
/// each decompressed when it holds fewer bytes than it covers.
///
/// # Errors
/// The chunks leave a gap or do not cover `size` bytes, or one does not decompress.
pub fn assemble(lid: Lid, size: usize, chunks: &[(usize, Vec<u8>)]) -> Result<Vec<u8>, LongValueError> {
    let mut value = Vec::with_capacity(size.min(1 << 24));
    for (i, (offset, stored)) in chunks.iter().enumerate() {
        let (offset, stored) = (*offset, stored.as_slice());
        if offset != value.len() {
            return Err(LongValueError::Chunks {
                lid,
                why: format!(
                    "a chunk starts at byte {offset}, but {} bytes were read before it",
                    value.len()
                ),
            });
        }
        let logical = chunks.get(i + 1).map_or(size, |next| next.0).saturating_sub(offset);
        if stored.len() < logical {
            let plain = decompress(stored).map_err(|e| LongValueError::Chunks {
                lid,
                why: format!("the chunk at byte {offset}: {e}"),
            })?;
            value.extend_from_slice(&plain);
        } else {
            value.extend_from_slice(stored);
        }
    }
    if value.len() < size {
        return Err(LongValueError::Chunks {
            lid,
            why: format!("its chunks hold {} of its {size} bytes", value.len()),
        });
    }
    value.truncate(size);
    Ok(value)
}

/// Long-value nodes (key, data) gathered elsewhere than the tree: the LV
/// inserts a transaction log holds, for the history of rows whose values
/// the database no longer has.
pub type LooseNodes = std::collections::BTreeMap<Vec<u8>, Vec<u8>>;

/// The value of `lid` from loose nodes: its root node and the chunks after it.
///
/// # Errors
/// [`LongValueError::Missing`] (with root page 0) when no root node of the
/// value is among them; otherwise as [`assemble`].
pub fn from_loose(lid: Lid, nodes: &LooseNodes) -> Result<Vec<u8>, LongValueError> {
    let key = lid.key();
    let head = nodes.get(&key).ok_or(LongValueError::Missing { lid, root: PageNumber(0) })?;
    let size = root_size(lid, head)?;
    let chunks: Vec<(usize, Vec<u8>)> = nodes
        .range(key.clone()..)
        .skip(1)
        .take_while(|(k, _)| k.starts_with(&key) && k.len() == key.len() + 4)
        .filter_map(|(k, data)| {
            let offset = k.get(key.len()..).and_then(|b| <[u8; 4]>::try_from(b).ok())?;
            Some((u32::from_be_bytes(offset) as usize, data.clone()))
        })
        .filter(|(offset, _)| *offset < size.max(1))
        .collect();
    assemble(lid, size, &chunks)
}
