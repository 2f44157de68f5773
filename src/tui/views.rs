//! One module per screen: each owns its state, its handling of actions and
//! its drawing.

pub mod checksum;
pub mod history;
pub mod jobs;
pub mod logs;
pub mod overview;
pub mod page;
pub mod pagemap;
pub mod plan;
pub mod records;
pub mod tables;
