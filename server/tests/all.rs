//! Every integration test of the server, in one binary (crates.io's
//! `tests/all.rs` shape): one link instead of one per file, and one
//! harness, `common`, that every module shares.
//!
//! The test command runs it with `--test-threads=1`. Each test runs whole
//! consoles on a runtime of its own; with several tests rendering pages
//! on several runtimes at once, a debug run hung now and then with one
//! page render parked forever inside Leptos' server rendering (not seen
//! with one test at a time). One at a time also keeps the global metrics
//! registry and the timing of the flood tests to the test that reads them.

mod common;

mod access;
mod approvals;
mod audit_history;
mod audit_tamper;
mod contract;
mod data_client;
mod deploy;
mod exports;
mod fidelity;
mod hardening;
mod layout;
mod migrate;
mod notifications;
mod operations;
mod pages;
mod privatelink_functions;
mod provider_client;
mod server_functions;
mod shared;
mod sso;
mod stores;
mod tokens;
