//! What the user asks for ([`Action`]) and what the outside world must do
//! in response ([`Effect`]). `App::update` turns the first into state
//! changes and, sometimes, the second; the main loop carries effects out.

use crate::worker::JobId;

/// The inspector's screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewId {
    /// File summary and both header copies.
    Overview,
    /// Every page as a cell.
    PageMap,
    /// One page: header, tags, hex.
    Page,
    /// One page's checksum analysis.
    Checksum,
    /// Background jobs and their findings.
    Jobs,
    /// The transaction log set.
    Logs,
    /// The catalog's tables, the way into the trees.
    Tables,
    /// The rows of one table, decoded.
    Records,
}

impl ViewId {
    /// Tab order.
    pub const ALL: [Self; 8] = [
        Self::Overview,
        Self::PageMap,
        Self::Page,
        Self::Checksum,
        Self::Jobs,
        Self::Logs,
        Self::Tables,
        Self::Records,
    ];

    /// The tab title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::PageMap => "Pages",
            Self::Page => "Page",
            Self::Checksum => "Checksum",
            Self::Jobs => "Jobs",
            Self::Logs => "Logs",
            Self::Tables => "Tables",
            Self::Records => "Records",
        }
    }
}

/// A one-line prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Go to a page number or `@offset`.
    GoTo,
    /// Search the file for hex bytes or text.
    Search,
    /// Write the focused thing to a file.
    SaveAs,
    /// Where to write a repaired copy.
    RepairTo,
    /// A healthy copy (backup, replica) to take damaged pages from.
    RepairFrom,
    /// Where to write the copy recovered from the logs.
    RecoverTo,
    /// Where to write the salvaged database.
    SalvageTo,
    /// Text to find in the rows of the open table.
    FindRecord,
}

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave.
    Quit,
    /// Show a view.
    Show(ViewId),
    /// Next view in tab order.
    NextView,
    /// Toggle the key help.
    Help,
    /// Toggle the log of every status message.
    Messages,
    /// A key with no meaning in the current view.
    Unbound(crossterm::event::KeyCode),
    /// Back in history.
    Back,
    /// Forward in history.
    Forward,
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// Move left.
    Left,
    /// Move right.
    Right,
    /// A screen up.
    PageUp,
    /// A screen down.
    PageDown,
    /// To the start.
    Home,
    /// To the end.
    End,
    /// Open the selected thing.
    Enter,
    /// Next page number.
    NextPage,
    /// Previous page number.
    PrevPage,
    /// Follow `pgnoPrev`.
    SiblingPrev,
    /// Follow `pgnoNext`.
    SiblingNext,
    /// Back up the tree to the page we came down from.
    Parent,
    /// Cycle focus between panes.
    Focus,
    /// Cycle the page-map colouring.
    MapMode,
    /// More pages per cell.
    ZoomOut,
    /// Fewer pages per cell.
    ZoomIn,
    /// Open a prompt.
    Prompt(Prompt),
    /// A character typed into the prompt.
    Input(char),
    /// Delete the last prompt character.
    Backspace,
    /// Clear the prompt's input (Ctrl-U).
    ClearInput,
    /// Close the prompt, help or selection.
    Escape,
    /// Copy the focused thing to the clipboard.
    Copy,
    /// Start a verify job.
    StartVerify,
    /// Start the recovery plan (dry run) in the background.
    StartPlan,
    /// Start the row history of the log set in the background.
    StartHistory,
    /// History: only the selected event's table, or every table again.
    HistoryTable,
    /// History: only the selected event's row, or every row again.
    HistoryRow,
    /// Open the rows of the selected table.
    Records,
    /// Cancel the selected job.
    CancelJob,
    /// Records view: show or hide the recovered rows after the live ones.
    ToggleRecovered,
    /// A mouse click at a terminal cell.
    Click {
        /// Column.
        column: u16,
        /// Row.
        row: u16,
    },
    /// Mouse wheel up.
    ScrollUp,
    /// Mouse wheel down.
    ScrollDown,
    /// The terminal was resized.
    Resize {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
}

/// Something the main loop must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Put text on the clipboard (arboard, else OSC 52, else a file).
    Copy {
        /// The text.
        text: String,
        /// What it is, for the message.
        what: String,
    },
    /// Write text to a new file.
    Save {
        /// Where (absolute).
        path: std::path::PathBuf,
        /// The text.
        text: String,
    },
    /// Start a verify job.
    StartVerify,
    /// Start a repair job writing a new file.
    StartRepair {
        /// The new file (absolute).
        out: std::path::PathBuf,
        /// A copy of the same database to take damaged pages from.
        from: Option<std::path::PathBuf>,
    },
    /// Start the recovery plan (the dry run of log replay).
    StartPlan,
    /// Start the row history of the log set.
    StartHistory,
    /// Start a salvage job writing a new database from every readable row.
    StartSalvage {
        /// The new file (absolute).
        out: std::path::PathBuf,
    },
    /// Start a recovery job (log replay) writing a new file.
    StartRecovery {
        /// The new file (absolute).
        out: std::path::PathBuf,
    },
    /// Stop a job.
    Cancel(JobId),
}
