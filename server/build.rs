//! sqlx embeds the migrations at build time, file by file: a migration
//! added to a folder is only seen if the build runs again when the folders
//! change.
fn main() {
    println!("cargo:rerun-if-changed=../migrations/sqlite");
    println!("cargo:rerun-if-changed=../migrations/postgres");
}
