//! Pure decoding of ESE structures from byte slices.
//!
//! Bytes in, typed values or [`FormatError`]s out: nothing here opens a file,
//! spawns a thread or prints. Every offset read from the file is untrusted,
//! so this layer reads only through `get` and checked arithmetic; it is the
//! layer the fuzz targets exercise. Where a page or header lives in a file,
//! and which pages to read, is [`crate::store`]'s business.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod catalog;
pub mod checkpoint;
pub mod checksum;
pub mod compression;
pub mod error;
pub mod field;
pub mod header;
pub mod hex64;
pub mod key;
pub mod lies;
pub mod node;
pub mod page;
pub mod record;
pub mod slack;
pub mod space;
pub mod tag;
pub mod tagged;
pub mod txlog;
pub mod types;
pub mod value;
pub mod verdict;

pub use error::FormatError;
pub use types::{DbTime, Lgpos, LogTime, ObjectId, PageNumber, PageSize, Signature};
