//! One module per page, each with the server functions it calls.

pub mod addon_accounts;
pub mod addon_dialogs;
pub mod alarm;
pub mod approvals;
pub mod audit;
pub mod expected;
pub mod export;
pub mod inbox;
pub mod notifications;
pub mod overview;
pub mod plan;
pub mod privatelink;
pub mod settings;
pub mod signin;
pub mod space;
pub mod space_dialogs;
pub mod users;
