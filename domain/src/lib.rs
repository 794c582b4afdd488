//! Spaceport's domain: what the console is about, with no page, server or
//! database in it. `app` renders it and `server` carries it out; both
//! depend on this crate, which depends on neither.

pub mod access;
pub mod action;
pub mod approval;
pub mod aws;
pub mod checks;
pub mod error;
pub mod ids;
pub mod kind;
pub mod model;
pub mod notify;
pub mod plan;
pub mod policy;
pub mod rules;
pub mod validate;
pub mod views;
