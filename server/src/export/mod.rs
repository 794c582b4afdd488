//! What the console hands to other tools: a space's peerings as
//! Terraform, and every space's peerings as an inventory (CSV or JSON).
//! The console's pages, its downloads and `spaceport export` all write
//! them with these functions.

pub mod inventory;
pub mod terraform;
