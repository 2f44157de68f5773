//! Where the inspector writes: a work folder the user chooses (shown as an
//! absolute path, remembered for the session), never beside the evidence
//! by default; and the repair and recovery jobs, which save their reports
//! beside their new files as the CLI does (`NEW.repair.txt`/`.json`,
//! `NEW.recovery.txt`/`.json`).

use std::path::{Path, PathBuf};

use crate::recovery::RecoveryReport;
use crate::repair::RepairReport;
use crate::store::Database;
use crate::txlog::LogSet;

/// The default work folder for evidence at `evidence`: the current
/// directory (absolute), unless that is the evidence's own folder, in which
/// case `esescope-work` in the system's temporary directory.
pub fn default_work_dir(evidence: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| std::env::temp_dir());
    let folder = evidence.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let same = match (folder.canonicalize(), cwd.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        std::env::temp_dir().join("esescope-work")
    } else {
        cwd
    }
}

/// `input` as an absolute path: relative ones are taken inside `work`.
pub fn resolve(work: &Path, input: &str) -> PathBuf {
    let path = Path::new(input.trim());
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        work.join(path)
    }
}

/// The report files of a repair writing `out`.
pub fn repair_report_paths(out: &Path) -> (PathBuf, PathBuf) {
    crate::repair::report_files(out, "repair")
}

/// Saves a report as text and JSON.
fn save(
    text_path: &Path,
    json_path: &Path,
    write: impl Fn(&mut Vec<u8>) -> std::io::Result<()>,
    json: Result<String, serde_json::Error>,
) -> Result<(), String> {
    let mut text = Vec::new();
    write(&mut text).map_err(|e| e.to_string())?;
    let json = json.map_err(|e| e.to_string())?;
    crate::cli::output::save_report_files(text_path, json_path, &text, &json).map_err(|e| format!("{e:#}"))
}

/// Runs a repair of `db` into `out`, taking damaged pages from the copy at
/// `from` when given, and saves its report beside `out`.
///
/// # Errors
/// In words: an output exists, the copy cannot be opened or is of another
/// database, writing fails.
pub fn run_repair(
    db: &Database,
    from: Option<&Path>,
    out: &Path,
    now: crate::format::LogTime,
    progress: impl FnMut(crate::scan::Progress) -> std::ops::ControlFlow<()>,
) -> Result<RepairReport, String> {
    let (text_path, json_path) = repair_report_paths(out);
    crate::cli::output::refuse_existing(&[out, &text_path, &json_path]).map_err(|e| format!("{e:#}"))?;
    let copy = from.map(Database::open).transpose().map_err(|e| format!("{e:#}"))?;
    let report =
        crate::repair::repair(db, copy.as_ref(), out, now, progress).map_err(|e| format!("{e:#}"))?;
    if report.output.is_some() {
        save(&text_path, &json_path, |w| report.write_text(w), serde_json::to_string_pretty(&report))?;
    }
    Ok(report)
}

/// Runs a recovery of `db` from `set` into `out` and saves its report
/// beside `out`.
///
/// # Errors
/// In words: an output exists, recovery refuses, writing fails.
pub fn run_recovery(
    db: &Database,
    set: &LogSet,
    out: &Path,
    now: crate::format::LogTime,
    progress: impl FnMut(crate::scan::Progress) -> std::ops::ControlFlow<()>,
) -> Result<RecoveryReport, String> {
    let (text_path, json_path) = crate::recovery::report_paths(out);
    crate::cli::output::refuse_existing(&[out, &text_path, &json_path]).map_err(|e| format!("{e:#}"))?;
    let from = crate::recovery::StartAt::Recovery;
    let report = crate::recovery::recover(db, set, from, out, now, progress).map_err(|e| format!("{e:#}"))?;
    if report.output.is_some() {
        save(
            &text_path,
            &json_path,
            |w| crate::report::recovery::write_report(w, &report),
            serde_json::to_string_pretty(&report),
        )?;
    }
    Ok(report)
}

/// The report files of a salvage writing `out`.
pub fn salvage_report_paths(out: &Path) -> (PathBuf, PathBuf) {
    crate::repair::report_files(out, "salvage")
}

/// Runs a salvage of `db` into `out` and saves its report beside `out`.
///
/// # Errors
/// In words: an output exists, the input has no valid header, writing fails.
pub fn run_salvage(
    db: &Database,
    out: &Path,
    now: crate::format::LogTime,
    progress: impl FnMut(crate::scan::Progress) -> std::ops::ControlFlow<()>,
) -> Result<crate::salvage::SalvageReport, String> {
    let (text_path, json_path) = salvage_report_paths(out);
    crate::cli::output::refuse_existing(&[out, &text_path, &json_path]).map_err(|e| format!("{e:#}"))?;
    let options = crate::salvage::Options { from: None, include_recovered: false, now };
    let report = crate::salvage::salvage(db, out, options, progress).map_err(|e| format!("{e:#}"))?;
    if report.output.is_some() {
        save(&text_path, &json_path, |w| report.write_text(w), serde_json::to_string_pretty(&report))?;
    }
    Ok(report)
}
