//! The one key table: dispatch and the help screen both read it, so the
//! help can never drift from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Prompt, ViewId};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every view.
    Global,
    /// One view only (checked before global bindings).
    View(ViewId),
}

/// One key binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// The key.
    pub key: KeyCode,
    /// Where it applies.
    pub scope: Scope,
    /// What it does.
    pub action: Action,
    /// What the help says; bindings with the same text are listed together.
    pub help: &'static str,
}

const fn bind(key: KeyCode, scope: Scope, action: Action, help: &'static str) -> Binding {
    Binding { key, scope, action, help }
}

use KeyCode::{Backspace, Char, Down, End, Enter, Esc, Home, Left, PageDown, PageUp, Right, Tab, Up};
use Scope::Global;

const MAP: Scope = Scope::View(ViewId::PageMap);
const PAGE: Scope = Scope::View(ViewId::Page);
const JOBS: Scope = Scope::View(ViewId::Jobs);
const TABLES: Scope = Scope::View(ViewId::Tables);
const RECORDS: Scope = Scope::View(ViewId::Records);
const LOGS: Scope = Scope::View(ViewId::Logs);

/// Every binding.
pub const BINDINGS: &[Binding] = &[
    bind(Char('q'), Global, Action::Quit, "quit"),
    bind(Char('?'), Global, Action::Help, "help"),
    bind(Char('M'), Global, Action::Messages, "every message, whole"),
    bind(Char(':'), Global, Action::Messages, "every message, whole"),
    bind(Char('1'), Global, Action::Show(ViewId::Overview), "overview"),
    bind(Char('2'), Global, Action::Show(ViewId::PageMap), "page map"),
    bind(Char('3'), Global, Action::Show(ViewId::Page), "page"),
    bind(Char('4'), Global, Action::Show(ViewId::Checksum), "checksum"),
    bind(Char('5'), Global, Action::Show(ViewId::Jobs), "jobs"),
    bind(Char('6'), Global, Action::Show(ViewId::Logs), "logs"),
    bind(Char('7'), Global, Action::Show(ViewId::Tables), "tables"),
    bind(Char('8'), Global, Action::Show(ViewId::Records), "records"),
    bind(Char('g'), Global, Action::Prompt(Prompt::GoTo), "go to page or @offset"),
    bind(Char('/'), Global, Action::Prompt(Prompt::Search), "search hex or text"),
    bind(Char('['), Global, Action::Back, "back"),
    bind(Backspace, Global, Action::Back, "back"),
    bind(Char(']'), Global, Action::Forward, "forward"),
    bind(Char('y'), Global, Action::Copy, "copy"),
    bind(Char('w'), Global, Action::Prompt(Prompt::SaveAs), "save to file"),
    bind(Char('v'), Global, Action::StartVerify, "verify"),
    bind(Char('n'), Global, Action::NextPage, "next page"),
    bind(Char('p'), Global, Action::PrevPage, "previous page"),
    bind(Up, Global, Action::Up, "move"),
    bind(Down, Global, Action::Down, "move"),
    bind(Left, Global, Action::Left, "move"),
    bind(Right, Global, Action::Right, "move"),
    bind(Char('k'), Global, Action::Up, "move"),
    bind(Char('j'), Global, Action::Down, "move"),
    bind(PageUp, Global, Action::PageUp, "scroll a screen"),
    bind(PageDown, Global, Action::PageDown, "scroll a screen"),
    bind(Home, Global, Action::Home, "start / end"),
    bind(End, Global, Action::End, "start / end"),
    bind(Enter, Global, Action::Enter, "open"),
    bind(Esc, Global, Action::Escape, "close"),
    bind(Char('h'), PAGE, Action::SiblingPrev, "previous / next sibling"),
    bind(Char('l'), PAGE, Action::SiblingNext, "previous / next sibling"),
    bind(Tab, PAGE, Action::Focus, "fields / tags / hex"),
    bind(Char('u'), PAGE, Action::Parent, "up to the parent page"),
    bind(Char('h'), MAP, Action::Left, "move"),
    bind(Char('l'), MAP, Action::Right, "move"),
    bind(Char('m'), MAP, Action::MapMode, "colour by kind / health / dbtime"),
    bind(Char('+'), MAP, Action::ZoomIn, "zoom in / out"),
    bind(Char('-'), MAP, Action::ZoomOut, "zoom in / out"),
    bind(Char('r'), TABLES, Action::Records, "rows of the table"),
    bind(Tab, RECORDS, Action::Focus, "rows / columns"),
    bind(Char('/'), RECORDS, Action::Prompt(Prompt::FindRecord), "find a row by any value"),
    bind(Char('h'), LOGS, Action::Left, "back to the log files"),
    bind(Char('P'), LOGS, Action::StartPlan, "recovery plan (dry run)"),
    bind(Char('H'), LOGS, Action::StartHistory, "row history from the logs"),
    bind(Char('t'), LOGS, Action::HistoryTable, "history: one table / all"),
    bind(Char('f'), LOGS, Action::HistoryRow, "history: one row / all"),
    bind(Char('R'), LOGS, Action::Prompt(Prompt::RecoverTo), "recover from logs"),
    bind(Char('d'), RECORDS, Action::ToggleRecovered, "recovered rows on / off"),
    bind(Char('x'), JOBS, Action::CancelJob, "cancel job"),
    bind(Char('r'), JOBS, Action::Prompt(Prompt::RepairTo), "repair to new file"),
    bind(Char('R'), JOBS, Action::Prompt(Prompt::RecoverTo), "recover from logs"),
    bind(Char('P'), JOBS, Action::StartPlan, "recovery plan (dry run)"),
    bind(Char('S'), JOBS, Action::Prompt(Prompt::SalvageTo), "salvage every readable row to a new file"),
    bind(Tab, Global, Action::NextView, "next view"),
];

/// The action for a key in `view`: the view's own bindings first. A key
/// bound nowhere gives [`Action::Unbound`], so the user hears about it.
pub fn action_for(view: ViewId, key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == Char('c')).then_some(Action::Quit);
    }
    let matches = |b: &&Binding| b.key == key.code;
    let bound = BINDINGS
        .iter()
        .filter(|b| b.scope == Scope::View(view))
        .find(matches)
        .or_else(|| BINDINGS.iter().filter(|b| b.scope == Global).find(matches))
        .map(|b| b.action);
    match (bound, key.code) {
        (Some(action), _) => Some(action),
        (None, KeyCode::Modifier(_) | KeyCode::Null) => None,
        (None, code) => Some(Action::Unbound(code)),
    }
}

/// A key as the help shows it.
pub fn key_name(key: KeyCode) -> String {
    match key {
        Char(' ') => "space".into(),
        Char(c) => c.to_string(),
        Up => "↑".into(),
        Down => "↓".into(),
        Left => "←".into(),
        Right => "→".into(),
        PageUp => "PgUp".into(),
        PageDown => "PgDn".into(),
        Home => "Home".into(),
        End => "End".into(),
        Enter => "Enter".into(),
        Esc => "Esc".into(),
        Tab => "Tab".into(),
        Backspace => "Bksp".into(),
        other => format!("{other:?}"),
    }
}

/// Help lines for `view`: its own bindings, then the global ones it does
/// not override (so no key is listed twice with two meanings), keys with
/// the same description merged (`h l  previous / next sibling`).
pub fn help_lines(view: ViewId) -> Vec<(String, &'static str)> {
    let mut lines: Vec<(String, &'static str)> = Vec::new();
    let scoped: Vec<&Binding> = BINDINGS.iter().filter(|b| b.scope == Scope::View(view)).collect();
    let global = BINDINGS.iter().filter(|b| b.scope == Global && !scoped.iter().any(|s| s.key == b.key));
    for binding in scoped.iter().copied().chain(global) {
        if let Some(line) = lines.iter_mut().find(|(_, help)| *help == binding.help) {
            let name = key_name(binding.key);
            if !line.0.split(' ').any(|k| k == name) {
                line.0.push(' ');
                line.0.push_str(&name);
            }
        } else {
            lines.push((key_name(binding.key), binding.help));
        }
    }
    lines
}

/// The footer for `view` in `width` columns: as many of its most used
/// bindings as fit, with the keys taken from [`BINDINGS`], and always
/// `? help  q quit`.
pub fn footer(view: ViewId, width: usize) -> String {
    let wanted: &[&str] = match view {
        ViewId::PageMap => {
            &["open", "colour by kind / health / dbtime", "zoom in / out", "go to page or @offset", "verify"]
        }
        ViewId::Page => &[
            "fields / tags / hex",
            "previous / next sibling",
            "up to the parent page",
            "next page",
            "copy",
            "save to file",
        ],
        ViewId::Checksum => &["open", "next page", "previous page", "copy", "save to file"],
        ViewId::Jobs => &["verify", "repair to new file", "recover from logs", "cancel job", "open", "copy"],
        ViewId::Logs => {
            &["open", "recovery plan (dry run)", "recover from logs", "back to the log files", "copy"]
        }
        ViewId::Tables => &["open", "rows of the table", "move", "copy"],
        ViewId::Records => &["move", "rows / columns", "open", "find a row by any value", "copy"],
        ViewId::Overview => &["page map", "go to page or @offset", "verify", "copy", "save to file"],
    };
    let lines = help_lines(view);
    let end = "  ? help  M messages  q quit";
    let mut out = String::new();
    for part in wanted
        .iter()
        .filter_map(|w| lines.iter().find(|(_, help)| help == w).map(|(keys, help)| format!("{keys} {help}")))
    {
        let sep = if out.is_empty() { "" } else { "  " };
        if out.chars().count() + sep.len() + part.chars().count() + end.chars().count() > width {
            break;
        }
        out.push_str(sep);
        out.push_str(&part);
    }
    out.push_str(if out.is_empty() { end.trim_start() } else { end });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_bindings_win_over_global_ones() {
        let key = KeyEvent::from(Char('h'));
        assert_eq!(action_for(ViewId::Page, key), Some(Action::SiblingPrev));
        assert_eq!(action_for(ViewId::PageMap, key), Some(Action::Left));
        assert_eq!(action_for(ViewId::Overview, key), Some(Action::Unbound(Char('h'))));
        assert_eq!(
            action_for(ViewId::Overview, KeyEvent::new(Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn help_merges_keys_with_the_same_text() {
        let lines = help_lines(ViewId::Page);
        assert!(lines.contains(&("h l".to_string(), "previous / next sibling")));
        assert!(lines.iter().any(|(k, h)| k == "[ Bksp" && *h == "back"));
        let page = |b: &&Binding| b.scope == Scope::View(ViewId::Page);
        let shadowed =
            |b: &&Binding| b.scope == Global && BINDINGS.iter().filter(page).any(|p| p.key == b.key);
        let every_binding_listed =
            BINDINGS.iter().filter(|b| (b.scope == Global && !shadowed(b)) || page(b)).all(|b| {
                lines
                    .iter()
                    .any(|(keys, help)| *help == b.help && keys.split(' ').any(|k| k == key_name(b.key)))
            });
        assert!(every_binding_listed);
    }

    #[test]
    fn footer_keys_come_from_the_table() {
        assert!(footer(ViewId::Page, 200).starts_with("Tab fields / tags / hex  h l previous / next sibling"));
        assert!(footer(ViewId::PageMap, 200).contains("m colour by kind"));
    }

    #[test]
    fn the_footer_keeps_help_and_quit_at_80_columns_and_jobs_name_recovery() {
        for view in ViewId::ALL {
            let footer = footer(view, 80);
            assert!(footer.chars().count() <= 80, "{footer}");
            assert!(footer.ends_with("? help  M messages  q quit"), "{footer}");
        }
        assert!(footer(ViewId::Jobs, 200).contains("R recover from logs"));
    }

    #[test]
    fn no_key_is_listed_twice_in_any_views_help() {
        for view in ViewId::ALL {
            let lines = help_lines(view);
            let mut keys: Vec<&str> = lines.iter().flat_map(|(k, _)| k.split(' ')).collect();
            let count = keys.len();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), count, "{view:?}: {lines:?}");
        }
        let page = help_lines(ViewId::Page);
        assert!(!page.iter().any(|(_, h)| *h == "next view"), "{page:?}");
        let records = help_lines(ViewId::Records);
        assert!(!records.iter().any(|(_, h)| *h == "search hex or text"), "{records:?}");
    }
}
