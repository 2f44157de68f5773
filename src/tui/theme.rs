//! Every style the inspector uses, in one place. With `NO_COLOR` set the
//! theme keeps only modifiers (bold, underline, reverse), so selection,
//! damage and the flipped bit stay visible without colour.

use ratatui::style::{Color, Modifier, Style};

use crate::scan::classify::{Health, PageKind};

/// What a byte of a page belongs to, for the hex view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteClass {
    /// The page header.
    PageHeader,
    /// A stored checksum (bytes 0–7, and `rgChecksum` on large pages).
    Checksum,
    /// An entry of the tag array.
    TagArray,
    /// Tag 0: the external header.
    ExternalHeader,
    /// A node (line); the two values alternate between neighbours.
    Node(bool),
    /// Free or unused space.
    Free,
    /// Slack bytes that decode as a record (a recovered remnant).
    Recovered,
}

/// The styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// True when colours are off (`NO_COLOR`).
    pub no_color: bool,
}

impl Theme {
    /// The theme for the environment: no colour when `NO_COLOR` is set and non-empty.
    pub fn from_env() -> Self {
        Self { no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) }
    }

    fn fg(self, color: Color) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(color)
        }
    }

    /// Ordinary text.
    pub fn text(self) -> Style {
        Style::default()
    }

    /// Labels and secondary text.
    pub fn dim(self) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(Color::DarkGray)
        }
    }

    /// Titles and headings.
    pub fn title(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The selected row or byte.
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    /// Something wrong.
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Something to look at.
    pub fn warning(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// Something fine.
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    /// A flipped bit's byte: red background, or bold underline without colour.
    pub fn flipped(self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED | Modifier::REVERSED)
        } else {
            Style::default().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD)
        }
    }

    /// A differing bit or field.
    pub fn differs(self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            Style::default().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        }
    }

    /// A byte of the hex view by what it belongs to.
    pub fn byte(self, class: ByteClass) -> Style {
        match class {
            ByteClass::PageHeader => self.fg(Color::Cyan),
            ByteClass::Checksum => self.fg(Color::Magenta),
            ByteClass::TagArray => self.fg(Color::Yellow),
            ByteClass::ExternalHeader => self.fg(Color::Green),
            ByteClass::Node(true) => self.fg(Color::Blue),
            ByteClass::Node(false) => self.fg(Color::LightBlue),
            ByteClass::Free => self.dim(),
            // underlined too, so that it shows without colour
            ByteClass::Recovered => self.fg(Color::LightMagenta).add_modifier(Modifier::UNDERLINED),
        }
    }

    /// A page-map cell coloured by kind.
    pub fn kind(self, kind: PageKind) -> Style {
        self.fg(match kind {
            PageKind::Unscanned => Color::DarkGray,
            PageKind::Uninitialized => Color::DarkGray,
            PageKind::Root => Color::Magenta,
            PageKind::Internal => Color::Cyan,
            PageKind::Leaf => Color::Blue,
            PageKind::Space => Color::Yellow,
            PageKind::LongValue => Color::Green,
            PageKind::Index => Color::LightCyan,
            PageKind::Empty => Color::Gray,
        })
    }

    /// A page-map cell coloured by health.
    pub fn health(self, health: Health) -> Style {
        match health {
            Health::Unknown | Health::Uninitialized => self.dim(),
            Health::Ok => self.fg(Color::Green),
            // a temporary database's pages are not checksummed: not the same as checked and ok
            Health::NotChecksummed => self.fg(Color::Cyan),
            Health::Correctable => self.warning(),
            Health::WrongPageNumber => self.fg(Color::LightMagenta).add_modifier(Modifier::BOLD),
            Health::Bad => self.error(),
        }
    }

    /// A heat-map cell: `level` 0 (oldest) to 5 (newest write).
    pub fn heat(self, level: u8) -> Style {
        let colors = [Color::DarkGray, Color::Blue, Color::Cyan, Color::Green, Color::Yellow, Color::Red];
        self.fg(colors.get(usize::from(level)).copied().unwrap_or(Color::Red))
    }
}

/// The glyph for a page-map cell without colour: distinct per kind or health.
pub fn kind_glyph(kind: PageKind) -> char {
    match kind {
        PageKind::Unscanned => ' ',
        PageKind::Uninitialized => '.',
        PageKind::Root => 'R',
        PageKind::Internal => 'B',
        PageKind::Leaf => 'L',
        PageKind::Space => 'S',
        PageKind::LongValue => 'V',
        PageKind::Index => 'I',
        PageKind::Empty => 'e',
    }
}

/// The glyph for a health value.
pub fn health_glyph(health: Health) -> char {
    match health {
        Health::Unknown => ' ',
        Health::Uninitialized => '.',
        Health::Ok => 'o',
        Health::NotChecksummed => 'n',
        Health::Correctable => 'C',
        Health::WrongPageNumber => 'W',
        Health::Bad => 'X',
    }
}
