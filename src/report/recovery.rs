//! Text and Markdown renderers of recovery plans and reports
//! ([`crate::recovery`]). JSON comes from the same structures through serde.

use std::io::{self, Write};

use crate::recovery::plan::{PageCheck, Plan, PlanEntry};
use crate::recovery::{Decision, RecoveryReport};

/// One page of a plan entry in words: its dbtime, the record's dbtime
/// before, and the dbtime rule's verdict.
pub fn page_text(page: &PageCheck) -> String {
    let now = page.page_dbtime.map_or_else(|| "past the end of the file".to_string(), |v| format!("{v:#x}"));
    let before = page.touch.dbtime_before.map_or_else(|| "none".to_string(), |v| format!("{v:#x}"));
    let role = match page.touch.role.as_str() {
        "page" => String::new(),
        role => format!(" ({role})"),
    };
    format!(
        "page {}{role}: dbtime {now}, record's dbtime before {before}: {}",
        page.touch.pgno,
        page.verdict.describe(page.touch.dbtime_before.is_none())
    )
}

/// An entry's decision as the plan prints it: APPLY, skip or STOP.
pub fn decision_word(entry: &PlanEntry) -> &'static str {
    match entry.decision {
        Decision::Apply => "APPLY",
        Decision::Skip => "skip",
        Decision::Stop => "STOP",
    }
}

/// Writes `plan` as text: the range, one line per page record, the record
/// types met, what stops recovery, and the open transactions.
///
/// # Errors
/// Any error writing to `out`.
pub fn write_plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    writeln!(out, "Recovery plan for {}", plan.database)?;
    writeln!(out, "  start {} ({})", plan.start, plan.start_reason)?;
    writeln!(out, "  end   {} (end of the log's valid data)", plan.end)?;
    let dbid = plan.dbid.map_or_else(|| "not attached at the start".to_string(), |d| d.to_string());
    writeln!(out, "  dbid  {dbid}")?;
    let (apply, skip, stop) = plan.counts();
    writeln!(out, "  page records: {} ({apply} apply, {skip} skip, {stop} stop)", plan.page_records)?;
    if plan.cancelled {
        writeln!(out, "  cancelled: the plan stops early")?;
    }
    if let Some(r) = &plan.size_refusal {
        writeln!(
            out,
            "  STOP {} at {}: page {} would be the database's last, past the output size limit (page {})",
            r.name, r.lgpos, r.pgno_last, r.limit
        )?;
    }
    if let Some(problem) = &plan.undo_problem {
        writeln!(out, "  STOP undo: {problem}")?;
    }
    writeln!(out, "  page limit: {} (the last page the output may have)", plan.page_limit)?;
    writeln!(out)?;
    write_entries(out, plan)?;
    writeln!(out)?;
    writeln!(out, "Record types in range:")?;
    writeln!(
        out,
        "  {:<30} {:<12} {:<16} {:>7} {:>7} {:>7} {:>7}",
        "type", "handling", "redo", "count", "apply", "skip", "stop"
    )?;
    for t in &plan.types {
        writeln!(
            out,
            "  {:<30} {:<12} {:<16} {:>7} {:>7} {:>7} {:>7}",
            format!("{} ({})", t.name, t.record_type.0),
            t.handling.describe(),
            match (t.handling, t.redo) {
                (_, Some(family)) => family.describe(),
                (crate::recovery::support::Handling::Page, None) => "not implemented",
                _ => "-",
            },
            t.count,
            t.apply,
            t.skip,
            t.stop
        )?;
    }
    if plan.unsupported.is_empty() {
        writeln!(out, "Unsupported record types: none")?;
    }
    for u in &plan.unsupported {
        writeln!(out, "UNSUPPORTED: {} ({}) first at {}: {}", u.name, u.record_type.0, u.first, u.why)?;
    }
    if plan.ended_by_restart > 0 {
        writeln!(
            out,
            "{} transaction(s) were ended by an engine restart (Init/Term) in range",
            plan.ended_by_restart
        )?;
    }
    if plan.open_transactions.is_empty() {
        writeln!(out, "Open transactions at the end of the log: none")?;
    }
    for t in &plan.open_transactions {
        let trx = t.trx_begin0.map_or(String::new(), |x| format!(" trx {x:#x}"));
        writeln!(
            out,
            "Open transaction: session {:#x}{trx}, level {}, begun at {}, {} operation(s) on this database to undo",
            t.procid,
            t.level,
            t.begin,
            t.operations.len()
        )?;
        for op in &t.operations {
            writeln!(
                out,
                "    {} {} page {} line {} (level {})",
                op.lgpos, op.name, op.pgno, op.iline, op.level
            )?;
        }
    }
    Ok(())
}

/// One line per page record of `plan`: where, what, the pages and the
/// decision with its reason.
fn write_entries(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    for entry in &plan.entries {
        let pages: Vec<String> = entry.pages.iter().map(page_text).collect();
        let macro_note = entry.macro_dbtime.map_or(String::new(), |d| format!(" macro {d:#x}"));
        writeln!(
            out,
            "{} {:<9} [{}:{}] after {:#x}{macro_note}  {}  {}  ({})",
            entry.lgpos,
            entry.name,
            entry.dbid,
            entry.procid,
            entry.dbtime_after,
            decision_word(entry),
            entry.reason.describe(),
            if pages.is_empty() { "no page of this database".to_string() } else { pages.join("; ") }
        )?;
        if let Some(detail) = &entry.detail {
            writeln!(out, "    {detail}")?;
        }
    }
    if plan.entries_left_out > 0 {
        writeln!(
            out,
            "({} more page records not listed: a plan lists the first {} one by one, then only those that stop recovery)",
            plan.entries_left_out,
            Plan::ENTRIES_KEPT
        )?;
    }
    Ok(())
}

/// Writes a recovery report as text: what was replayed, which pages and
/// header fields changed, what was undone, the output and its verify.
///
/// # Errors
/// Any error writing to `out`.
pub fn write_report(out: &mut dyn Write, report: &RecoveryReport) -> io::Result<()> {
    let plan = &report.plan;
    writeln!(out, "Recovery of {} (not modified)", report.input.path)?;
    writeln!(out, "  input  SHA-256 {}", report.input.sha256)?;
    writeln!(out, "  logs   {}", report.logs)?;
    writeln!(out, "  replayed {} to {} ({})", plan.start, plan.end, plan.start_reason)?;
    if report.cancelled {
        return writeln!(out, "Cancelled: no output was written.");
    }
    let (apply, skip, stop) = plan.counts();
    writeln!(out, "  page records: {} ({apply} redone, {skip} skipped, {stop} stop)", plan.page_records)?;
    let types: Vec<String> =
        plan.types.iter().map(|t| format!("{} ({}): {}", t.name, t.record_type.0, t.count)).collect();
    writeln!(out, "  records by type: {}", if types.is_empty() { "none".into() } else { types.join(", ") })?;
    writeln!(out, "  page limit: {} (the last page the output may have)", plan.page_limit)?;
    writeln!(out)?;
    write_entries(out, plan)?;
    writeln!(out)?;
    if report.pages.is_empty() {
        writeln!(out, "Pages changed: none (every page already held the logged changes)")?;
    }
    for page in &report.pages {
        writeln!(
            out,
            "page {}: dbtime {:#x} -> {:#x}, {} bytes changed",
            page.pgno, page.dbtime.0, page.dbtime.1, page.changed_bytes
        )?;
    }
    if report.undone.is_empty() {
        writeln!(out, "Undo: no transaction was open at the end of the log")?;
    }
    for t in &report.undone {
        writeln!(
            out,
            "Undo: session {:#x} begun at {} rolled back ({} operation(s) on this database)",
            t.procid,
            t.begin,
            t.operations.len()
        )?;
    }
    for field in &report.header_fields {
        writeln!(out, "header: {field}")?;
    }
    match (&report.output, &report.verify_after) {
        (Some(output), Some(counts)) => {
            writeln!(out, "Wrote {} (clean shutdown)", output.path)?;
            writeln!(out, "  output SHA-256 {}", output.sha256)?;
            writeln!(out, "  note: {}", report.note)?;
            writeln!(
                out,
                "  verify: {} pages, {} ok, {} uninitialized, {} damaged",
                counts.pages,
                counts.ok,
                counts.uninitialized,
                counts.damaged()
            )?;
        }
        _ => writeln!(out, "No output was written.")?,
    }
    Ok(())
}
