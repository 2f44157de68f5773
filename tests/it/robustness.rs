//! Robustness: fuzz regressions replayed through the fuzz targets' own code,
//! property tests of the checksum round trips (spec 5.6 writer against
//! `verdict::check_page`), and every CLI command leaving its input
//! byte-for-byte unchanged.

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code, missing_docs)]
mod fuzz_harness;
#[path = "../../benches/support/seal.rs"]
mod seal;

use std::path::{Path, PathBuf};

use esescope::cli::database::{FileArgs, PageArgs, PageSpec, RepairArgs, ReportArgs, VerifyArgs};
use esescope::cli::output::OutputArgs;
use esescope::cli::trees::{TablesArgs, TreeArgs};
use esescope::cli::{self, Command};
use esescope::format::checksum::{legacy_xor, FORMAT_FLAG_BIT};
use esescope::format::verdict::{check_page, page_matches, FlipKind, Verdict};
use esescope::format::{PageNumber, PageSize};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::RngSeed;
use sha2::{Digest, Sha256};

use crate::common::real_databases;

// ---------------------------------------------------------------------------
// Fuzz regressions

fn regression_inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file() && path.extension().is_none_or(|ext| ext != "md"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no regression inputs", dir.display());
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    for path in regression_inputs(target) {
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "fuzz target {target} panics on {}", path.display());
    }
}

#[test]
fn database_fuzz_regressions_do_not_panic() {
    replay("database", fuzz_harness::database);
}

#[test]
fn header_fuzz_regressions_do_not_panic() {
    replay("header", fuzz_harness::header);
}

#[test]
fn page_fuzz_regressions_do_not_panic() {
    replay("page", fuzz_harness::page);
}

#[test]
fn checksum_fuzz_regressions_do_not_panic() {
    replay("checksum", fuzz_harness::checksum);
}

#[test]
fn node_fuzz_regressions_do_not_panic() {
    replay("node", fuzz_harness::node);
}

#[test]
fn record_fuzz_regressions_do_not_panic() {
    replay("record", fuzz_harness::record);
}

#[test]
fn compression_fuzz_regressions_do_not_panic() {
    replay("compression", fuzz_harness::compression);
}

#[test]
fn txlog_fuzz_regressions_do_not_panic() {
    replay("txlog", fuzz_harness::txlog);
}

#[test]
fn checkpoint_fuzz_regressions_do_not_panic() {
    replay("checkpoint", fuzz_harness::checkpoint);
}

#[test]
fn space_fuzz_regressions_do_not_panic() {
    replay("space", fuzz_harness::space);
}

#[test]
fn catalog_fuzz_regressions_do_not_panic() {
    replay("catalog", fuzz_harness::catalog);
}

#[test]
fn recovery_fuzz_regressions_do_not_panic() {
    replay("recovery", fuzz_harness::recovery);
}

// ---------------------------------------------------------------------------
// Checksum round trips

const SIZES: [PageSize; 5] = [PageSize::K2, PageSize::K4, PageSize::K8, PageSize::K16, PageSize::K32];

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, rng_seed: RngSeed::Fixed(0xE5E5_C09E), ..ProptestConfig::default() }
}

fn size_strategy() -> impl Strategy<Value = PageSize> {
    proptest::sample::select(SIZES.to_vec())
}

/// Random bytes from `seed` (fastrand, so a 32 KiB page costs one seed, not
/// 32768 shrinkable values).
fn random_page(size: PageSize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..size.len()).map(|_| rng.u8(..)).collect()
}

/// A random page sealed as `pgno` by the spec 5.6 writer.
fn sealed(size: PageSize, pgno: u32, seed: u64) -> Vec<u8> {
    let mut page = random_page(size, seed);
    seal::seal_new_format(&mut page, pgno, size);
    page
}

fn flip(page: &mut [u8], bit: usize) {
    page[bit / 8] ^= 1 << (bit % 8);
}

/// The one flipped bit a verdict names, as a page bit index, if it names one.
fn named_bit(verdict: &Verdict) -> Option<usize> {
    match verdict {
        Verdict::Correctable { bits, .. } if bits.len() == 1 => {
            Some(bits[0].offset * 8 + usize::from(bits[0].bit))
        }
        _ => None,
    }
}

/// Flips `bit` of a copy of the sealed `page` and asserts the verdict names
/// exactly that bit, with the right kind.
fn assert_flip_located(page: &[u8], pgno: PageNumber, size: PageSize, bit: usize) {
    let mut page = page.to_vec();
    flip(&mut page, bit);
    let verdict = check_page(&page, pgno, size).verdict;
    match &verdict {
        // From the page alone, a flip in the stored XOR half of a small page
        // is the same as a checksum made for the page number that differs in
        // that bit (format/verdict.rs; the scan decides with the file).
        Verdict::WrongPageNumber { stored_pgno, perhaps_bit: Some(b) } => {
            assert!(!size.is_large() && bit < 32, "{size}: bit {bit}: {verdict:?}");
            assert_eq!(b.offset * 8 + usize::from(b.bit), bit, "{size}");
            assert_eq!(stored_pgno.0, pgno.0 ^ (1 << bit), "{size}");
        }
        Verdict::Correctable { bits, .. } => {
            assert_eq!(named_bit(&verdict), Some(bit), "{size}: {verdict:?}");
            let expected_kind = if bit == FORMAT_FLAG_BIT as usize {
                FlipKind::FormatFlag
            } else if bit < 64 {
                FlipKind::StoredChecksum
            } else {
                FlipKind::Data
            };
            assert_eq!(bits[0].kind, expected_kind, "{size}: bit {bit}");
            assert_eq!(bits[0].byte, page[bit / 8], "{size}: the byte as it is now");
        }
        other => panic!("{size}: bit {bit}: {other:?}"),
    }
}

#[test]
fn every_bit_of_the_page_headers_is_located() {
    // The header area holds every special case: the stored checksum, the
    // format flag, rgChecksum (40..64) and PGHDR2.pgno (64..68).
    for (seed, size) in SIZES.into_iter().enumerate() {
        let page = sealed(size, 0x00AB_CDEF, seed as u64);
        for bit in 0..size.header_len() * 8 {
            assert_flip_located(&page, PageNumber(0x00AB_CDEF), size, bit);
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn sealed_page_verifies(size in size_strategy(), pgno in 1u32.., seed: u64) {
        let page = sealed(size, pgno, seed);
        prop_assert!(page_matches(&page, PageNumber(pgno), size));
        prop_assert_eq!(check_page(&page, PageNumber(pgno), size).verdict, Verdict::Ok);
        // The same bytes at any other number are misplaced, not fine.
        let other = PageNumber(pgno ^ 0x10);
        prop_assert!(!page_matches(&page, other, size));
        let is_wrong_number = matches!(check_page(&page, other, size).verdict, Verdict::WrongPageNumber { .. });
        prop_assert!(is_wrong_number);
    }

    #[test]
    fn one_flipped_bit_is_located_exactly(size in size_strategy(), pgno in 1u32.., seed: u64, at: Index) {
        let page = sealed(size, pgno, seed);
        assert_flip_located(&page, PageNumber(pgno), size, at.index(size.len() * 8));
    }

    #[test]
    fn two_flipped_bits_in_one_block_are_never_correctable(
        size in size_strategy(),
        pgno in 1u32..,
        seed: u64,
        block: Index,
        a: Index,
        b: Index,
    ) {
        let blocks = if size.is_large() { 4 } else { 1 };
        let block_bits = size.len() * 8 / blocks;
        let start = block.index(blocks) * block_bits;
        let (a, b) = (start + a.index(block_bits), start + b.index(block_bits));
        prop_assume!(a != b);
        let mut page = sealed(size, pgno, seed);
        flip(&mut page, a);
        flip(&mut page, b);
        let verdict = check_page(&page, PageNumber(pgno), size).verdict;
        let correctable = matches!(verdict, Verdict::Correctable { .. });
        prop_assert!(!correctable, "bits {} and {}: {:?}", a, b, verdict);
        prop_assert!(verdict.is_damaged());
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn legacy_xor_round_trip(
        size in proptest::sample::select(vec![PageSize::K2, PageSize::K4, PageSize::K8]),
        pgno in 1u32..,
        seed: u64,
        at: Index,
    ) {
        let mut page = random_page(size, seed);
        let flags = u32::from_le_bytes(page[36..40].try_into().unwrap()) & !seal::NEW_CHECKSUM_FORMAT;
        page[36..40].copy_from_slice(&flags.to_le_bytes());
        seal::reseal(&mut page, pgno, size);
        // The writer's bytes, checked against the definition directly.
        prop_assert_eq!(&page[4..8], &pgno.to_le_bytes());
        prop_assert_eq!(&page[0..4], &legacy_xor(&page).to_le_bytes());
        prop_assert!(page_matches(&page, PageNumber(pgno), size));
        prop_assert_eq!(check_page(&page, PageNumber(pgno), size).verdict, Verdict::Ok);
        let other = pgno.wrapping_add(1).max(1);
        prop_assert_eq!(
            check_page(&page, PageNumber(other), size).verdict,
            Verdict::WrongPageNumber { stored_pgno: PageNumber(pgno), perhaps_bit: None }
        );
        // A legacy checksum detects any one flipped bit but cannot locate it;
        // only the format flag, which switches the algorithm, is named.
        let bit = at.index(size.len() * 8);
        flip(&mut page, bit);
        let verdict = check_page(&page, PageNumber(pgno), size).verdict;
        if bit == FORMAT_FLAG_BIT as usize {
            prop_assert_eq!(named_bit(&verdict), Some(bit), "{:?}", verdict);
        } else {
            prop_assert!(verdict == Verdict::Uncorrectable, "bit {}: {:?}", bit, verdict);
        }
    }
}

// ---------------------------------------------------------------------------
// Commands never write to their input

fn sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn no_command_changes_its_input() {
    let databases = real_databases();
    assert!(databases.len() >= 10, "expected the real samples, found {}", databases.len());
    let dir = tempfile::tempdir().unwrap();
    for original in databases {
        let before = sha256(&original);
        let copy = dir.path().join(original.file_name().unwrap());
        std::fs::copy(&original, &copy).unwrap();
        assert_eq!(sha256(&copy), before);
        let file = copy.clone();
        let out_dir = tempfile::tempdir().unwrap();
        let commands = [false, true].into_iter().flat_map(|json| {
            let output = || if json { OutputArgs::json() } else { OutputArgs::text() };
            let repaired = out_dir.path().join(format!("repaired-{json}.edb"));
            [
                Command::Info(FileArgs { file: file.clone(), output: output() }),
                Command::Header(FileArgs { file: file.clone(), output: output() }),
                Command::Page(PageArgs {
                    file: file.clone(),
                    page: PageSpec::Number(1),
                    output: output(),
                    no_hex: false,
                }),
                Command::Verify(VerifyArgs { file: file.clone(), trees: json, output: output() }),
                Command::Tables(TablesArgs { file: file.clone(), output: output() }),
                Command::Catalog(TablesArgs { file: file.clone(), output: output() }),
                Command::Tree(TreeArgs { file: file.clone(), tree: "4".into(), output: output() }),
                Command::Report(ReportArgs { file: file.clone(), out: None, logs: None, output: output() }),
                Command::Repair(RepairArgs {
                    file: file.clone(),
                    out: repaired,
                    from: None,
                    output: output(),
                }),
            ]
        });
        for command in commands {
            let mut out = Vec::new();
            let result = cli::run(&command, &mut out);
            assert!(result.is_ok(), "{command:?}: {result:?}");
            assert!(!out.is_empty(), "{command:?} wrote nothing");
            assert_eq!(sha256(&copy), before, "{command:?} changed {}", copy.display());
        }
        assert_eq!(sha256(&original), before, "{} changed", original.display());
        std::fs::remove_file(&copy).unwrap();
    }
}
