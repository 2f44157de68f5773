//! Reusable, state-free widgets.

pub mod hex;
pub mod scroll;
