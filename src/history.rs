//! The history of a database's rows from its transaction logs: every
//! row-level operation of the log set (Insert, Replace, ReplaceD,
//! FlagDelete, Delete, FlagInsert, Delta, Undo) decoded into the row of
//! its table through the catalog as it stands at that point of the log,
//! with its transaction's outcome, and where the row stands in the
//! database now. A long job: a plain function with a progress callback;
//! generations are read one at a time and dropped (spec: log records 4.5,
//! transactions 6.3).

pub mod event;
pub mod pages;
pub mod sessions;
pub mod tables;

use std::ops::ControlFlow;

use crate::finding::{Finding, Location};
use crate::format::txlog::record::{Details, Record};
use crate::format::value::Value;
use crate::format::Lgpos;
use crate::recovery::node_op;
use crate::scan::Progress;
use crate::store::Database;
use crate::txlog::LogSet;
pub use event::{Event, Filter, Now, Operation, Outcome, Summary, Values};
use pages::Pages;
use sessions::Sessions;
use tables::{fingerprint, Tables, TreeKind, CATALOG_OBJID};

fn values_of(names: &[String], row: &crate::store::table::Row) -> Values {
    Values(names.iter().cloned().zip(row.values.iter().cloned()).collect())
}

/// Record flag: the operation is on a space tree (spec 4.5.1).
const SPACE_TREE: u8 = 0x08;

fn operation(code: u8) -> Option<Operation> {
    Some(match code {
        29 => Operation::Insert,
        30 => Operation::FlagInsert,
        31 => Operation::FlagInsertReplace,
        32 => Operation::FlagDelete,
        33 => Operation::Replace,
        34 => Operation::ReplaceDiff,
        35 => Operation::Delete,
        37 | 93 => Operation::Delta,
        39 => Operation::Undo,
        _ => return None,
    })
}

/// The history of `db` from the log set `set`: calls `on_event` for each
/// row event in log order (with its outcome once its transaction ended).
/// Memory: one generation's records, the catalog, the pages followed,
/// and the rows of the tables asked about (for where each row stands now).
///
/// A generation that cannot be read, a gap or a damaged segment ends the
/// history there with a finding in the summary.
pub fn history(
    db: &Database,
    set: &LogSet,
    filter: &Filter,
    on_event: &mut dyn FnMut(Event),
    on_progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Summary {
    let mut summary = Summary::default();
    let mut tables = Tables::new(db);
    let mut pages = Pages::default();
    let mut sessions = Sessions::default();
    let sign_db = db.header().map(|h| h.sign_db);
    let mut dbid: Option<u8> = None;
    let total = set.logs.iter().filter(|e| e.in_chain && e.log.is_some()).count() as u64;
    let mut previous: Option<i32> = None;
    // the last record read, where a gap ends the history
    let mut last = Lgpos::default();
    'generations: for (done, (entry, loaded)) in set.generations().enumerate() {
        if on_progress(Progress { done: done as u64, total }).is_break() {
            summary.cancelled = true;
            break;
        }
        let path = entry.path.display().to_string();
        let log = match loaded {
            Ok(log) => log,
            Err(why) => {
                summary
                    .findings
                    .push(Finding::error(Location::File, format!("the history ends at {path}: {why}")));
                break;
            }
        };
        let generation = log.header.generation;
        // the attach list of the generation's header gives the dbid of a
        // database attached before it
        if dbid.is_none() {
            dbid = log.header.attached.iter().find(|a| Some(a.sign_db) == sign_db).map(|a| a.dbid);
        }
        if let Some(p) = previous.filter(|&p| p + 1 != generation) {
            summary.findings.push(Finding::error(
                Location::File,
                format!(
                    "the history ends at {last}, the end of generation {p:#X}: generation {:#X} is missing ({path} is generation {generation:#X})",
                    p + 1
                ),
            ));
            break;
        }
        previous = Some(generation);
        summary.generations.push(generation);
        let file = entry.path.file_name().map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
        let created = log.header.created.to_string();
        let problem = log.body_problems().into_iter().min_by_key(|p| p.lgpos).cloned();
        let damaged = problem.as_ref().map(|p| p.lgpos);
        for record in &log.records.records {
            if damaged.is_some_and(|d| record.lgpos >= d) {
                break;
            }
            last = record.lgpos;
            if filter.to.is_some_and(|to| record.lgpos > to) {
                break 'generations;
            }
            step(
                record,
                &mut Step {
                    db,
                    filter,
                    tables: &mut tables,
                    pages: &mut pages,
                    sessions: &mut sessions,
                    summary: &mut summary,
                    sign_db,
                    dbid: &mut dbid,
                    file: &file,
                    created: &created,
                },
            );
            for event in sessions.ready() {
                emit(event, filter, &mut summary, on_event);
            }
        }
        if let Some(problem) = problem {
            summary.findings.push(Finding::error(
                Location::File,
                format!("the history ends at {} in {path}: {}", problem.lgpos, problem.message),
            ));
            break;
        }
    }
    sessions.finish();
    for event in sessions.ready() {
        emit(event, filter, &mut summary, on_event);
    }
    let _ = on_progress(Progress { done: total, total });
    summary
}

fn emit(event: Event, filter: &Filter, summary: &mut Summary, on_event: &mut dyn FnMut(Event)) {
    if filter.from.is_some_and(|from| event.lgpos < from) {
        return;
    }
    summary.events += 1;
    summary.inserts += usize::from(event.operation == Operation::Insert);
    summary.absent += usize::from(event.now == Now::Absent);
    summary.unknown_key += usize::from(event.now == Now::Unknown);
    summary.not_committed +=
        usize::from(!matches!(event.outcome, Outcome::Committed | Outcome::Compensation));
    summary.decoding_errors += event.errors.len();
    on_event(event);
}

struct Step<'a, 'd> {
    db: &'d Database,
    filter: &'a Filter,
    tables: &'a mut Tables<'d>,
    pages: &'a mut Pages,
    sessions: &'a mut Sessions,
    summary: &'a mut Summary,
    sign_db: Option<crate::format::Signature>,
    dbid: &'a mut Option<u8>,
    file: &'a str,
    created: &'a str,
}

/// Follows one record: the database's dbid, transactions, pages, the
/// catalog, and the row events.
fn step(record: &Record, cx: &mut Step<'_, '_>) {
    let code = record.record_type.0;
    let b = &record.bytes;
    match record.details() {
        Details::Begin { procid, from, levels, .. } => cx.sessions.begin(procid, from.saturating_add(levels)),
        Details::Commit { procid, to, .. } => cx.sessions.commit(procid, to),
        Details::Rollback { procid, levels } => cx.sessions.rollback(procid, levels),
        Details::Page { dbid, .. } | Details::NewPage { dbid, .. } if Some(dbid) == *cx.dbid => {
            page_record(record, cx)
        }
        Details::Page { .. } | Details::NewPage { .. } | Details::Macro { .. } => {}
        Details::Other => match code {
            // CreateDB (signDb at 12), AttachDB (signDb at 16): this database's dbid
            14 | 15 => {
                let at = if code == 14 { 12 } else { 16 };
                let sign = b.get(at..at + 28).and_then(|s| <[u8; 28]>::try_from(s).ok());
                if sign.is_some() && sign.map(crate::format::Signature) == cx.sign_db {
                    *cx.dbid = b.get(3).copied();
                } else if b.get(3).copied() == *cx.dbid {
                    *cx.dbid = None;
                }
            }
            16 if b.get(3).copied() == *cx.dbid => *cx.dbid = None,
            // Init, Term, RecoveryUndo/Quit: the instance restarted or ended
            1 | 2 | 18 | 49 | 50 | 52 | 80 => cx.sessions.restart(),
            _ => {}
        },
    }
}

fn page_record(record: &Record, cx: &mut Step<'_, '_>) {
    let code = record.record_type.0;
    let lines = cx.pages.apply(cx.db, record);
    let Details::Page { procid, pgno, trx_begin0, level, iline, objid_fdp, flags, .. } = record.details()
    else {
        return;
    };
    let Some(operation) = operation(code) else { return };
    // the owned and available extents of a tree: its space trees, not rows
    if flags & SPACE_TREE != 0 {
        cx.summary.tree_operations += 1;
        return;
    }
    let Some(objid) = objid_fdp else { return };
    let b = &record.bytes;
    // the catalog grows by the rows the log inserts into MSysObjects
    if objid == CATALOG_OBJID {
        if let (Operation::Insert, Some(node)) = (operation, &lines.after) {
            cx.tables.learn(&node.data);
        } else if operation == Operation::Insert {
            if let Ok((_, _, data)) = node_op::insert_parts(b) {
                cx.tables.learn(data);
            }
        }
    }
    let Some((index, kind)) = cx.tables.tree(objid) else {
        cx.summary.unknown_trees += 1;
        return;
    };
    if kind == TreeKind::LongValue {
        let node = match operation {
            Operation::Insert => {
                node_op::insert_parts(b).ok().map(|(key, _, data)| (key.to_vec(), data.to_vec()))
            }
            Operation::Replace | Operation::ReplaceDiff | Operation::FlagInsertReplace => {
                lines.after.as_ref().map(|n| (n.key.clone(), n.data.clone()))
            }
            _ => None,
        };
        if let Some((key, data)) = node {
            if !cx.tables.keep_long_value(index, key, data) && !cx.summary.long_values_dropped {
                cx.summary.long_values_dropped = true;
                cx.summary.findings.push(Finding::warning(
                    Location::File,
                    format!(
                        "more than {} MiB of long values in the logs: later ones are not kept, so rows whose long values are only in the logs may not decode",
                        tables::MAX_LOOSE_BYTES >> 20
                    ),
                ));
            }
        }
    }
    if kind != TreeKind::Data {
        cx.summary.tree_operations += 1;
        return;
    }
    let table = cx.tables.name(index);
    if cx.filter.table.as_ref().is_some_and(|t| !t.eq_ignore_ascii_case(&table)) {
        return;
    }
    let names = cx.tables.columns(index);
    let mut errors = Vec::new();
    let mut decode = |tables: &mut Tables<'_>, data: &[u8]| {
        tables.decode(index, data, pgno, iline).map(|row| {
            for (column, why) in &row.errors {
                let name = names.get(*column).map_or("the record", String::as_str);
                errors.push(format!("{name}: {why}"));
            }
            values_of(&names, &row)
        })
    };
    let mut note = None;
    // the key: from the record (Insert) or the line followed
    let key: Option<Vec<u8>> = match operation {
        Operation::Insert => node_op::insert_parts(b).ok().map(|(key, _, _)| key.to_vec()),
        _ => lines.after.as_ref().or(lines.before.as_ref()).map(|n| n.key.clone()),
    };
    let before = lines.before.as_ref().and_then(|n| decode(cx.tables, &n.data));
    let after = match operation {
        Operation::Insert => node_op::insert_parts(b).ok().and_then(|(_, _, data)| decode(cx.tables, data)),
        Operation::Replace if lines.after.is_none() => {
            node_op::replace_payload(b).ok().and_then(|(data, _)| decode(cx.tables, data))
        }
        Operation::FlagDelete | Operation::Delete | Operation::Undo => None,
        _ => lines.after.as_ref().and_then(|n| decode(cx.tables, &n.data)),
    };
    if key.is_none() {
        note = Some(format!(
            "page {pgno}'s content before this record is in neither the logs read nor the database, so its line {iline} is not known"
        ));
    }
    if operation == Operation::Delete
        && lines.before.as_ref().is_some_and(|n| n.flags.0 & crate::format::tag::NodeFlags::DELETED.0 != 0)
    {
        note = Some("clean-up of a flag-deleted record".to_string());
    }
    let changed = match (&before, &after) {
        (Some(b), Some(a)) => {
            b.0.iter().zip(&a.0).filter(|(x, y)| x.1 != y.1).map(|(x, _)| x.0.clone()).collect()
        }
        _ => Vec::new(),
    };
    let now = match &key {
        None => Now::Unknown,
        Some(key) => match (cx.tables.now(index, key), &after) {
            (None, _) => Now::Absent,
            (Some(print), Some(after)) => {
                let values: Vec<Value> = after.0.iter().map(|(_, v)| v.clone()).collect();
                if fingerprint(&values) == print {
                    Now::AsLogged
                } else {
                    Now::Changed
                }
            }
            (Some(_), None) => Now::Changed,
        },
    };
    let event = Event {
        lgpos: record.lgpos,
        file: cx.file.to_string(),
        created: cx.created.to_string(),
        procid,
        trx: trx_begin0,
        level,
        outcome: if operation == Operation::Undo { Outcome::Compensation } else { Outcome::Committed },
        operation,
        table,
        objid,
        pgno,
        iline,
        key: key.as_ref().map(hex::encode),
        values: after,
        before,
        changed,
        now,
        errors,
        note,
    };
    cx.sessions.push(procid, level, event);
}
