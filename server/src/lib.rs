//! Spaceport's server: the axum binary `spaceport`, which implements the
//! app's `Console` with the provider client, the audit history and the read
//! cache, and carries the simulated provider.

pub mod actions;
pub mod address;
pub mod approvals;
pub mod audit;
pub mod audit_command;
pub mod auth;
pub mod backup_command;
pub mod cache;
pub mod config;
pub mod console;
pub mod db;
pub mod export;
pub mod export_command;
pub mod gateway;
pub mod limit;
pub mod listener;
pub mod metrics;
pub mod migrate_command;
pub mod notify;
pub mod policy_command;
pub mod private;
pub mod provider;
pub mod sim;
pub mod startup;
pub mod token_command;
pub mod user_command;
pub mod users;
pub mod watch;
pub mod web;

/// Rendering a page makes and frees many small allocations on every worker
/// thread at once; under 50 concurrent clients glibc's malloc spent a fifth
/// of the CPU on them (see BENCHMARKS.md, "Server-side rendering").
/// Declared here, it serves every binary that links the server: the
/// console, the benchmark and the tests.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
