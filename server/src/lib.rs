//! Spaceport's server: the axum binary `spaceport`, which implements the
//! app's `Console` with the provider client, the audit history and the read
//! cache, and carries the simulated provider.

pub mod actions;
pub mod approvals;
pub mod audit;
pub mod audit_command;
pub mod auth;
pub mod backup_command;
pub mod cache;
pub mod config;
pub mod console;
pub mod db;
pub mod limit;
pub mod metrics;
pub mod notify;
pub mod policy_command;
pub mod provider;
pub mod sim;
pub mod startup;
pub mod user_command;
pub mod web;
