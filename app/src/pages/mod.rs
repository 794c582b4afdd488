//! One module per page, each with the server functions it calls.

pub mod alarm;
pub mod audit;
pub mod overview;
pub mod privatelink;
pub mod signin;
pub mod space;
pub mod users;
