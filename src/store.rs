//! Where things are in a file: opening it read-only, mapping it, electing
//! the header copy and page size, and handing out pages by number.
//!
//! The mmap in [`file`] is the crate's only `unsafe`. Decoding what the
//! bytes mean is [`crate::format`]'s job.

pub mod catalog;
pub mod cursor;
pub mod database;
pub mod file;
pub mod index_key;
pub mod long_value;
pub mod page_read;
pub mod recovered;
pub mod slack;
pub mod space;
pub mod special;
pub mod table;

pub use database::{Database, HeaderCopy, HeaderSource};
pub use file::ReadMode;
