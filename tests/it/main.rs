//! Integration tests: one binary, one module per area.
//! Real sample files are read from `../shared/samples/real` and never copied
//! into the repository; damaged variants are made in temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod crosscheck;
mod database;
mod e2e;
mod export;
mod formats;
mod golden;
mod inspector80;
mod recovery;
mod repair;
mod replay;
mod report;
mod robustness;
mod screens;
mod trees;
mod tui;
mod txlog;
mod writer;
mod writer_damage;
mod writer_roundtrip;
