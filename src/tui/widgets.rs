//! Reusable, state-free widgets.

pub mod hex;
