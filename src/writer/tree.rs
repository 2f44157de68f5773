//! Bulk-loading a B+-tree (spec 7.2): sorted entries in, pages out. Leaves
//! are filled up to the tree's density and doubly linked; internal levels
//! hold shortened separator keys (the shortest prefix of the next page's
//! first key that sorts after the previous page's last key) and child page
//! numbers; the last node of each level's rightmost page has the empty
//! key (+∞). The root sits at `pgnoFDP` and carries the FDP's tag 0.
//!
//! Planning ([`plan`]) and building ([`TreePlan::build`]) are separate so
//! the caller can allocate the pages between the two: how many pages a
//! tree needs depends only on the entries and the root's tag-0 length.

use crate::format::page::PageFlags;
use crate::format::{DbTime, ObjectId, PageNumber, PageSize};

use super::page::{common_prefix_len, compressed_cost, prefix_pays, LeafEntry, NodeImage, PageImage};
use super::WriteError;

/// One tree to write; `E` is how its leaf entries are held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeSpec<E = NodeImage> {
    /// `objidFDP` of every page.
    pub objid: ObjectId,
    /// Tree-type bits added to every page (`Index`, `LongValue`,
    /// `SpaceTree`, `NonUniqueKeys`); leaf/root/parent bits are the builder's.
    pub kind: PageFlags,
    /// Length of the root's tag 0 (the space header: 16 bytes); the bytes
    /// are given to [`TreePlan::build`], once the space is allocated.
    pub root_header_len: usize,
    /// Leaf entries, sorted by key (by key then data in a non-unique tree).
    pub entries: Vec<E>,
    /// Percentage of a leaf to fill before starting the next one.
    pub density: u8,
    /// Records in the legacy (pre-`NewRecordFormat`) layout: the pages do
    /// not get the `NewRecordFormat` flag (salvage of an old database).
    pub legacy_records: bool,
}

/// The pages of a tree before they have page numbers: the leaves, then
/// each internal level upward, the last one being the root alone (a tree
/// that fits its root has the leaves only). Internal nodes' data holds the
/// child's index in the level below until [`TreePlan::build`] replaces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreePlan<E = NodeImage> {
    spec: TreeSpec<E>,
    leaves: Level<E>,
    upper: Vec<Level<NodeImage>>,
}

/// One level of a planned tree: its nodes in order and how many of them
/// go on each page (the nodes are moved into their pages only when the
/// pages are built, so a large tree's entries are not held twice).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Level<E> {
    nodes: Vec<E>,
    counts: Vec<usize>,
}

impl<E> Level<E> {
    /// Pages of the level.
    fn len(&self) -> usize {
        self.counts.len()
    }

    /// The nodes of each page: (first, one past the last) index in `nodes`.
    fn bounds(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.counts.iter().scan(0, |at, &n| {
            let start = *at;
            *at += n;
            Some((start, *at))
        })
    }
}

impl<E: LeafEntry + Clone> TreePlan<E> {
    /// Builds the pages. `pages[0]` is the root (`pgnoFDP`); the others are
    /// used leaves first, left to right, then each internal level upward.
    /// Each page gets the next value of `dbtime`. `root_header` is the
    /// root's tag 0, as long as planned.
    ///
    /// # Errors
    /// Fewer pages than [`TreePlan::page_count`], or a root header of
    /// another length than planned.
    pub fn build(
        &self,
        root_header: &[u8],
        pages: &[PageNumber],
        size: PageSize,
        dbtime: &mut u64,
    ) -> Result<Vec<PageImage>, WriteError> {
        let mut out = Vec::with_capacity(self.page_count());
        self.clone().build_each(root_header, pages, size, dbtime, |page| {
            out.push(page);
            Ok::<(), WriteError>(())
        })?;
        Ok(out)
    }
}

impl<E: LeafEntry> TreePlan<E> {
    /// Pages the tree takes.
    pub fn page_count(&self) -> usize {
        self.leaves.len() + self.upper.iter().map(Level::len).sum::<usize>()
    }

    /// As [`TreePlan::build`], handing each page to `on_page` as it is made
    /// and moving the nodes into it (no copy of the tree is held: what a
    /// large tree needs).
    ///
    /// # Errors
    /// As [`TreePlan::build`], or what `on_page` returns.
    pub fn build_each<Err: From<WriteError>>(
        self,
        root_header: &[u8],
        pages: &[PageNumber],
        size: PageSize,
        dbtime: &mut u64,
        mut on_page: impl FnMut(PageImage) -> Result<(), Err>,
    ) -> Result<(), Err> {
        if root_header.len() != self.spec.root_header_len {
            return Err(WriteError::PageFull {
                pgno: PageNumber::NULL,
                need: root_header.len(),
                have: self.spec.root_header_len,
            }
            .into());
        }
        if pages.len() < self.page_count() {
            return Err(WriteError::OutOfPages { need: self.page_count(), have: pages.len() }.into());
        }
        let (root, rest) = pages.split_first().ok_or(WriteError::OutOfPages { need: 1, have: 0 })?;
        // Page numbers per level: the root level gets `root`, the others
        // are handed out from `rest` leaves first.
        let level_count = 1 + self.upper.len();
        let lens = std::iter::once(self.leaves.len()).chain(self.upper.iter().map(Level::len));
        let mut numbers: Vec<Vec<PageNumber>> = Vec::with_capacity(level_count);
        let mut next = rest.iter().copied();
        for (depth, len) in lens.enumerate() {
            if depth + 1 == level_count {
                numbers.push(vec![*root]);
            } else {
                numbers.push(next.by_ref().take(len).collect());
            }
        }
        let TreePlan { spec, leaves, upper } = self;
        let page = |depth: usize, i: usize, nodes: Vec<NodeImage>, dbtime: &mut u64| {
            let leaf = depth == 0;
            let pgno = numbers[depth][i];
            let mut flags =
                if spec.legacy_records { spec.kind } else { spec.kind | PageFlags::NEW_RECORD_FORMAT };
            if leaf {
                flags = flags | PageFlags::LEAF;
            } else if depth == 1 {
                flags = flags | PageFlags::PARENT_OF_LEAF;
            }
            let mut image = PageImage::new(pgno, size, spec.objid, flags);
            if depth + 1 == level_count {
                image.flags = image.flags | PageFlags::ROOT;
                image.external_header = root_header.to_vec();
            }
            if leaf && numbers[0].len() > 1 {
                image.prev = i.checked_sub(1).map_or(PageNumber::NULL, |j| numbers[0][j]);
                image.next = numbers[0].get(i + 1).copied().unwrap_or(PageNumber::NULL);
            }
            image.nodes = nodes;
            if !leaf {
                for node in &mut image.nodes {
                    let child = u32::from_le_bytes(node.data[..4].try_into().unwrap_or_default()) as usize;
                    let child_pgno = numbers[depth - 1].get(child).copied().unwrap_or(PageNumber::NULL);
                    node.data = child_pgno.0.to_le_bytes().to_vec();
                }
            }
            // Below the root, keys share the page's prefix (tag 0), as the engine writes them.
            image.compress_keys();
            *dbtime += 1;
            image.dbtime = DbTime(*dbtime);
            image
        };
        let Level { nodes, counts } = leaves;
        let mut all = nodes.into_iter();
        for (i, &count) in counts.iter().enumerate() {
            let nodes = all.by_ref().take(count).map(LeafEntry::into_node).collect();
            on_page(page(0, i, nodes, dbtime))?;
        }
        for (depth, level) in upper.into_iter().enumerate() {
            let Level { nodes, counts } = level;
            let mut all = nodes.into_iter();
            for (i, &count) in counts.iter().enumerate() {
                let nodes = all.by_ref().take(count).collect();
                on_page(page(depth + 1, i, nodes, dbtime))?;
            }
        }
        Ok(())
    }
}

/// The key a node sorts by: its key, or key then data in a non-unique tree.
fn sort_key<E: LeafEntry>(node: &E, non_unique: bool) -> Vec<u8> {
    if non_unique {
        [node.key(), node.data()].concat()
    } else {
        node.key().to_vec()
    }
}

/// The shortest prefix of `next` that sorts after `prev` (`next > prev`).
fn separator(prev: &[u8], next: &[u8]) -> Vec<u8> {
    (1..=next.len()).map(|len| &next[..len]).find(|p| *p > prev).unwrap_or(next).to_vec()
}

/// Bytes a page offers to tag data and tags (everything but the header).
fn usable(size: PageSize) -> usize {
    size.len() - size.header_len()
}

/// Splits `nodes` into non-root pages, each at most `limit` bytes of
/// nodes and tags once its keys are prefix-compressed (at least one node
/// per page, which must fit `most` with tag 0). Returns how many nodes go
/// on each page, in order.
fn pack<E: LeafEntry>(nodes: &[E], limit: usize, most: usize) -> Result<Vec<usize>, WriteError> {
    let mut pages: Vec<usize> = Vec::new();
    // The page being filled: its first node, its node count, its plain
    // cost and its shared prefix.
    let mut first: Option<&E> = None;
    let mut count = 0usize;
    let (mut plain, mut shared) = (4usize, 0usize);
    let cost_of = |plain: usize, shared: usize, count: usize| {
        if prefix_pays(count, shared) {
            plain - count * shared + count * 2 + shared
        } else {
            plain
        }
    };
    for node in nodes {
        let cost = node.stored_len() + 4;
        if cost + 4 > most {
            return Err(WriteError::NodeTooLarge { len: node.stored_len(), most: most - 8 });
        }
        let with = first.map_or(node.key().len(), |f| shared.min(common_prefix_len(f.key(), node.key())));
        if count > 0 && cost_of(plain + cost, with, count + 1) > limit {
            pages.push(std::mem::take(&mut count));
            first = None;
            plain = 4;
            shared = node.key().len();
        } else {
            shared = with;
        }
        plain += cost;
        first.get_or_insert(node);
        count += 1;
    }
    if count > 0 || pages.is_empty() {
        pages.push(count);
    }
    debug_assert!({
        let level = Level::<E> { nodes: Vec::new(), counts: pages.clone() };
        let fits = level
            .bounds()
            .all(|(a, b)| b - a == 1 || nodes.get(a..b).is_some_and(|p| compressed_cost(p) <= limit));
        fits
    });
    Ok(pages)
}

/// Plans the pages of a tree.
///
/// # Errors
/// An entry too large for a page.
pub fn plan<E: LeafEntry>(mut spec: TreeSpec<E>, size: PageSize) -> Result<TreePlan<E>, WriteError> {
    let non_unique = spec.kind.contains(PageFlags::NON_UNIQUE_KEYS);
    let most = usable(size);
    let root_most = most - spec.root_header_len;
    // the entries move into the plan's pages (the spec keeps none: no second copy)
    let entries = std::mem::take(&mut spec.entries);
    let cost: usize = entries.iter().map(|n| n.stored_len() + 4).sum::<usize>() + 4;
    if cost <= root_most {
        let counts = vec![entries.len()];
        return Ok(TreePlan { spec, leaves: Level { nodes: entries, counts }, upper: Vec::new() });
    }
    let limit = (most * usize::from(spec.density.clamp(20, 100)) / 100).max(1);
    let leaves = Level { counts: pack(&entries, limit, most)?, nodes: entries };
    // Parent entries of the leaves: separators between neighbours.
    let bounds: Vec<(usize, usize)> = leaves.bounds().collect();
    let mut children: Vec<NodeImage> = bounds
        .iter()
        .enumerate()
        .map(|(i, &(start, end))| {
            let last = end.checked_sub(1).filter(|&l| l >= start).and_then(|l| leaves.nodes.get(l));
            let next = bounds.get(i + 1).and_then(|&(s, e)| leaves.nodes.get(s..e)).and_then(<[_]>::first);
            let key = match (last, next) {
                (Some(last), Some(first)) => {
                    separator(&sort_key(last, non_unique), &sort_key(first, non_unique))
                }
                _ => Vec::new(),
            };
            NodeImage::new(key, (i as u32).to_le_bytes().to_vec())
        })
        .collect();
    let mut upper = Vec::new();
    loop {
        let cost: usize = children.iter().map(|n| n.stored_len() + 4).sum::<usize>() + 4;
        if cost <= root_most {
            let counts = vec![children.len()];
            upper.push(Level { nodes: children, counts });
            return Ok(TreePlan { spec, leaves, upper });
        }
        let level = Level { counts: pack(&children, most, most)?, nodes: children };
        // A page's parent entry carries the key of its last node.
        children = level
            .bounds()
            .enumerate()
            .map(|(i, (start, end))| {
                let key = level
                    .nodes
                    .get(start..end)
                    .and_then(<[_]>::last)
                    .map(|n| n.key.clone())
                    .unwrap_or_default();
                NodeImage::new(key, (i as u32).to_le_bytes().to_vec())
            })
            .collect();
        upper.push(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::node::nodes;
    use crate::format::page::Page;

    fn spec(count: u32, value_len: usize) -> TreeSpec {
        TreeSpec {
            objid: ObjectId(9),
            kind: PageFlags(0),
            root_header_len: 16,
            entries: (0..count)
                .map(|i| NodeImage::new(i.to_be_bytes().to_vec(), vec![1; value_len]))
                .collect(),
            density: 90,
            legacy_records: false,
        }
    }

    #[test]
    fn few_entries_make_a_single_root_leaf() {
        let plan = plan(spec(3, 10), PageSize::K4).unwrap();
        assert_eq!(plan.page_count(), 1);
        let pages = plan.build(&[0; 16], &[PageNumber(30)], PageSize::K4, &mut 0).unwrap();
        assert_eq!(pages[0].flags, PageFlags(0x803));
    }

    #[test]
    fn many_entries_make_three_levels_with_linked_leaves() {
        let plan = plan(spec(3000, 1000), PageSize::K4).unwrap();
        assert!(plan.upper.len() == 2, "{} levels", 1 + plan.upper.len());
        let numbers: Vec<PageNumber> = (100..100 + plan.page_count() as u32).map(PageNumber).collect();
        let mut dbtime = 0;
        let pages = plan.build(&[0; 16], &numbers, PageSize::K4, &mut dbtime).unwrap();
        let leaves: Vec<_> = pages.iter().filter(|p| p.flags.contains(PageFlags::LEAF)).collect();
        assert_eq!(leaves.first().unwrap().prev, PageNumber::NULL);
        assert_eq!(leaves.last().unwrap().next, PageNumber::NULL);
        assert!(leaves.windows(2).all(|w| w[0].next == w[1].pgno && w[1].prev == w[0].pgno));
        let root = pages.last().unwrap();
        assert_eq!((root.pgno, root.flags), (PageNumber(100), PageFlags(0x801)));
        assert!(root.nodes.last().unwrap().key.is_empty());
        // every page builds and every internal separator bounds its child
        for image in &pages {
            let bytes = image.build().unwrap();
            let page = Page::parse(&bytes, image.pgno, PageSize::K4).unwrap();
            assert_eq!(nodes(&page).count(), image.nodes.len());
        }
        assert_eq!(dbtime, pages.len() as u64);
    }

    #[test]
    fn separators_are_short() {
        assert_eq!(separator(b"abc", b"abd"), b"abd");
        assert_eq!(separator(b"abc", b"b123"), b"b");
        assert_eq!(separator(b"ab", b"ab\x00"), b"ab\x00");
    }

    #[test]
    fn an_entry_larger_than_a_page_is_an_error() {
        assert!(matches!(plan(spec(2, 5000), PageSize::K4), Err(WriteError::NodeTooLarge { .. })));
    }
}
