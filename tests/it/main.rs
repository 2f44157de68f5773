//! Integration tests: one binary, one module per area.
//! Real sample files are read from `../shared/samples/real` and never copied
//! into the repository; damaged variants are made in temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod compare;
mod crosscheck;
mod database;
mod e2e;
mod export;
mod flipped;
mod formats;
mod golden;
mod history;
mod hostile;
mod hostile_text;
mod inspector80;
mod lies;
mod plan_view;
mod recovery;
mod recovery_hostile;
mod repair;
mod replay;
mod replay_set;
mod replay_space;
mod report;
mod robustness;
mod rollforward;
mod rows;
mod salvage;
mod salvage_real;
mod screens;
mod slack;
mod trees;
mod tui;
mod txlog;
mod writer;
mod writer_damage;
mod writer_roundtrip;
